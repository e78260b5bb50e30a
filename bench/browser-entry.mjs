// The benchmark in headless Chromium: the web entry of the built package against the peers, bundled by
// scripts/bench.mjs and driven through playwright. `window.runBench` returns the figures.
import { install, parseProfile } from "../pkg/shim/web.js";
import { runBench } from "./compare.mjs";

window.runBench = ({ appId, envelope, authorised, wasmPath }) =>
  runBench({
    now: () => performance.now(),
    install: (config, wx) => install({ ...config, host: wx, wasmPath }),
    parseProfile,
    appId,
    envelope,
    authorised,
  });
window.benchReady = true;

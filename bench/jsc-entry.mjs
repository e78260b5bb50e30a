// The benchmark inside JavaScriptCore's shell (`jsc`, iOS's engine; scripts/bench.mjs runs it with and without
// JIT): bundled into one script after a line naming `benchDir`, the folder holding the drop-in's
// tmsdk-profile.js and its wasm decompressed. Loads the drop-in as a mini-game does — a CommonJS file,
// `WXWebAssembly` taking a package path — runs the figures, and prints them as one line of ASCII JSON.
/* global benchDir, preciseTime, print */
import { runBench } from "./compare.mjs";
import { ascii } from "../tests/jsc/ascii.mjs";
import { loadDropIn } from "../tests/jsc/load-drop-in.mjs";

const dropIn = loadDropIn(benchDir);

globalThis.runBench = ({ appId, envelope, authorised, batch, rounds }) =>
  runBench({
    now: () => preciseTime() * 1000,
    install: (config, host) => dropIn.install({ ...config, host }),
    parseProfile: dropIn.parseProfile,
    appId,
    envelope,
    authorised,
    batch,
    rounds,
  }).then(
    (figures) => print(ascii(figures)),
    (e) => print(`ERROR ${e}`),
  );

// The benchmark inside the WeChat sandbox (no TextDecoder: the drop-in's own UTF-8 codecs): bundled by
// scripts/bench.mjs into one script evaluated in the sandbox's realm, where it finds the drop-in's exports
// and a clock as globals.
/* global benchDropIn, benchNow */
import { runBench } from "./compare.mjs";

globalThis.runBench = ({ appId, envelope, authorised }) =>
  runBench({
    now: benchNow,
    // As in a mini-game: the host is the realm's global wx.
    install: (config, wx) => {
      globalThis.wx = wx;
      return benchDropIn.install(config);
    },
    parseProfile: benchDropIn.parseProfile,
    appId,
    envelope,
    authorised,
  });

// The benchmark inside the WeChat or QQ sandbox (no TextDecoder: the drop-in's own UTF-8 codecs): bundled by
// scripts/bench.mjs into one script evaluated in the sandbox's realm, where it finds the drop-in's exports, a
// clock and the platform's host name (`wx`, `qq`) as globals.
/* global benchDropIn, benchNow, benchHostName */
import { runBench } from "./compare.mjs";

globalThis.runBench = ({ appId, envelope, authorised }) =>
  runBench({
    now: benchNow,
    // As in a mini-game: the host is the realm's global (wx, qq).
    install: (config, host) => {
      globalThis[benchHostName] = host;
      return benchDropIn.install(config);
    },
    parseProfile: benchDropIn.parseProfile,
    appId,
    envelope,
    authorised,
  });

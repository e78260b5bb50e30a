// Runs inside JavaScriptCore's shell (`jsc -m`, iOS's engine; tests/js/jsc.test.mjs starts it with and without
// JIT, once per host): loads the drop-in (dist/minigame/) as a mini-game of that host loads it — a CommonJS file,
// the host's loader (`WXWebAssembly`, `QQWebAssembly`, `TTWebAssembly`) taking a package path — and runs the whole
// scenario list against the backend of the Node process that started it: on QQ with the test host as the global
// `qq`; on Douyin with it as `config.host`, then Douyin's scenarios with the simulated `tt` as the global `tt`
// against a second backend, whose app is a `tt:` app.
// jsc has no network: every HTTP request goes out as one line on stdout and its answer comes back as one line
// on stdin (`readline`), which the Node side serves. Results go out as lines too.
//
// Arguments (after `--`): the folder holding tmsdk-profile.js and the decompressed tmsdk-profile.wasm, the
// backend's URL, the Douyin backend's URL, the host (`wx`, `qq` or `tt`), and optionally one scenario name to run
// alone.
/* global print, readline, preciseTime, scriptArgs, arguments */

import { Utf8Encoder } from "../../js-shim/text-codec.js";
import { ascii } from "./ascii.mjs";
import { loadDropIn } from "./load-drop-in.mjs";

const args = typeof scriptArgs !== "undefined" ? scriptArgs : arguments;
const [dropInDir, backendUrl, douyinBackendUrl, host, only] = args;
const LOADERS = { wx: "WXWebAssembly", qq: "QQWebAssembly", tt: "TTWebAssembly" };

/** One line out (`kind` and a JSON payload): the Node side reads stdout line by line. */
function say(kind, payload) {
  print(`\u0001${kind} ${ascii(payload)}`);
}

/** Bytes as base64 (binary request bodies: the avatar uploads). */
function base64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** One HTTP exchange through the Node side, synchronous underneath, settled on a later turn as a network is. */
function exchange(url, { method = "GET", headers = {}, body, timeoutMs, asFetch = false } = {}) {
  const binary = body instanceof Uint8Array;
  say("http", { url, method, headers, body: binary ? base64(body) : body ?? "", binary, timeoutMs, asFetch });
  const answer = JSON.parse(readline());
  return new Promise((resolve, reject) =>
    setTimeout(() => {
      if (answer.error) {
        const e = new Error(answer.error);
        e.timeout = answer.timeout;
        reject(e);
      } else {
        resolve(answer);
      }
    }, 0),
  );
}

// What the scenarios' harness needs and jsc lacks:
// `fetch` for the backend's control channel, `TextEncoder` for the test images, a console.
globalThis.fetch = (url, init = {}) =>
  exchange(String(url), { method: init.method, headers: init.headers, body: init.body, asFetch: true }).then(
    ({ status, text, headers }) => ({
      status,
      ok: status >= 200 && status < 300,
      headers: { get: (name) => headers[name.toLowerCase()] ?? null },
      text: () => Promise.resolve(text),
      json: () => Promise.resolve(JSON.parse(text)),
    }),
  );
globalThis.TextEncoder = Utf8Encoder;
const line = (...parts) => say("log", parts.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join(" "));
globalThis.console = { log: line, info: line, warn: line, error: line, debug: line };

// The drop-in as a mini-game of `host` loads it (the SDK gets nothing else of the harness but `console`).
const dropIn = loadDropIn(dropInDir, LOADERS[host]);

/** An install with `config.host` as the realm's global `name` (as a mini-game's host is), not a config key. */
const onGlobal = (name) => ({ host: given, ...config }) => {
  globalThis[name] = given;
  return dropIn.install(config);
};

const { allScenarios, douyinScenarios } = await import("../scenarios/all.mjs");
const env = {
  install: host === "qq" ? onGlobal("qq") : (config) => dropIn.install(config),
  TmSdkError: dropIn.TmSdkError,
  transport: exchange,
  backendUrl,
  douyin: { backendUrl: douyinBackendUrl, install: onGlobal("tt") },
};
for (const scenario of host === "tt" ? [...allScenarios, ...douyinScenarios] : allScenarios) {
  if (only && scenario.name !== only) continue;
  const started = preciseTime();
  try {
    await scenario.run(env);
    say("result", { name: scenario.name, ok: true, ms: (preciseTime() - started) * 1000 });
  } catch (e) {
    // jsc's `stack` holds the frames only: the message first.
    say("result", { name: scenario.name, ok: false, error: `${e}${e && e.code ? ` [${e.code}]` : ""}\n${e && e.stack}` });
  }
}
say("done", {});

/** Node entry: loads the wasm from the package folder (or from the file `config.wasmPath`). */
import * as glue from "../tmsdk_profile.js";
import { createInstall } from "./install.js";
import { retryingLoader } from "./load.js";
import { createParseProfile, notLoadedYet } from "./parse-profile.js";

export { TmSdkError } from "./tmsdk-error.js";

const packageWasm = new URL("../tmsdk_profile_bg.wasm", import.meta.url);

// Node's file functions through `process.getBuiltinModule` (Node 20.16+): an `import` of node:fs builds its ES
// module facade, which loads Node's streams — about 2 ms of a 12 ms cold start (measured by `npm run bench`).
// Older Node 20 releases import them when the wasm is first loaded.
const builtin = (name) => (typeof process.getBuiltinModule === "function" ? process.getBuiltinModule(name) : undefined);
let loaded = false;

// Compiled synchronously once the bytes are read: V8's asynchronous instantiate took ~25 ms for this module
// where `new WebAssembly.Module` + `new WebAssembly.Instance` take ~3 ms (measured; see docs/decisions.md's
// Performance section). Node has no main-thread size limit on synchronous compiles, unlike browsers.
const loadCore = retryingLoader(
  async ({ wasmPath }) => {
    const { readFile } = builtin("node:fs/promises") || (await import("node:fs/promises"));
    glue.initSync({ module: await readFile(wasmPath || packageWasm) }); // returns at once when already loaded
    loaded = true;
    return glue;
  },
  ({ wasmPath }) => (wasmPath ? `config.wasmPath "${wasmPath}"` : "the package's tmsdk_profile_bg.wasm"),
);

export const install = createInstall(loadCore);

// Synchronous: the first call loads the package's wasm with initSync, unless install() loaded it already
// (before Node 20.16, which has no synchronous way to reach node:fs from an ES module, it must have).
export const parseProfile = createParseProfile(() => {
  if (!loaded) {
    const fs = builtin("node:fs");
    if (!fs) throw notLoadedYet("Node before 20.16");
    glue.initSync({ module: fs.readFileSync(packageWasm) });
    loaded = true;
  }
  return glue;
});

/** Node entry: loads the wasm from the package folder (or from the file `config.wasmPath`). */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import * as glue from "../tmsdk_profile.js";
import { createInstall } from "./install.js";
import { retryingLoader } from "./load.js";
import { createParseProfile } from "./parse-profile.js";

export { TmSdkError } from "./tmsdk-error.js";

const packageWasm = new URL("../tmsdk_profile_bg.wasm", import.meta.url);

// Compiled synchronously once the bytes are read: V8's asynchronous instantiate took ~25 ms for this module
// where `new WebAssembly.Module` + `new WebAssembly.Instance` take ~3 ms (measured; see docs/decisions.md's
// Performance section). Node has no main-thread size limit on synchronous compiles, unlike browsers.
const loadCore = retryingLoader(
  ({ wasmPath }) =>
    readFile(wasmPath || packageWasm).then((bytes) => {
      glue.initSync({ module: bytes });
      return glue;
    }),
  ({ wasmPath }) => (wasmPath ? `config.wasmPath "${wasmPath}"` : "the package's tmsdk_profile_bg.wasm"),
);

export const install = createInstall(loadCore);

// Synchronous: the first call loads the package's wasm with initSync, unless install() loaded it already.
let loadedSync = false;
export const parseProfile = createParseProfile(() => {
  if (!loadedSync) {
    glue.initSync({ module: readFileSync(packageWasm) }); // returns at once when the wasm is loaded
    loadedSync = true;
  }
  return glue;
});

/**
 * WeChat mini-game / mini-program entry, bundled by the build into one CommonJS file (dist/minigame/): loads
 * the `.wasm.br` with `WXWebAssembly.instantiate(path)` — a path inside the game package, never bytes — and
 * accepts either result shape (a bare `Instance`, or `{ instance, module }`).
 */
/* global WXWebAssembly */
// Named imports only, so the bundle drops the glue's fetch-based loader.
import {
  Sdk, parseProfile as parse, isPlaceholderProfile, inRegion, setErrorClass, setPanicHandler, initWith,
} from "../tmsdk_profile.js";
import { createInstall } from "./install.js";
import { retryingLoader } from "./load.js";
import { createParseProfile, notLoadedYet } from "./parse-profile.js";
import { TmSdkError } from "./tmsdk-error.js";

export { TmSdkError };

/** Where the drop-in folder puts the wasm when copied to the game's root as `tmsdk-profile/`. */
export const DEFAULT_WASM_PATH = "tmsdk-profile/tmsdk-profile.wasm.br";

function unsupported() {
  return new TmSdkError(
    "This WeChat has no WXWebAssembly (base library 2.13.0 or newer is needed). Raise the game's minimum base library.",
    { code: "UNSUPPORTED" },
  );
}

let glue = null;
const loadCore = retryingLoader(
  ({ wasmPath }) => {
    if (typeof WXWebAssembly === "undefined" || typeof WXWebAssembly.instantiate !== "function") throw unsupported();
    return initWith((imports) => WXWebAssembly.instantiate(wasmPath || DEFAULT_WASM_PATH, imports)).then(() => {
      glue = { Sdk, parseProfile: parse, isPlaceholderProfile, inRegion, setErrorClass, setPanicHandler };
      return glue;
    });
  },
  ({ wasmPath }) =>
    `config.wasmPath "${wasmPath || DEFAULT_WASM_PATH}" (copy the drop-in folder to the game's root as tmsdk-profile/)`,
);

export const install = createInstall(loadCore);

// Synchronous, so it needs the wasm already instantiated (WXWebAssembly is asynchronous).
export const parseProfile = createParseProfile(() => {
  if (glue) return glue;
  throw notLoadedYet("WeChat");
});

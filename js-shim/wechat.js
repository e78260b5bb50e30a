/**
 * WeChat mini-game / mini-program entry, bundled by the build into one CommonJS file (dist/minigame/): loads
 * the `.wasm.br` with `WXWebAssembly.instantiate(path)` — a path inside the game package, never bytes — and
 * accepts either result shape (a bare `Instance`, or `{ instance, module }`).
 */
/* global WXWebAssembly */
// Named imports only, so the bundle drops the glue's fetch-based loader.
import { Sdk, setErrorClass, setPanicHandler, __wbg_get_imports, __wbg_finalize_init } from "../tmsdk_profile.js";
import { createInstall } from "./install.js";
import { TmSdkError } from "./tmsdk-error.js";

export { TmSdkError };

/** Where the drop-in folder puts the wasm when copied to the game's root as `tmsdk-profile/`. */
export const DEFAULT_WASM_PATH = "tmsdk-profile/tmsdk-profile.wasm.br";

let loading = null;

function loaderError(code, message, field) {
  const e = new TmSdkError(message);
  e.code = code;
  if (field) e.field = field;
  return e;
}

function loadCore(config) {
  if (loading) return loading;
  if (typeof WXWebAssembly === "undefined" || typeof WXWebAssembly.instantiate !== "function") {
    return Promise.reject(
      loaderError("UNSUPPORTED", "This WeChat has no WXWebAssembly (base library 2.13.0 or newer is needed). Raise the game's minimum base library."),
    );
  }
  const path = config.wasmPath || DEFAULT_WASM_PATH;
  loading = WXWebAssembly.instantiate(path, __wbg_get_imports()).then(
    (result) => {
      const instance = result && result.instance ? result.instance : result;
      __wbg_finalize_init(instance, result && result.instance ? result.module : undefined);
      return { Sdk, setErrorClass, setPanicHandler };
    },
    (e) => {
      loading = null; // a later install() may try again
      const error = loaderError(
        "INVALID_CONFIG",
        `install(): could not load the wasm at config.wasmPath "${path}" (${(e && (e.errMsg || e.message)) || e}). Copy the drop-in folder to the game's root as tmsdk-profile/, or set wasmPath to where tmsdk-profile.wasm.br is.`,
        "wasmPath",
      );
      throw error;
    },
  );
  return loading;
}

export const install = createInstall(loadCore);

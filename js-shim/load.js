/**
 * One wasm load per module, shared by every `install()`: a load in progress or done is reused; a failed one
 * is forgotten, so a later `install()` tries again, and its error is a `TmSdkError` that says what to fix.
 */
import { TmSdkError } from "./tmsdk-error.js";

/**
 * @param {(config: object) => Promise<object>} load instantiates the wasm; resolves to the glue's exports
 * @param {(config: object) => string} describe where `load` looks for the wasm, for the error message
 * @returns {(config: object) => Promise<object>}
 */
export function retryingLoader(load, describe) {
  let loading = null;
  return function loadCore(config) {
    if (loading) return loading;
    let attempt;
    try {
      attempt = Promise.resolve(load(config));
    } catch (e) {
      attempt = Promise.reject(e);
    }
    loading = attempt.catch((e) => {
      loading = null; // a later install() may try again
      throw wasmLoadError(describe(config), e);
    });
    return loading;
  };
}

/** `INVALID_CONFIG` naming `wasmPath`: the usual cause is a wasm that is not where the loader looks. */
export function wasmLoadError(where, cause) {
  if (cause instanceof TmSdkError) return cause;
  const detail = (cause && (cause.errMsg || cause.message)) || String(cause);
  return new TmSdkError(
    `install(): could not load the wasm from ${where} (${detail}). Put tmsdk-profile's .wasm file there, or set config.wasmPath to where it is, and call install() again.`,
    { code: "INVALID_CONFIG", field: "wasmPath" },
  );
}

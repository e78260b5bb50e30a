/** Browser / bundler entry: loads the wasm by URL (`config.wasmPath`, else next to the glue). */
import init, * as glue from "../tmsdk_profile.js";
import { createInstall } from "./install.js";
import { retryingLoader } from "./load.js";
import { createParseProfile, notLoadedYet } from "./parse-profile.js";

export { TmSdkError } from "./tmsdk-error.js";

let loaded = false;
const loadCore = retryingLoader(
  ({ wasmPath }) =>
    init(wasmPath ? { module_or_path: wasmPath } : undefined).then(() => {
      loaded = true;
      return glue;
    }),
  ({ wasmPath }) => (wasmPath ? `config.wasmPath "${wasmPath}"` : "tmsdk_profile_bg.wasm beside the package's glue"),
);

export const install = createInstall(loadCore);

// Synchronous, so it needs the wasm already fetched: a browser cannot load it synchronously.
export const parseProfile = createParseProfile(() => {
  if (loaded) return glue;
  throw notLoadedYet("a browser");
});

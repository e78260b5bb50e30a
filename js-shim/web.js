/** Browser / bundler entry: loads the wasm by URL (`config.wasmPath`, else next to the glue). */
import init, * as glue from "../tmsdk_profile.js";
import { createInstall } from "./install.js";

export { TmSdkError } from "./tmsdk-error.js";

let loading = null;
const loadCore = (config) =>
  (loading ||= init(config.wasmPath ? { module_or_path: config.wasmPath } : undefined).then(() => glue));

export const install = createInstall(loadCore);

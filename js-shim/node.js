/** Node entry: loads the wasm from the package folder. */
import { readFile } from "node:fs/promises";
import init, * as glue from "../tmsdk_profile.js";
import { createInstall } from "./install.js";

export { TmSdkError } from "./tmsdk-error.js";

let loading = null;
const loadCore = () =>
  (loading ||= readFile(new URL("../tmsdk_profile_bg.wasm", import.meta.url))
    .then((bytes) => init({ module_or_path: bytes }))
    .then(() => glue));

export const install = createInstall(loadCore);

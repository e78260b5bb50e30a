/**
 * The mini-game / mini-program entry (WeChat, QQ, Douyin), bundled by the build into one CommonJS file (dist/minigame/):
 * loads the `.wasm.br` with the platform's loader (`WXWebAssembly`, `QQWebAssembly`, `TTWebAssembly`: platform.js) given a path
 * inside the game package, never bytes, and accepts either result shape (a bare `Instance`, or
 * `{ instance, module }`).
 */
// Named imports only, so the bundle drops the glue's fetch-based loader.
import {
  Sdk, parseProfile as parse, isPlaceholderProfile, inRegion, setErrorClass, setPanicHandler, initWith,
} from "../tmsdk_profile.js";
import { createInstall } from "./install.js";
import { retryingLoader } from "./load.js";
import { createParseProfile, notLoadedYet } from "./parse-profile.js";
import { TmSdkError } from "./tmsdk-error.js";
import { PLATFORMS, findPlatform } from "./platform.js";

export { TmSdkError };

/** Where the drop-in folder puts the wasm when copied to the game's root as `tmsdk-profile/`. */
export const DEFAULT_WASM_PATH = "tmsdk-profile/tmsdk-profile.wasm.br";

/** `UNSUPPORTED` on a base library without the platform's wasm loader. */
function unsupported([name, , loader, , base]) {
  return new TmSdkError(
    `This ${name} has no ${loader}: it needs base library ${base} or newer. Raise the game's minimum base library.`,
    { code: "UNSUPPORTED" },
  );
}

let glue = null;
const loadCore = retryingLoader(
  ({ wasmPath, host }) => {
    const platform = findPlatform(host);
    // A host given as config.host that is none of the platforms' globals: the loader this realm has.
    const loader = platform[3]() || PLATFORMS.map((p) => p[3]()).find(Boolean);
    if (!loader || !loader.instantiate) throw unsupported(platform);
    return initWith((imports) => loader.instantiate(wasmPath || DEFAULT_WASM_PATH, imports)).then(() => {
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
  throw notLoadedYet(findPlatform()[0]);
});

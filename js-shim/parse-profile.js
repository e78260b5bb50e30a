/**
 * `parseProfile(body, appId)`: the core's profile rules for Node backends and tools. `body` is a backend
 * answer — its text, or the parsed object — either the `{err, msg, data}` envelope or a bare profile. Returns
 * the normalised profile; throws a `TmSdkError` (`INVALID_PROFILE` naming the field, `SERVER` for `err != 0`,
 * `INVALID_OPTIONS` for arguments of the wrong type). Synchronous: the entry hands over the loaded glue.
 */
import { TmSdkError } from "./tmsdk-error.js";

/** The error of a `parseProfile` call made before an asynchronous runtime has loaded the wasm. */
export function notLoadedYet(runtime) {
  return new TmSdkError(
    `parseProfile() needs the wasm, which ${runtime} loads asynchronously: call it after \`await install(...)\` (install({ noLogin: true }) is enough).`,
    { code: "UNSUPPORTED" },
  );
}

/** @param {() => any} loadedGlue the glue, loaded (the entry loads it, or throws a TmSdkError saying how) */
export function createParseProfile(loadedGlue) {
  /**
   * @param {string | object} body
   * @param {string} appId the game's appId; a profile of another app is refused
   * @returns {object} the profile
   */
  let registered = null;
  return function parseProfile(body, appId) {
    const glue = loadedGlue();
    if (registered !== glue) {
      glue.setErrorClass(TmSdkError);
      registered = glue;
    }
    return glue.parseProfile(body, appId);
  };
}

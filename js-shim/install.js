/**
 * `install(config)`, shared by every runtime: sets the `wx.tmSDK` members synchronously, loads the core, and
 * forwards each member to it. A runtime entry passes `loadCore(config) → Promise<glue module>`.
 */
import { TmSdkError } from "./tmsdk-error.js";
import { adaptHost } from "./host.js";

/**
 * The popup text and language used when a call arrives before the wasm is ready (the core's defaults;
 * tests/js keeps them equal to `DEFAULT_DESC` / `Lang::default()` in Rust).
 */
export const EARLY_DEFAULTS = Object.freeze({ desc: "更新用户信息", lang: "zh_CN" });

/** @param {(config: object) => Promise<any>} loadCore */
export function createInstall(loadCore) {
  /**
   * @param {object} [config] see README: server, appId, profileTtl, noLogin, autoLogin, lang, timeout,
   *   userInfoButton, wasmPath, host
   * @returns {Promise<object>} `wx.tmSDK`, once the wasm is ready
   */
  return function install(config) {
    const wx = (config && config.host) || defaultHost();
    const host = adaptHost(wx);
    const sdk = wx.tmSDK || (wx.tmSDK = {});
    let core = null;
    let early = null;

    const ready = loadCore(config || {}).then((glue) => {
      glue.setErrorClass(TmSdkError);
      core = new glue.Sdk(config === undefined ? {} : config, host);
      if (core.autoLogin) core.login().catch(() => {});
      return sdk;
    });

    sdk.updateUserProfile = (options) => {
      if (core) return core.updateUserProfile(options);
      // Still loading: open the popup now, inside the caller's tap; the core checks everything once ready.
      if (!early) {
        const popup = earlyPopup(wx, host, config, options);
        const settle = () => {
          early = null;
        };
        early = ready.then(() => core.updateUserProfile(options, popup));
        early.then(settle, settle);
      }
      return early;
    };
    sdk.login = () => (core ? core.login() : ready.then(() => core.login()));
    // Synchronous by contract: null until the core is ready.
    sdk.getCachedProfile = () => (core ? core.getCachedProfile() : null);
    sdk.clearProfileCache = () => {
      if (core) core.clearProfileCache();
      else ready.then(() => core.clearProfileCache(), () => {});
    };
    return ready;
  };
}

/** The global `wx`; without one (browsers, Node), a new `wx` object on the global. */
function defaultHost() {
  // `typeof` keeps this safe where `wx` or `globalThis` do not exist.
  if (typeof wx === "object" && wx) return wx;
  const global = typeof globalThis === "object" ? globalThis : {};
  return global.wx || (global.wx = {});
}

function earlyPopup(wx, host, config, options) {
  if (typeof wx.getUserProfile !== "function" || (config && config.noLogin === true)) return undefined;
  const o = options || {};
  const popup = host.getUserProfile({
    desc: typeof o.desc === "string" ? o.desc.trim() : EARLY_DEFAULTS.desc,
    lang: o.lang || (config && config.lang) || EARLY_DEFAULTS.lang,
  });
  popup.catch(() => {}); // the core reads the outcome; never an unhandled rejection
  return popup;
}

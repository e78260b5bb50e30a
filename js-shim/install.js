/**
 * `install(config)`, shared by every runtime: sets the `wx.tmSDK` members synchronously, loads the core, and
 * forwards each member to it. A runtime entry passes `loadCore(config) → Promise<{ Sdk, setErrorClass,
 * setPanicHandler }>`.
 *
 * A Rust panic aborts the wasm call that hit it. The core reports it first (setPanicHandler); every SDK then
 * rejects what it has in flight with `INTERNAL` and builds a fresh core state for the next call, so a bug
 * never leaves a promise hanging or the module dead.
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
  const installed = new Set();
  const onPanic = (message) => {
    for (const state of installed) state.panicked(message);
  };

  /**
   * @param {object} [config] see README: server, appId, profileTtl, noLogin, autoLogin, lang, timeout,
   *   userInfoButton, wasmPath, host
   * @returns {Promise<object>} `wx.tmSDK`, once the wasm is ready
   */
  return function install(config) {
    const wx = (config && config.host) || defaultHost();
    const host = adaptHost(wx);
    const sdk = wx.tmSDK || (wx.tmSDK = {});
    const coreConfig = config === undefined ? {} : config;
    let glue = null;
    let core = null;
    let early = null;
    const pending = new Set();

    const state = {
      panicked(message) {
        core = null; // rebuilt on the next call: the old state may hold the aborted operation
        const error = internalError(message);
        const rejects = [...pending];
        pending.clear();
        setTimeout(() => rejects.forEach((reject) => reject(error)), 0);
      },
    };

    /** The core, rebuilt after a panic. */
    function ready() {
      if (!core && glue) core = new glue.Sdk(coreConfig, host);
      return core;
    }

    /** Runs a core call; its promise is rejected with INTERNAL if a panic aborts the work behind it. */
    function call(run) {
      let promise;
      try {
        promise = run(ready());
      } catch (e) {
        return Promise.reject(asTmSdkError(e));
      }
      return new Promise((resolve, reject) => {
        pending.add(reject);
        const settle = (f) => (v) => {
          pending.delete(reject);
          f(v);
        };
        promise.then(settle(resolve), settle(reject));
      });
    }

    const loaded = loadCore(coreConfig).then((g) => {
      g.setErrorClass(TmSdkError);
      g.setPanicHandler(onPanic);
      glue = g;
      installed.add(state);
      ready();
      if (core.autoLogin) call((c) => c.login()).catch(() => {});
      return sdk;
    });

    sdk.updateUserProfile = (options) => {
      if (glue) return call((c) => c.updateUserProfile(options));
      // Still loading: open the popup now, inside the caller's tap; the core checks everything once ready.
      if (!early) {
        const popup = earlyPopup(wx, host, config, options);
        const settle = () => {
          early = null;
        };
        early = loaded.then(() => call((c) => c.updateUserProfile(options, popup)));
        early.then(settle, settle);
      }
      return early;
    };
    sdk.login = () => (glue ? call((c) => c.login()) : loaded.then(() => call((c) => c.login())));
    // Synchronous by contract: null until the core is ready.
    sdk.getCachedProfile = () => {
      if (!glue) return null;
      try {
        return ready().getCachedProfile();
      } catch (e) {
        throw asTmSdkError(e);
      }
    };
    sdk.clearProfileCache = () => {
      if (!glue) {
        loaded.then(() => ready().clearProfileCache(), () => {});
        return;
      }
      try {
        ready().clearProfileCache();
      } catch (e) {
        throw asTmSdkError(e);
      }
    };
    return loaded;
  };
}

/** A TmSdkError as is; anything else thrown out of the wasm (a trap) as INTERNAL. */
function asTmSdkError(e) {
  return e instanceof TmSdkError ? e : internalError(String((e && e.message) || e));
}

function internalError(detail) {
  const e = new TmSdkError(`tmsdk-profile hit an internal error (${detail}). The call was abandoned and the SDK recovered; please report this.`);
  e.code = "INTERNAL";
  return e;
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

/**
 * `install(config)`, shared by every runtime: sets the `tmSDK` members on the host (`config.host`, else the
 * platform's global: `tt`, `qq`, `wx`; see platform.js) synchronously, loads the core, and
 * forwards each member to it. A runtime entry passes `loadCore({ wasmPath, host }) → Promise<{ Sdk, setErrorClass,
 * setPanicHandler }>`. Nothing here validates: the core does, and rejects with a `TmSdkError`; this file only
 * makes sure that no value a caller passes can make it throw synchronously.
 *
 * A Rust panic aborts the wasm call that hit it. The core reports it first (setPanicHandler); every install
 * with calls in flight rejects them with `INTERNAL`, and every install builds a fresh core for its next call
 * (the old one is freed), so a bug never leaves a promise hanging or the module dead.
 */
import { TmSdkError } from "./tmsdk-error.js";
import { adaptHost } from "./host.js";
import { EARLY_DEFAULTS } from "./defaults.js";
import { hookFigures } from "./figures.js";
import { read } from "./read.js";
import { defaultHost, findPlatform } from "./platform.js";

export { EARLY_DEFAULTS };

const isObject = (v) => v !== null && (typeof v === "object" || typeof v === "function");

/** @param {(options: { wasmPath?: string, host?: object }) => Promise<any>} loadCore */
export function createInstall(loadCore) {
  // Installs with calls in flight: only they need to hear of a panic (the set empties as calls settle).
  const busy = new Set();
  // Bumped by every panic: a core built before it is dropped and rebuilt on the next call.
  let generation = 0;
  const onPanic = (message) => {
    generation += 1;
    for (const state of [...busy]) state.panicked(message);
  };

  /**
   * @param {object} [config] see docs/api.md: server, appId, profileTtl, noLogin, autoLogin, lang, timeout,
   *   userInfoButton, trackShares, trackPlayTime, wasmPath, host
   * @returns {Promise<object>} `wx.tmSDK`, once the wasm is ready
   */
  return function install(config) {
    const given = read(config, "host");
    // A host that is not an object cannot carry `tmSDK`: the core rejects it as INVALID_CONFIG (field host).
    const wx = given === undefined || given === null ? defaultHost() : isObject(given) ? given : null;
    const host = adaptHost(wx || {}, findPlatform(wx || undefined)[5]);
    const coreConfig = config === undefined ? {} : config;
    const wasmPath = read(config, "wasmPath");
    let sdk = {};
    if (wx) {
      try {
        sdk = isObject(wx.tmSDK) ? wx.tmSDK : (wx.tmSDK = {});
      } catch {
        sdk = {}; // a frozen or exotic host: the members still work on the returned object
      }
    }
    let glue = null;
    let core = null;
    let coreGeneration = -1;
    let early = null;
    const pending = new Set();

    const state = {
      panicked(message) {
        const error = internalError(message);
        const rejects = [...pending];
        pending.clear();
        busy.delete(state);
        setTimeout(() => rejects.forEach((reject) => reject(error)), 0);
      },
    };

    /** The core, rebuilt after a panic (the old one may hold the aborted operation). */
    function ready() {
      if (core && coreGeneration !== generation) {
        const old = core;
        core = null;
        try {
          old.free();
        } catch {
          // Its memory may be what the panic left half-done; nothing more to do.
        }
      }
      if (!core && glue) {
        core = new glue.Sdk(coreConfig, host);
        coreGeneration = generation;
      }
      return core;
    }

    /** Runs a core call; its promise is rejected with INTERNAL if a panic aborts the work behind it. A call
     * settled at once (a cache hit gives its profile, not a promise) has nothing to track. */
    function call(run) {
      let promise;
      try {
        promise = run(ready());
      } catch (e) {
        return Promise.reject(asTmSdkError(e));
      }
      if (!(promise instanceof Promise)) return Promise.resolve(promise);
      return new Promise((resolve, reject) => {
        pending.add(reject);
        busy.add(state);
        const settle = (f) => (v) => {
          pending.delete(reject);
          if (pending.size === 0) busy.delete(state);
          f(v);
        };
        promise.then(settle(resolve), settle(reject));
      });
    }

    /** A synchronous member backed by a free function of the glue; before the wasm is ready it says so. */
    function synchronous(name, run) {
      if (!glue) throw notReady(name);
      try {
        return run(glue);
      } catch (e) {
        throw asTmSdkError(e);
      }
    }

    const loaded = loadCore({ wasmPath: typeof wasmPath === "string" ? wasmPath : undefined, host: wx }).then((g) => {
      g.setErrorClass(TmSdkError);
      g.setPanicHandler(onPanic);
      glue = g;
      try {
        ready();
      } catch (e) {
        throw asTmSdkError(e);
      }
      if (wx) hookFigures(wx, ready);
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
    // Pure questions about a profile the game holds; the core answers once loaded.
    sdk.isPlaceholderProfile = (profile) => synchronous("isPlaceholderProfile", (g) => g.isPlaceholderProfile(profile));
    sdk.inRegion = (profile, regions) => synchronous("inRegion", (g) => g.inRegion(profile, regions));
    /** A core call now, or once the wasm is ready. */
    const whenReady = (run) => (glue ? call(run) : loaded.then(() => call(run)));
    sdk.login = () => whenReady((c) => c.login());
    sdk.deleteProfile = () => whenReady((c) => c.deleteProfile());
    // Never throws: before the wasm is ready (or after a failure) the object goes out as it was, uncounted.
    sdk.share = (options) => {
      if (!glue) return options;
      try {
        return ready().share(options);
      } catch {
        return options;
      }
    };
    // SkyRiver's call, fed by the game's own user-info button: no popup to open early, so it waits for the wasm.
    sdk.updateUserInfo = (result) => whenReady((c) => c.updateUserInfo(result));
    sdk.fillUserProfile = (options) => whenReady((c) => c.fillUserProfile(options));
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

function notReady(name) {
  return new TmSdkError(`tmSDK.${name}() needs the wasm, which is still loading: call it after install() has resolved.`, { code: "UNSUPPORTED" });
}

function internalError(detail) {
  return new TmSdkError(`tmsdk-profile hit an internal error (${detail}). The call was abandoned and the SDK recovered; please report this.`, { code: "INTERNAL" });
}

/**
 * Opens `getUserProfile` inside the caller's tap while the wasm loads. Every read is guarded: a value the
 * core would refuse (a throwing getter, a non-string desc) opens no early popup, and the core then rejects
 * the call with its typed error. The desc is only trimmed here; the core validates it when ready.
 */
function earlyPopup(wx, host, config, options) {
  // Never on Douyin (platform 2): its user info waits for a login Douyin signed.
  if (!wx || typeof read(wx, "getUserProfile") !== "function" || read(config, "noLogin") === true || host.platform() == 2) return undefined;
  if (options !== undefined && options !== null && typeof options !== "object") return undefined;
  let desc;
  let lang;
  try {
    const o = options || {};
    const d = o.desc;
    const l = o.lang;
    if ((d !== undefined && d !== null && typeof d !== "string") || (l !== undefined && l !== null && typeof l !== "string")) {
      return undefined;
    }
    const configured = read(config, "lang");
    desc = typeof d === "string" ? d.trim() : EARLY_DEFAULTS.desc;
    lang = typeof l === "string" ? l : typeof configured === "string" ? configured : EARLY_DEFAULTS.lang;
  } catch {
    return undefined;
  }
  const popup = host.getUserProfile({ desc, lang });
  popup.catch(() => {}); // the core reads the outcome; never an unhandled rejection
  return popup;
}

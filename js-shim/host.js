/**
 * Adapts a wx-shaped host (WeChat's `wx`, or a test double) to the promise-returning shape the Rust core binds
 * (`src/host.rs`). Only plumbing lives here: callback → promise, sync storage passthrough, the default
 * full-screen transparent button. Every decision is the core's.
 */

/**
 * @param {any} wx the host object (`wx`, `qq`, a wx-like double)
 * @param {number} [platform] the platform's code (platform.js), whose name the core's messages say
 * @returns {object} the adapter
 */
export function adaptHost(wx, platform) {
  /** Calls `wx[name]({...options, success, fail})` as a promise; a synchronous throw rejects too. (No object
   * spread: the drop-in's ES2017 build would bring a helper for it.) */
  function call(name, options) {
    return new Promise((resolve, reject) => {
      try {
        wx[name](Object.assign({}, options, { success: resolve, fail: reject }));
      } catch (e) {
        reject(e);
      }
    });
  }

  return {
    platform: () => platform,
    has: (name) => typeof wx[name] === "function",
    getUserProfile: (options) => call("getUserProfile", options),
    getSetting: () => call("getSetting", {}),
    getUserInfo: (options) => call("getUserInfo", options),
    userInfoButton: ({ lang, style }) =>
      new Promise((resolve, reject) => {
        let button;
        try {
          button = wx.createUserInfoButton({
            type: "text",
            text: "",
            style: style || fullScreenStyle(wx),
            withCredentials: true,
            lang,
          });
        } catch (e) {
          reject(e);
          return;
        }
        // Old base libraries return no button (QQ's documents it): the core reads this as UNSUPPORTED.
        if (!button || typeof button.onTap !== "function") {
          reject({ errMsg: "createUserInfoButton:fail not supported (the host returned no button)" });
          return;
        }
        const onTap = (res) => {
          // The button is destroyed whatever the tap gave.
          try {
            if (typeof button.offTap === "function") button.offTap(onTap);
            button.destroy();
          } finally {
            resolve(res);
          }
        };
        button.onTap(onTap);
      }),
    // Douyin's force (false: never its login dialog), given only there.
    login: (force) => call("login", force === undefined ? {} : { force }),
    launchOptions: () => (typeof wx.getLaunchOptionsSync === "function" ? wx.getLaunchOptionsSync() : undefined),
    // The core catches what these throw (src/host.rs); nothing here needs its own try/catch.
    appId: () => (typeof wx.getAccountInfoSync === "function" ? wx.getAccountInfoSync().miniProgram.appId || undefined : undefined),
    request: (options) => call("request", options),
    uploadFile: (options) => call("uploadFile", options),
    // The chosen file's size in bytes, where the host can tell (WeChat's FileSystemManager), else undefined.
    fileSize: (path) => (typeof wx.getFileSystemManager === "function" ? wx.getFileSystemManager().statSync(path).size : undefined),
    storageGet: (key) => wx.getStorageSync(key),
    storageSet: (key, value) => wx.setStorageSync(key, value),
    storageRemove: (key) => wx.removeStorageSync(key),
    warn: (message) => console.warn(message),
  };
}

/** A transparent button over the whole screen: any tap on the game authorises. */
function fullScreenStyle(wx) {
  let width = 0;
  let height = 0;
  try {
    const info = typeof wx.getWindowInfo === "function" ? wx.getWindowInfo() : wx.getSystemInfoSync();
    width = info.windowWidth || info.screenWidth || 0;
    height = info.windowHeight || info.screenHeight || 0;
  } catch {
    // Leave 0 × 0 … then fall back to a generous fixed size below.
  }
  return {
    left: 0,
    top: 0,
    width: width || 10000,
    height: height || 10000,
    backgroundColor: "rgba(0,0,0,0)",
    borderColor: "rgba(0,0,0,0)",
    borderWidth: 0,
    borderRadius: 0,
    color: "rgba(0,0,0,0)",
    textAlign: "center",
    fontSize: 1,
    lineHeight: 1,
  };
}

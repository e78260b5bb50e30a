// A simulated WeChat `wx` for the scenario tests, runtime-agnostic (Node and browser). It behaves like the
// real thing where the product depends on it:
// - getUserProfile fails with WeChat's TAP message unless called synchronously inside a tap (`sim.tap(fn)`);
// - callbacks fire asynchronously, with the errMsg strings WeChat uses (../shared/reference/host-apis.md);
// - getStorageSync returns "" for a missing key, and storage can be told to throw;
// - wx.request goes over real HTTP through `transport` and lands any HTTP status in `success`.

const TAP_MESSAGE = "getUserProfile:fail can only be invoked by user TAP gesture";

/**
 * @param {object} o
 * @param {(url: string, init: object) => Promise<{status: number, text: string}>} o.transport
 * @param {string} [o.appId]
 * @param {"minigame"|"miniprogram"|"bare"} [o.kind] which user-info APIs exist
 * @returns {{ wx: object, sim: object }}
 */
export function createSimWx({ transport, appId = "wxsimapp0000000001", kind = "miniprogram" }) {
  const storage = new Map();
  const sim = {
    openId: "oSimUser_001",
    user: { nickName: "小明", avatarUrl: "https://thirdwx.qlogo.cn/mmopen/sim/132" },
    decision: "allow", // or "deny"
    authorised: false, // mini-game: scope.userInfo already granted
    storageThrows: { get: false, set: false, remove: false },
    counts: { getUserProfile: 0, getSetting: 0, getUserInfo: 0, buttons: 0, buttonsDestroyed: 0, login: 0, request: 0 },
    lastUserProfileOptions: null,
    lastButtonOptions: null,
    warnings: [],
    inTap: false,
    buttons: [],
    storage,
    /** Runs `handler` as WeChat runs a tap handler: the gesture lasts only while it runs synchronously. */
    tap(handler) {
      sim.inTap = true;
      try {
        return handler();
      } finally {
        sim.inTap = false;
      }
    },
    /** The player touches the screen: wx.onTouchEnd listeners run inside a tap. */
    touch() {
      sim.tap(() => {
        for (const listener of [...touchListeners]) listener({ touches: [], changedTouches: [] });
      });
    },
    /** The user taps the newest user-info button. */
    tapButton() {
      const button = sim.buttons[sim.buttons.length - 1];
      if (!button) throw new Error("no user-info button on screen");
      for (const listener of [...button.listeners]) listener(userInfoResult("getUserInfo", sim.decision === "allow"));
    },
  };

  let loginCount = 0;
  const touchListeners = [];
  const later = (fn) => setTimeout(fn, 1);

  function userInfoResult(api, allowed) {
    if (!allowed) return { errMsg: `${api}:fail auth deny` };
    const rawData = JSON.stringify({ nickName: sim.user.nickName, gender: 0, language: "zh_CN", city: "", province: "", country: "", avatarUrl: sim.user.avatarUrl });
    return {
      errMsg: `${api}:ok`,
      userInfo: JSON.parse(rawData),
      rawData,
      signature: `sig-${rawData.length}`,
      encryptedData: "ZW5jcnlwdGVk",
      iv: "aXYtc2lt",
      cloudID: "",
    };
  }

  const wx = {
    login({ success }) {
      sim.counts.login += 1;
      loginCount += 1;
      const code = `code-${sim.openId}-${loginCount}`;
      later(() => success({ code, errMsg: "login:ok" }));
    },
    getLaunchOptionsSync: () => ({ scene: 1044, query: { channelCode: "ch-sim" }, referrerInfo: {} }),
    getAccountInfoSync: () => ({ miniProgram: { appId, envVersion: "develop", version: "" } }),
    onTouchEnd: (listener) => touchListeners.push(listener),
    offTouchEnd: (listener) => touchListeners.splice(touchListeners.indexOf(listener) >>> 0, 1),
    getWindowInfo: () => ({ windowWidth: 375, windowHeight: 667, screenWidth: 375, screenHeight: 667 }),
    request({ url, method = "GET", data, header = {}, timeout = 60000, success, fail }) {
      sim.counts.request += 1;
      const body = typeof data === "string" ? data : JSON.stringify(data);
      transport(url, { method, headers: header, body, timeoutMs: timeout }).then(
        ({ status, text }) => success({ statusCode: status, data: text, header: {}, cookies: [], errMsg: "request:ok" }),
        (e) => fail({ errMsg: e.timeout ? "request:fail timeout" : `request:fail ${e.message}`, errno: e.timeout ? 5 : 600001 }),
      );
      return { abort() {} };
    },
    getStorageSync(key) {
      if (sim.storageThrows.get) throw new Error("getStorageSync:fail storage read error");
      return storage.has(key) ? storage.get(key) : "";
    },
    setStorageSync(key, value) {
      if (sim.storageThrows.set) throw new Error("setStorageSync:fail exceed storage max size 10MB");
      storage.set(key, value);
    },
    removeStorageSync(key) {
      if (sim.storageThrows.remove) throw new Error("removeStorageSync:fail storage error");
      storage.delete(key);
    },
  };

  if (kind === "miniprogram") {
    wx.getUserProfile = function getUserProfile(options) {
      sim.counts.getUserProfile += 1;
      sim.lastUserProfileOptions = { desc: options.desc, lang: options.lang };
      const { success, fail } = options;
      if (!sim.inTap) return later(() => fail({ errMsg: TAP_MESSAGE }));
      if (typeof options.desc !== "string" || options.desc.length === 0 || options.desc.length > 30) {
        return later(() => fail({ errMsg: "getUserProfile:fail desc length does not meet the requirements" }));
      }
      const res = userInfoResult("getUserProfile", sim.decision === "allow");
      later(() => (res.errMsg.endsWith(":ok") ? success(res) : fail(res)));
    };
  }

  if (kind === "minigame") {
    wx.getSetting = function getSetting({ success }) {
      sim.counts.getSetting += 1;
      later(() => success({ authSetting: { "scope.userInfo": sim.authorised }, errMsg: "getSetting:ok" }));
    };
    wx.getUserInfo = function getUserInfo({ success, fail }) {
      sim.counts.getUserInfo += 1;
      later(() => (sim.authorised ? success(userInfoResult("getUserInfo", true)) : fail({ errMsg: "getUserInfo:fail scope unauthorized" })));
    };
    wx.createUserInfoButton = function createUserInfoButton(options) {
      sim.counts.buttons += 1;
      sim.lastButtonOptions = options;
      const button = {
        listeners: [],
        onTap(listener) {
          button.listeners.push(listener);
        },
        offTap(listener) {
          button.listeners = listener ? button.listeners.filter((l) => l !== listener) : [];
        },
        destroy() {
          sim.counts.buttonsDestroyed += 1;
          sim.buttons = sim.buttons.filter((b) => b !== button);
        },
        show() {},
        hide() {},
      };
      sim.buttons.push(button);
      return button;
    };
  }

  return { wx, sim };
}

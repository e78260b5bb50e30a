// The one simulated WeChat client `wx`: behind the simulator page of `npm start` and behind every JS scenario
// (Node, Chromium, the WeChat sandbox). It behaves like the real thing where the product depends on it:
// - getUserProfile fails with WeChat's TAP message unless called synchronously inside a tap (`sim.tap(fn)`);
// - the player answers the authorisation sheet through `askUser` (the page's sheet, or `sim.decision`);
// - user info and login codes come from the simulated WeChat servers (dev/wechat-sim.mjs, /sim/wx/*), so rawData is
//   signed and encryptedData encrypted with the player's session_key, as WeChat does;
// - callbacks fire asynchronously, with the errMsg strings WeChat uses;
// - getStorageSync returns "" for a missing key, and storage can be told to throw;
// - wx.request goes over real HTTP through `transport` and lands any HTTP status in `success`.
// With `kind: "douyin"` it is Douyin's `tt` instead: `login({ force })` (a player not logged in to Douyin gets only
// an `anonymousCode` from a silent login, and Douyin's login dialog from any other: `sim.loginDialog`), a
// string launch scene, `getUserInfo` asking the player itself, no user-info button, no `getAccountInfoSync`.

const TAP_MESSAGE = "getUserProfile:fail can only be invoked by user TAP gesture";

/** Storage in memory, with the `Map` methods the tests read. */
function memoryStorage() {
  return new Map();
}

/**
 * @param {object} o
 * @param {(url: string, init: object) => Promise<{status: number, text: string}>} o.transport HTTP for
 *   wx.request and for the simulated WeChat servers
 * @param {string} [o.wechat] base URL of the simulated WeChat servers (the dev backend); "" = same origin
 * @param {string} [o.appId]
 * @param {"minigame"|"miniprogram"|"bare"|"douyin"} [o.kind] which user-info APIs exist (`douyin`: Douyin's `tt`)
 * @param {(desc: string) => Promise<boolean | { privacy: 104 | 112 }>} [o.askUser] the authorisation sheet: allow,
 *   deny, or WeChat's privacy answer instead; default: `sim.decision`
 * @param {() => Promise<boolean>} [o.askLogin] Douyin's login dialog: true when the player logs in; default:
 *   `sim.loginDialog`
 * @param {{ get(k: string): any, set(k: string, v: any): any, has(k: string): boolean, delete(k: string): any }} [o.storage]
 * @returns {{ wx: object, sim: object }}
 */
export function createSimWx({ transport, wechat = "", appId = "wxsimapp0000000001", kind = "miniprogram", askUser, askLogin, storage = memoryStorage() }) {
  const sim = {
    openId: "oSimUser_001",
    user: { nickName: "小明", avatarUrl: "https://thirdwx.qlogo.cn/mmopen/sim/132" },
    decision: "allow", // or "deny"
    authorised: false, // mini-game: scope.userInfo already granted
    tamperRawData: false, // change rawData after WeChat signed it, as a man in the middle would
    privacy: null, // WeChat's privacy errno for every user-info API: 104 declined the guide, 112 not declared
    storageThrows: { get: false, set: false, remove: false },
    loginResult: null, // (result) => result: a test's hand on wx.login's success result (odd types, getters)
    counts: { getUserProfile: 0, getSetting: 0, getUserInfo: 0, buttons: 0, buttonsDestroyed: 0, login: 0, request: 0, uploadFile: 0, statSync: 0 },
    statSyncThrows: false, // an older base library whose FileSystemManager cannot stat a temporary file
    // Douyin: whether the player is logged in to the Douyin app, what they do in Douyin's login dialog
    // ("accept" or "cancel"), the device (which names the anonymous player), and each tt.login's `force`.
    douyinLoggedIn: true,
    loginDialog: "accept",
    device: "simDevice01",
    logins: [],
    /** The player's temporary files, by path (what `chooseAvatar` gives): bytes. */
    files: new Map(),
    /** The player picks an image with `<button open-type="chooseAvatar">`: its temporary path, as WeChat gives it. */
    chooseAvatar(bytes = SAMPLE_PNG) {
      const path = `http://tmp/avatar_${sim.files.size + 1}.png`;
      sim.files.set(path, bytes);
      return path;
    },
    lastUserProfileOptions: null,
    lastButtonOptions: null,
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
    /** The launch's query (`tmsdk_s` when the player came from a share). */
    launchQuery: { channelCode: "ch-sim" },
    /** Every share object that reached WeChat's share sheet, in order. */
    shared: [],
    /** The player taps 转发 in the menu: the game's newest onShareAppMessage callback gives the share object. */
    menuShare() {
      const callback = shareListeners[shareListeners.length - 1];
      // Douyin's callback gets the share's channel; WeChat's where it came from.
      const object = callback ? callback(kind === "douyin" ? { channel: "" } : { from: "menu" }) : {};
      sim.shared.push(object);
      return object;
    },
    /** The game goes to the background (home button, another app): the hide listeners run. */
    hide() {
      for (const listener of [...hideListeners]) listener();
    },
    /** The game comes back to the foreground: the show listeners run. */
    show() {
      for (const listener of [...showListeners]) listener({ scene: 1089, query: {} });
    },
    /** The player touches the screen: wx.onTouchEnd listeners run inside a tap. */
    touch() {
      sim.tap(() => {
        for (const listener of [...touchListeners]) listener({ touches: [], changedTouches: [] });
      });
    },
    /** The player taps the newest user-info button; its onTap listeners get WeChat's result. */
    tapButton() {
      const button = sim.buttons[sim.buttons.length - 1];
      if (!button) throw new Error("no user-info button on screen");
      const answer = sim.privacy
        ? Promise.resolve(privacyFailure("getUserInfo"))
        : sim.decision === "allow"
          ? userInfo("getUserInfo")
          : Promise.resolve({ errMsg: "getUserInfo:fail auth deny" });
      answer.then((res) => {
        for (const listener of [...button.listeners]) listener(res);
      });
    },
  };
  const ask = askUser || (() => Promise.resolve(sim.decision === "allow"));
  const dialog = askLogin || (() => Promise.resolve(sim.loginDialog === "accept"));
  const touchListeners = [];
  const shareListeners = [];
  const showListeners = [];
  const hideListeners = [];
  const remover = (list) => (listener) => {
    if (listener === undefined) list.length = 0;
    else if (list.includes(listener)) list.splice(list.indexOf(listener), 1);
  };
  const later = (fn) => setTimeout(fn, 1);

  /** POSTs to the simulated WeChat servers. */
  function wechatServer(path, body) {
    return transport(`${wechat}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      timeoutMs: 10000,
    }).then(({ text }) => JSON.parse(text));
  }

  /** WeChat's failure when the privacy agreement stands in the way (errno 104 or 112). */
  function privacyFailure(api, errno = sim.privacy) {
    return errno === 104
      ? { errMsg: `${api}:fail privacy permission is not authorized`, errno: 104 }
      : { errMsg: `${api}:fail api scope is not declared in the privacy agreement`, errno: 112 };
  }

  /** What WeChat gives a user-info API: signed and encrypted by the simulated WeChat servers. */
  function userInfo(api) {
    const { nickName, avatarUrl } = sim.user;
    return wechatServer("/sim/wx/userinfo", { appId, openId: sim.openId, nickName, avatarUrl, api }).then(
      (r) => {
        if (r.errMsg !== `${api}:ok`) return { errMsg: r.errMsg || `${api}:fail` };
        if (sim.tamperRawData) r.rawData = r.rawData.replace(JSON.stringify(nickName), JSON.stringify("篡改者"));
        return r;
      },
      (e) => ({ errMsg: `${api}:fail ${e.message}` }),
    );
  }

  /** Douyin's tt.login: the dialog (unless `force` is false) for a player not logged in, then the codes. */
  function douyinLogin({ force = true, success, fail }) {
    sim.counts.login += 1;
    sim.logins.push(force);
    const asked = force !== false && !sim.douyinLoggedIn ? dialog() : Promise.resolve(null);
    asked.then((loggedIn) => {
      if (loggedIn === false) return fail({ errMsg: "login:fail host login fail", errNo: 113001 });
      if (loggedIn) sim.douyinLoggedIn = true;
      wechatServer("/sim/tt/login", { openId: sim.openId, device: sim.device, loggedIn: sim.douyinLoggedIn }).then(
        (r) => (r.anonymousCode ? success(r) : fail({ errMsg: r.errMsg || "login:fail" })),
        (e) => fail({ errMsg: `login:fail ${e.message}` }),
      );
    });
  }

  const wx = {
    login({ success, fail }) {
      sim.counts.login += 1;
      wechatServer("/sim/wx/login", { openId: sim.openId }).then(
        (r) => {
          if (!r.code) return fail({ errMsg: r.errMsg || "login:fail" });
          const result = { code: r.code, errMsg: "login:ok" };
          success(sim.loginResult ? sim.loginResult(result) : result);
        },
        (e) => fail({ errMsg: `login:fail ${e.message}` }),
      );
    },
    getLaunchOptionsSync: () => ({ scene: 1044, query: { ...sim.launchQuery }, referrerInfo: {} }),
    getAccountInfoSync: () => ({ miniProgram: { appId, envVersion: "develop", version: "" } }),
    onTouchEnd: (listener) => touchListeners.push(listener),
    offTouchEnd: (listener) => touchListeners.splice(touchListeners.indexOf(listener) >>> 0, 1),
    getWindowInfo: () => ({ windowWidth: 375, windowHeight: 667, screenWidth: 375, screenHeight: 667 }),
    getFileSystemManager: () => ({
      /** `statSync(path)`: the file's `Stats` (its `size` in bytes); throws for a path it does not know. */
      statSync(path) {
        sim.counts.statSync += 1;
        const file = sim.files.get(path);
        if (sim.statSyncThrows || !file) throw new Error(`statSync:fail no such file or directory, stat '${path}'`);
        return { size: file.length, mode: 33188, lastAccessedTime: 0, lastModifiedTime: 0, isFile: () => true, isDirectory: () => false };
      },
    }),
    uploadFile({ url, filePath, name = "file", header = {}, timeout = 60000, success, fail }) {
      sim.counts.uploadFile += 1;
      const file = sim.files.get(filePath);
      if (!file) {
        later(() => fail({ errMsg: `uploadFile:fail file not found ${filePath}` }));
        return { abort() {}, onProgressUpdate() {} };
      }
      const boundary = `----tmsdkSimBoundary${sim.counts.uploadFile}`;
      const headers = { ...header, "content-type": `multipart/form-data; boundary=${boundary}` };
      const body = multipart(boundary, name, filePath, file);
      transport(url, { method: "POST", headers, body, timeoutMs: timeout }).then(
        ({ status, text }) => success({ statusCode: status, data: text, errMsg: "uploadFile:ok" }),
        (e) => fail({ errMsg: e.timeout ? "uploadFile:fail timeout" : `uploadFile:fail ${e.message}` }),
      );
      return { abort() {}, onProgressUpdate() {} };
    },
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
      if (sim.privacy) return later(() => fail(privacyFailure("getUserProfile")));
      ask(options.desc)
        .then((answer) =>
          answer === true
            ? userInfo("getUserProfile")
            : answer && answer.privacy
              ? privacyFailure("getUserProfile", answer.privacy)
              : { errMsg: "getUserProfile:fail auth deny" },
        )
        .then((res) => (res.errMsg.endsWith(":ok") ? success(res) : fail(res)));
    };
  }

  if (kind === "douyin") {
    wx.login = douyinLogin;
    // Douyin's scenes are strings; it has no getAccountInfoSync (a Douyin game passes config.appId).
    wx.getLaunchOptionsSync = () => ({ scene: "023001", query: { ...sim.launchQuery }, extra: {} });
    delete wx.getAccountInfoSync;
    wx.getSetting = function getSetting({ success }) {
      sim.counts.getSetting += 1;
      later(() => success({ authSetting: { "scope.userInfo": sim.authorised }, errMsg: "getSetting:ok" }));
    };
    // Douyin asks the player until they allow (a test changes `sim.decision` between calls).
    wx.getUserInfo = function getUserInfo({ success, fail }) {
      sim.counts.getUserInfo += 1;
      const asked = sim.authorised ? Promise.resolve(true) : ask("");
      asked.then((allowed) => {
        if (allowed !== true) return fail({ errMsg: "getUserInfo:fail auth deny" });
        sim.authorised = true;
        userInfo("getUserInfo").then((res) => (res.errMsg.endsWith(":ok") ? success(res) : fail(res)));
      });
    };
  }

  if (kind === "minigame" || kind === "douyin") {
    // A mini-game's share APIs and its show and hide events.
    wx.shareAppMessage = function shareAppMessage(object) {
      sim.shared.push(object);
    };
    wx.onShareAppMessage = (listener) => shareListeners.push(listener);
    wx.offShareAppMessage = remover(shareListeners);
    wx.onShow = (listener) => showListeners.push(listener);
    wx.offShow = remover(showListeners);
    wx.onHide = (listener) => hideListeners.push(listener);
    wx.offHide = remover(hideListeners);
  } else {
    // A mini-program's app-wide show and hide events (its shares are its pages' onShareAppMessage).
    wx.onAppShow = (listener) => showListeners.push(listener);
    wx.offAppShow = remover(showListeners);
    wx.onAppHide = (listener) => hideListeners.push(listener);
    wx.offAppHide = remover(hideListeners);
  }

  if (kind === "minigame") {
    wx.getSetting = function getSetting({ success }) {
      sim.counts.getSetting += 1;
      later(() => success({ authSetting: { "scope.userInfo": sim.authorised }, errMsg: "getSetting:ok" }));
    };
    wx.getUserInfo = function getUserInfo({ success, fail }) {
      sim.counts.getUserInfo += 1;
      if (!sim.authorised) return later(() => fail({ errMsg: "getUserInfo:fail scope unauthorized" }));
      if (sim.privacy) return later(() => fail(privacyFailure("getUserInfo")));
      userInfo("getUserInfo").then((res) => (res.errMsg.endsWith(":ok") ? success(res) : fail(res)));
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

/** A 1 × 1 PNG: what a player's chosen avatar is in the simulator unless a test gives other bytes. */
export const SAMPLE_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

/** A multipart/form-data body holding one file, as wx.uploadFile sends it. */
function multipart(boundary, name, filePath, bytes) {
  const encoder = new TextEncoder();
  const filename = filePath.split("/").pop();
  const head = encoder.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + bytes.length + tail.length);
  body.set(head, 0);
  body.set(bytes, head.length);
  body.set(tail, head.length + bytes.length);
  return body;
}

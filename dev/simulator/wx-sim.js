// A simulated WeChat client for the simulator page: wx.login and wx.getUserProfile go to the dev server's
// simulated WeChat servers (/sim/wx/*), the authorisation sheet is shown by the page, wx.request is fetch,
// and wx storage lives in localStorage. getUserProfile works only inside a tap, as on a phone.

const TAP_MESSAGE = "getUserProfile:fail can only be invoked by user TAP gesture";
const STORAGE_PREFIX = "wx-storage:";

async function post(path, body) {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return res.json();
}

/**
 * @param {object} o
 * @param {string} o.appId
 * @param {() => {openId: string, nickName: string, avatarUrl: string}} o.player the signed-in WeChat user
 * @param {(desc: string) => Promise<boolean>} o.askUser shows the authorisation sheet; true = Allow
 */
export function createSimulatedWx({ appId, player, askUser }) {
  let inTap = false;
  const counts = { getUserProfile: 0, login: 0, request: 0 };
  const later = (fn) => setTimeout(fn, 0);

  const wx = {
    counts,
    /** Runs a tap handler: the gesture lasts while it runs synchronously. */
    tap(handler) {
      inTap = true;
      try {
        return handler();
      } finally {
        inTap = false;
      }
    },
    login({ success, fail }) {
      counts.login += 1;
      post("/sim/wx/login", { openId: player().openId }).then(
        (r) => (r.code ? success(r) : fail({ errMsg: `login:fail ${r.msg}` })),
        (e) => fail({ errMsg: `login:fail ${e.message}` }),
      );
    },
    getUserProfile({ desc, success, fail }) {
      counts.getUserProfile += 1;
      if (!inTap) return later(() => fail({ errMsg: TAP_MESSAGE }));
      if (typeof desc !== "string" || desc.length === 0 || desc.length > 30) {
        return later(() => fail({ errMsg: "getUserProfile:fail desc length does not meet the requirements" }));
      }
      askUser(desc).then((allowed) => {
        if (!allowed) return fail({ errMsg: "getUserProfile:fail auth deny" });
        const { openId, nickName, avatarUrl } = player();
        post("/sim/wx/userinfo", { openId, nickName, avatarUrl }).then(
          (r) => (r.errMsg === "getUserProfile:ok" ? success(r) : fail({ errMsg: `getUserProfile:fail ${r.msg}` })),
          (e) => fail({ errMsg: `getUserProfile:fail ${e.message}` }),
        );
      });
    },
    request({ url, method = "GET", data, header = {}, timeout = 60000, success, fail }) {
      counts.request += 1;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeout);
      fetch(url, { method, headers: header, body: typeof data === "string" ? data : JSON.stringify(data), signal: controller.signal })
        .then(async (res) => success({ statusCode: res.status, data: await res.text(), header: {}, errMsg: "request:ok" }))
        .catch((e) => fail({ errMsg: controller.signal.aborted ? "request:fail timeout" : `request:fail ${e.message}` }))
        .then(() => clearTimeout(timer));
    },
    getStorageSync(key) {
      const value = localStorage.getItem(STORAGE_PREFIX + key);
      return value === null ? "" : JSON.parse(value);
    },
    setStorageSync(key, value) {
      localStorage.setItem(STORAGE_PREFIX + key, JSON.stringify(value));
    },
    removeStorageSync(key) {
      localStorage.removeItem(STORAGE_PREFIX + key);
    },
    getAccountInfoSync: () => ({ miniProgram: { appId, envVersion: "develop", version: "" } }),
    getLaunchOptionsSync: () => ({ scene: 1001, query: { channelCode: "simulator" } }),
  };
  return wx;
}

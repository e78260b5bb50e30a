// The end-to-end scenarios, one test each, runtime-agnostic: tests/js/scenarios.test.mjs runs them
// in Node, tests/js/scenarios-browser.test.mjs in headless Chromium, tests/js/wechat-sandbox.test.mjs in the
// WeChat sandbox, and tests/flow.rs natively (it keeps its list equal to this one). Each gets:
//   env = { install, TmSdkError, transport, backendUrl }
//   (optionally env.Error and env.Date, the classes of the realm the SDK runs in)
// and talks to the real local backend (tests/support/backend.mjs) through the simulated wx.
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import {
  APP, KEY, TAP_MESSAGE, authorise, backend, editRecord, eq, ok, promptsAgain, recordIntactOnBadAnswer, rejects,
  resetCounts, script, setup, simsInUse, stats, until,
} from "./helpers.mjs";

/** docs/contract.md, "Profile": every documented field, in order, with its type. */
const FIELD_TYPES = [
  ["pid", "string"], ["app_id", "string"], ["open_id", "string"], ["union_id", "string"], ["nick_name", "string"],
  ["avatar_url", "string"], ["gender", "number"], ["city", "string"], ["province", "string"], ["country", "string"],
  ["language", "string"], ["gold", "number"], ["diamond", "number"], ["share_new", "number"],
  ["share_times", "number"], ["online_days", "number"], ["online_duration", "number"],
  ["last_login_time", "number"], ["login_times", "number"], ["from_scene", "string"], ["from_code", "string"],
  ["is_new", "boolean"], ["ofp", "string"], ["jwt", "string"], ["login_province", "string"],
  ["login_city", "string"], ["login_district", "string"], ["share_code", "string"],
];

/** After the cached session was refused: an update logs in once, retries once, and caches the new session. */
async function refusedSessionGivesWayToANewOne(env, sim, tm) {
  const before = await stats(env);
  sim.user.nickName = "小刚";
  const p = await sim.tap(() => tm.updateUserProfile({ refresh: true }));
  eq(p.nick_name, "小刚", "success after one login");
  const after = await stats(env);
  eq([after.login - before.login, after.profile - before.profile], [1, 2], "one login, one retry");
  eq(JSON.parse(sim.storage.get(KEY)).profile.jwt, p.jwt, "the new session is cached");
  return p;
}

export const scenarios = [
  {
    name: "first call prompts, requests, resolves all documented fields with the documented types and writes the record",
    async run(env) {
      const { sim, tm } = await setup(env);
      const started = Date.now();
      const p = await sim.tap(() => tm.updateUserProfile({ desc: " 用于排行榜 " }));
      eq(sim.counts.getUserProfile, 1, "one popup");
      eq(sim.lastUserProfileOptions, { desc: "用于排行榜", lang: "zh_CN" }, "desc trimmed, default lang");
      const s = await stats(env);
      eq(s.profile, 1, "one /v1/profile request");
      eq(s.login, 1, "one silent login");
      eq(Object.keys(p), FIELD_TYPES.map(([k]) => k), "exactly the documented fields, in order");
      for (const [k, t] of FIELD_TYPES) eq(typeof p[k], t, `type of ${k}`);
      eq(p.open_id, sim.openId, "open_id");
      eq(p.app_id, APP, "app_id");
      eq(p.nick_name, "小明", "nick_name");
      eq(p.avatar_url, sim.user.avatarUrl, "avatar_url");
      ok(p.jwt.length > 0, "the session rides on the profile");
      const record = JSON.parse(sim.storage.get(KEY));
      eq(Object.keys(record), ["v", "app_id", "cached_at", "profile"], "record shape");
      eq(record.v, 1, "record version");
      eq(record.profile, p, "record holds the profile");
      ok(record.cached_at >= started && record.cached_at <= Date.now(), "cached_at is now");
      const { bodies } = await backend(env, "stats");
      const sent = bodies.find((b) => b.path === "/v1/profile");
      eq(Object.keys(sent.body), ["app_id", "raw_data", "signature", "encrypted_data", "iv", "user_info"], "wire body");
      eq(sent.authorization, `Bearer ${p.jwt}`, "bearer session");
      const login = bodies.find((b) => b.path === "/v1/login").body;
      eq([login.app_id, login.scene, login.channel], [APP, 1044, "ch-sim"], "login body");
    },
  },
  {
    name: "second call reuses the record with no host call",
    async run(env) {
      const { sim, tm } = await setup(env);
      const first = await authorise(tm, sim);
      resetCounts(sim);
      const before = await stats(env);
      const second = await sim.tap(() => tm.updateUserProfile());
      eq(second, first, "same profile");
      eq(sim.counts, { getUserProfile: 0, getSetting: 0, getUserInfo: 0, buttons: 0, buttonsDestroyed: 0, login: 0, request: 0, uploadFile: 0, statSync: 0 }, "no host call");
      eq(await stats(env), before, "no backend call");
    },
  },
  {
    name: "refresh:true prompts",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      resetCounts(sim);
      sim.user.nickName = "小红";
      const p = await sim.tap(() => tm.updateUserProfile({ refresh: true }));
      eq(sim.counts.getUserProfile, 1, "the popup opens");
      eq(p.nick_name, "小红", "fresh data");
      eq(JSON.parse(sim.storage.get(KEY)).profile.nick_name, "小红", "record updated");
    },
  },
  {
    name: "fresh:true alias prompts",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      resetCounts(sim);
      await sim.tap(() => tm.updateUserProfile({ fresh: true }));
      eq(sim.counts.getUserProfile, 1, "the popup opens");
    },
  },
  {
    name: "TTL expiry prompts",
    async run(env) {
      await promptsAgain(env, (r) => (r.cached_at = Date.now() - 604800 * 1000 - 1), "expired record");
    },
  },
  {
    name: "record from the future prompts",
    async run(env) {
      await promptsAgain(env, (r) => (r.cached_at = Date.now() + 10 * 60 * 1000), "future record");
    },
  },
  {
    name: "cached profile with empty nick_name prompts",
    async run(env) {
      await promptsAgain(env, (r) => (r.profile.nick_name = ""), "unauthorised record");
    },
  },
  {
    name: "deny → AUTH_DENIED, record intact, error.cached set",
    async run(env) {
      const { sim, tm } = await setup(env);
      const first = await authorise(tm, sim);
      const record = sim.storage.get(KEY);
      sim.decision = "deny";
      const e = await rejects(sim.tap(() => tm.updateUserProfile({ refresh: true })), "AUTH_DENIED", env, "deny");
      eq(e.errMsg, "getUserProfile:fail auth deny", "WeChat's errMsg kept");
      eq(e.cached, first, "error.cached");
      eq(sim.storage.get(KEY), record, "record intact");
    },
  },
  {
    name: "promise hop before the popup → TAP_REQUIRED",
    async run(env) {
      const { sim, tm } = await setup(env);
      const e = await rejects(
        sim.tap(async () => {
          await Promise.resolve();
          return tm.updateUserProfile();
        }),
        "TAP_REQUIRED",
        env,
        "hop",
      );
      eq(e.errMsg, TAP_MESSAGE, "WeChat's errMsg kept");
      const timer = await rejects(new Promise((r) => setTimeout(() => r(tm.updateUserProfile()), 0)), "TAP_REQUIRED", env, "timer");
      eq(timer.errMsg, TAP_MESSAGE, "after a timer too");
    },
  },
  {
    name: "getUserProfile opens inside the tap while the wasm is still loading",
    async run(env) {
      await backend(env, "reset");
      const { wx, sim } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP });
      const installed = env.install({ server: env.backendUrl, host: wx });
      const pending = sim.tap(() => wx.tmSDK.updateUserProfile({ desc: "早点弹窗" }));
      eq(sim.counts.getUserProfile, 1, "called synchronously, before install resolved");
      eq(sim.lastUserProfileOptions, { desc: "早点弹窗", lang: "zh_CN" }, "with the caller's desc");
      const p = await pending;
      eq(p.nick_name, "小明", "resolves once the core is ready");
      eq(await installed, wx.tmSDK, "install resolves to wx.tmSDK");
    },
  },
  {
    name: "no user-info API → UNSUPPORTED",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "bare" });
      await rejects(sim.tap(() => tm.updateUserProfile()), "UNSUPPORTED", env, "bare host");
    },
  },
  {
    name: "noLogin → NO_LOGIN_SDK",
    async run(env) {
      await backend(env, "reset");
      const { wx, sim } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP });
      await env.install({ noLogin: true, host: wx });
      await rejects(sim.tap(() => wx.tmSDK.updateUserProfile()), "NO_LOGIN_SDK", env, "update");
      await rejects(wx.tmSDK.login(), "NO_LOGIN_SDK", env, "login");
      eq(sim.counts.getUserProfile + sim.counts.login + sim.counts.request, 0, "no host call");
    },
  },
  {
    name: "bad desc / refresh → INVALID_OPTIONS naming the key",
    async run(env) {
      const { sim, tm } = await setup(env);
      for (const [options, field] of [
        [{ desc: "字".repeat(31) }, "desc"],
        [{ desc: "   " }, "desc"],
        [{ desc: 42 }, "desc"],
        [{ refresh: "yes" }, "refresh"],
        [{ refresh: true, fresh: false }, "fresh"],
        [{ lang: "fr" }, "lang"],
      ]) {
        const e = await rejects(sim.tap(() => tm.updateUserProfile(options)), "INVALID_OPTIONS", env, JSON.stringify(options));
        eq(e.field, field, "field");
      }
      eq(sim.counts.getUserProfile, 0, "no popup for bad options");
    },
  },
  {
    name: "bad config → INVALID_CONFIG",
    async run(env) {
      const { wx } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP });
      for (const [config, field] of [
        [{ host: wx }, "server"],
        [{ host: wx, server: "ftp://example.com" }, "server"],
        [{ host: wx, server: env.backendUrl, profileTtl: -1 }, "profileTtl"],
        [{ host: wx, server: env.backendUrl, timeout: "10s" }, "timeout"],
        [{ host: wx, server: env.backendUrl, appId: "wx 1" }, "appId"],
      ]) {
        const e = await rejects(env.install(config), "INVALID_CONFIG", env, JSON.stringify({ ...config, host: "wx" }));
        eq(e.field, field, "field");
      }
      await rejects(wx.tmSDK.updateUserProfile(), "INVALID_CONFIG", env, "members reject too");
    },
  },
  {
    name: "err != 0 → SERVER",
    async run(env) {
      const { sim, tm } = await setup(env);
      await script(env, "/v1/profile", { body: { err: 1001, msg: "小程序session解析错误" } });
      const e = await rejects(sim.tap(() => tm.updateUserProfile()), "SERVER", env, "server error");
      eq([e.serverErr, e.errMsg], [1001, "小程序session解析错误"], "serverErr and msg");
    },
  },
  {
    name: "500 → HTTP",
    async run(env) {
      const { sim, tm } = await setup(env);
      await script(env, "/v1/profile", { status: 500, body: "Internal Server Error" });
      const e = await rejects(sim.tap(() => tm.updateUserProfile()), "HTTP", env, "500");
      eq(e.status, 500, "status");
    },
  },
  {
    name: "503 → SERVER with status 503 (the service briefly unavailable), on /v1/profile and /v1/login; record intact",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { autoLogin: false } });
      const unavailable = { status: 503, body: { err: 503, msg: "the server's database is unavailable for a moment; try again in 5 s." } };
      // The first launch's login during the outage: the same error, not a refused login.
      await script(env, "/v1/login", unavailable);
      const login = await rejects(sim.tap(() => tm.updateUserProfile()), "SERVER", env, "503 on login");
      eq(login.status, 503, "status");
      ok(login.message.includes("briefly unavailable"), `the message says so (${login.message})`);
      const first = await authorise(tm, sim);
      const record = sim.storage.get(KEY);
      await script(env, "/v1/profile", unavailable);
      const e = await rejects(sim.tap(() => tm.updateUserProfile({ refresh: true })), "SERVER", env, "503");
      eq(e.status, 503, "status");
      ok(e.message.includes("briefly unavailable"), `the message says so (${e.message})`);
      eq(e.cached, first, "error.cached is the previous profile");
      eq(sim.storage.get(KEY), record, "the record is intact");
    },
  },
  {
    name: "request:fail → NETWORK",
    async run(env) {
      const { sim, tm } = await setup(env);
      await tm.login();
      await script(env, "/v1/profile", { destroy: true });
      const e = await rejects(sim.tap(() => tm.updateUserProfile()), "NETWORK", env, "dropped connection");
      ok(e.errMsg.startsWith("request:fail"), `errMsg kept (${e.errMsg})`);
    },
  },
  {
    name: "timeout → TIMEOUT",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { timeout: 300 } });
      await tm.login();
      await script(env, "/v1/profile", { delayMs: 3000 });
      const e = await rejects(sim.tap(() => tm.updateUserProfile()), "TIMEOUT", env, "slow backend");
      eq(e.errMsg, "request:fail timeout", "errMsg kept");
    },
  },
  {
    name: "one 401 → silent re-login and success",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      await backend(env, "expire-sessions");
      await refusedSessionGivesWayToANewOne(env, sim, tm);
    },
  },
  {
    name: "a session token of an earlier server's format → 401, one login, and a new session",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      // The record holds a `payload.mac` token, as tmsdk-server issued before its tokens were JWTs.
      editRecord(sim, (r) => {
        r.profile.jwt = "d3hzaW1hcHAwMDAwMDAwMDAxCm9TaW1Vc2VyXzAwMQo5OTk5OTk5OTk5.c2lnbmF0dXJlLW9mLWFuLW9sZC1zZXJ2ZXI";
      });
      const p = await refusedSessionGivesWayToANewOne(env, sim, tm);
      ok(p.jwt.split(".").length === 3, "the new session is a JWT (header.claims.signature)");
    },
  },
  {
    name: "two 401s → HTTP (no loop)",
    async run(env) {
      const { sim, tm } = await setup(env);
      await tm.login();
      const unauthorised = { status: 401, body: { err: 401, msg: "session expired" } };
      await script(env, "/v1/profile", unauthorised, unauthorised);
      const before = await stats(env);
      const e = await rejects(sim.tap(() => tm.updateUserProfile()), "HTTP", env, "401 twice");
      eq(e.status, 401, "status");
      const after = await stats(env);
      eq([after.login - before.login, after.profile - before.profile], [1, 2], "one re-login, one retry, no loop");
    },
  },
  {
    name: "a rawData changed after WeChat signed it → SERVER 41003 from the backend's signature check",
    async run(env) {
      const { sim, tm } = await setup(env);
      sim.tamperRawData = true;
      const e = await rejects(sim.tap(() => tm.updateUserProfile()), "SERVER", env, "tampered rawData");
      eq(e.serverErr, 41003, "the backend's signature check refused it");
      const sent = (await backend(env, "stats")).bodies.filter((b) => b.path === "/v1/profile").pop().body;
      ok(sent.raw_data.includes("篡改者") && sent.signature.length === 40, "the SDK sent what WeChat gave, signature unchanged");
    },
  },
  {
    name: "malformed JSON → INVALID_PROFILE, record intact",
    async run(env) {
      await recordIntactOnBadAnswer(env, { body: '{"err":0,"data":{"open_id":' }, undefined, "malformed JSON");
    },
  },
  {
    name: "missing open_id → INVALID_PROFILE, record intact",
    async run(env) {
      await recordIntactOnBadAnswer(env, { drop: ["open_id"] }, "open_id", "missing open_id");
    },
  },
  {
    name: "another app's app_id → INVALID_PROFILE, record intact",
    async run(env) {
      await recordIntactOnBadAnswer(env, { merge: { app_id: "wxanotherapp000001" } }, "app_id", "another app");
    },
  },
  {
    name: "storage write throws → still resolves, warns once",
    async run(env) {
      const warnings = [];
      const warn = console.warn;
      console.warn = (m) => warnings.push(String(m));
      try {
        const { sim, tm } = await setup(env, { config: { autoLogin: false } });
        sim.storageThrows.set = true;
        const p = await sim.tap(() => tm.updateUserProfile());
        eq(p.nick_name, "小明", "resolves");
        const again = await sim.tap(() => tm.updateUserProfile());
        eq(again.nick_name, "小明", "resolves again");
        eq(warnings.length, 1, "warns once");
        ok(warnings[0].includes("could not save") && !warnings[0].includes(p.jwt), "the warning names the problem, not the jwt");
      } finally {
        console.warn = warn;
      }
    },
  },
  {
    name: "corrupt record → ignored and removed",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { autoLogin: false } });
      sim.storage.set(KEY, '{"v":1,"app_id":');
      eq(tm.getCachedProfile(), null, "ignored");
      ok(!sim.storage.has(KEY), "removed");
      sim.storage.set(KEY, JSON.stringify({ v: 2, app_id: APP, cached_at: Date.now(), profile: {} }));
      const p = await sim.tap(() => tm.updateUserProfile());
      eq(sim.counts.getUserProfile, 1, "the user is asked");
      eq(JSON.parse(sim.storage.get(KEY)).profile, p, "a good record replaces it");
    },
  },
  {
    name: "5 concurrent calls → 1 popup, 1 request, 5 equal results",
    async run(env) {
      const { sim, tm } = await setup(env);
      await tm.login();
      const before = await stats(env);
      const results = await sim.tap(() => Promise.all([1, 2, 3, 4, 5].map(() => tm.updateUserProfile({ refresh: true }))));
      eq(sim.counts.getUserProfile, 1, "one popup");
      eq((await stats(env)).profile - before.profile, 1, "one request");
      for (const r of results) eq(r, results[0], "equal results");
      eq(results.length, 5, "five results");
    },
  },
  {
    name: "getCachedProfile and clearProfileCache",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { autoLogin: false, profileTtl: 3600 } });
      eq(tm.getCachedProfile(), null, "nothing cached yet");
      const p = await authorise(tm, sim);
      resetCounts(sim);
      const cached = tm.getCachedProfile();
      eq(Object.keys(cached), ["profile", "cachedAt", "expiresAt", "placeholder"], "shape");
      eq(cached.profile, p, "the profile");
      eq(cached.expiresAt - cached.cachedAt, 3600 * 1000, "expiresAt = cachedAt + TTL");
      eq(sim.counts.getUserProfile + sim.counts.request, 0, "never prompts");
      // Each call hands out its own copy of the same record's profile; a caller's change stays its own.
      const again = tm.getCachedProfile();
      ok(again.profile !== cached.profile, "a fresh object each time");
      again.profile.nick_name = "改了副本";
      eq(tm.getCachedProfile().profile, p, "the record's profile, untouched");
      // A record changed behind the SDK's back is read, and checked, again.
      editRecord(sim, (r) => {
        r.profile.nick_name = "存储里改过";
      });
      eq(tm.getCachedProfile().profile.nick_name, "存储里改过", "the changed record, read again");
      // updateUserProfile() serves the same record the same way: a copy each time, the changed text read again.
      const served = tm.updateUserProfile();
      ok(served && typeof served.then === "function", "a cache hit is still a promise");
      const reused = await served;
      eq(reused.nick_name, "存储里改过", "the changed record, reused");
      reused.nick_name = "改了副本";
      eq((await tm.updateUserProfile()).nick_name, "存储里改过", "a caller's change stays its own");
      eq(sim.counts.getUserProfile + sim.counts.request, 0, "reused, never prompts");
      editRecord(sim, (r) => {
        r.profile.gender = "x";
      });
      eq(tm.getCachedProfile(), null, "a changed record that breaks a rule is no record");
      tm.clearProfileCache();
      eq(tm.getCachedProfile(), null, "cleared");
      ok(!sim.storage.has(KEY), "the record is gone");
    },
  },
  {
    name: "a host without storage: localStorage where a window exists, memory otherwise",
    async run(env) {
      await backend(env, "reset");
      const { wx, sim } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP });
      delete wx.getStorageSync;
      delete wx.setStorageSync;
      delete wx.removeStorageSync;
      const hasWindow = typeof window !== "undefined" && typeof localStorage !== "undefined";
      if (hasWindow) localStorage.removeItem(KEY);
      await env.install({ server: env.backendUrl, host: wx, autoLogin: false });
      const p = await sim.tap(() => wx.tmSDK.updateUserProfile());
      resetCounts(sim);
      eq(await sim.tap(() => wx.tmSDK.updateUserProfile()), p, "reused from the fallback storage");
      eq(sim.counts.getUserProfile, 0, "no popup the second time");
      if (hasWindow) {
        eq(JSON.parse(localStorage.getItem(KEY)).profile, p, "the record is in localStorage");
        wx.tmSDK.clearProfileCache();
        eq(localStorage.getItem(KEY), null, "and cleared from it");
      } else {
        eq(wx.tmSDK.getCachedProfile().profile, p, "the record is in memory");
      }
    },
  },
  {
    name: "host APIs that throw synchronously give typed errors, and the SDK keeps working",
    async run(env) {
      const { wx, sim, tm } = await setup(env, { config: { autoLogin: false } });
      wx.getLaunchOptionsSync = () => {
        throw new Error("getLaunchOptionsSync exploded");
      };
      const request = wx.request;
      wx.request = () => {
        throw new Error("request exploded");
      };
      // A wx.request that throws is a transport failure: NETWORK, said to have happened while logging in.
      const e = await rejects(sim.tap(() => tm.updateUserProfile()), "NETWORK", env, "throwing wx.request");
      eq(e.errMsg, "request exploded", "the thrown message is kept");
      ok(e.message.startsWith("While logging in"), `the message says when (${e.message})`);
      wx.request = request;
      const p = await sim.tap(() => tm.updateUserProfile());
      eq(p.nick_name, "小明", "the next call succeeds");
      const login = (await backend(env, "stats")).bodies.find((b) => b.path === "/v1/login").body;
      eq([login.scene, login.channel], [0, ""], "launch options that throw read as absent");
    },
  },
  {
    name: "mini-game without getUserProfile: authorised → getUserInfo",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame" });
      sim.authorised = true;
      const p = await tm.updateUserProfile();
      eq([sim.counts.getSetting, sim.counts.getUserInfo, sim.counts.buttons], [1, 1, 0], "getSetting → getUserInfo");
      eq(p.nick_name, "小明", "profile");
    },
  },
  {
    name: "mini-game without getUserProfile: not authorised → button tap",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame" });
      const pending = tm.updateUserProfile();
      await until(() => sim.buttons.length === 1, "the user-info button");
      eq(sim.lastButtonOptions.withCredentials, true, "withCredentials");
      eq([sim.lastButtonOptions.style.width, sim.lastButtonOptions.style.height], [375, 667], "full-screen by default");
      eq(sim.lastButtonOptions.style.backgroundColor, "rgba(0,0,0,0)", "transparent");
      sim.tapButton();
      const p = await pending;
      eq(p.nick_name, "小明", "profile from the tap");
      eq([sim.counts.buttons, sim.counts.buttonsDestroyed], [1, 1], "the button is destroyed");
      // A denied tap destroys the button too.
      sim.decision = "deny";
      const denied = tm.updateUserProfile({ refresh: true });
      await until(() => sim.buttons.length === 1, "the second button");
      sim.tapButton();
      const e = await rejects(denied, "AUTH_DENIED", env, "denied tap");
      eq(e.errMsg, "getUserInfo:fail auth deny", "errMsg");
      eq(sim.counts.buttonsDestroyed, 2, "destroyed either way");
    },
  },
  {
    name: "mini-game: a custom userInfoButton style is used",
    async run(env) {
      const style = { left: 10, top: 20, width: 100, height: 40, backgroundColor: "#07c160", color: "#ffffff", textAlign: "center", fontSize: 16, lineHeight: 40, borderRadius: 4, borderColor: "#07c160", borderWidth: 0 };
      const { sim, tm } = await setup(env, { kind: "minigame", config: { userInfoButton: style } });
      const pending = tm.updateUserProfile();
      await until(() => sim.buttons.length === 1, "the button");
      eq(sim.lastButtonOptions.style, style, "style passed through");
      sim.tapButton();
      await pending;
    },
  },
  {
    name: "privacy declined or not declared → PRIVACY_DENIED / PRIVACY_NOT_DECLARED, record intact, error.cached set",
    async run(env) {
      const { sim, tm } = await setup(env);
      const first = await authorise(tm, sim);
      const record = sim.storage.get(KEY);
      for (const [errno, code, hint] of [[104, "PRIVACY_DENIED", "privacy"], [112, "PRIVACY_NOT_DECLARED", "用户隐私保护指引"]]) {
        sim.privacy = errno;
        const e = await rejects(sim.tap(() => tm.updateUserProfile({ refresh: true })), code, env, `errno ${errno}`);
        ok(e.errMsg.startsWith("getUserProfile:fail"), `WeChat's errMsg kept (${e.errMsg})`);
        ok(e.message.includes(hint), `the message says what to do (${e.message})`);
        eq(e.cached, first, "error.cached");
        eq(sim.storage.get(KEY), record, "record intact");
      }
    },
  },
  {
    name: "mini-game: privacy errors on getUserInfo and on the button tap, the button destroyed",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame" });
      sim.authorised = true;
      sim.privacy = 112;
      const e = await rejects(tm.updateUserProfile(), "PRIVACY_NOT_DECLARED", env, "getUserInfo");
      ok(e.errMsg.startsWith("getUserInfo:fail"), `errMsg (${e.errMsg})`);
      sim.authorised = false;
      sim.privacy = 104;
      const pending = tm.updateUserProfile();
      await until(() => sim.buttons.length === 1, "the user-info button");
      sim.tapButton();
      await rejects(pending, "PRIVACY_DENIED", env, "button tap");
      eq([sim.counts.buttons, sim.counts.buttonsDestroyed], [1, 1], "the button is destroyed");
    },
  },
  {
    name: "offline at first launch: request:fail during /v1/login → NETWORK while logging in; a refused login → LOGIN_FAILED",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { autoLogin: false } });
      await script(env, "/v1/login", { destroy: true });
      const offline = await rejects(sim.tap(() => tm.updateUserProfile()), "NETWORK", env, "offline login");
      ok(offline.errMsg.startsWith("request:fail"), `errMsg kept (${offline.errMsg})`);
      ok(offline.message.startsWith("While logging in"), `says when (${offline.message})`);
      await script(env, "/v1/login", { body: { err: 40029, msg: "invalid code" } });
      const refused = await rejects(tm.login(), "LOGIN_FAILED", env, "refused login");
      eq(refused.serverErr, 40029, "the backend's err");
      const p = await sim.tap(() => tm.updateUserProfile());
      eq(p.nick_name, "小明", "back online, the next call succeeds");
    },
  },
  {
    name: "the 微信用户 placeholder is cached, flagged, and not asked for again",
    async run(env) {
      const { sim, tm } = await setup(env);
      sim.user = { nickName: "微信用户", avatarUrl: "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132" };
      const p = await authorise(tm, sim);
      eq(tm.isPlaceholderProfile(p), true, "isPlaceholderProfile");
      eq(tm.getCachedProfile().placeholder, true, "getCachedProfile().placeholder");
      resetCounts(sim);
      eq(await sim.tap(() => tm.updateUserProfile()), p, "reused like any profile");
      eq(sim.counts.getUserProfile, 0, "no useless second popup");
      eq(tm.isPlaceholderProfile({ ...p, nick_name: "小明" }), false, "a real nickname is not a placeholder");
    },
  },
  {
    name: "inRegion matches the first two characters of login_province; bad regions → INVALID_OPTIONS",
    async run(env) {
      const { sim, tm } = await setup(env);
      const p = await authorise(tm, sim);
      eq(p.login_province, "广东省", "the backend's IP province");
      eq(tm.inRegion(p, ["西藏", "广东"]), true, "广东 matches 广东省");
      eq(tm.inRegion(p, ["广西壮族自治区"]), false, "广西 does not match 广东省");
      eq(tm.inRegion({ ...p, login_province: "" }, ["广东"]), false, "an empty province matches nothing");
      eq(tm.getCachedProfile().placeholder, false, "a real nickname is not a placeholder");
      for (const regions of ["广东", [1], null, [["广东"]]]) {
        let error;
        try {
          tm.inRegion(p, regions);
        } catch (e) {
          error = e;
        }
        ok(error instanceof env.TmSdkError && error.code === "INVALID_OPTIONS" && error.field === "regions", `${JSON.stringify(regions)} → INVALID_OPTIONS (${error})`);
      }
    },
  },
];

// Douyin's scenarios: a Douyin game whose app is a `tt:` app of tmsdk-server (its logins go to the simulated
// Douyin API), with the simulated `tt` as the realm's global, so the drop-in's platform is Douyin. A runtime that
// serves Douyin runs them with `env.install` putting `config.host` on the global `tt` and `env.backendUrl` that
// backend (all.mjs: `douyinScenarios`, with `env.douyin`).
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import { APP, KEY, backend, eq, ok, rejects, simsInUse, stats, until } from "./helpers.mjs";

/** A Douyin game launched: the player logged in to Douyin or not, the SDK installed on `tt`. */
async function launch(env, { loggedIn = true, config = {} } = {}) {
  await backend(env, "reset");
  const { wx: tt, sim } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP, kind: "douyin" });
  sim.douyinLoggedIn = loggedIn;
  simsInUse.push(sim);
  await env.install({ server: env.backendUrl, host: tt, appId: APP, autoLogin: false, ...config });
  ok(tt.tmSDK && typeof tt.tmSDK.updateUserProfile === "function", "tt.tmSDK installed");
  return { tt, sim, tm: tt.tmSDK };
}

/** The server's count of `jscode2session` calls through `platform`'s API. */
async function platformLogins(env, platform) {
  const text = await (await fetch(`${env.backendUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`tmsdk_login_calls_total{outcome="ok",platform="${platform}"}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

const record = (sim) => JSON.parse(sim.storage.get(KEY));

export const douyins = [
  {
    name: "douyin: a player logged in to Douyin logs in silently through Douyin's API, gets a verified profile from tt.getUserInfo, then a cache hit",
    async run(env) {
      const { tm, sim } = await launch(env);
      const session = await tm.login();
      eq(sim.logins, [false], "the silent login: never Douyin's dialog");
      eq(session.from_scene, "023001", "Douyin's string scene kept as given");
      const profile = await tm.updateUserProfile();
      eq(profile.nick_name, "小明", "the verified profile");
      eq(profile.open_id, session.open_id, "the player's own openid");
      eq([sim.counts.getUserInfo, sim.counts.getSetting, sim.counts.buttons], [1, 0, 0], "tt.getUserInfo, which asks the player itself");
      eq(sim.logins, [false], "this run's login was signed: no second login");
      eq(await platformLogins(env, "douyin"), 1, "one login, through Douyin's jscode2session");
      eq(await platformLogins(env, "wechat"), 0, "none through WeChat's");
      const before = { ...sim.counts };
      eq(await tm.updateUserProfile(), profile, "a cache hit");
      eq([sim.counts.getUserInfo, sim.counts.request], [before.getUserInfo, before.request], "no prompt, no request");
    },
  },
  {
    name: "douyin: an anonymous player gets a profile with no dialog and shares; refuses the login dialog (AUTH_DENIED, errNo, record kept), then accepts it and keeps their logins and figures",
    async run(env) {
      const { tm, tt, sim } = await launch(env, { loggedIn: false });
      const anonymous = await tm.login();
      eq(sim.logins, [false], "no dialog");
      eq(anonymous.open_id, `anon_${sim.device}`, "keyed by Douyin's anonymous_openid");
      eq(anonymous.nick_name, "", "no nickname");
      // The anonymous player shares from the menu: tagged, and counted for them.
      tt.onShareAppMessage(({ channel }) => ({ title: `channel:${channel}`, query: "room=7" }));
      const shared = sim.menuShare();
      eq(shared.title, "channel:", "Douyin's callback gets {channel}");
      ok(/(^|&)tmsdk_s=[A-Za-z0-9_-]{1,32}(&|$)/.test(shared.query), `tagged: ${shared.query}`);
      await until(() => record(sim).profile.share_times === 1, "the share counted for the anonymous player");
      const kept = sim.storage.get(KEY);

      sim.loginDialog = "cancel";
      const e = await rejects(tm.updateUserProfile(), "AUTH_DENIED", env, "the login dialog cancelled");
      eq(e.errMsg, "login:fail host login fail", "Douyin's errMsg");
      eq(e.errNo, 113001, "Douyin's errNo beside it");
      eq(e.cached.open_id, anonymous.open_id, "error.cached");
      eq(sim.storage.get(KEY), kept, "the record kept");
      eq(sim.counts.getUserInfo, 0, "no prompt without a login");
      eq(sim.logins, [false, false, true], "a silent login, then the dialog");

      sim.loginDialog = "accept";
      const profile = await tm.updateUserProfile();
      eq(profile.open_id, "oSimUser_001", "the openid's profile");
      eq(profile.nick_name, "小明", "the verified profile");
      eq(profile.login_times, 2, "the anonymous login and this one");
      eq(profile.share_times, 1, "the anonymous player's share");
      eq(profile.is_new, false, "not a new player");
      eq(profile.share_code, anonymous.share_code, "the share code kept");
      eq(sim.logins, [false, false, true, false, true], "the dialog again, accepted");
    },
  },
  {
    name: "douyin: a refused prompt is AUTH_DENIED and keeps the record; fillUserProfile is UNSUPPORTED; updateUserInfo with an anonymous session is refused",
    async run(env) {
      const { tm, sim } = await launch(env);
      const profile = await tm.updateUserProfile();
      sim.authorised = false;
      sim.decision = "deny";
      const kept = sim.storage.get(KEY);
      const e = await rejects(tm.updateUserProfile({ refresh: true }), "AUTH_DENIED", env, "the prompt refused");
      eq(e.errMsg, "getUserInfo:fail auth deny", "Douyin's errMsg");
      eq(e.cached, profile, "error.cached");
      eq(sim.storage.get(KEY), kept, "the record kept");
      const fill = await rejects(tm.fillUserProfile({ nickName: "新名字" }), "UNSUPPORTED", env, "fillUserProfile on Douyin");
      ok(fill.message.startsWith("Douyin has no avatar and nickname pickers for mini-games"), fill.message);
      // An anonymous player's session has no session key: the game's own result is refused, the record kept.
      const anonymous = await launch(env, { loggedIn: false });
      await anonymous.tm.login();
      const requests = (await stats(env)).profile;
      const refused = await rejects(
        anonymous.tm.updateUserInfo({ errMsg: "getUserInfo:ok", encryptedData: "eA==", iv: "aXY=", signature: "s" }),
        "HTTP",
        env,
        "updateUserInfo with an anonymous session",
      );
      eq(refused.status, 403, "status");
      eq((await stats(env)).profile, requests + 1, "one /v1/profile request");
      eq(anonymous.sim.logins, [false], "no login dialog for a result the player already gave");
    },
  },
  {
    name: "douyin: tt has no getAccountInfoSync, so install without appId rejects INVALID_CONFIG naming appId and tt",
    async run(env) {
      const { wx: tt } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP, kind: "douyin" });
      const e = await rejects(env.install({ server: env.backendUrl, host: tt }), "INVALID_CONFIG", env, "no appId");
      eq(e.field, "appId", "field");
      ok(/tt\.getAccountInfoSync\(\).*pass appId/.test(e.message), e.message);
    },
  },
];

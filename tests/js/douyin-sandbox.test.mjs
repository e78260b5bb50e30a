// The drop-in (dist/minigame/) in a Douyin-like realm: only `tt`, `TTWebAssembly`, `console` and timers — no `wx`,
// no `WebAssembly`, no `TextDecoder`. It finds Douyin's host and loader itself (js-shim/platform.js) and installs
// `tt.tmSDK`. A Douyin game — its app a `tt:` app of tmsdk-server, whose logins go to the simulated Douyin API —
// plays through end to end: a player logged in to Douyin, and an anonymous one who refuses Douyin's login dialog,
// then accepts it and keeps their figures. The scenario list runs in the same realm too, its wx-shaped test host
// given as `config.host` (the WeChat flow, loaded through TTWebAssembly).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

import { allScenarios as scenarios } from "../scenarios/all.mjs";
import { startBackend } from "../support/backend.mjs";
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import { nodeTransport } from "../../dev/transport-node.mjs";
import { createWeChatSandbox } from "../support/wechat-sandbox.mjs";

const APP = "wxsimapp0000000001";
const KEY = `tmsdk.profile.v1.${APP}`;
const DOUYIN = { host: "tt", loader: "TTWebAssembly" };
const repo = fileURLToPath(new URL("../../", import.meta.url));
const DROP_IN = "tmsdk-profile/tmsdk-profile.js";
let backend;
let douyinBackend; // the app is a Douyin game's on tmsdk-server
let gameRoot;

before(async () => {
  [backend, douyinBackend] = await Promise.all([startBackend({ appId: APP }), startBackend({ appId: APP, platform: "douyin" })]);
  gameRoot = mkdtempSync(join(tmpdir(), "tmsdk-douyin-game-"));
  cpSync(join(repo, "dist", "minigame"), join(gameRoot, "tmsdk-profile"), { recursive: true });
});

after(async () => {
  await Promise.all([backend?.stop(), douyinBackend?.stop()]);
  if (gameRoot) rmSync(gameRoot, { recursive: true, force: true });
});

const control = (command, body) =>
  fetch(`${douyinBackend.url}/__control/${command}`, { method: "POST", body: body ? JSON.stringify(body) : "" }).then((r) => r.json());

/** The server's count of `jscode2session` calls by platform. */
async function logins(platform) {
  const text = await (await fetch(`${douyinBackend.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`tmsdk_login_calls_total{outcome="ok",platform="${platform}"}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

/** A Douyin realm with the drop-in loaded and the simulated `tt` as its global. */
function douyinGame({ loggedIn = true } = {}) {
  const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "instance", platform: DOUYIN });
  const dropIn = sandbox.load(DROP_IN);
  const { wx: tt, sim } = createSimWx({ transport: nodeTransport, wechat: douyinBackend.url, appId: APP, kind: "douyin" });
  sim.douyinLoggedIn = loggedIn;
  sandbox.setWx(tt);
  return { sandbox, dropIn, tt, sim };
}

const refusal = (promise) => promise.then(() => assert.fail("should reject"), (e) => e);

describe("douyin sandbox: a Douyin game on tmsdk-server", () => {
  test("only tt and TTWebAssembly: tt.tmSDK installed; a player logged in to Douyin logs in silently through Douyin's API, gets a verified profile from tt.getUserInfo, then a cache hit", async () => {
    await control("reset");
    const { sandbox, dropIn, tt, sim } = douyinGame();
    assert.equal(vm.runInContext("typeof wx + typeof WXWebAssembly + typeof WebAssembly + typeof TextDecoder", sandbox.context), "undefinedundefinedundefinedundefined");
    const tm = await dropIn.install({ server: douyinBackend.url, appId: APP });
    assert.equal(tm, tt.tmSDK, "install resolves tt.tmSDK");
    for (const member of ["updateUserProfile", "updateUserInfo", "login", "getCachedProfile", "clearProfileCache", "fillUserProfile", "share", "deleteProfile"]) {
      assert.equal(typeof tt.tmSDK[member], "function", member);
    }
    assert.deepEqual(sandbox.loads, ["tmsdk-profile/tmsdk-profile.wasm.br"]);
    const session = await tt.tmSDK.login();
    assert.deepEqual(sim.logins, [false], "autoLogin's silent login: never Douyin's dialog");
    assert.equal(session.from_scene, "023001", "Douyin's string scene kept as given");
    const profile = await tt.tmSDK.updateUserProfile();
    assert.equal(profile.nick_name, "小明", "the verified profile");
    assert.equal(profile.open_id, session.open_id);
    assert.deepEqual([sim.counts.getUserInfo, sim.counts.getSetting, sim.counts.buttons], [1, 0, 0], "tt.getUserInfo, which asks the player itself");
    assert.deepEqual(sim.logins, [false], "this run's login was signed: no second login");
    assert.equal(await logins("douyin"), 1, "one login, through Douyin's jscode2session");
    assert.equal(await logins("wechat"), 0, "none through WeChat's");
    const counts = { ...sim.counts };
    assert.deepEqual(await tt.tmSDK.updateUserProfile(), profile, "a cache hit");
    assert.deepEqual([sim.counts.getUserInfo, sim.counts.request], [counts.getUserInfo, counts.request]);
    // A refused prompt: AUTH_DENIED, the record kept.
    sim.authorised = false;
    sim.decision = "deny";
    const record = sim.storage.get(KEY);
    const e = await refusal(tt.tmSDK.updateUserProfile({ refresh: true }));
    assert.equal(e.code, "AUTH_DENIED");
    assert.equal(e.errMsg, "getUserInfo:fail auth deny");
    assert.deepEqual(e.cached, profile);
    assert.equal(sim.storage.get(KEY), record, "the record kept");
    // Douyin has no avatar and nickname pickers.
    const fill = await refusal(tt.tmSDK.fillUserProfile({ nickName: "新名字" }));
    assert.equal(fill.code, "UNSUPPORTED");
    assert.match(fill.message, /^Douyin has no avatar and nickname pickers for mini-games/);
  });

  test("an anonymous player: a profile with no dialog, figures counted; the login dialog refused (typed error, record kept), then accepted: the openid's profile with the earlier logins and figures", async () => {
    await control("reset");
    const { dropIn, tt, sim } = douyinGame({ loggedIn: false });
    await dropIn.install({ server: douyinBackend.url, appId: APP, autoLogin: false });
    const anonymous = await tt.tmSDK.login();
    assert.deepEqual(sim.logins, [false], "no dialog");
    assert.equal(anonymous.open_id, `anon_${sim.device}`, "keyed by Douyin's anonymous_openid");
    assert.equal(anonymous.nick_name, "");
    // The anonymous player shares: the share is tagged and counted for them.
    tt.onShareAppMessage(({ channel }) => ({ title: `channel ${channel}`, query: "room=7" }));
    const shared = sim.menuShare();
    assert.equal(shared.title, "channel ", "Douyin's callback gets {channel}");
    assert.match(shared.query, /(^|&)tmsdk_s=[A-Za-z0-9_-]{1,32}(&|$)/, `tagged: ${shared.query}`);
    const deadline = Date.now() + 10_000;
    const shares = () => JSON.parse(sim.storage.get(KEY)).profile.share_times;
    while (shares() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(shares(), 1, "the share counted for the anonymous player");
    const record = sim.storage.get(KEY);

    // Douyin's login dialog cancelled.
    sim.loginDialog = "cancel";
    const e = await refusal(tt.tmSDK.updateUserProfile());
    assert.equal(e.code, "AUTH_DENIED", e.message);
    assert.equal(e.errMsg, "login:fail host login fail");
    assert.equal(e.errNo, 113001, "Douyin's errNo beside its errMsg");
    assert.equal(e.cached.open_id, anonymous.open_id, "error.cached");
    assert.equal(sim.storage.get(KEY), record, "the record kept");
    assert.equal(sim.counts.getUserInfo, 0, "no prompt without a login");
    assert.deepEqual(sim.logins, [false, false, true], "a silent login, then the dialog");

    // Accepted: the anonymous player becomes the openid's.
    sim.loginDialog = "accept";
    const profile = await tt.tmSDK.updateUserProfile();
    assert.equal(profile.open_id, "oSimUser_001");
    assert.equal(profile.nick_name, "小明");
    assert.equal(profile.login_times, 2, "the anonymous login and this one");
    assert.equal(profile.share_times, 1, "the anonymous player's share");
    assert.equal(profile.is_new, false);
    assert.equal(profile.share_code, anonymous.share_code, "the share code kept");
    assert.deepEqual(sim.logins, [false, false, true, false, true]);
  });

  test("no TTWebAssembly (base library < 3.7.0.0) → UNSUPPORTED naming Douyin and the base library", async () => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", withWXWebAssembly: false, platform: DOUYIN });
    const dropIn = sandbox.load(DROP_IN);
    sandbox.setWx(createSimWx({ transport: nodeTransport, wechat: douyinBackend.url, appId: APP, kind: "douyin" }).wx);
    const e = await refusal(dropIn.install({ server: douyinBackend.url, appId: APP }));
    assert.equal(e.code, "UNSUPPORTED");
    assert.match(e.message, /^This Douyin has no TTWebAssembly: it needs base library 3\.7\.0\.0 or newer\./);
  });

  test("no appId in config → INVALID_CONFIG naming appId, since tt has no getAccountInfoSync", async () => {
    const { dropIn } = douyinGame();
    const e = await refusal(dropIn.install({ server: douyinBackend.url }));
    assert.equal(e.code, "INVALID_CONFIG");
    assert.equal(e.field, "appId");
    assert.match(e.message, /tt\.getAccountInfoSync\(\).*pass appId/);
  });
});

describe("douyin sandbox: the scenario list, loaded through TTWebAssembly", () => {
  let env;
  before(() => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "instance", platform: DOUYIN });
    const dropIn = sandbox.load(DROP_IN);
    env = {
      install: (config) => dropIn.install(config),
      TmSdkError: dropIn.TmSdkError,
      Error: sandbox.Error,
      Date: sandbox.Date,
      transport: nodeTransport,
      backendUrl: backend.url,
    };
  });
  for (const scenario of scenarios) {
    test(scenario.name, { timeout: 20_000 }, () => scenario.run(env));
  }
});

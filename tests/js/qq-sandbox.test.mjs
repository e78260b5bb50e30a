// The drop-in (dist/minigame/) in a QQ-like realm: only `qq`, `QQWebAssembly`, `console` and timers — no `wx`,
// no `WebAssembly`, no `TextDecoder`. It finds QQ's host and loader itself (js-shim/platform.js) and installs
// `qq.tmSDK`; the scenario list runs with the simulated host as `qq` against the same backend as every runtime
// (QQ's API names and replies are WeChat's mini-game ones); and a QQ game — its app a `qq:` app of
// tmsdk-server, whose logins and content checks go to the simulated QQ API — plays through end to end.
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
import { createWeChatSandbox, realmEnv } from "../support/wechat-sandbox.mjs";

const APP = "wxsimapp0000000001";
const QQ = { host: "qq", loader: "QQWebAssembly" };
const repo = fileURLToPath(new URL("../../", import.meta.url));
const DROP_IN = "tmsdk-profile/tmsdk-profile.js";
let backend;
let qqBackend; // the app is a QQ game's on tmsdk-server
let gameRoot;

before(async () => {
  [backend, qqBackend] = await Promise.all([startBackend({ appId: APP }), startBackend({ appId: APP, platform: "qq" })]);
  gameRoot = mkdtempSync(join(tmpdir(), "tmsdk-qq-game-"));
  cpSync(join(repo, "dist", "minigame"), join(gameRoot, "tmsdk-profile"), { recursive: true });
});

after(async () => {
  await Promise.all([backend?.stop(), qqBackend?.stop()]);
  if (gameRoot) rmSync(gameRoot, { recursive: true, force: true });
});

/** A QQ host: the simulated mini-game host as `qq`, without `getAccountInfoSync` when `withAppId` is false. */
function qqHost({ withAppId = true, server = backend } = {}) {
  const { wx, sim } = createSimWx({ transport: nodeTransport, wechat: server.url, appId: APP, kind: "minigame" });
  if (!withAppId) delete wx.getAccountInfoSync;
  return { qq: wx, sim };
}

describe("qq sandbox", () => {
  let sandbox;
  let dropIn;
  let env;
  before(() => {
    sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "instance", platform: QQ });
    dropIn = sandbox.load(DROP_IN);
    env = realmEnv({ sandbox, dropIn, transport: nodeTransport, backendUrl: backend.url });
  });

  test("only qq and QQWebAssembly: installs qq.tmSDK, the wasm loaded by its package path through QQWebAssembly; no wx appears", async () => {
    assert.equal(vm.runInContext("typeof wx + typeof WXWebAssembly + typeof WebAssembly + typeof TextDecoder", sandbox.context), "undefinedundefinedundefinedundefined");
    const { qq, sim } = qqHost();
    const tm = await env.install({ server: backend.url, host: qq, autoLogin: false });
    assert.equal(tm, qq.tmSDK, "install resolves qq.tmSDK");
    for (const member of ["updateUserProfile", "updateUserInfo", "login", "getCachedProfile", "clearProfileCache", "fillUserProfile", "share", "deleteProfile"]) {
      assert.equal(typeof qq.tmSDK[member], "function", member);
    }
    assert.deepEqual(sandbox.loads, ["tmsdk-profile/tmsdk-profile.wasm.br"]);
    assert.equal(vm.runInContext("typeof wx", sandbox.context), "undefined", "no wx was made");
    // A QQ player: the user-info button's tap, a verified profile, then a cache hit with no button and no request.
    const pending = qq.tmSDK.updateUserProfile();
    const deadline = Date.now() + 15_000;
    while (sim.buttons.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    sim.tapButton();
    const profile = await pending;
    assert.equal(profile.nick_name, "小明");
    assert.equal(sim.counts.buttons, 1, "the user-info button");
    const before = { ...sim.counts };
    assert.deepEqual(await qq.tmSDK.updateUserProfile(), profile, "a cache hit");
    assert.deepEqual([sim.counts.buttons, sim.counts.request], [before.buttons, before.request], "no button, no request");
  });

  for (const scenario of scenarios) {
    test(scenario.name, { timeout: 20_000 }, () => scenario.run(env));
  }
});

describe("qq sandbox: what QQ lacks", () => {
  test("no QQWebAssembly (base library < 1.71.0) → UNSUPPORTED naming QQ and the base library", async () => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", withWXWebAssembly: false, platform: QQ });
    const dropIn = sandbox.load(DROP_IN);
    sandbox.setWx(qqHost().qq);
    const e = await dropIn.install({ server: backend.url }).then(() => assert.fail("should reject"), (err) => err);
    assert.equal(e.code, "UNSUPPORTED");
    assert.match(e.message, /^This QQ has no QQWebAssembly: it needs base library 1\.71\.0 or newer\./);
  });

  test("the uncompressed wasm beside the drop-in loads too, by wasmPath (for a host that refuses .wasm.br)", async () => {
    cpSync(join(repo, "dist", "tmsdk-profile.wasm"), join(gameRoot, "tmsdk-profile", "tmsdk-profile.wasm"));
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", platform: QQ });
    const dropIn = sandbox.load(DROP_IN);
    sandbox.setWx(qqHost().qq);
    const tm = await dropIn.install({ server: backend.url, wasmPath: "tmsdk-profile/tmsdk-profile.wasm", autoLogin: false });
    assert.equal(typeof tm.updateUserProfile, "function");
    assert.deepEqual(sandbox.loads, ["tmsdk-profile/tmsdk-profile.wasm"]);
  });

  test("no getAccountInfoSync and no appId → INVALID_CONFIG naming appId", async () => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", platform: QQ });
    const dropIn = sandbox.load(DROP_IN);
    sandbox.setWx(qqHost({ withAppId: false }).qq);
    const e = await dropIn.install({ server: backend.url }).then(() => assert.fail("should reject"), (err) => err);
    assert.equal(e.code, "INVALID_CONFIG");
    assert.equal(e.field, "appId");
    assert.match(e.message, /pass appId/);
    const tm = await dropIn.install({ server: backend.url, appId: APP, autoLogin: false });
    assert.equal(typeof tm.updateUserProfile, "function", "with config.appId it installs");
  });
});

describe("a QQ game on tmsdk-server: logins and content checks through QQ's API", () => {
  const control = (command, body) =>
    fetch(`${qqBackend.url}/__control/${command}`, { method: "POST", body: body ? JSON.stringify(body) : "" }).then((r) => r.json());
  /** The server's count of `jscode2session` calls by platform and outcome. */
  async function logins(platform, outcome = "ok") {
    const text = await (await fetch(`${qqBackend.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`tmsdk_login_calls_total{outcome="${outcome}",platform="${platform}"}`));
    return line ? Number(line.split(" ").pop()) : 0;
  }
  /** Waits for the user-info button and taps it. */
  async function tapTheButton(sim) {
    const deadline = Date.now() + 15_000;
    while (sim.buttons.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    sim.tapButton();
  }

  test("a QQ player logs in through QQ's API, taps the button, gets a verified profile, then a cache hit; a refusal keeps the record; shares are tagged; the nickname is checked by QQ", async () => {
    await control("reset");
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "instance", platform: QQ });
    const dropIn = sandbox.load(DROP_IN);
    const { qq, sim } = qqHost({ server: qqBackend });
    sandbox.setWx(qq);
    await dropIn.install({ server: qqBackend.url, appId: APP, autoLogin: false });
    const pending = qq.tmSDK.updateUserProfile();
    await tapTheButton(sim);
    const profile = await pending;
    assert.equal(profile.nick_name, "小明", "the verified profile");
    assert.equal(profile.app_id, APP);
    assert.equal(await logins("qq"), 1, "one login, through QQ's jscode2session");
    assert.equal(await logins("wechat"), 0, "none through WeChat's");
    // A cache hit: no button, no request.
    const counts = { ...sim.counts };
    assert.deepEqual(await qq.tmSDK.updateUserProfile(), profile);
    assert.deepEqual([sim.counts.buttons, sim.counts.request], [counts.buttons, counts.request]);
    // A refusal on the button → AUTH_DENIED, the record kept.
    const record = sim.storage.get(`tmsdk.profile.v1.${APP}`);
    sim.decision = "deny";
    const refused = qq.tmSDK.updateUserProfile({ refresh: true });
    await tapTheButton(sim);
    const e = await refused.then(() => assert.fail("should reject"), (err) => err);
    assert.equal(e.code, "AUTH_DENIED");
    assert.equal(e.errMsg, "getUserInfo:fail auth deny");
    assert.deepEqual(e.cached, profile, "error.cached");
    assert.equal(sim.storage.get(`tmsdk.profile.v1.${APP}`), record, "the record kept");
    // A share through qq.shareAppMessage is tagged with the player's share code.
    qq.shareAppMessage({ title: "来挑战", query: "room=7" });
    const shared = sim.shared[sim.shared.length - 1];
    assert.match(shared.query, /(^|&)tmsdk_s=[A-Za-z0-9_-]{22}(&|$)/, `tagged: ${shared.query}`);
    // The fill-in's nickname goes through QQ's MsgSecCheck: a risky one is refused with QQ's code.
    sim.decision = "allow";
    const risky = await qq.tmSDK.fillUserProfile({ nickName: "大坏蛋" }).then(() => assert.fail("should reject"), (err) => err);
    assert.equal(risky.code, "CONTENT_RISKY");
    assert.equal(risky.serverErr, 87014);
    assert.match(risky.message, /^QQ's content check refused/, "the message names QQ");
    assert.doesNotMatch(risky.message, /WeChat|wx\./);
    const filled = await qq.tmSDK.fillUserProfile({ nickName: "小企鹅" });
    assert.equal(filled.nick_name, "小企鹅", "a nickname QQ passes is stored");
    // SkyRiver's QQ build's only user-info call: the game's own button, its tap's result to updateUserInfo.
    sim.user.nickName = "企鹅玩家";
    const tapped = new Promise((resolve) => qq.createUserInfoButton({ type: "text", text: "登录", style: {} }).onTap(resolve));
    sim.tapButton();
    const viaTap = await qq.tmSDK.updateUserInfo(await tapped);
    assert.equal(viaTap.nick_name, "企鹅玩家", "the verified profile from the game's own button");
    assert.equal(await logins("qq"), 1, "the session of the first login");
  });

  test("a QQ base library whose createUserInfoButton returns undefined → UNSUPPORTED, its messages naming QQ", async () => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "instance", platform: QQ });
    const dropIn = sandbox.load(DROP_IN);
    const { qq, sim } = qqHost({ server: qqBackend });
    qq.createUserInfoButton = () => undefined;
    sandbox.setWx(qq);
    await dropIn.install({ server: qqBackend.url, appId: APP, autoLogin: false });
    const e = await qq.tmSDK.updateUserProfile().then(() => assert.fail("should reject"), (err) => err);
    assert.equal(e.code, "UNSUPPORTED");
    assert.match(e.message, /^This QQ does not support the call/);
    assert.doesNotMatch(e.message, /WeChat|wx\./);
    assert.match(e.errMsg, /^createUserInfoButton:fail not supported/);
    assert.equal(sim.counts.getSetting, 1, "asked getSetting first");
  });
});

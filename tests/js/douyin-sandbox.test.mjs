// The drop-in (dist/minigame/) in a Douyin-like realm: only `tt`, `TTWebAssembly`, `console` and timers — no `wx`,
// no `WebAssembly`, no `TextDecoder`. It finds Douyin's host and loader itself (js-shim/platform.js) and installs
// `tt.tmSDK`. Douyin's scenarios (tests/scenarios/douyin.mjs: a Douyin game whose app is a `tt:` app of
// tmsdk-server — a player logged in to Douyin, an anonymous one who refuses Douyin's login dialog, then accepts it
// and keeps their figures, a refused prompt …) run with the simulated `tt` as the realm's global; the whole
// scenario list runs in the same realm too, its wx-shaped test host given as `config.host` (the WeChat flow,
// loaded through TTWebAssembly).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

import { allScenarios as scenarios, douyinScenarios } from "../scenarios/all.mjs";
import { startBackend } from "../support/backend.mjs";
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import { nodeTransport } from "../../dev/transport-node.mjs";
import { createWeChatSandbox, realmEnv } from "../support/wechat-sandbox.mjs";

const APP = "wxsimapp0000000001";
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

/** A Douyin realm with the drop-in loaded: its `env.douyin` puts the host on the realm's global `tt`. */
function douyinRealm() {
  const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "instance", platform: DOUYIN });
  const dropIn = sandbox.load(DROP_IN);
  return { sandbox, dropIn, env: realmEnv({ sandbox, dropIn, transport: nodeTransport, backendUrl: douyinBackend.url }) };
}

describe("douyin sandbox: a Douyin game on tmsdk-server", () => {
  test("only tt and TTWebAssembly: installs tt.tmSDK, the wasm loaded by its package path through TTWebAssembly; no wx appears", async () => {
    const { sandbox, dropIn } = douyinRealm();
    assert.equal(vm.runInContext("typeof wx + typeof WXWebAssembly + typeof WebAssembly + typeof TextDecoder", sandbox.context), "undefinedundefinedundefinedundefined");
    const { wx: tt } = createSimWx({ transport: nodeTransport, wechat: douyinBackend.url, appId: APP, kind: "douyin" });
    sandbox.setWx(tt);
    const tm = await dropIn.install({ server: douyinBackend.url, appId: APP, autoLogin: false });
    assert.equal(tm, tt.tmSDK, "install resolves tt.tmSDK");
    for (const member of ["updateUserProfile", "updateUserInfo", "login", "getCachedProfile", "clearProfileCache", "fillUserProfile", "share", "deleteProfile"]) {
      assert.equal(typeof tt.tmSDK[member], "function", member);
    }
    assert.deepEqual(sandbox.loads, ["tmsdk-profile/tmsdk-profile.wasm.br"]);
    assert.equal(vm.runInContext("typeof wx", sandbox.context), "undefined", "no wx was made");
  });

  test("no TTWebAssembly (base library < 3.7.0.0) → UNSUPPORTED naming Douyin and the base library", async () => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", withWXWebAssembly: false, platform: DOUYIN });
    const dropIn = sandbox.load(DROP_IN);
    sandbox.setWx(createSimWx({ transport: nodeTransport, wechat: douyinBackend.url, appId: APP, kind: "douyin" }).wx);
    const e = await dropIn.install({ server: douyinBackend.url, appId: APP }).then(() => assert.fail("should reject"), (err) => err);
    assert.equal(e.code, "UNSUPPORTED");
    assert.match(e.message, /^This Douyin has no TTWebAssembly: it needs base library 3\.7\.0\.0 or newer\./);
  });

  let douyin;
  before(() => {
    douyin = douyinRealm().env;
  });
  for (const scenario of douyinScenarios) {
    test(scenario.name, { timeout: 30_000 }, () => scenario.run({ ...douyin, douyin }));
  }
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

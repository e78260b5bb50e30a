// The WeChat drop-in (dist/minigame/) in a WeChat-like realm (tests/support/wechat-sandbox.mjs): the whole
// scenario list, once for each result shape of WXWebAssembly.instantiate, plus the example mini-game.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { allScenarios as scenarios } from "../scenarios/all.mjs";
import { startBackend } from "../support/backend.mjs";
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import { nodeTransport } from "../../dev/transport-node.mjs";
import { createWeChatSandbox, realmEnv } from "../support/wechat-sandbox.mjs";

const APP = "wxsimapp0000000001";
const repo = fileURLToPath(new URL("../../", import.meta.url));
const DROP_IN = "tmsdk-profile/tmsdk-profile.js";
let backend;
let gameRoot;

before(async () => {
  backend = await startBackend({ appId: APP });
  // A game package as a developer lays it out: the example, plus the drop-in copied in as tmsdk-profile/.
  gameRoot = mkdtempSync(join(tmpdir(), "tmsdk-minigame-"));
  cpSync(join(repo, "examples", "minigame"), gameRoot, { recursive: true });
  cpSync(join(repo, "dist", "minigame"), join(gameRoot, "tmsdk-profile"), { recursive: true });
  writeFileSync(join(gameRoot, "config.js"), `module.exports = { server: ${JSON.stringify(backend.url)} };\n`);
});

after(async () => {
  await backend?.stop();
  if (gameRoot) rmSync(gameRoot, { recursive: true, force: true });
});

for (const resultShape of ["instance", "pair"]) {
  describe(`wechat sandbox (instantiate → ${resultShape === "pair" ? "{instance, module}" : "Instance"})`, () => {
    let sandbox;
    let dropIn;
    let env;
    before(() => {
      sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape });
      dropIn = sandbox.load(DROP_IN);
      env = realmEnv({ sandbox, dropIn, transport: nodeTransport, backendUrl: backend.url });
    });

    test("loads the wasm by its package path, by default tmsdk-profile/tmsdk-profile.wasm.br", async () => {
      const { wx } = createSimWx({ transport: nodeTransport, wechat: backend.url, appId: APP });
      await env.install({ server: backend.url, host: wx, autoLogin: false });
      assert.deepEqual(sandbox.loads, ["tmsdk-profile/tmsdk-profile.wasm.br"]);
      assert.equal(typeof wx.tmSDK.updateUserProfile, "function");
    });

    for (const scenario of scenarios) {
      test(scenario.name, { timeout: 20_000 }, () => scenario.run(env));
    }
  });
}

describe("wechat sandbox: loading failures", () => {
  test("a wrong wasmPath → INVALID_CONFIG naming wasmPath", async () => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair" });
    const dropIn = sandbox.load(DROP_IN);
    sandbox.setWx(createSimWx({ transport: nodeTransport, wechat: backend.url, appId: APP }).wx);
    const e = await dropIn.install({ server: backend.url, wasmPath: "nowhere/x.wasm.br" }).then(
      () => assert.fail("should reject"),
      (err) => err,
    );
    assert.ok(e instanceof dropIn.TmSdkError);
    assert.equal(e.code, "INVALID_CONFIG");
    assert.equal(e.field, "wasmPath");
    assert.match(e.message, /tmsdk-profile\//);
    // The failed load is not remembered: the next install() loads the wasm from its default path.
    const tm = await dropIn.install({ server: backend.url, autoLogin: false });
    assert.equal(typeof tm.updateUserProfile, "function");
    assert.deepEqual(sandbox.loads, ["nowhere/x.wasm.br", "tmsdk-profile/tmsdk-profile.wasm.br"]);
  });

  test("no WXWebAssembly (base library < 2.13) → UNSUPPORTED", async () => {
    const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", withWXWebAssembly: false });
    const dropIn = sandbox.load(DROP_IN);
    sandbox.setWx(createSimWx({ transport: nodeTransport, wechat: backend.url, appId: APP }).wx);
    const e = await dropIn.install({ server: backend.url }).then(() => assert.fail("should reject"), (err) => err);
    assert.equal(e.code, "UNSUPPORTED");
  });
});

test("a host that has TextEncoder/TextDecoder keeps its own (the codecs are injected only when absent)", async () => {
  const used = { encode: 0, decode: 0 };
  class HostEncoder extends TextEncoder {
    encode(s) {
      used.encode += 1;
      return super.encode(s);
    }
  }
  class HostDecoder extends TextDecoder {
    decode(b) {
      used.decode += 1;
      return super.decode(b);
    }
  }
  const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", globals: { TextEncoder: HostEncoder, TextDecoder: HostDecoder } });
  const dropIn = sandbox.load(DROP_IN);
  const { wx, sim } = createSimWx({ transport: nodeTransport, wechat: backend.url, appId: APP });
  sandbox.setWx(wx);
  await dropIn.install({ server: backend.url });
  const profile = await sim.tap(() => wx.tmSDK.updateUserProfile());
  assert.equal(profile.nick_name, "小明");
  assert.ok(used.decode > 0, "the host's TextDecoder decoded the wasm's strings");
});

test("the example mini-game authorises from a touch", async () => {
  const lines = [];
  const realmConsole = { log: (m) => lines.push(String(m)), warn: (m) => lines.push(String(m)), error: (...m) => lines.push(m.join(" ")) };
  const sandbox = createWeChatSandbox({ packageRoot: gameRoot, resultShape: "pair", console: realmConsole });
  const { wx, sim } = createSimWx({ transport: nodeTransport, wechat: backend.url, appId: APP });
  sandbox.setWx(wx);
  await fetch(`${backend.url}/__control/reset`, { method: "POST" });
  sandbox.load("game.js");
  assert.equal(lines[0], "点击屏幕，授权头像和昵称");
  sim.touch();
  assert.equal(sim.counts.getUserProfile, 1, "the popup opens in the touch, even while the wasm loads");
  // Bounded generously: the wasm loads and the flow runs within ~100 ms, but CI machines are shared.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !lines.includes("你好，小明")) await new Promise((r) => setTimeout(r, 5));
  assert.ok(lines.includes("你好，小明"), lines.join(" | "));
  assert.ok(sim.storage.has(`tmsdk.profile.v1.${APP}`), "the profile is cached");
});

// The end-to-end scenarios (tests/scenarios/scenarios.mjs) in headless Chromium, twice: the built package's
// web entry as plain ES modules, and the same page bundled by webpack 5 (webpack.config.js). Pages are served
// by the real local backend, so the simulated wx.request reaches it over fetch, same origin. Needs the webpack
// bundle (npm test builds it first with scripts/webpack.mjs).
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { allScenarios as scenarios } from "../scenarios/all.mjs";
import { startBackend } from "../support/backend.mjs";
import { launchChromium } from "../support/chromium.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
let backend;
let browser;

before(async () => {
  assert.ok(existsSync(join(root, "dist", "webpack", "scenarios.js")), "run `node scripts/webpack.mjs` (npm test does) first");
  backend = await startBackend({ appId: "wxsimapp0000000001", staticRoot: root });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await backend?.stop();
});

test("chromium: the wasm failing to load rejects INVALID_CONFIG (wasmPath), then loads on retry", async () => {
  const tab = await browser.newPage();
  try {
    await tab.goto(`${backend.url}/tests/browser/scenarios.html`);
    await tab.waitForFunction(() => window.scenariosReady === true, null, { timeout: 15_000 });
    const outcome = await tab.evaluate(async () => {
      const config = { noLogin: true, appId: "wxsimapp0000000001", host: {} };
      const first = await window.installForTest({ ...config, wasmPath: "/nowhere/tmsdk.wasm" }).then(
        () => "resolved",
        (e) => `${e.name}/${e.code}/${e.field}`,
      );
      const retry = await window.installForTest(config).then((tm) => typeof tm.updateUserProfile, (e) => `rejected ${e.code}`);
      return { first, retry };
    });
    assert.deepEqual(outcome, { first: "TmSdkError/INVALID_CONFIG/wasmPath", retry: "function" });
  } finally {
    await tab.close();
  }
});

for (const [flavour, page] of [["esm", "scenarios.html"], ["webpack", "scenarios-webpack.html"]]) {
  describe(`chromium (${flavour})`, () => {
    let tab;
    const pageErrors = [];
    before(async () => {
      tab = await browser.newPage();
      tab.on("pageerror", (e) => pageErrors.push(String(e)));
      await tab.goto(`${backend.url}/tests/browser/${page}`);
      await tab.waitForFunction(() => window.scenariosReady === true, null, { timeout: 15_000 });
      assert.deepEqual(await tab.evaluate(() => window.scenarioNames), scenarios.map((s) => s.name));
    });
    after(() => tab?.close());
    for (const scenario of scenarios) {
      test(scenario.name, { timeout: 20_000 }, async () => {
        const result = await tab.evaluate((name) => window.runScenario(name), scenario.name);
        assert.ok(result.ok, result.error);
        assert.deepEqual(pageErrors, [], "no uncaught error in the page");
      });
    }
  });
}

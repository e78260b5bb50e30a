// Tests the packed tarball, not the source: `npm pack pkg/`, installed into the consumer projects of
// tests/packaging/ — Node ESM and CommonJS, a webpack 5 build run in headless Chromium, and tsc --noEmit
// against minigame-api-typings and miniprogram-api-typings.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import webpack from "webpack";

import { startBackend } from "../support/backend.mjs";
import { launchChromium } from "../support/chromium.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const consumers = join(repo, "tests", "packaging");
const packDir = join(repo, "target", "packaging");
let backend;

function sh(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

before(async () => {
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  const tarball = join(packDir, sh("npm", ["pack", join(repo, "pkg"), "--pack-destination", packDir, "--silent"], repo).trim());
  for (const project of ["node", "web", "ts"]) {
    const dir = join(consumers, project);
    rmSync(join(dir, "node_modules"), { recursive: true, force: true });
    sh("npm", ["install", "--no-save", "--no-package-lock", "--offline", "--no-audit", "--no-fund", tarball], dir);
  }
  backend = await startBackend({ appId: "wxsimapp0000000001", staticRoot: join(consumers, "web") });
});

after(() => backend?.stop());

test("the tarball holds the entries, types and the drop-in", () => {
  const listing = JSON.parse(sh("npm", ["pack", join(repo, "pkg"), "--dry-run", "--json"], repo))[0].files.map((f) => f.path);
  for (const file of ["package.json", "README.md", "index.d.ts", "index.d.cts", "shim/node.js", "shim/web.js", "cjs/node.cjs", "wechat/tmsdk-profile.js", "wechat/tmsdk-profile.wasm.br", "wechat/profile-form/index.js", "wechat/profile-form/index.wxml", "wechat/profile-form/index.json", "wechat/profile-form/index.wxss", "tmsdk_profile_bg.wasm"]) {
    assert.ok(listing.includes(file), `${file} in ${listing.join(", ")}`);
  }
  const manifest = JSON.parse(sh("node", ["-p", "JSON.stringify(require('./package.json'))"], join(consumers, "node", "node_modules", "tmsdk-profile")));
  for (const entry of [".", "./wechat", "./node", "./web", "./package.json"]) assert.ok(manifest.exports[entry], entry);
  const firstKey = (o) => Object.keys(o)[0];
  assert.equal(firstKey(manifest.exports["./wechat"]), "types");
  assert.equal(firstKey(manifest.exports["./web"]), "types");
  assert.equal(firstKey(manifest.exports["."].import), "types");
  assert.equal(firstKey(manifest.exports["."].require), "types");
});

for (const [flavour, file] of [["esm", "index.mjs"], ["cjs", "index.cjs"]]) {
  test(`Node ${flavour}: install + updateUserProfile against the local backend`, async () => {
    // Asynchronously: the backend runs in this process's event loop.
    const { stdout } = await promisify(execFile)("node", [file, backend.url], { cwd: join(consumers, "node") });
    const out = JSON.parse(stdout.trim().split("\n").pop());
    assert.deepEqual(out, { flavour, nick: "小明", fields: 28, code: "INVALID_OPTIONS", parsed: "oParsed" });
  });
}

test("webpack 5 bundle in headless Chromium: install + updateUserProfile against the local backend", async () => {
  const dir = join(consumers, "web");
  await new Promise((resolve, reject) =>
    webpack(
      { mode: "production", context: dir, entry: "./src/index.js", output: { path: join(dir, "dist"), publicPath: "/dist/", clean: true }, performance: { hints: false } },
      (err, stats) => (err || stats.hasErrors() ? reject(err || new Error(stats.toString("errors-only"))) : resolve()),
    ),
  );
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${backend.url}/index.html`);
    await page.waitForFunction(() => window.consumerReady === true, null, { timeout: 15_000 });
    const out = await page.evaluate(() => window.runFlow());
    assert.deepEqual(out, { nick: "小明", fields: 28, code: "INVALID_OPTIONS", early: "UNSUPPORTED", parsed: "oParsed" });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

for (const typings of ["minigame", "miniprogram"]) {
  test(`tsc --noEmit: a ${typings} consumer against ${typings}-api-typings`, () => {
    const tsc = join(repo, "node_modules", ".bin", "tsc");
    assert.doesNotThrow(
      () => sh(tsc, ["--noEmit", "-p", `tsconfig.${typings}.json`], join(consumers, "ts")),
      (e) => `${e.stdout}${e.stderr}`,
    );
  });
}

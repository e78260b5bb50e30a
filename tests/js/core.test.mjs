// Node tests of the core's rules through JS values, on the test build (target/pkg-test/, feature
// `test-exports`), errors seen the way game code sees them, docs/api.md's error table kept in step with the
// core's codes, and the shipped build (pkg/) exporting only the public API.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import * as core from "../../target/pkg-test/tmsdk_profile.js";
import { TmSdkError } from "../../target/pkg-test/shim/tmsdk-error.js";
import { EARLY_DEFAULTS } from "../../target/pkg-test/shim/install.js";

const pkgDir = new URL("../../target/pkg-test/", import.meta.url);
core.initSync({ module: readFileSync(new URL("tmsdk_profile_bg.wasm", pkgDir)) });
core.setErrorClass(TmSdkError);

const APP = "wxa73fd8e544880e89";
const seed = JSON.parse(readFileSync(fileURLToPath(new URL("../fixtures/seed-profile.json", import.meta.url)), "utf8"));

function rejectsWith(fn, code, field) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TmSdkError, "a TmSdkError instance");
    assert.ok(e instanceof Error, "a real Error");
    assert.equal(e.name, "TmSdkError");
    assert.equal(e.code, code);
    if (field !== undefined) assert.equal(e.field, field);
    assert.match(e.message, /\. .+/, "the message says what to do");
    assert.ok(typeof e.stack === "string");
    return e;
  }
  assert.fail(`expected ${code}`);
}

test("options: defaults, alias and typed errors naming the key", () => {
  assert.deepEqual(core.parseOptions(undefined), { refresh: false, desc: "更新用户信息", lang: undefined });
  assert.equal(core.parseOptions({ fresh: true }).refresh, true);
  assert.equal(core.parseOptions({ desc: "  用于排行榜 " }).desc, "用于排行榜");
  rejectsWith(() => core.parseOptions({ refresh: "true" }), "INVALID_OPTIONS", "refresh");
  rejectsWith(() => core.parseOptions({ refresh: true, fresh: false }), "INVALID_OPTIONS", "fresh");
  rejectsWith(() => core.parseOptions({ desc: "字".repeat(31) }), "INVALID_OPTIONS", "desc");
  rejectsWith(() => core.parseOptions({ desc: "" }), "INVALID_OPTIONS", "desc");
  rejectsWith(() => core.parseOptions({ lang: "zh-CN" }), "INVALID_OPTIONS", "lang");
  rejectsWith(() => core.parseOptions(42), "INVALID_OPTIONS", "options");
});

test("config: defaults, host appId and typed errors naming the key", () => {
  const c = core.parseConfig({ server: "http://127.0.0.1:9/" }, "wxhost");
  assert.deepEqual(c, {
    server: "http://127.0.0.1:9", appId: "wxhost", profileTtl: 604800, noLogin: false, autoLogin: true,
    lang: "zh_CN", timeout: 10000,
  });
  rejectsWith(() => core.parseConfig({ appId: "wx1" }), "INVALID_CONFIG", "server");
  rejectsWith(() => core.parseConfig({ server: "https://a", appId: "wx1", timeout: 0 }), "INVALID_CONFIG", "timeout");
  rejectsWith(() => core.parseConfig({ server: "https://a", appId: "wx1", userInfoButton: 3 }), "INVALID_CONFIG", "userInfoButton");
  assert.equal(core.parseConfig({ noLogin: true, appId: "wx1" }).server, undefined);
});

test("profile: the documented sample parses to the documented fields, types and order", () => {
  const p = core.parseProfile(JSON.stringify({ err: 0, msg: "请求成功", data: seed }), APP);
  assert.deepEqual(Object.keys(p), Object.keys(seed));
  assert.deepEqual(p, seed);
  assert.equal(Object.getPrototypeOf(p), Object.prototype);
});

test("profile: coercions, bounds and rejections", () => {
  const p = core.parseProfile(
    JSON.stringify({ open_id: "abc", gold: "12", from_scene: 1044, gender: "2", is_new: 1, last_login_time: 1551690740123 }),
    APP,
  );
  assert.equal(p.gold, 12);
  assert.equal(p.from_scene, "1044");
  assert.equal(p.gender, 2);
  assert.equal(p.is_new, true);
  assert.equal(p.last_login_time, 1551690740);
  rejectsWith(() => core.parseProfile(JSON.stringify({ open_id: "abc", avatar_url: "javascript:alert(1)" }), APP), "INVALID_PROFILE", "avatar_url");
  rejectsWith(() => core.parseProfile(JSON.stringify({ open_id: "" }), APP), "INVALID_PROFILE", "open_id");
  rejectsWith(() => core.parseProfile(JSON.stringify({ open_id: "a", app_id: "wxother" }), APP), "INVALID_PROFILE", "app_id");
  rejectsWith(() => core.parseProfile("x".repeat(65 * 1024), APP), "INVALID_PROFILE");
  const e = rejectsWith(() => core.parseProfile(JSON.stringify({ err: 401, msg: "jwt expired" }), APP), "SERVER");
  assert.equal(e.serverErr, 401);
  assert.equal(e.errMsg, "jwt expired");
});

test("profile: __proto__ in a body never pollutes or leaks", () => {
  const p = core.parseProfile('{"open_id":"abc","__proto__":{"polluted":true},"constructor":{"x":1}}', APP);
  assert.equal({}.polluted, undefined);
  assert.equal(Object.hasOwn(p, "__proto__"), false);
  assert.equal(p.constructor, Object);
});

test("cache record: written, read back, expiry and corrupt values", () => {
  const authorised = { ...seed, nick_name: "小明", avatar_url: "https://thirdwx.qlogo.cn/x/132" };
  const t0 = Date.UTC(2026, 10, 25);
  const text = core.encodeRecord(APP, t0, authorised);
  assert.deepEqual(JSON.parse(text), { v: 1, app_id: APP, cached_at: t0, profile: authorised });
  assert.deepEqual(core.readRecord(text, APP, 60), { profile: authorised, cachedAt: t0, expiresAt: t0 + 60_000 });
  assert.equal(core.readRecord("", APP, 60), null);
  assert.equal(core.readRecord(text, "wxother", 60).corrupt, true);
  assert.equal(core.readRecord({ v: 1 }, APP, 60).corrupt, true);
  assert.deepEqual(core.decideCache(text, APP, 60, t0 + 59_999, false), { reuse: true });
  assert.deepEqual(core.decideCache(text, APP, 60, t0 + 60_000, false), { reuse: false, reason: "Expired" });
  assert.deepEqual(core.decideCache(text, APP, 60, t0, true), { reuse: false, reason: "Refresh" });
  assert.equal(core.storageKey(APP), `tmsdk.profile.v1.${APP}`);
});

/** Letters of each script in a table cell, code spans left out. */
function scripts(cell) {
  const prose = cell.replace(/`[^`]*`/g, "");
  return { cjk: (prose.match(/[\u4e00-\u9fff]/g) || []).length, latin: (prose.match(/[A-Za-z]/g) || []).length };
}

for (const [file, chineseColumn] of [["docs/api.md", 2]]) {
  test(`${file} documents every error code in English and Chinese`, () => {
    const readme = readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), "utf8");
    const codes = core.errorCodes();
    assert.equal(codes.length, 18);
    for (const code of codes) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `${file} has a row for ${code}`);
      const cells = row.split("|").map((c) => c.trim()).filter(Boolean);
      assert.equal(cells.length, 3, `${code}: code, and an explanation in each language`);
      const chinese = scripts(cells[chineseColumn]);
      const english = scripts(cells[3 - chineseColumn]);
      assert.ok(chinese.cjk >= 4 && chinese.cjk * 3 > chinese.latin, `${code} has a Chinese explanation: ${cells[chineseColumn]}`);
      assert.ok(english.latin >= 8 && english.cjk * 4 < english.latin, `${code} has an English explanation: ${cells[3 - chineseColumn]}`);
    }
  });
}

test("the error table check tells the languages apart", () => {
  // Its own checks can fail: a Chinese cell in the English column is not an English explanation.
  const chineseCell = scripts("用户拒绝了授权弹窗，`errMsg` 保留微信原文。");
  assert.ok(!(chineseCell.latin >= 8 && chineseCell.cjk * 4 < chineseCell.latin));
  const englishCell = scripts("The user refused the popup; `errMsg` keeps WeChat's words.");
  assert.ok(!(englishCell.cjk >= 4 && englishCell.cjk * 3 > englishCell.latin));
});

test("the shipped glue exports only the public API", () => {
  const shipped = readFileSync(fileURLToPath(new URL("../../pkg/tmsdk_profile.js", import.meta.url)), "utf8");
  const exported = [...shipped.matchAll(/^export (?:class|function) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(exported, ["Sdk", "inRegion", "initWith", "isPlaceholderProfile", "parseProfile", "setErrorClass", "setPanicHandler", "start"]);
  // And the test build does have the test-only ones: the check above can fail.
  assert.equal(typeof core.debugPanic, "function");
});

test("the shipped wasm imports the glue's functions by short names, each one the glue provides", async () => {
  const bytes = readFileSync(fileURLToPath(new URL("../../pkg/tmsdk_profile_bg.wasm", import.meta.url)));
  const glue = await import("../../pkg/tmsdk_profile.js");
  let provided = null;
  await glue.initWith((imports) => {
    provided = imports["./tmsdk_profile_bg.js"];
    return WebAssembly.instantiate(bytes, imports);
  });
  const imported = WebAssembly.Module.imports(new WebAssembly.Module(bytes)).filter((i) => i.module === "./tmsdk_profile_bg.js");
  assert.ok(imported.length > 40, `the wasm imports the glue's functions (${imported.length})`);
  for (const { name } of imported) {
    assert.ok(name.length <= 3, `"${name}" is short (scripts/short-imports.mjs)`);
    assert.equal(typeof provided[name], "function", `the glue provides "${name}"`);
  }
  // wasm-bindgen's own names are long: without the build step the length check fails.
  const generated = readFileSync(fileURLToPath(new URL("../../target/pkg-test/tmsdk_profile.js", import.meta.url)), "utf8");
  assert.ok(!/__wbg_\w+_[0-9a-f]{16}\s*:/.test(generated), "the test build is renamed too");
});

test("the shim's defaults (js-shim/defaults.js, checked by a core test) are the core's", () => {
  assert.equal(EARLY_DEFAULTS.desc, core.parseOptions(undefined).desc);
  assert.equal(EARLY_DEFAULTS.lang, core.parseConfig({ noLogin: true, appId: "wx1" }).lang);
});

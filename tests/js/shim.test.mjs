// The shared install() of js-shim/install.js: nothing a caller passes makes it throw synchronously, the early
// popup guards every read, and panic bookkeeping neither grows without bound nor keeps dropped cores. Uses the
// Node entry of the built package, and createInstall with a fake glue where the wasm would hide the effect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import vm from "node:vm";

import { install, parseProfile, TmSdkError } from "../../pkg/shim/node.js";
import { createInstall } from "../../pkg/shim/install.js";

const APP = "wxsimapp0000000001";

async function rejection(promise) {
  return promise.then(
    () => assert.fail("should reject"),
    (e) => e,
  );
}

test("install({ host: 'wx' }) rejects INVALID_CONFIG naming host, and never throws", async () => {
  for (const host of ["wx", 42, true]) {
    let promise;
    assert.doesNotThrow(() => {
      promise = install({ server: "https://api.example.com", appId: APP, host });
    });
    const e = await rejection(promise);
    assert.ok(e instanceof TmSdkError, String(e));
    assert.equal(e.code, "INVALID_CONFIG");
    assert.equal(e.field, "host");
  }
});

test("a config whose getters throw rejects, never throws", async () => {
  const config = {
    get host() {
      throw new Error("host getter");
    },
    server: "https://api.example.com",
    appId: APP,
  };
  let promise;
  assert.doesNotThrow(() => {
    promise = install(config);
  });
  const e = await rejection(promise);
  assert.equal(e.code, "INVALID_CONFIG");
  assert.equal(e.field, "host");
});

test("a call made while loading with a throwing getter rejects INVALID_OPTIONS, opening no popup", async () => {
  let popups = 0;
  const wx = {
    getUserProfile: () => {
      popups += 1;
    },
  };
  const installed = install({ server: "https://api.example.com", appId: APP, host: wx, autoLogin: false });
  const options = {
    get desc() {
      throw new Error("desc getter");
    },
  };
  let promise;
  assert.doesNotThrow(() => {
    promise = wx.tmSDK.updateUserProfile(options);
  });
  const e = await rejection(promise);
  assert.equal(e.code, "INVALID_OPTIONS");
  assert.equal(e.field, "desc");
  assert.equal(popups, 0, "no early popup for options the core refuses");
  await installed;
  // A non-string desc while loading: no early popup either, and the core's error.
  const wx2 = { getUserProfile: () => (popups += 1) };
  install({ server: "https://api.example.com", appId: APP, host: wx2, autoLogin: false });
  const e2 = await rejection(wx2.tmSDK.updateUserProfile({ desc: 5 }));
  assert.equal(e2.field, "desc");
  assert.equal(popups, 0);
});

test("parseProfile: text or parsed, synchronous in Node, typed errors", () => {
  const body = { err: 0, msg: "ok", data: { open_id: "oA", app_id: APP, gender: "1" } };
  const fromText = parseProfile(JSON.stringify(body), APP);
  assert.equal(fromText.open_id, "oA");
  assert.equal(fromText.gender, 1);
  assert.deepEqual(parseProfile(body, APP), fromText);
  for (const [args, code, field] of [
    [[{ err: 0, data: { open_id: "" } }, APP], "INVALID_PROFILE", "open_id"],
    [[{ err: 1001, msg: "no" }, APP], "SERVER", undefined],
    [[42, APP], "INVALID_OPTIONS", "body"],
    [["{}", undefined], "INVALID_OPTIONS", "appId"],
  ]) {
    assert.throws(
      () => parseProfile(...args),
      (e) => e instanceof TmSdkError && e.code === code && e.field === field,
      JSON.stringify(args),
    );
  }
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => parseProfile(cyclic, APP), (e) => e instanceof TmSdkError && e.code === "INVALID_PROFILE");
});

test("the Node ES module entry reaches node:fs without importing it; before Node 20.16 parseProfile waits for install", () => {
  // An `import` of node:fs costs a cold start ~2 ms (its ES module facade loads Node's streams).
  const bundle = readFileSync(new URL("../../pkg/esm/node.mjs", import.meta.url), "utf8");
  assert.doesNotMatch(bundle, /from\s*["']node:fs/);
  // Node 20.0–20.15 have no process.getBuiltinModule: the same bundle, run without it.
  const script = `delete process.getBuiltinModule;
    const { install, parseProfile } = await import(${JSON.stringify(new URL("../../pkg/esm/node.mjs", import.meta.url).href)});
    const body = JSON.stringify({ open_id: "oA" });
    let before;
    try { parseProfile(body, "${APP}"); } catch (e) { before = e.code + ": " + e.message; }
    await install({ noLogin: true, appId: "${APP}", host: {} });
    console.log(JSON.stringify({ before, after: parseProfile(body, "${APP}").open_id }));`;
  const out = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 }));
  assert.match(out.before, /^UNSUPPORTED: parseProfile\(\) needs the wasm, which Node before 20\.16 loads asynchronously/);
  assert.equal(out.after, "oA");
});

/** A stand-in for the wasm glue: cores that count their frees, a panic handler the test can fire. */
function fakeGlue() {
  const glue = {
    built: 0,
    freed: 0,
    panic: null,
    setErrorClass() {},
    setPanicHandler(handler) {
      glue.panic = handler;
    },
    Sdk: class {
      constructor() {
        glue.built += 1;
        this.autoLogin = false;
      }
      free() {
        glue.freed += 1;
      }
      login() {
        return new Promise(() => {}); // in flight until a panic
      }
      updateUserProfile() {
        return Promise.resolve({ open_id: "o" });
      }
      getCachedProfile() {
        return null;
      }
      clearProfileCache() {}
    },
  };
  return glue;
}

test("after a panic the in-flight call rejects INTERNAL and the dropped core is freed", async () => {
  const glue = fakeGlue();
  const fakeInstall = createInstall(() => Promise.resolve(glue));
  const tm = await fakeInstall({ host: {} });
  const inFlight = tm.login();
  glue.panic("boom");
  const e = await rejection(inFlight);
  assert.equal(e.code, "INTERNAL");
  assert.match(e.message, /boom/);
  assert.equal(glue.freed, 0, "nothing freed until the next call");
  await tm.updateUserProfile();
  assert.equal(glue.built, 2, "a fresh core");
  assert.equal(glue.freed, 1, "the dropped core is freed");
});

test("an install whose calls have settled is not kept alive by the panic bookkeeping", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc");
  const glue = fakeGlue();
  const fakeInstall = createInstall(() => Promise.resolve(glue));
  async function settledInstall() {
    const host = {};
    const tm = await fakeInstall({ host });
    await tm.updateUserProfile(); // settles: the install is no longer busy
    return new WeakRef(host);
  }
  const refs = [];
  for (let i = 0; i < 20; i++) refs.push(await settledInstall());
  for (let i = 0; i < 10 && refs.some((r) => r.deref()); i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  assert.equal(refs.filter((r) => r.deref()).length, 0, "every settled install was collected");
});

/** A mini-game `wx` double: storage in a Map, share APIs and show/hide listeners recorded, no network. */
function figuresHost() {
  const storage = new Map();
  const calls = { shared: [], on: [], off: [], show: [], hide: [] };
  const wx = {
    getStorageSync: (k) => (storage.has(k) ? storage.get(k) : ""),
    setStorageSync: (k, v) => storage.set(k, v),
    removeStorageSync: (k) => storage.delete(k),
    shareAppMessage: (o) => calls.shared.push(o),
    onShareAppMessage: (f) => calls.on.push(f),
    offShareAppMessage: (f) => calls.off.push(f),
    onShow: (f) => calls.show.push(f),
    onHide: (f) => calls.hide.push(f),
  };
  const pending = () => (storage.get(`tmsdk.events.v1.${APP}`) || "").split("\n").slice(1).filter(Boolean);
  return { wx, storage, calls, pending };
}

test("the share hooks: set once per wx, every share counted once, offShareAppMessage finds the game's callback", async () => {
  const { wx, calls, pending } = figuresHost();
  const own = wx.shareAppMessage;
  const config = { server: "https://api.example.com", appId: APP, host: wx, autoLogin: false };
  await install(config);
  assert.notEqual(wx.shareAppMessage, own, "wrapped");
  wx.shareAppMessage({ query: "a=1" });
  assert.deepEqual(calls.shared, [{ query: "a=1" }], "no share code before a login: untagged");
  // A second install on the same wx: no second wrapping, so one share is one event.
  await install(config);
  wx.shareAppMessage();
  assert.deepEqual(calls.shared[1], {}, "a missing object is WeChat's default share");
  assert.equal(pending().length, 2, `one event per share: ${pending()}`);
  const game = () => ({ title: "菜单" });
  wx.onShareAppMessage(game);
  assert.equal(calls.on.length, 1);
  assert.notEqual(calls.on[0], game, "the host holds a wrapper");
  assert.deepEqual(calls.on[0](), { title: "菜单" }, "the menu's object goes through the core (a copy, untagged before a login)");
  wx.offShareAppMessage(game);
  assert.equal(calls.off[0], calls.on[0], "off removes the wrapper the host holds");
  assert.equal(pending().length, 3);
  const original = [1, 2];
  assert.equal(wx.tmSDK.share(original), original, "not a plain object: as it was");
  assert.equal(pending().length, 3, "and not counted");
});

test("trackShares / trackPlayTime false leave the host's functions and events alone", async () => {
  const { wx, calls } = figuresHost();
  const own = wx.shareAppMessage;
  await install({ server: "https://api.example.com", appId: APP, host: wx, autoLogin: false, trackShares: false, trackPlayTime: false });
  assert.equal(wx.shareAppMessage, own);
  assert.deepEqual([calls.show.length, calls.hide.length], [0, 0]);
});

test("play time: install starts a segment, a 60 s timer checkpoints it while in the foreground, a hide turns it into an event", async () => {
  const { wx, calls, storage, pending } = figuresHost();
  const real = { setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval, now: Date.now };
  const timers = new Map();
  let next = 0;
  let now = real.now();
  globalThis.setInterval = (f, ms) => {
    next += 1;
    timers.set(next, { f, ms });
    return next;
  };
  globalThis.clearInterval = (id) => timers.delete(id);
  Date.now = () => now;
  try {
    const started = now;
    await install({ server: "https://api.example.com", appId: APP, host: wx, autoLogin: false });
    assert.deepEqual([calls.show.length, calls.hide.length], [1, 1], "onShow and onHide listened to");
    assert.equal(timers.size, 1, "one timer while in the foreground");
    const [timer] = timers.values();
    assert.equal(timer.ms, 60_000, "the checkpoint's period");
    const head = () => storage.get(`tmsdk.events.v1.${APP}`).split("\n")[0];
    assert.equal(head(), `tmsdk-events/1 ${APP} 0 ${started},${started}`, "the segment stored at install");
    now += 61_000;
    timer.f();
    assert.equal(head(), `tmsdk-events/1 ${APP} 0 ${started},${now}`, "checkpointed");
    now += 4_000;
    calls.hide[0]();
    assert.deepEqual(pending(), [`p p${started} 65`], "65 s of play, pending");
    assert.equal(timers.size, 0, "no timer in the background");
    now += 600_000;
    calls.show[0]();
    assert.equal(head(), `tmsdk-events/1 ${APP} 0 ${now},${now}`, "the next segment starts at the show");
    assert.equal(timers.size, 1, "the timer again");
  } finally {
    globalThis.setInterval = real.setInterval;
    globalThis.clearInterval = real.clearInterval;
    Date.now = real.now;
  }
});

// The shared install() of js-shim/install.js: nothing a caller passes makes it throw synchronously, the early
// popup guards every read, and panic bookkeeping neither grows without bound nor keeps dropped cores. Uses the
// Node entry of the built package, and createInstall with a fake glue where the wasm would hide the effect.
import { test } from "node:test";
import assert from "node:assert/strict";
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

// The Node entry's wasm loader: a failed load is a TmSdkError naming wasmPath, and is not cached: the next
// install() loads again. Its own file, so no earlier test of this process has loaded the wasm already.
import { test } from "node:test";
import assert from "node:assert/strict";

import { install, TmSdkError } from "../../pkg/shim/node.js";

test("Node: a failed wasm load rejects INVALID_CONFIG (wasmPath), and a later install loads it", async () => {
  const config = { noLogin: true, appId: "wxsimapp0000000001", host: {} };
  const e = await install({ ...config, wasmPath: "/nonexistent/tmsdk.wasm" }).then(
    () => assert.fail("should reject"),
    (err) => err,
  );
  assert.ok(e instanceof TmSdkError, String(e));
  assert.equal(e.code, "INVALID_CONFIG");
  assert.equal(e.field, "wasmPath");
  assert.match(e.message, /nonexistent/);
  const tm = await install(config);
  assert.equal(typeof tm.updateUserProfile, "function");
});

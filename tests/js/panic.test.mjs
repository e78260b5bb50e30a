// docs/contract.md, "Errors": a Rust panic surfaces as INTERNAL, never as a dead module. `debugPanic` panics on purpose inside the
// same wasm instance the Node entry uses; the call in flight is rejected with INTERNAL and the SDK works on.
import { test, after } from "node:test";
import assert from "node:assert/strict";

import { install, TmSdkError } from "../../target/pkg-test/shim/node.js";
import * as glue from "../../target/pkg-test/tmsdk_profile.js";
import { startBackend } from "../support/backend.mjs";
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import { nodeTransport } from "../../dev/transport-node.mjs";

const backend = await startBackend({ appId: "wxsimapp0000000001" });
after(() => backend.stop());

test("a panic rejects the call in flight with INTERNAL, and the next call succeeds", async () => {
  const { wx, sim } = createSimWx({ transport: nodeTransport, wechat: backend.url, appId: "wxsimapp0000000001" });
  const tm = await install({ server: backend.url, host: wx });
  await tm.login();
  await fetch(`${backend.url}/__control/script`, { method: "POST", body: JSON.stringify({ path: "/v1/profile", steps: [{ delayMs: 1000 }] }) });
  const inFlight = sim.tap(() => tm.updateUserProfile());
  await new Promise((r) => setTimeout(r, 100));

  assert.throws(() => glue.debugPanic("on purpose"), (e) => e instanceof WebAssembly.RuntimeError);

  const e = await inFlight.then(() => assert.fail("should reject"), (err) => err);
  assert.ok(e instanceof TmSdkError);
  assert.equal(e.code, "INTERNAL");
  assert.match(e.message, /debugPanic: on purpose/);

  const profile = await sim.tap(() => tm.updateUserProfile({ refresh: true }));
  assert.equal(profile.nick_name, "小明");
  assert.equal(tm.getCachedProfile().profile.open_id, profile.open_id);
});

// The end-to-end scenarios (tests/scenarios/scenarios.mjs) in Node: the built package's Node entry, the
// simulated wx, and a real backend on 127.0.0.1 reached over node:http.
import { test, after } from "node:test";
import assert from "node:assert/strict";

import { install, TmSdkError } from "../../pkg/shim/node.js";
import { allScenarios as scenarios } from "../scenarios/all.mjs";
import { startBackend } from "../support/backend.mjs";
import { nodeTransport } from "../../dev/transport-node.mjs";

const backend = await startBackend({ appId: "wxsimapp0000000001" });
after(() => backend.stop());

const env = { install, TmSdkError, transport: nodeTransport, backendUrl: backend.url };
for (const scenario of scenarios) {
  test(`node: ${scenario.name}`, { timeout: 20_000 }, () => scenario.run(env));
}

test("the security checks can fail: a logged token, a logged profile, a polluted prototype", async () => {
  const { checked } = await import("../scenarios/all.mjs");
  const { setup, authorise } = await import("../scenarios/helpers.mjs");
  // Silence the console under the checks' capture, so the deliberate leaks are not printed.
  const saved = { log: console.log, warn: console.warn };
  console.log = console.warn = () => {};
  const bad = [
    async (e) => {
      const { sim, tm } = await setup(e);
      const p = await authorise(tm, sim);
      console.log("session", p.jwt);
    },
    async (e) => {
      const { sim, tm } = await setup(e);
      const p = await authorise(tm, sim);
      console.warn(`hello ${p.nick_name}`);
    },
    async () => {
      Object.prototype.polluted = true; // eslint-disable-line no-extend-native
    },
  ];
  try {
    for (const [i, run] of bad.entries()) {
      await assert.rejects(checked({ name: `bad ${i}`, run }, env), /security:/, `bad ${i}`);
      delete Object.prototype.polluted;
    }
  } finally {
    Object.assign(console, saved);
  }
});

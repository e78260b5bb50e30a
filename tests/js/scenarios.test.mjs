// The end-to-end scenarios (tests/scenarios/scenarios.mjs) in Node: the built package's Node entry, the
// simulated wx, and a real backend on 127.0.0.1 reached over node:http.
import { test, after } from "node:test";

import { install, TmSdkError } from "../../pkg/shim/node.js";
import { scenarios } from "../scenarios/scenarios.mjs";
import { startBackend } from "../support/backend.mjs";
import { nodeTransport } from "../../dev/transport-node.mjs";

const backend = await startBackend({ appId: "wxsimapp0000000001" });
after(() => backend.stop());

const env = { install, TmSdkError, transport: nodeTransport, backendUrl: backend.url };
for (const scenario of scenarios) {
  test(`node: ${scenario.name}`, { timeout: 20_000 }, () => scenario.run(env));
}

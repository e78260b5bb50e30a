// tmsdk-server's refusals as real clients meet them: an avatar upload refused before its body is read (401 no
// session, 413 over 2 MiB, 400 not multipart, 429 over the per-address limit) while the client is still sending
// 3 MB, then the client's next request — on the same client, so a client that pools connections would put it
// on the connection the refusal closed. The server says `Connection: close` in every such answer; without it,
// Node's keep-alive agent, having sent the whole body before the refusal came, pools the closing connection and
// its next request gets ECONNRESET (these tests fail so on a tmsdk-server that does not say close).
// Node's `http` with and without keep-alive and fetch (undici) are the clients; docs/server.md has the figures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { startDevServer } from "../../dev/server.mjs";

const APP = "wxconnectionstest01";
/** The upload a phone would still be sending when the refusal comes. */
const BODY_BYTES = 3_000_000;
const CHUNK = 64 * 1024;

let dir;
let dev; // tmsdk-server with the per-address limit lifted, and the simulated WeChat its logins ask
let limitedDev; // one request a minute per address
let server; // tmsdk-server itself: { url }
let limited;
let jwt;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "tmsdk-connections-"));
  const lifted = { TMSDK_RATE_LIMIT_IP: "1000000", TMSDK_RATE_LIMIT_OPENID: "1000000" };
  [dev, limitedDev] = await Promise.all([
    startDevServer({ dataDir: join(dir, "open"), appId: APP, serverEnv: lifted }),
    startDevServer({ dataDir: join(dir, "limited"), appId: APP, serverEnv: { TMSDK_RATE_LIMIT_IP: "1" } }),
  ]);
  server = { url: dev.dev.backendUrl() };
  limited = { url: limitedDev.dev.backendUrl() };
  // A player's session, for the uploads that pass the session check.
  const post = (path, body) => fetch(`${dev.url.replace(/\/$/, "")}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());
  const { code } = await post("/sim/wx/login", { openId: "oConnections" });
  const login = await post("/v1/login", { app_id: APP, code, scene: 1001, channel: "" });
  assert.equal(login.err, 0, `a login: ${JSON.stringify(login)}`);
  jwt = login.data.jwt;
  // The limited server's one request of the minute: the refusals that follow are all 429.
  const first = await viaNode(new Agent({ keepAlive: false }), limited.url, "/v1/avatar", { method: "POST", headers: {} });
  assert.equal(first.status, 401, "the first request is within the limit");
});
after(async () => {
  await Promise.all([dev?.stop(), limitedDev?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bearer = () => `Bearer ${jwt}`;

const multipart = { "content-type": "multipart/form-data; boundary=----tmsdk" };
const CASES = [
  { name: "no session", status: 401, err: 401, target: () => server, headers: () => multipart },
  { name: "over 2 MiB", status: 413, err: 41011, target: () => server, headers: () => ({ ...multipart, authorization: bearer() }) },
  { name: "not multipart", status: 400, err: 400, target: () => server, headers: () => ({ "content-type": "text/plain", authorization: bearer() }) },
  { name: "over the rate limit", status: 429, err: 429, target: () => limited, headers: () => multipart },
];

/**
 * One request through node:http on `agent`. `body`: none; "at once", 3 MB handed to Node in one write (Node
 * has sent it all, as far as it knows, when the refusal arrives: the case where a pooled connection is reused);
 * "slowly", 3 MB in 64 KiB chunks, each after the last drained and a pause (the refusal arrives mid-body).
 * @returns {Promise<{ status: number, headers: object, text: string, socket: object }>}
 */
function viaNode(agent, base, path, { method, headers, body }) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: body ? { ...headers, "content-length": BODY_BYTES } : headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8"), socket: req.socket }));
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    if (!body) return req.end();
    if (body === "at once") return req.end(Buffer.alloc(BODY_BYTES, 0x78));
    const chunk = Buffer.alloc(CHUNK, 0x78);
    let sent = 0;
    const more = () => {
      while (sent < BODY_BYTES && !req.destroyed) {
        const n = Math.min(CHUNK, BODY_BYTES - sent);
        sent += n;
        const flushed = req.write(n === CHUNK ? chunk : chunk.subarray(0, n));
        if (sent >= BODY_BYTES) return req.end();
        if (!flushed) return req.once("drain", () => setTimeout(more, 1));
      }
    };
    more();
  });
}

/** One request through fetch (undici, its own connection pool); a body goes out as fast as the socket takes it. */
async function viaFetch(base, path, { method, headers, body }) {
  const res = await fetch(`${base}${path}`, { method, headers, body: body ? Buffer.alloc(BODY_BYTES, 0x78) : undefined, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
}

const nodeClient = (keepAlive) => () => {
  const agent = new Agent({ keepAlive, maxSockets: 1 });
  return { send: (base, path, options) => viaNode(agent, base, path, options), close: () => agent.destroy() };
};
const CLIENTS = [
  { name: "node:http, keep-alive agent (one socket), the body at once", rounds: 20, body: "at once", make: nodeClient(true) },
  { name: "node:http, keep-alive agent (one socket), the body slowly", rounds: 20, body: "slowly", make: nodeClient(true) },
  { name: "node:http, no keep-alive", rounds: 5, body: "at once", make: nodeClient(false) },
  { name: "fetch (undici)", rounds: 5, body: "at once", make: () => ({ send: viaFetch, close() {} }) },
];

for (const client of CLIENTS) {
  for (const refusal of CASES) {
    test(`${client.name}: ${refusal.status} (${refusal.name}) during a 3 MB upload arrives, says Connection: close, and the next request on the same client succeeds, ${client.rounds} rounds`, { timeout: 120_000 }, async () => {
      const { send, close } = client.make();
      try {
        for (let round = 0; round < client.rounds; round++) {
          const base = refusal.target().url;
          const refused = await send(base, "/v1/avatar", { method: "POST", headers: refusal.headers(), body: client.body });
          assert.equal(refused.status, refusal.status, `round ${round}: the refusal arrives`);
          assert.equal(JSON.parse(refused.text).err, refusal.err, `round ${round}: in the envelope`);
          const next = await send(base, "/healthz", { method: "GET", headers: {} });
          assert.equal(next.status, 200, `round ${round}: the request after the refusal`);
          if (refused.socket) assert.notEqual(next.socket, refused.socket, `round ${round}: not on the closed connection`);
          assert.equal(refused.headers.connection, "close", `round ${round}: the connection's last answer says so`);
        }
      } finally {
        close();
      }
    });
  }
}

test("the check can fail: a keep-alive agent does reuse a connection whose answer does not say close", async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await viaNode(agent, server.url, "/healthz", { method: "GET", headers: {} });
    const second = await viaNode(agent, server.url, "/healthz", { method: "GET", headers: {} });
    assert.notEqual(first.headers.connection, "close", "an answer that keeps the connection");
    assert.equal(second.socket, first.socket, "the agent reused the socket: a closing one would have reset");
  } finally {
    agent.destroy();
  }
});

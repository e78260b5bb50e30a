// `npm run bench:server`: login + profile under concurrent load, in one run, against tmsdk-server on SQLite,
// tmsdk-server on PostgreSQL (when one answers at TMSDK_TEST_POSTGRES, default
// postgres://postgres@127.0.0.1:5432/test) and the Node backend the project ran before (bench/peer/node-backend.mjs)
// as the baseline.
// Each virtual user logs in, then posts its signed and encrypted user info, like the SDK does. This script plays
// WeChat for tmsdk-server (a local jscode2session that knows every session key); the Node baseline brings its
// own simulated WeChat. Prints requests/s and p50/p99 per backend; writes target/bench-server.json.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { buildTmsdkServer, startTmsdkServer } from "../dev/tmsdk-server.mjs";
import { createNodeBackend } from "../bench/peer/node-backend.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const APP = "wxbenchapp00000001";
const USERS = Number(process.env.BENCH_USERS || 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 32);
const agent = new (await import("node:http")).Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function http(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, { method, agent, headers: { "content-type": "application/json", ...headers } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode, body: text });
        }
      });
    });
    req.on("error", reject);
    req.end(data);
  });
}

const sha1 = (text) => createHash("sha1").update(text, "utf8").digest("hex");

/** What WeChat gives getUserProfile for `openId`, signed and encrypted with `sessionKey` (base64). */
function userInfo(openId, sessionKey, appId) {
  const info = { nickName: `玩家${openId.slice(-4)}`, gender: 0, language: "zh_CN", city: "", province: "", country: "", avatarUrl: "https://thirdwx.qlogo.cn/mmopen/bench/132" };
  const rawData = JSON.stringify(info);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-128-cbc", Buffer.from(sessionKey, "base64"), iv);
  const plain = JSON.stringify({ ...info, watermark: { appid: appId, timestamp: 1700000000 } });
  return {
    raw_data: rawData,
    signature: sha1(rawData + sessionKey),
    encrypted_data: Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]).toString("base64"),
    iv: iv.toString("base64"),
    user_info: info,
  };
}

/** Runs `USERS` virtual users, `CONCURRENCY` at a time; each does `flow(i)` → [login ms, profile ms]. */
async function load(name, flow) {
  const latencies = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < USERS) {
        const i = next++;
        try {
          latencies.push(...(await flow(i)));
        } catch (e) {
          failures += 1;
          if (failures === 1) console.error(`${name}: ${e.message}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
  return { backend: name, requests: latencies.length, failures, rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

async function timed(call) {
  const t = performance.now();
  const result = await call();
  return [result, performance.now() - t];
}

// ---- tmsdk-server, with this script as WeChat ----
const keys = new Map(); // openId → session key
const codes = new Map(); // code → openId
const wechat = createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  const openId = codes.get(url.searchParams.get("js_code"));
  codes.delete(url.searchParams.get("js_code"));
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(openId ? { openid: openId, session_key: keys.get(openId) } : { errcode: 40029, errmsg: "invalid code" }));
});
await new Promise((r) => wechat.listen(0, "127.0.0.1", r));
const wechatUrl = `http://127.0.0.1:${wechat.address().port}`;

console.log("building tmsdk-server (release)…");
buildTmsdkServer("release");

function rustServer(db) {
  return startTmsdkServer({
    profile: "release",
    env: {
      TMSDK_DB: db,
      TMSDK_APPS: `${APP}=bench-secret`,
      TMSDK_WECHAT_API: wechatUrl,
      TMSDK_TOKEN_SECRET: "bench-token-secret-0123456789",
      TMSDK_RATE_LIMIT_IP: "100000000",
      TMSDK_RATE_LIMIT_OPENID: "100000000",
    },
  });
}

/** The Node baseline on a free port. */
async function nodeServer(dataDir) {
  const backend = createNodeBackend({ appId: APP, dataDir });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const answer = backend.handle(req.method, new URL(req.url, "http://127.0.0.1").pathname, JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"), req.headers);
      res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/`, stop: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) };
}

function rustFlow(url, tag) {
  return async (i) => {
    const openId = `o${tag}${String(i).padStart(8, "0")}`;
    if (!keys.has(openId)) keys.set(openId, randomBytes(16).toString("base64"));
    const code = `c-${openId}-${randomBytes(4).toString("hex")}`;
    codes.set(code, openId);
    const [login, loginMs] = await timed(() => http("POST", `${url}/v1/login`, { app_id: APP, code, scene: 1001, channel: "bench" }));
    if (login.body.err !== 0) throw new Error(`login: ${JSON.stringify(login.body)}`);
    const body = { app_id: APP, ...userInfo(openId, keys.get(openId), APP) };
    const [profile, profileMs] = await timed(() => http("POST", `${url}/v1/profile`, body, { authorization: `Bearer ${login.body.data.jwt}` }));
    if (profile.body.err !== 0) throw new Error(`profile: ${JSON.stringify(profile.body)}`);
    return [loginMs, profileMs];
  };
}

const results = [];
const work = mkdtempSync(join(tmpdir(), "tmsdk-bench-server-"));
try {
  {
    const server = await rustServer(`sqlite://${join(work, "bench.db")}`);
    results.push(await load("tmsdk-server, SQLite", rustFlow(server.url, "S")));
    await server.stop();
  }
  const postgres = process.env.TMSDK_TEST_POSTGRES || "postgres://postgres@127.0.0.1:5432/test";
  try {
    const server = await rustServer(postgres);
    results.push(await load("tmsdk-server, PostgreSQL", rustFlow(server.url, "P")));
    await server.stop();
  } catch (e) {
    console.log(`postgres: not reachable at ${postgres} (${e.message}); skipped`);
  }
  {
    const dev = await nodeServer(join(work, "node"));
    const base = dev.url.replace(/\/$/, "");
    results.push(
      await load("Node backend (baseline)", async (i) => {
        const openId = `oN${String(i).padStart(8, "0")}`;
        const { body: wx } = await http("POST", `${base}/sim/wx/login`, { openId });
        const [login, loginMs] = await timed(() => http("POST", `${base}/v1/login`, { app_id: APP, code: wx.code, scene: 1001, channel: "bench" }));
        if (login.body.err !== 0) throw new Error(`login: ${JSON.stringify(login.body)}`);
        const { body: info } = await http("POST", `${base}/sim/wx/userinfo`, { openId, nickName: "玩家", avatarUrl: "https://thirdwx.qlogo.cn/mmopen/bench/132" });
        const body = { app_id: APP, raw_data: info.rawData, signature: info.signature, encrypted_data: info.encryptedData, iv: info.iv, user_info: info.userInfo };
        const [profile, profileMs] = await timed(() => http("POST", `${base}/v1/profile`, body, { authorization: `Bearer ${login.body.data.jwt}` }));
        if (profile.body.err !== 0) throw new Error(`profile: ${JSON.stringify(profile.body)}`);
        return [loginMs, profileMs];
      }),
    );
    await dev.stop();
  }
} finally {
  wechat.close();
  agent.destroy();
  rmSync(work, { recursive: true, force: true });
}

console.log(`\n${USERS} users, ${CONCURRENCY} at a time, each: login + profile`);
console.log(`${"backend".padEnd(30)} ${"requests".padStart(9)} ${"failures".padStart(9)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}`);
for (const r of results) {
  console.log(`${r.backend.padEnd(30)} ${String(r.requests).padStart(9)} ${String(r.failures).padStart(9)} ${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`);
}
mkdirSync(join(root, "target"), { recursive: true });
writeFileSync(join(root, "target", "bench-server.json"), JSON.stringify({ users: USERS, concurrency: CONCURRENCY, results }, null, 2) + "\n");
process.exit(results.some((r) => r.failures > 0) ? 1 : 0);

// `npm run bench:server`: login + profile under concurrent load, in one run, against tmsdk-server on SQLite,
// tmsdk-server on PostgreSQL (when one answers at TMSDK_TEST_POSTGRES, default
// postgres://postgres@127.0.0.1:5432/test) and the Node backend the project ran before (bench/peer/node-backend.mjs)
// as the baseline.
// Each virtual user logs in, then posts its signed and encrypted user info, like the SDK does. This script plays
// WeChat for tmsdk-server (a local jscode2session that knows every session key); the Node baseline brings its
// own simulated WeChat. Prints requests/s and p50/p99 per backend; writes target/bench-server.json.
// Then the many-clients row: tmsdk-server for BENCH_MANY_SECONDS (default 70) with a fresh client address on
// every request (X-Forwarded-For through a trusted 127.0.0.1, one request a minute per address), so its per-IP
// rate limiter meets a new key each time, as on a launch day or under an attack from many addresses: the
// requests/s of the last 10 s against the first 10 s (target ≥ 0.8×) and the server's memory growth (target
// < 256 MiB); the script exits 1 when a target is missed.
// BENCH_ROWS picks rows (sqlite,postgres,node,many; default all); BENCH_SERVER_BINARY runs another build of
// tmsdk-server (to compare builds side by side).
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
const MANY_SECONDS = Math.max(20, Number(process.env.BENCH_MANY_SECONDS || 70));
const ROWS = new Set((process.env.BENCH_ROWS || "sqlite,postgres,node,many").split(","));
const BINARY = process.env.BENCH_SERVER_BINARY || undefined;
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

if (!BINARY) {
  console.log("building tmsdk-server (release)…");
  buildTmsdkServer("release");
}

function rustServer(db, env = {}) {
  return startTmsdkServer({
    profile: "release",
    binary: BINARY,
    env: {
      TMSDK_DB: db,
      TMSDK_APPS: `${APP}=bench-secret`,
      TMSDK_WECHAT_API: wechatUrl,
      TMSDK_TOKEN_SECRET: "bench-token-secret-0123456789",
      TMSDK_RATE_LIMIT_IP: "100000000",
      TMSDK_RATE_LIMIT_OPENID: "100000000",
      ...env,
    },
  });
}

/** The resident memory of process `pid`, in bytes (Linux). */
function residentBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : NaN;
}

/**
 * The many-clients row: `POST /v1/login` for an app the server does not serve (answered `err` 40013 after the
 * per-IP limit, with neither WeChat nor the database), each from a new client address, for `seconds`.
 */
async function manyClients(server, seconds) {
  const perSecond = new Array(seconds).fill(0);
  let sent = 0;
  let failures = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  const memoryAtStart = residentBytes(server.pid);
  let memoryPeak = memoryAtStart;
  const sampler = setInterval(() => (memoryPeak = Math.max(memoryPeak, residentBytes(server.pid))), 1000);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const i = sent++;
        const address = `${1 + ((i >>> 24) % 200)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
        const answer = await http("POST", `${server.url}/v1/login`, { app_id: "wxnotservedapp0001", code: "c" }, { "x-forwarded-for": address });
        const second = Math.floor((performance.now() - started) / 1000);
        if (answer.body?.err !== 40013) {
          failures += 1;
          if (failures === 1) console.error(`many clients: ${answer.status} ${JSON.stringify(answer.body)}`);
        } else if (second < seconds) {
          perSecond[second] += 1;
        }
      }
    }),
  );
  clearInterval(sampler);
  memoryPeak = Math.max(memoryPeak, residentBytes(server.pid));
  const rate = (from, to) => perSecond.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);
  const first = rate(0, 10);
  const last = rate(seconds - 10, seconds);
  return {
    seconds,
    requests: perSecond.reduce((a, b) => a + b, 0),
    failures,
    first10sRps: first,
    last10sRps: last,
    ratio: last / first,
    memoryGrowthMiB: (memoryPeak - memoryAtStart) / 2 ** 20,
  };
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
let many = null;
const work = mkdtempSync(join(tmpdir(), "tmsdk-bench-server-"));
try {
  if (ROWS.has("sqlite")) {
    const server = await rustServer(`sqlite://${join(work, "bench.db")}`);
    results.push(await load("tmsdk-server, SQLite", rustFlow(server.url, "S")));
    await server.stop();
  }
  const postgres = process.env.TMSDK_TEST_POSTGRES || "postgres://postgres@127.0.0.1:5432/test";
  if (ROWS.has("postgres")) {
    try {
      const server = await rustServer(postgres);
      results.push(await load("tmsdk-server, PostgreSQL", rustFlow(server.url, "P")));
      await server.stop();
    } catch (e) {
      console.log(`postgres: not reachable at ${postgres} (${e.message}); skipped`);
    }
  }
  if (ROWS.has("many")) {
    console.log(`many clients: ${MANY_SECONDS} s, a new client address per request…`);
    const server = await rustServer(`sqlite://${join(work, "many.db")}`, {
      TMSDK_TRUSTED_PROXIES: "127.0.0.1",
      TMSDK_RATE_LIMIT_IP: "1",
    });
    many = await manyClients(server, MANY_SECONDS);
    await server.stop();
  }
  if (ROWS.has("node")) {
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

if (results.length > 0) {
  console.log(`\n${USERS} users, ${CONCURRENCY} at a time, each: login + profile`);
  console.log(`${"backend".padEnd(30)} ${"requests".padStart(9)} ${"failures".padStart(9)} ${"req/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}`);
  for (const r of results) {
    console.log(`${r.backend.padEnd(30)} ${String(r.requests).padStart(9)} ${String(r.failures).padStart(9)} ${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`);
  }
}
const missed = [];
if (many) {
  const { first10sRps, last10sRps, ratio, memoryGrowthMiB, requests, failures } = many;
  console.log(`\nmany clients (${MANY_SECONDS} s, ${CONCURRENCY} at a time, a new client address per request): ${requests} requests, ${failures} failures`);
  console.log(`  first 10 s ${first10sRps.toFixed(0)} req/s, last 10 s ${last10sRps.toFixed(0)} req/s: ${ratio.toFixed(2)}× (target ≥ 0.80×)`);
  console.log(`  server memory growth ${memoryGrowthMiB.toFixed(1)} MiB (target < 256 MiB)`);
  if (!(ratio >= 0.8)) missed.push(`many clients: last 10 s at ${ratio.toFixed(2)}× the first`);
  if (!(memoryGrowthMiB < 256)) missed.push(`many clients: memory grew ${memoryGrowthMiB.toFixed(0)} MiB`);
  if (failures > 0) missed.push(`many clients: ${failures} failures`);
}
for (const m of missed) console.error(`MISSED: ${m}`);
mkdirSync(join(root, "target"), { recursive: true });
writeFileSync(join(root, "target", "bench-server.json"), JSON.stringify({ users: USERS, concurrency: CONCURRENCY, results, manyClients: many }, null, 2) + "\n");
process.exit(results.some((r) => r.failures > 0) || missed.length > 0 ? 1 : 0);

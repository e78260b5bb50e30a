// The HTTP server behind `npm start`, on 127.0.0.1: the simulator page and its assets, the simulated WeChat
// (dev/wechat-sim.mjs: /sim/wx/* for the simulated wx, /sns/jscode2session for the backend), and the game's
// backend — tmsdk-server (server/), run as a child process behind this server's /v1/*, /healthz and /metrics, so the page
// talks to one origin. The tests run the same server with a fault layer in front (`before`, see
// tests/support/backend.mjs).
//
// Kept in `dataDir`: tmsdk-server's SQLite database, its token secret (so sessions outlive a restart, as on a
// deployed server), WeChat's session keys, and the dev region file (loopback → 广东省 广州市).
import { randomBytes } from "node:crypto";
import { Agent, createServer, request } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

import { writeDevRegions } from "./region-xdb.mjs";
import { startTmsdkServer } from "./tmsdk-server.mjs";
import { createWechatSim } from "./wechat-sim.mjs";

export const SIMULATOR_APP_ID = "wxdevsimulator0001";
/** The simulator's QQ game (the page's platform switch): a `qq:` app of tmsdk-server beside the WeChat one. */
export const QQ_SIMULATOR_APP_ID = "1109000001";
/** The simulator's Douyin game: a `tt:` app of tmsdk-server beside the others. */
export const DOUYIN_SIMULATOR_APP_ID = "ttdevsimulator0001";
const root = fileURLToPath(new URL("../", import.meta.url));
const MIME = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml", ".png": "image/png" };
const AVATAR_COLOURS = ["#07c160", "#fa5151", "#10aeff", "#ffc300", "#6467f0"];
const BACKEND_ROUTES = new Set(["/v1/login", "/v1/profile", "/v1/profile/fill", "/v1/events", "/healthz", "/metrics"]);
/** Routes forwarded as they are, bytes and headers: the avatar upload and images, WeChat's message push. */
const RAW_ROUTE = /^\/v1\/(avatar(\/[^/]+)?|wechat\/push)$/;
/** The Token of WeChat's message push between the simulated WeChat and tmsdk-server. */
const PUSH_TOKEN = "devPushToken";

/**
 * @param {{ port?: number, dataDir: string, appId?: string, platform?: "wechat" | "qq" | "douyin", serverEnv?: Record<string, string>,
 *   log?: (line: string) => void,
 *   before?: (req: any, res: any, raw: string, pathname: string, dev: DevControls) => boolean | Promise<boolean> }} options
 *   `platform`: whose game `appId` is for tmsdk-server (`qq`: its logins and checks go to the simulated QQ API
 *   under /qq; `douyin`: its logins to the simulated Douyin API under /tt); `serverEnv`: extra TMSDK_* settings for tmsdk-server; `log` sees its output lines; `before` sees every
 *   request first and returns true when it answered it.
 * @returns {Promise<{ url: string, dev: DevControls, stop(): Promise<void> }>}
 *
 * @typedef {object} DevControls
 * @property {(pathname: string, raw: string, headers: object, method?: string) => Promise<{ status: number, type: string, text: string }>} forward
 *   sends a request on to tmsdk-server (a POST, or the erasure's DELETE) and returns its answer.
 * @property {() => string} backendUrl where tmsdk-server itself listens (it changes when it restarts), for
 *   tests that must reach it without this server in between.
 * @property {() => Promise<void>} rotateTokenSecret restarts tmsdk-server with a new TMSDK_TOKEN_SECRET: every
 *   session token issued so far is refused (401), as after rotating the secret of a deployed server.
 * @property {() => Promise<void>} reset forgets every user, session and WeChat session key (a new database).
 */
export async function startDevServer({ port = 0, dataDir, appId = SIMULATOR_APP_ID, platform = "wechat", serverEnv = {}, log = () => {}, before }) {
  mkdirSync(dataDir, { recursive: true });
  const appSecret = "dev-simulator-app-secret";
  const qqSecret = "dev-simulator-qq-secret";
  const douyinSecret = "dev-simulator-douyin-secret";
  const apps = { [appId]: appSecret, [QQ_SIMULATOR_APP_ID]: qqSecret, [DOUYIN_SIMULATOR_APP_ID]: douyinSecret };
  const wechat = createWechatSim({ apps, defaultApp: appId, dataDir, pushToken: PUSH_TOKEN });
  const regions = join(dataDir, "dev-regions.xdb");
  writeDevRegions(regions);
  const secretFile = join(dataDir, "token-secret");
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(24).toString("base64url"));
  let database = 0;
  const sockets = new Set();
  const keptAlive = new Agent({ keepAlive: true, maxSockets: 4 });
  let backend = null;

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const bytes = Buffer.concat(chunks);
      route(req, res, bytes.toString("utf8"), bytes).catch((e) => send(res, 500, "application/json", JSON.stringify({ err: 500, msg: String(e) })));
    });
  });

  async function forward(pathname, raw, headers, method = "POST") {
    const forwarded = { "content-type": headers["content-type"] || "application/json" };
    if (headers.authorization) forwarded.authorization = headers.authorization;
    const read = pathname === "/healthz" || pathname === "/metrics";
    const erase = method === "DELETE";
    const res = await fetch(`${backend.url}${pathname}`, { method: read ? "GET" : erase ? "DELETE" : "POST", headers: forwarded, body: read || erase ? undefined : raw });
    return { status: res.status, type: res.headers.get("content-type") || "text/plain", text: await res.text() };
  }

  /**
   * Sends a request on to tmsdk-server as it came (method, query, bytes) and answers with its status, headers
   * and bytes. Through node:http with a keep-alive agent, as a phone's HTTP stack pools connections: an upload
   * tmsdk-server refuses before reading its body closes that connection, and the scenarios prove the next
   * upload (the retry after a 401) does not land on it.
   */
  async function forwardRaw(req, res, bytes) {
    const headers = {};
    for (const name of ["content-type", "authorization", "if-none-match"]) if (req.headers[name]) headers[name] = req.headers[name];
    const withBody = req.method !== "GET" && req.method !== "HEAD";
    const answer = await new Promise((resolve, reject) => {
      const out = request(`${backend.url}${req.url}`, { method: req.method, headers, agent: keptAlive }, (back) => {
        const chunks = [];
        back.on("data", (c) => chunks.push(c));
        back.on("end", () => resolve({ status: back.statusCode, headers: back.headers, bytes: Buffer.concat(chunks) }));
        back.on("error", reject);
      });
      out.on("error", reject);
      out.end(withBody ? bytes : undefined);
    });
    const passed = { connection: "close" };
    for (const name of ["content-type", "cache-control", "etag"]) if (answer.headers[name]) passed[name] = answer.headers[name];
    res.writeHead(answer.status, passed);
    res.end(answer.bytes);
  }

  const dev = {
    forward,
    backendUrl: () => backend.url,
    /** What the simulated WeChat's image check says of the next avatars: "pass", "review" or "risky". */
    setImageVerdict: (suggest) => wechat.setImageVerdict(suggest),
    async rotateTokenSecret() {
      writeFileSync(secretFile, randomBytes(24).toString("base64url"));
      await restart();
    },
    async reset() {
      wechat.reset();
      database += 1;
      await restart();
    },
  };

  async function route(req, res, raw, bytes) {
    const url = new URL(req.url, "http://127.0.0.1");
    const { pathname } = url;
    // WeChat's servers first: they are another host in reality, so the fault layer never stands before them.
    let body = {};
    if (req.method === "POST" && /^\/(sim\/wx|sim\/tt|cgi-bin|wxa|qq\/api\/json\/security\/MsgSecCheck)\b/.test(pathname)) {
      try {
        body = JSON.parse(raw || "{}");
      } catch {
        return send(res, 400, "application/json", JSON.stringify({ errMsg: "body is not JSON" }));
      }
    }
    const simulated = wechat.handle(req.method, url, body);
    if (simulated) return send(res, simulated.status, "application/json; charset=utf-8", JSON.stringify(simulated.body));
    if (before && (await before(req, res, raw, pathname, dev))) return;
    if (RAW_ROUTE.test(pathname)) return forwardRaw(req, res, bytes);
    if (BACKEND_ROUTES.has(pathname)) {
      const answer = await forward(pathname, raw, req.headers, req.method);
      return send(res, answer.status, answer.type, answer.text);
    }
    const avatar = /^\/sim\/avatar\/(\d)\.svg$/.exec(pathname);
    if (avatar) return send(res, 200, MIME[".svg"], avatarSvg(Number(avatar[1])));
    const file = pathname === "/" ? "dev/simulator/index.html" : pathname === "/style.css" ? "dev/simulator/style.css" : pathname.startsWith("/dist/webpack/") ? normalize(pathname.slice(1)) : null;
    if (!file || file.includes("..")) return send(res, 404, "text/plain", "not found");
    try {
      send(res, 200, MIME[extname(file)] || "application/octet-stream", await readFile(join(root, file)));
    } catch {
      send(res, 404, "text/plain", "not found (run npm start, which builds the page)");
    }
  }

  function send(res, status, type, body) {
    // No keep-alive: a browser silently retries a request whose reused socket drops, which would hide a
    // dropped connection the tests script.
    res.writeHead(status, { "content-type": type, "cache-control": "no-store", connection: "close" });
    res.end(body);
  }

  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}/`;
  wechat.pushTo(`${url}v1/wechat/push`);

  async function restart() {
    await backend?.stop();
    backend = await startTmsdkServer({
      log,
      env: {
        TMSDK_DB: `sqlite://${join(dataDir, database ? `tmsdk-${database}.db` : "tmsdk.db")}`,
        TMSDK_APPS: `${{ qq: "qq:", douyin: "tt:" }[platform] || ""}${appId}=${appSecret},qq:${QQ_SIMULATOR_APP_ID}=${qqSecret},tt:${DOUYIN_SIMULATOR_APP_ID}=${douyinSecret}`,
        TMSDK_WECHAT_API: url.replace(/\/$/, ""),
        TMSDK_QQ_API: `${url}qq`,
        TMSDK_DOUYIN_API: `${url}tt`,
        TMSDK_TOKEN_SECRET: readFileSync(secretFile, "utf8"),
        TMSDK_IP2REGION: regions,
        // Avatar URLs point at this server, which forwards them; the simulated WeChat pushes its image
        // verdicts here too.
        TMSDK_PUBLIC_URL: url.replace(/\/$/, ""),
        TMSDK_WECHAT_PUSH_TOKEN: PUSH_TOKEN,
        ...serverEnv,
      },
    });
  }
  try {
    await restart();
  } catch (e) {
    server.close();
    throw e;
  }

  return {
    url,
    dev,
    stop: async () => {
      await backend.stop();
      keptAlive.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function avatarSvg(n) {
  // 9: the gray avatar WeChat gives with the 微信用户 placeholder.
  const colour = n === 9 ? "#c8c8c8" : AVATAR_COLOURS[n % AVATAR_COLOURS.length];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="${colour}"/><circle cx="32" cy="25" r="12" fill="#fff"/><path d="M12 58c2-12 10-18 20-18s18 6 20 18z" fill="#fff"/></svg>`;
}

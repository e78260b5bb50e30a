// A real HTTP backend on 127.0.0.1 implementing the wire protocol of SPEC §5, for the scenario tests.
// Tests script its next answers through /__control (over HTTP, so scenarios running in a browser can too),
// and it can serve the repository's files so a browser page loads from the same origin.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { randomBytes } from "node:crypto";

const MIME = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

/**
 * @param {{ appId: string, staticRoot?: string }} options
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startBackend({ appId, staticRoot }) {
  let state = freshState();
  const sockets = new Set();
  const timers = new Set();

  function freshState() {
    return { users: new Map(), sessions: new Map(), script: { "/v1/login": [], "/v1/profile": [] }, stats: { login: 0, profile: 0 }, bodies: [] };
  }

  function envelope(data) {
    return JSON.stringify({ err: 0, msg: "请求成功", data });
  }

  function userFor(openId) {
    let user = state.users.get(openId);
    if (!user) {
      user = {
        pid: "", app_id: appId, open_id: openId, union_id: "", nick_name: "", avatar_url: "", gender: 0,
        city: "", province: "", country: "", language: "zh_CN", gold: 0, diamond: 0, share_new: 0, share_times: 0,
        online_days: 1, online_duration: 0, last_login_time: 0, login_times: 0, from_scene: "", from_code: "",
        is_new: true, ofp: "", jwt: "", login_province: "广东省", login_city: "广州市", login_district: "海珠区",
      };
      state.users.set(openId, user);
    }
    return user;
  }

  function handleLogin(body) {
    // The simulated wx.login hands out codes "code-<openId>-<n>".
    const match = /^code-([A-Za-z0-9_-]+)-\d+$/.exec(body.code || "");
    if (body.app_id !== appId || !match) return { status: 200, body: JSON.stringify({ err: 40029, msg: "invalid code" }) };
    const user = userFor(match[1]);
    user.is_new = user.login_times === 0;
    user.login_times += 1;
    user.last_login_time = Math.floor(Date.now() / 1000);
    user.from_scene ||= String(body.scene);
    user.from_code ||= body.channel;
    const jwt = randomBytes(12).toString("hex");
    state.sessions.set(jwt, user.open_id);
    return { status: 200, body: envelope({ ...user, jwt }) };
  }

  function handleProfile(body, headers) {
    const jwt = /^Bearer (.+)$/.exec(headers.authorization || "")?.[1];
    const openId = jwt && state.sessions.get(jwt);
    if (!openId) return { status: 401, body: JSON.stringify({ err: 401, msg: "session expired" }) };
    if (body.app_id !== appId) return { status: 200, body: JSON.stringify({ err: 1002, msg: "app mismatch" }) };
    const user = userFor(openId);
    const info = body.user_info || {};
    user.nick_name = info.nickName || "";
    user.avatar_url = info.avatarUrl || "";
    user.is_new = false;
    return { status: 200, body: envelope({ ...user, jwt: "" }) };
  }

  async function route(req, res, raw) {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname.startsWith("/__control/")) return control(url.pathname.slice(11), raw, res);
    if (req.method === "POST" && (url.pathname === "/v1/login" || url.pathname === "/v1/profile")) {
      const key = url.pathname === "/v1/login" ? "login" : "profile";
      state.stats[key] += 1;
      let body = {};
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, JSON.stringify({ err: 400, msg: "body is not JSON" }));
      }
      state.bodies.push({ path: url.pathname, body, authorization: req.headers.authorization || null });
      const scripted = state.script[url.pathname].shift();
      if (scripted) return answerScripted(scripted, req, res, body);
      const answer = key === "login" ? handleLogin(body) : handleProfile(body, req.headers);
      return send(res, answer.status, answer.body);
    }
    if (req.method === "GET" && staticRoot) return serveFile(url.pathname, res);
    send(res, 404, JSON.stringify({ err: 404, msg: "no such route" }));
  }

  function answerScripted(step, req, res, body) {
    if (step.destroy) return req.socket.destroy();
    const respond = () => {
      if (step.body !== undefined) return send(res, step.status || 200, typeof step.body === "string" ? step.body : JSON.stringify(step.body));
      // Default answer with overrides merged into the profile (e.g. another app's app_id).
      const answer = req.url.startsWith("/v1/login") ? handleLogin(body) : handleProfile(body, req.headers);
      if (step.status && step.status !== 200) return send(res, step.status, answer.body);
      const parsed = JSON.parse(answer.body);
      if (parsed.data && step.merge) Object.assign(parsed.data, step.merge);
      if (parsed.data && step.drop) for (const k of step.drop) delete parsed.data[k];
      send(res, answer.status, JSON.stringify(parsed));
    };
    if (step.delayMs) {
      const t = setTimeout(() => {
        timers.delete(t);
        respond();
      }, step.delayMs);
      timers.add(t);
    } else respond();
  }

  function control(command, raw, res) {
    if (command === "reset") state = freshState();
    else if (command === "script") {
      const { path, steps } = JSON.parse(raw);
      state.script[path].push(...steps);
    } else if (command === "expire-sessions") state.sessions.clear();
    else if (command !== "stats") return send(res, 404, "{}");
    send(res, 200, JSON.stringify({ stats: state.stats, bodies: state.bodies }));
  }

  async function serveFile(pathname, res) {
    const file = normalize(join(staticRoot, decodeURIComponent(pathname)));
    if (!file.startsWith(normalize(staticRoot))) return send(res, 403, "");
    try {
      const bytes = await readFile(file);
      res.writeHead(200, { "content-type": MIME[extname(file)] || "application/octet-stream", "cache-control": "no-store", connection: "close" });
      res.end(bytes);
    } catch {
      send(res, 404, "");
    }
  }

  function send(res, status, body) {
    // No keep-alive: a browser silently retries a request whose reused socket drops, which would hide the
    // scripted `destroy` failure.
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", connection: "close" });
    res.end(body);
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      route(req, res, Buffer.concat(chunks).toString("utf8")).catch((e) => send(res, 500, JSON.stringify({ err: 500, msg: String(e) })));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

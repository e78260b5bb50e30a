// The scenario tests' backend: the one dev server (dev/server.mjs: tmsdk-server behind it, the simulated WeChat
// beside it) with a fault layer in front. Tests script the next
// answers of /v1/login, /v1/profile, /v1/profile/fill, /v1/avatar, /v1/events and DELETE /v1/profile through /__control (over HTTP, so scenarios running in a browser can
// too); the layer counts requests, keeps their bodies, and can serve the repository's files so a browser page
// loads from the same origin.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";

import { startDevServer } from "../../dev/server.mjs";

const MIME = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
const ENDPOINTS = { "/v1/login": "login", "/v1/profile": "profile", "/v1/profile/fill": "fill", "/v1/events": "events" };
const fresh = () => ({
  script: { "/v1/login": [], "/v1/profile": [], "/v1/profile/fill": [], "/v1/avatar": [], "/v1/events": [], "DELETE /v1/profile": [] },
  stats: { login: 0, profile: 0, fill: 0, upload: 0, events: 0, erase: 0 },
});

/**
 * @param {{ appId: string, staticRoot?: string, platform?: "wechat" | "qq" | "douyin" }} options `platform`: whose
 *   game `appId` is for tmsdk-server (QQ's, Douyin's: its logins go to the simulated QQ or Douyin API)
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startBackend({ appId, staticRoot, platform }) {
  const dataDir = mkdtempSync(join(tmpdir(), "tmsdk-backend-"));
  const timers = new Set();
  let { script, stats } = fresh();
  let bodies = [];
  // Every session token the backend issued: the security checks make sure none reaches a log line.
  const tokens = [];
  const answered = (answer) => {
    const jwt = answer.body && answer.body.data && answer.body.data.jwt;
    if (typeof jwt === "string" && jwt) tokens.push(jwt);
    return answer;
  };

  function send(res, status, body) {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", connection: "close" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  }

  // The real answer of tmsdk-server, its body parsed.
  const real = async (dev, pathname, raw, headers) => {
    const { status, text } = await dev.forward(pathname, raw, headers);
    return answered({ status, body: JSON.parse(text) });
  };

  async function before(req, res, raw, pathname, dev) {
    if (pathname.startsWith("/__control/")) {
      await control(pathname.slice(11), raw, dev);
      send(res, 200, { stats, bodies, tokens });
      return true;
    }
    // The avatar upload: counted, scriptable; otherwise forwarded as bytes by the dev server.
    if (req.method === "POST" && pathname === "/v1/avatar") {
      stats.upload += 1;
      bodies.push({ path: pathname, body: null, authorization: req.headers.authorization || null });
      const step = script[pathname].shift();
      if (!step) return false;
      if (step.destroy) req.socket.destroy();
      else send(res, step.status || 200, step.body);
      return true;
    }
    // The erasure: counted, scriptable (script path "DELETE /v1/profile"); otherwise forwarded.
    if (req.method === "DELETE" && pathname === "/v1/profile") {
      stats.erase += 1;
      bodies.push({ path: "DELETE /v1/profile", body: null, authorization: req.headers.authorization || null });
      const step = script["DELETE /v1/profile"].shift();
      if (step && step.destroy) {
        req.socket.destroy();
        return true;
      }
      if (step && step.body !== undefined) {
        send(res, step.status || 200, step.body);
        return true;
      }
      const { status, text } = await dev.forward(pathname, raw, req.headers, "DELETE");
      send(res, status, text);
      return true;
    }
    const endpoint = ENDPOINTS[pathname];
    if (req.method === "POST" && endpoint) {
      stats[endpoint] += 1;
      let body;
      try {
        body = JSON.parse(raw);
      } catch {
        send(res, 400, { err: 400, msg: "body is not JSON" });
        return true;
      }
      bodies.push({ path: pathname, body, authorization: req.headers.authorization || null });
      const step = script[pathname].shift();
      if (!step) {
        const answer = await real(dev, pathname, raw, req.headers);
        send(res, answer.status, answer.body);
        return true;
      }
      if (step.destroy) {
        req.socket.destroy();
        return true;
      }
      // The backend handles the request, then the answer is lost on the way back.
      if (step.lose) {
        await real(dev, pathname, raw, req.headers);
        req.socket.destroy();
        return true;
      }
      const respond = async () => {
        if (step.body !== undefined) return send(res, step.status || 200, step.body);
        // The real answer, with its status replaced or its profile edited (e.g. another app's app_id).
        const answer = await real(dev, pathname, raw, req.headers);
        if (step.status && step.status !== 200) return send(res, step.status, answer.body);
        if (answer.body.data && step.merge) Object.assign(answer.body.data, step.merge);
        if (answer.body.data && step.drop) for (const k of step.drop) delete answer.body.data[k];
        send(res, answer.status, answer.body);
      };
      if (!step.delayMs) await respond();
      else {
        const t = setTimeout(() => {
          timers.delete(t);
          respond().catch(() => req.socket.destroy());
        }, step.delayMs);
        timers.add(t);
      }
      return true;
    }
    if (req.method === "GET" && staticRoot && pathname !== "/" && !pathname.startsWith("/v1/")) {
      await serveFile(pathname, res);
      return true;
    }
    return false;
  }

  async function control(command, raw, dev) {
    if (command === "reset") {
      await dev.reset();
      ({ script, stats } = fresh());
      bodies = [];
    } else if (command === "script") {
      const { path, steps } = JSON.parse(raw);
      script[path].push(...steps);
    } else if (command === "expire-sessions") await dev.rotateTokenSecret();
    else if (command === "image-verdict") dev.setImageVerdict(JSON.parse(raw).suggest);
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

  // Every scenario is one player on one address: limits a deployed server keeps are lifted here.
  const serverEnv = { TMSDK_RATE_LIMIT_IP: "1000000", TMSDK_RATE_LIMIT_OPENID: "1000000" };
  const server = await startDevServer({ port: 0, dataDir, appId, platform, before, serverEnv });
  return {
    url: server.url.replace(/\/$/, ""),
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// The HTTP server behind `npm start`: the dev backend's routes (dev/backend.mjs) plus the simulator page and
// its assets, on 127.0.0.1. The tests run the same server with a fault layer in front (`before`, see
// tests/support/backend.mjs).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

import { createDevBackend } from "./backend.mjs";

export const SIMULATOR_APP_ID = "wxdevsimulator0001";
const root = fileURLToPath(new URL("../", import.meta.url));
const MIME = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".svg": "image/svg+xml", ".png": "image/png" };
const AVATAR_COLOURS = ["#07c160", "#fa5151", "#10aeff", "#ffc300", "#6467f0"];

/**
 * @param {{ port?: number, dataDir: string, appId?: string,
 *   before?: (req: any, res: any, raw: string, pathname: string, backend: object) => boolean | Promise<boolean> }} options
 *   `before` sees every request first and returns true when it answered it.
 * @returns {Promise<{ url: string, backend: object, stop(): Promise<void> }>}
 */
export async function startDevServer({ port = 0, dataDir, appId = SIMULATOR_APP_ID, before }) {
  const backend = createDevBackend({ appId, dataDir });
  const sockets = new Set();

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      route(req, res, Buffer.concat(chunks).toString("utf8")).catch((e) => send(res, 500, "application/json", JSON.stringify({ err: 500, msg: String(e) })));
    });
  });

  async function route(req, res, raw) {
    const { pathname } = new URL(req.url, "http://127.0.0.1");
    if (before && (await before(req, res, raw, pathname, backend))) return;
    if (req.method === "POST") {
      let body;
      try {
        body = JSON.parse(raw || "{}");
      } catch {
        return send(res, 400, "application/json", JSON.stringify({ err: 400, msg: "body is not JSON" }));
      }
      const answer = backend.handle("POST", pathname, body, req.headers);
      return send(res, answer.status, "application/json; charset=utf-8", JSON.stringify(answer.body));
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
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    backend,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function avatarSvg(n) {
  // 9: the gray avatar WeChat gives with the 微信用户 placeholder.
  const colour = n === 9 ? "#c8c8c8" : AVATAR_COLOURS[n % AVATAR_COLOURS.length];
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="${colour}"/><circle cx="32" cy="25" r="12" fill="#fff"/><path d="M12 58c2-12 10-18 20-18s18 6 20 18z" fill="#fff"/></svg>`;
}

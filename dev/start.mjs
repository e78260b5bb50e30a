// `npm start`: builds what is missing or stale (the wasm package, the simulator bundle, tmsdk-server), starts
// the simulator page, the simulated WeChat and tmsdk-server behind them on 127.0.0.1, and prints the URL.
// PORT (default 8787) and TMSDK_DATA_DIR (default .data/) can be set in the environment; `--port 0` picks a
// free port. tmsdk-server's own lines (settings, one JSON line per request) are printed with a prefix.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { startDevServer } from "./server.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const portArg = process.argv.indexOf("--port");
const port = Number(portArg > 0 ? process.argv[portArg + 1] : process.env.PORT || 8787);
const dataDir = process.env.TMSDK_DATA_DIR || join(root, ".data");

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const wasm = join(root, "pkg", "tmsdk_profile_bg.wasm");
const sources = ["src", "js-shim", "pkg-template", "Cargo.toml", "Cargo.lock", "scripts/build.mjs"].map((p) => join(root, p));
if (!existsSync(wasm) || Math.max(...sources.map(newest)) > statSync(wasm).mtimeMs) {
  console.log("[start] building the wasm package (npm run build)…");
  execFileSync("node", [join(root, "scripts", "build.mjs")], { stdio: "inherit" });
}
console.log("[start] bundling the simulator page with webpack…");
execFileSync("node", [join(root, "scripts", "webpack.mjs")], { stdio: "inherit" });

console.log("[start] building tmsdk-server (cargo build -p tmsdk-server)…");
const server = await startDevServer({ port, dataDir, log: (line) => console.log(`[tmsdk-server] ${line}`) });
console.log(`\ntmsdk-profile simulator, backed by tmsdk-server: ${server.url}`);
console.log(`profiles are kept in ${join(dataDir, "tmsdk.db")} (SQLite); press Ctrl+C to stop.`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.stop().then(() => process.exit(0)));
}

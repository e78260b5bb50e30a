// `npm start`: builds what is missing or stale (the wasm package, then the simulator bundle), starts the dev
// backend and simulator on 127.0.0.1 and prints the URL. PORT (default 8787) and TMSDK_DATA_DIR (default
// .data/) can be set in the environment; `--port 0` picks a free port.
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

const server = await startDevServer({ port, dataDir });
console.log(`\ntmsdk-profile simulator and dev backend: ${server.url}`);
console.log(`profiles are kept in ${dataDir}; press Ctrl+C to stop.`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.stop().then(() => process.exit(0)));
}

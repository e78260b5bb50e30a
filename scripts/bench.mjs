// `npm run bench`: size and speed targets, measured on the built package (never in timed unit tests).
// Prints each figure with its target and exits 1 if one is missed. Writes target/bench.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const { install } = await import("../pkg/shim/node.js");
const glue = await import("../pkg/tmsdk_profile.js");
const { startBackend } = await import("../tests/support/backend.mjs");
const { createSimWx } = await import("../dev/simulator/wx-sim.js");
const { nodeTransport } = await import("../dev/transport-node.mjs");

const APP = "wxsimapp0000000001";
const results = [];
function report(name, value, unit, target, better = "lower") {
  const ok = better === "lower" ? value <= target : value >= target;
  results.push({ name, value, unit, target, ok });
  console.log(`${ok ? "ok  " : "MISS"} ${name.padEnd(48)} ${String(Math.round(value * 100) / 100).padStart(10)} ${unit.padEnd(6)} (target ${better === "lower" ? "≤" : "≥"} ${target})`);
}

function timeEach(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(n / 2)], p99: samples[Math.floor(n * 0.99)] };
}

async function timeEachAsync(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(n / 2)], p99: samples[Math.floor(n * 0.99)] };
}

// Sizes (bytes → KiB).
const sizes = JSON.parse(readFileSync(new URL("../pkg/sizes.json", import.meta.url), "utf8"));
report("wasm, brotli (what a phone downloads)", sizes.wasm.brotli / 1024, "KiB", 80);
report("wasm, raw (what a phone compiles)", sizes.wasm.raw / 1024, "KiB", 200);
report("drop-in .js, brotli", sizes["minigame .js"].brotli / 1024, "KiB", 8);

// Cold start: a fresh Node process, import + install() until the wasm is ready.
const coldScript = `const t=performance.now();import("./pkg/shim/node.js").then(({install})=>install({noLogin:true,appId:"wx1",host:{}})).then(()=>console.log(performance.now()-t))`;
const colds = Array.from({ length: 5 }, () => Number(execFileSync("node", ["--input-type=module", "-e", coldScript], { cwd: root, encoding: "utf8" }).trim())).sort((a, b) => a - b);
report("cold import + install(), Node, median of 5", colds[2], "ms", 150);

const backend = await startBackend({ appId: APP });
try {
  const { wx, sim } = createSimWx({ transport: nodeTransport, wechat: backend.url, appId: APP });
  const tm = await install({ server: backend.url, host: wx });
  // Pure core call through the wasm boundary (the wasm is loaded now).
  const envelope = JSON.stringify({ err: 0, msg: "ok", data: JSON.parse(readFileSync(new URL("../tests/fixtures/seed-profile.json", import.meta.url), "utf8")) });
  const parse = timeEach(20000, () => glue.parseProfile(envelope, "wxa73fd8e544880e89"));
  report("parseProfile(seed envelope), p50", parse.p50 * 1000, "µs", 60);
  const full = await timeEachAsync(30, () => sim.tap(() => tm.updateUserProfile({ refresh: true })));
  report("updateUserProfile, popup + POST over loopback, p50", full.p50, "ms", 25);
  const cached = await timeEachAsync(5000, () => sim.tap(() => tm.updateUserProfile()));
  report("updateUserProfile served from the cache, p50", cached.p50 * 1000, "µs", 250);
  report("updateUserProfile served from the cache, p99", cached.p99 * 1000, "µs", 1000);
  const peek = timeEach(20000, () => tm.getCachedProfile());
  report("getCachedProfile(), p50", peek.p50 * 1000, "µs", 150);
} finally {
  await backend.stop();
}

mkdirSync(new URL("../target/", import.meta.url), { recursive: true });
writeFileSync(new URL("../target/bench.json", import.meta.url), JSON.stringify(results, null, 2) + "\n");
const missed = results.filter((r) => !r.ok);
console.log(missed.length ? `\n${missed.length} target(s) missed` : "\nall targets met");
process.exit(missed.length ? 1 : 0);

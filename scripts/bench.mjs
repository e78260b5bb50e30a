// `npm run bench`: the package against its peers (bench/peer/: hand-written JS and zod 4, both proven to do the
// core's exact work by tests/js/peers.test.mjs) and the JSON.parse floor. Candidates are measured interleaved
// in one process — rounds of batches, each candidate in turn — and compared as ratios of medians, so a noisy
// shared machine moves every candidate alike. Sizes are exact. Prints every figure with its ratios, writes
// target/bench.json, and exits 1 when a target is missed. Never part of `npm test`.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants as zlib } from "node:zlib";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

import { install, parseProfile } from "../pkg/shim/node.js";
import * as handwritten from "../bench/peer/handwritten.mjs";
import * as zodPeer from "../bench/peer/zod.mjs";
import { APP, PROFILE_FIXTURES } from "../tests/fixtures/profiles.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const figures = [];
const targets = [];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/**
 * Times each candidate: `rounds` rounds, each running every candidate for `batch` calls in a rotating order;
 * the figure is the median over rounds of the mean time per call, in µs.
 */
function compare(name, candidates, { batch = 2000, rounds = 15 } = {}) {
  const labels = Object.keys(candidates);
  const samples = Object.fromEntries(labels.map((l) => [l, []]));
  for (const l of labels) for (let i = 0; i < batch; i++) candidates[l](); // warm up
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < labels.length; k++) {
      const label = labels[(r + k) % labels.length];
      const run = candidates[label];
      const t = performance.now();
      for (let i = 0; i < batch; i++) run();
      samples[label].push(((performance.now() - t) * 1000) / batch);
    }
  }
  const result = Object.fromEntries(labels.map((l) => [l, median(samples[l])]));
  figures.push({ name, unit: "µs", runtime: "node", ...result });
  return result;
}

function target(name, value, limit, note) {
  const ok = value <= limit;
  targets.push({ name, value, limit, ok, note });
}

const brotli = (bytes) => brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;

// ---- sizes: what a phone downloads ----
const sizes = JSON.parse(readFileSync(new URL("../pkg/sizes.json", import.meta.url), "utf8"));
async function bundleBrotli(entry) {
  const out = await build({ entryPoints: [entry], bundle: true, minify: true, format: "cjs", platform: "neutral", target: "es2017", write: false, logLevel: "error" });
  return brotli(out.outputFiles[0].contents);
}
const dropIn = sizes["minigame .js"].brotli + sizes["minigame .wasm.br"].brotli;
const sizeRow = {
  name: "bytes a phone downloads (brotli)",
  unit: "B",
  runtime: "-",
  package: dropIn,
  "hand-written": await bundleBrotli(fileURLToPath(new URL("../bench/peer/handwritten.mjs", import.meta.url))),
  zod: await bundleBrotli(fileURLToPath(new URL("../bench/peer/zod.mjs", import.meta.url))),
  "wasm raw (compiled by the phone)": sizes.wasm.raw,
};
figures.push(sizeRow);
target("drop-in (js + wasm, brotli) ≤ 32 KB", dropIn / 1024, 32, "KB");

// ---- cold start: a new process until ready ----
const coldScripts = {
  package: `const t=performance.now();const {install}=await import("./pkg/shim/node.js");await install({noLogin:true,appId:"wx1",host:{}});console.log(performance.now()-t)`,
  "hand-written": `const t=performance.now();const m=await import("./bench/peer/handwritten.mjs");m.parseProfile('{"open_id":"o"}',"wx1");console.log(performance.now()-t)`,
  zod: `const t=performance.now();const m=await import("./bench/peer/zod.mjs");m.parseProfile('{"open_id":"o"}',"wx1");console.log(performance.now()-t)`,
};
const cold = Object.fromEntries(Object.keys(coldScripts).map((k) => [k, []]));
for (let r = 0; r < 7; r++) {
  for (const [label, script] of Object.entries(coldScripts)) {
    cold[label].push(Number(execFileSync("node", ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" }).trim()));
  }
}
const coldRow = { name: "cold start: new process → ready", unit: "ms", runtime: "node", ...Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, median(v)])) };
figures.push(coldRow);
target("cold start ≤ 0.3× zod", coldRow.package / coldRow.zod, 0.3, "ratio");
target("cold start ≤ 3× hand-written", coldRow.package / coldRow["hand-written"], 3, "ratio");

// ---- parse + validate + normalise the sample envelope ----
const envelope = PROFILE_FIXTURES[0][1];
const parse = compare("parse + validate + normalise the sample envelope (text)", {
  package: () => parseProfile(envelope, APP),
  "hand-written": () => handwritten.parseProfile(envelope, APP),
  zod: () => zodPeer.parseProfile(envelope, APP),
  "JSON.parse": () => JSON.parse(envelope),
});
target("parse ≤ 1.0× zod", parse.package / parse.zod, 1.0, "ratio");

// ---- the cache-hit path: a fresh authorised record in wx storage ----
const key = `tmsdk.profile.v1.${APP}`;
const store = new Map();
const wx = {
  getStorageSync: (k) => (store.has(k) ? store.get(k) : ""),
  setStorageSync: (k, v) => store.set(k, v),
  removeStorageSync: (k) => store.delete(k),
  getUserProfile: () => {
    throw new Error("the benchmark's record must be reused: no popup");
  },
};
const profile = parseProfile(PROFILE_FIXTURES[2][1], APP);
store.set(key, JSON.stringify({ v: 1, app_id: APP, cached_at: Date.now(), profile }));
const tm = await install({ server: "https://bench.invalid", appId: APP, host: wx, autoLogin: false });
// The package's call is a promise: time it as one would call it, settling in batches.
async function timeAsync(run, batch) {
  const t = performance.now();
  const all = [];
  for (let i = 0; i < batch; i++) all.push(run());
  await Promise.all(all);
  return ((performance.now() - t) * 1000) / batch;
}
async function compareHit(name, pkg, batch = 2000, rounds = 15) {
  const peers = {
    "hand-written": () => handwritten.cachedProfile(wx, key, APP, 604800, Date.now()),
    zod: () => zodPeer.cachedProfile(wx, key, APP, 604800, Date.now()),
  };
  const samples = { package: [], "hand-written": [], zod: [] };
  await timeAsync(pkg, batch);
  for (let r = 0; r < rounds; r++) {
    samples.package.push(await timeAsync(pkg, batch));
    for (const [label, run] of Object.entries(peers)) {
      const t = performance.now();
      for (let i = 0; i < batch; i++) run();
      samples[label].push(((performance.now() - t) * 1000) / batch);
    }
  }
  const result = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  figures.push({ name, unit: "µs", runtime: "node", ...result });
  return result;
}
const hit = await compareHit("updateUserProfile() served from a fresh record", () => tm.updateUserProfile());
target("updateUserProfile() cache hit ≤ 1.0× hand-written", hit.package / hit["hand-written"], 1.0, "ratio");
const peek = await compareHit("getCachedProfile()", async () => tm.getCachedProfile());
target("getCachedProfile() ≤ 1.0× hand-written", peek.package / peek["hand-written"], 1.0, "ratio");

// ---- report ----
const fmt = (v) => (v === undefined ? "-" : v >= 100 ? Math.round(v).toLocaleString("en") : v.toFixed(2));
console.log("\nfigure (Node)                                              package  hand-written       zod  JSON.parse   pkg/hw  pkg/zod");
for (const f of figures) {
  const ratio = (peer) => (f[peer] ? `${(f.package / f[peer]).toFixed(2)}×` : "-");
  console.log(
    `${`${f.name} (${f.unit})`.padEnd(56)} ${fmt(f.package).padStart(9)} ${fmt(f["hand-written"]).padStart(13)} ${fmt(f.zod).padStart(9)} ${fmt(f["JSON.parse"]).padStart(11)} ${ratio("hand-written").padStart(8)} ${ratio("zod").padStart(8)}`,
  );
}
console.log(`wasm raw (what a phone compiles): ${sizes.wasm.raw.toLocaleString("en")} B\n`);
for (const t of targets) console.log(`${t.ok ? "ok  " : "MISS"} ${t.name.padEnd(52)} ${t.value.toFixed(2)} ${t.note} (≤ ${t.limit})`);
mkdirSync(new URL("../target/", import.meta.url), { recursive: true });
writeFileSync(new URL("../target/bench.json", import.meta.url), JSON.stringify({ figures, targets }, null, 2) + "\n");
const missed = targets.filter((t) => !t.ok);
console.log(missed.length ? `\n${missed.length} target(s) missed` : "\nall targets met");
process.exit(missed.length ? 1 : 0);

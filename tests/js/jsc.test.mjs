// The drop-in in JavaScriptCore, the engine WeChat, QQ and Douyin run mini-games in on iOS — with its JIT and
// without (WeChat's default iOS mode: wasm interpreted), on each host with its own globals (`wx` and
// `WXWebAssembly`, `qq` and `QQWebAssembly`, `tt` and `TTWebAssembly`): the whole scenario list, plus Douyin's
// scenarios on Douyin, each mode and host in one `jsc` process (tests/jsc/runner.mjs) against the same backends as
// every runtime. jsc has no network: the runner writes each
// HTTP request as a line on its stdout, and this file answers it on the runner's stdin.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { allScenarios as scenarios, douyinScenarios } from "../scenarios/all.mjs";
import { startBackend } from "../support/backend.mjs";
import { nodeTransport } from "../../dev/transport-node.mjs";
import { jscDropInDir } from "../support/jsc-drop-in.mjs";
import { ascii } from "../jsc/ascii.mjs";

const APP = "wxsimapp0000000001";
const repo = fileURLToPath(new URL("../../", import.meta.url));
const runner = join(repo, "tests", "jsc", "runner.mjs");
const MODES = [
  ["with JIT", []],
  ["without JIT (wasm interpreted)", ["--useJIT=false"]],
];
const HOSTS = [
  ["wx", "WeChat"],
  ["qq", "QQ"],
  ["tt", "Douyin"],
];
let backend;
let douyinBackend;
let dropInDir;

before(async () => {
  const found = spawnSync("jsc", ["-e", "print(typeof WebAssembly)"], { encoding: "utf8" });
  assert.equal(found.stdout?.trim(), "object", "jsc (JavaScriptCore's shell) is on PATH: scripts/setup.sh installs it");
  [backend, douyinBackend] = await Promise.all([startBackend({ appId: APP }), startBackend({ appId: APP, platform: "douyin" })]);
  dropInDir = jscDropInDir();
});

after(async () => {
  await Promise.all([backend?.stop(), douyinBackend?.stop()]);
  if (dropInDir) rmSync(dropInDir, { recursive: true, force: true });
});

/**
 * Answers one request line of the runner: the HTTP exchange it asks for — through Node's `fetch` (with the
 * answer's headers) for the harness's own `fetch`, else as the simulated wx.request sends it — or the failure.
 */
async function answer({ url, method, headers, body, binary, timeoutMs, asFetch }) {
  if (asFetch) {
    const res = await fetch(url, { method, headers, body: method && method !== "GET" ? body : undefined });
    return { status: res.status, text: await res.text(), headers: Object.fromEntries(res.headers) };
  }
  try {
    const { status, text } = await nodeTransport(url, {
      method,
      headers,
      body: binary ? Buffer.from(body, "base64") : body,
      timeoutMs: timeoutMs || 30_000,
    });
    return { status, text };
  } catch (e) {
    return { error: e.message, timeout: Boolean(e.timeout) };
  }
}

/** Runs the scenario list on `host` in one jsc process; resolves with each scenario's result by name. */
function runInJsc(flags, host) {
  return new Promise((resolve, reject) => {
    const args = [...flags, "-m", runner, "--", dropInDir, backend.url, douyinBackend.url, host];
    const child = spawn("jsc", args, { stdio: ["pipe", "pipe", "pipe"] });
    const results = new Map();
    const logs = [];
    let stderr = "";
    let queue = Promise.resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 15 * 60_000);
    child.stderr.on("data", (d) => (stderr += d));
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (!line.startsWith("\u0001")) return logs.push(line);
      const space = line.indexOf(" ");
      const kind = line.slice(1, space);
      const payload = JSON.parse(line.slice(space + 1));
      if (kind === "http") {
        // One at a time, in order: the runner waits on its stdin for each answer.
        queue = queue.then(() => answer(payload)).then((a) => child.stdin.write(`${ascii(a)}\n`));
      } else if (kind === "result") {
        results.set(payload.name, payload);
      } else if (kind === "log") {
        logs.push(payload);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (results.size === 0) reject(new Error(`jsc ended (${code}) with no result: ${stderr}${logs.slice(-20).join("\n")}`));
      else resolve({ results, code, stderr });
    });
  });
}

for (const [mode, flags] of MODES) for (const [host, platform] of HOSTS) {
  describe(`JavaScriptCore ${mode}, ${platform} (${host})`, () => {
    let run;
    before(() => {
      run = runInJsc(flags, host);
    });

    for (const scenario of host === "tt" ? [...scenarios, ...douyinScenarios] : scenarios) {
      test(scenario.name, async () => {
        const { results, stderr } = await run;
        const result = results.get(scenario.name);
        assert.ok(result, `no result from jsc for this scenario (it stopped earlier): ${stderr}`);
        assert.ok(result.ok, result.error);
      });
    }
  });
}

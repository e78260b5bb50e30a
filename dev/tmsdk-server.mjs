// Runs the project's backend, tmsdk-server (server/), as a child process for `npm start`, the scenarios and
// the benches: builds it with cargo when needed, starts it on a free 127.0.0.1 port with the settings given,
// waits for its `listening on http://ADDR` line, and stops it with SIGTERM (its graceful shutdown).
import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const built = new Set();

/**
 * Builds tmsdk-server (once per process and profile; cargo makes it a no-op when nothing changed) and returns
 * the binary's path.
 * @param {"debug" | "release"} [profile]
 */
export function buildTmsdkServer(profile = "debug") {
  if (!built.has(profile)) {
    const args = ["build", "-p", "tmsdk-server", "--quiet", ...(profile === "release" ? ["--release"] : [])];
    execFileSync("cargo", args, { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
    built.add(profile);
  }
  return join(root, "target", profile, "tmsdk-server");
}

/**
 * @param {{ env: Record<string, string>, profile?: "debug" | "release", binary?: string, log?: (line: string) => void }} options
 *   `env`: the TMSDK_* settings (TMSDK_LISTEN defaults to a free port); `binary`: another build of tmsdk-server
 *   to run (a benchmark's comparison), else this checkout's, built first; `log` sees each line the server prints
 *   (its settings, then one JSON line per request; never a token or session key).
 * @returns {Promise<{ url: string, pid: number, stop(): Promise<void> }>} `url` without a trailing slash.
 */
export async function startTmsdkServer({ env, profile = "debug", binary = buildTmsdkServer(profile), log = () => {} }) {
  const child = spawn(binary, [], {
    env: { PATH: process.env.PATH, TMSDK_LISTEN: "127.0.0.1:0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal || code)));
  // A test process that dies without stopping the server must not leave it running.
  const orphanGuard = () => child.kill("SIGTERM");
  process.once("exit", orphanGuard);
  exited.then(() => process.removeListener("exit", orphanGuard));
  let printed = "";
  const lines = (stream) => {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop();
      for (const line of parts) {
        if (printed.length < 4096) printed += `${line}\n`;
        log(line);
      }
    });
  };
  lines(child.stdout);
  lines(child.stderr);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tmsdk-server did not start within 30 s:\n${printed}`)), 30_000);
    const check = setInterval(() => {
      const match = /listening on (http:\/\/\S+)/.exec(printed);
      if (match) {
        clearInterval(check);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 5);
    exited.then((code) => {
      clearInterval(check);
      clearTimeout(timer);
      reject(new Error(`tmsdk-server exited (${code}) before listening:\n${printed}`));
    });
  });
  return {
    url,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

// Every scenario every JS runtime runs — the end-to-end scenarios, the fault matrix, the fill-in, the player's
// figures with the erasure and SkyRiver's updateUserInfo — each wrapped in the
// security checks: no session token in any console output, nothing of a profile logged (the SDK logs nothing of
// it by default), `Object.prototype` untouched, and every stored avatar `http(s)` or empty.
import { scenarios } from "./scenarios.mjs";
import { faults } from "./faults.mjs";
import { fills } from "./fill.mjs";
import { figures } from "./figures.mjs";
import { userInfos } from "./user-info.mjs";
import { douyins } from "./douyin.mjs";
import { backend, simsInUse } from "./helpers.mjs";

const METHODS = ["log", "info", "warn", "error", "debug"];

function prototypeKeys() {
  return Object.getOwnPropertyNames(Object.prototype).sort().join(",");
}

/** Runs `scenario` with the realm's console captured, then checks what was logged and what was stored. */
export async function checked(scenario, env) {
  const realmConsole = env.console || console;
  const lines = [];
  const originals = METHODS.map((m) => realmConsole[m]);
  METHODS.forEach((m, i) => {
    realmConsole[m] = (...args) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })())).join(" "));
      return originals[i].apply(realmConsole, args);
    };
  });
  const keysBefore = prototypeKeys();
  simsInUse.length = 0;
  try {
    await scenario.run(env);
  } finally {
    METHODS.forEach((m, i) => (realmConsole[m] = originals[i]));
  }
  const { tokens } = await backend(env, "stats");
  for (const jwt of tokens) {
    if (lines.some((line) => line.includes(jwt))) throw new Error(`security: a session token reached the console: ${lines.join(" | ")}`);
  }
  for (const sim of simsInUse) {
    for (const secret of [sim.openId, sim.user.nickName]) {
      if (lines.some((line) => line.includes(secret))) throw new Error(`security: the profile (${secret}) was logged: ${lines.join(" | ")}`);
    }
    for (const value of sim.storage.values()) {
      let avatar = "";
      try {
        avatar = JSON.parse(value).profile.avatar_url;
      } catch {
        continue; // not a record (a fault case stored it)
      }
      if (avatar && !/^https?:\/\//i.test(avatar)) throw new Error(`security: a stored avatar is not http(s): ${avatar}`);
    }
  }
  if (prototypeKeys() !== keysBefore || ({}).polluted !== undefined) throw new Error("security: Object.prototype was changed");
}

export const allScenarios = [...scenarios, ...faults, ...fills, ...figures, ...userInfos].map((scenario) => ({
  name: scenario.name,
  run: (env) => checked(scenario, env),
}));

/**
 * Douyin's scenarios (douyin.mjs), for a runtime that serves Douyin: `env.douyin` is `{ backendUrl, install }` — a
 * backend whose app is a `tt:` app, and an install that puts `config.host` on the realm's global `tt`.
 */
export const douyinScenarios = douyins.map((scenario) => ({
  name: scenario.name,
  run: (env) => checked(scenario, { ...env, ...env.douyin }),
}));

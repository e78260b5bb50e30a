// Helpers shared by the scenario lists (scenarios.mjs, faults.mjs): assertions that run in any realm (no
// node:assert in the browser), the backend's control channel, and a fresh simulated wx with the SDK installed.
import { createSimWx } from "../../dev/simulator/wx-sim.js";

export const APP = "wxsimapp0000000001";
export const KEY = `tmsdk.profile.v1.${APP}`;
export const TAP_MESSAGE = "getUserProfile:fail can only be invoked by user TAP gesture";

/** Every simulated wx a scenario set up: the security checks look at what they stored. */
export const simsInUse = [];

// ---- assertions (no node:assert in the browser) ----
export function ok(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
export function eq(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message}: expected ${e}, got ${a}`);
}
export async function rejects(promise, code, env, message) {
  let error;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  ok(error, `${message}: should reject with ${code}`);
  // env.Error: the realm's Error where the SDK runs in another realm (the WeChat sandbox).
  ok(error instanceof env.TmSdkError && error instanceof (env.Error || Error), `${message}: a TmSdkError (${error})`);
  eq(error.name, "TmSdkError", `${message}: name`);
  eq(error.code, code, `${message}: code (${error.message})`);
  ok(typeof error.message === "string" && error.message.length > 20, `${message}: a message that says what to do`);
  return error;
}
export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
export async function until(condition, what) {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await tick(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---- fixtures ----
export async function backend(env, command, body) {
  const res = await fetch(`${env.backendUrl}/__control/${command}`, { method: "POST", body: body ? JSON.stringify(body) : "" });
  return res.json();
}
export const stats = async (env) => (await backend(env, "stats")).stats;
export const script = (env, path, ...steps) => backend(env, "script", { path, steps });

export async function setup(env, { kind = "miniprogram", config = {} } = {}) {
  await backend(env, "reset");
  const { wx, sim } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP, kind });
  simsInUse.push(sim);
  await env.install({ server: env.backendUrl, host: wx, ...config });
  return { wx, sim, tm: wx.tmSDK };
}

/** A first successful update: the record exists afterwards. */
export async function authorise(tm, sim) {
  const profile = await sim.tap(() => tm.updateUserProfile({ desc: "用于排行榜" }));
  ok(sim.storage.has(KEY), "the record is written");
  return profile;
}

export function editRecord(sim, edit) {
  const record = JSON.parse(sim.storage.get(KEY));
  edit(record);
  sim.storage.set(KEY, JSON.stringify(record));
}

export function resetCounts(sim) {
  for (const k of Object.keys(sim.counts)) sim.counts[k] = 0;
}

export async function promptsAgain(env, edit, message) {
  const { sim, tm } = await setup(env);
  await authorise(tm, sim);
  editRecord(sim, edit);
  resetCounts(sim);
  const before = (await stats(env)).profile;
  const p = await sim.tap(() => tm.updateUserProfile());
  eq(sim.counts.getUserProfile, 1, `${message}: the popup opens`);
  eq((await stats(env)).profile, before + 1, `${message}: one /v1/profile request`);
  eq(p.nick_name, sim.user.nickName, `${message}: the new profile`);
}

export async function recordIntactOnBadAnswer(env, step, field, message) {
  const { sim, tm } = await setup(env);
  const first = await authorise(tm, sim);
  const record = sim.storage.get(KEY);
  await script(env, "/v1/profile", step);
  const e = await rejects(sim.tap(() => tm.updateUserProfile({ refresh: true })), "INVALID_PROFILE", env, message);
  if (field) eq(e.field, field, `${message}: field`);
  eq(sim.storage.get(KEY), record, `${message}: the record is intact`);
  eq(e.cached, first, `${message}: error.cached is the previous profile`);
}


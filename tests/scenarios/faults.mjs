// The fault matrix: storage, network, backend, popup, clock and concurrency faults, each run in Node, headless
// Chromium (ES modules and webpack) and the WeChat sandbox (both instantiate shapes). Every case ends in a
// typed error or a correct result, with the previous record intact. (Natively, the fuzzer of tests/fuzz/ draws
// these faults at random; the faults already in scenarios.mjs are not repeated here.)
import {
  KEY, authorise, backend, eq, ok, rejects, resetCounts, script, setup, until,
} from "./helpers.mjs";

/** A first profile, then `fault` on a refreshing call: it rejects with `code`, and the record is intact. */
async function recordSurvives(env, code, fault, message, { field, kind } = {}) {
  const { sim, tm } = await setup(env, kind ? { kind } : {});
  const first = await authorise(tm, sim);
  const record = sim.storage.get(KEY);
  await fault(sim);
  const e = await rejects(sim.tap(() => tm.updateUserProfile({ refresh: true })), code, env, message);
  if (field !== undefined) eq(e.field, field, `${message}: field`);
  eq(e.cached, first, `${message}: error.cached is the previous profile`);
  eq(sim.storage.get(KEY), record, `${message}: the record is intact`);
  return e;
}

const answer = (env, step) => script(env, "/v1/profile", step);

export const faults = [
  {
    name: "fault: launch options whose query has a throwing getter and a Proxy → the scene kept, the channel absent",
    async run(env) {
      const { wx, sim, tm } = await setup(env, { config: { autoLogin: false } });
      const hostileQuery = new Proxy(
        Object.defineProperty({}, "channelCode", {
          enumerable: true,
          get() {
            throw new Error("channelCode getter");
          },
        }),
        { has: () => { throw new Error("has trap"); } },
      );
      wx.getLaunchOptionsSync = () => ({ scene: 1089, query: hostileQuery });
      const p = await sim.tap(() => tm.updateUserProfile());
      eq(p.nick_name, "小明", "the call succeeds");
      const login = (await backend(env, "stats")).bodies.find((b) => b.path === "/v1/login").body;
      eq([login.scene, login.channel], [1089, ""], "the scene kept, the unreadable channel absent");
    },
  },
  {
    name: "fault: wx.login's result with a throwing getter or a number for its code → LOGIN_FAILED, never a crash",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { autoLogin: false } });
      sim.loginResult = (result) =>
        Object.defineProperty(result, "code", {
          enumerable: true,
          get() {
            throw new Error("code getter");
          },
        });
      const thrown = await rejects(tm.login(), "LOGIN_FAILED", env, "a throwing code getter");
      ok(/no code/.test(thrown.message), `says what was missing (${thrown.message})`);
      sim.loginResult = (result) => ({ ...result, code: 12345 });
      await rejects(tm.login(), "LOGIN_FAILED", env, "a number for a code");
      sim.loginResult = null;
      const p = await sim.tap(() => tm.updateUserProfile());
      eq(p.nick_name, "小明", "the next call logs in and succeeds");
    },
  },
  {
    name: "fault: storage get throws → the record reads as absent, the user is asked, a new record is written",
    async run(env) {
      const { sim, tm } = await setup(env);
      const first = await authorise(tm, sim);
      sim.storageThrows.get = true;
      resetCounts(sim);
      const p = await sim.tap(() => tm.updateUserProfile());
      eq(sim.counts.getUserProfile, 1, "asked again");
      eq(p.open_id, first.open_id, "the same user");
      eq(tm.getCachedProfile(), null, "nothing readable while get throws");
      sim.storageThrows.get = false;
      eq(tm.getCachedProfile().profile, p, "the new record once readable");
    },
  },
  {
    name: "fault: values of the wrong type or shape in storage → ignored and removed, never thrown",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { autoLogin: false } });
      for (const value of [42, { v: 1 }, ["x"], true, JSON.stringify({ v: 1, app_id: "wxsimapp0000000001", cached_at: -5, profile: {} }), "null", "[]"]) {
        sim.storage.set(KEY, value);
        eq(tm.getCachedProfile(), null, `${JSON.stringify(value)} is no record`);
        ok(!sim.storage.has(KEY), `${JSON.stringify(value)} is removed`);
      }
      sim.storage.set(KEY, { profile: "not a string record" });
      const p = await sim.tap(() => tm.updateUserProfile());
      eq(JSON.parse(sim.storage.get(KEY)).profile, p, "a good record replaces it");
    },
  },
  {
    name: "fault: an HTML error page with status 200 → INVALID_PROFILE, record intact",
    async run(env) {
      await recordSurvives(env, "INVALID_PROFILE", () => answer(env, { body: "<html><body>502 Bad Gateway</body></html>" }), "HTML body");
    },
  },
  {
    name: "fault: a truncated body → INVALID_PROFILE, record intact",
    async run(env) {
      await recordSurvives(env, "INVALID_PROFILE", () => answer(env, { body: '{"err":0,"msg":"ok","data":{"open_id":"oSim' }), "truncated");
    },
  },
  {
    name: "fault: a body over 64 KiB → INVALID_PROFILE without parsing, record intact",
    async run(env) {
      const big = JSON.stringify({ err: 0, data: { open_id: "oSimUser_001", ofp: "x".repeat(65 * 1024) } });
      const e = await recordSurvives(env, "INVALID_PROFILE", () => answer(env, { body: big }), "oversized");
      ok(/65|bytes/.test(e.message), `the message says why (${e.message})`);
    },
  },
  {
    name: "fault: a wrong envelope (err as a string, data an array) → INVALID_PROFILE naming the field",
    async run(env) {
      await recordSurvives(env, "INVALID_PROFILE", () => answer(env, { body: { err: "0", data: {} } }), "err as a string", { field: "err" });
      await recordSurvives(env, "INVALID_PROFILE", () => answer(env, { body: { err: 0, data: [] } }), "data an array");
    },
  },
  {
    name: "fault: a slow backend past config.timeout → TIMEOUT, record intact",
    async run(env) {
      const { sim, tm } = await setup(env, { config: { timeout: 300 } });
      const first = await authorise(tm, sim);
      const record = sim.storage.get(KEY);
      await answer(env, { delayMs: 3000 });
      const e = await rejects(sim.tap(() => tm.updateUserProfile({ refresh: true })), "TIMEOUT", env, "slow");
      eq(e.cached, first, "error.cached");
      eq(sim.storage.get(KEY), record, "record intact");
    },
  },
  {
    name: "fault: the user-info button is destroyed on every outcome (allow, deny, privacy, a failing backend)",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame" });
      const outcomes = [];
      for (const [decision, privacy, fail] of [["allow", null, false], ["deny", null, false], ["allow", 104, false], ["allow", null, true]]) {
        sim.decision = decision;
        sim.privacy = privacy;
        if (fail) await answer(env, { status: 500, body: "Internal Server Error" });
        const pending = tm.updateUserProfile({ refresh: true }).then(
          () => "resolved",
          (e) => e.code,
        );
        await until(() => sim.buttons.length === 1, "the button");
        sim.tapButton();
        outcomes.push(await pending);
        eq(sim.buttons.length, 0, `${outcomes.at(-1)}: no button left on screen`);
      }
      eq(outcomes, ["resolved", "AUTH_DENIED", "PRIVACY_DENIED", "HTTP"], "each outcome");
      eq([sim.counts.buttons, sim.counts.buttonsDestroyed], [4, 4], "every button destroyed");
    },
  },
  {
    name: "fault: the clock moved back and forward → the record is reused only while fresh and not from the future",
    async run(env) {
      const RealmDate = env.Date || Date;
      const realNow = RealmDate.now;
      const { sim, tm } = await setup(env, { config: { profileTtl: 3600 } });
      await authorise(tm, sim);
      const at = JSON.parse(sim.storage.get(KEY)).cached_at;
      const prompts = async (offsetMs) => {
        RealmDate.now = () => at + offsetMs;
        try {
          resetCounts(sim);
          await sim.tap(() => tm.updateUserProfile());
          return sim.counts.getUserProfile === 1;
        } finally {
          RealmDate.now = realNow;
          // Put the first record back, so each step starts from it.
          const record = JSON.parse(sim.storage.get(KEY));
          record.cached_at = at;
          sim.storage.set(KEY, JSON.stringify(record));
        }
      };
      eq(await prompts(-4 * 60 * 1000), false, "4 minutes back: within the clock-skew tolerance, reused");
      eq(await prompts(-10 * 60 * 1000), true, "10 minutes back: a record from the future, asked again");
      eq(await prompts(3599 * 1000), false, "forward, within the TTL: reused");
      eq(await prompts(3600 * 1000), true, "forward past the TTL: asked again");
    },
  },
  {
    name: "fault: 20 concurrent calls with a failure in the middle → one popup, one request, equal results",
    async run(env) {
      const { sim, tm } = await setup(env);
      await tm.login();
      const before = (await backend(env, "stats")).stats.profile;
      const settled = await sim.tap(() =>
        Promise.allSettled(Array.from({ length: 20 }, (_, i) => tm.updateUserProfile(i === 10 ? { desc: 42 } : { refresh: true }))),
      );
      const failed = settled.filter((s) => s.status === "rejected");
      eq(failed.length, 1, "only the call with bad options fails");
      eq(failed[0].reason.code, "INVALID_OPTIONS", "with its own typed error");
      const values = settled.filter((s) => s.status === "fulfilled").map((s) => s.value);
      eq(values.length, 19, "the others resolve");
      for (const v of values) eq(v, values[0], "equal results");
      eq(sim.counts.getUserProfile, 1, "one popup");
      eq((await backend(env, "stats")).stats.profile - before, 1, "one request");
      // And when the shared request fails, every waiter gets the same typed error.
      await answer(env, { status: 500, body: "Internal Server Error" });
      const all = await sim.tap(() => Promise.allSettled(Array.from({ length: 20 }, () => tm.updateUserProfile({ refresh: true }))));
      eq(all.map((s) => s.status === "rejected" && s.reason.code), Array(20).fill("HTTP"), "20 × HTTP");
      eq(JSON.parse(sim.storage.get(KEY)).profile, values[0], "the record is the last good one");
    },
  },
];

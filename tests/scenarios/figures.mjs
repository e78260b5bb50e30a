// The player's figures and the erasure end to end, in every runtime: the simulated player shares, plays and
// hides the game, and tmsdk-server counts the events (natively: core/tests/figures.rs, which keeps its list equal
// to this one). Play time runs on the realm's `Date.now`, which a scenario moves by hand (`clock`).
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import { APP, KEY, authorise, backend, eq, ok, rejects, script, setup, simsInUse, stats, tick, until } from "./helpers.mjs";

const EVENTS_KEY = `tmsdk.events.v1.${APP}`;

/** The realm's `Date.now`, frozen and moved by hand until `restore()`. */
function clock(env) {
  const D = env.Date || Date;
  const real = D.now;
  let now = real.call(D);
  D.now = () => now;
  return {
    advance(ms) {
      now += ms;
    },
    restore() {
      D.now = real;
    },
  };
}

/** Runs `body(c)` with the realm's clock in hand, always restored. */
async function withClock(env, body) {
  const c = clock(env);
  try {
    return await body(c);
  } finally {
    c.restore();
  }
}

/** Waits until the backend's counts satisfy `condition`. */
async function untilServer(env, condition, what) {
  for (let i = 0; i < 200; i++) {
    if (condition(await stats(env))) return;
    await tick(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Gives what is in flight the time to land: what must not happen has had its chance. */
const settled = () => tick(150);

const cached = (tm) => {
  const c = tm.getCachedProfile();
  return c ? c.profile : null;
};
/** The events in the stored pending record (one line each after its head line, docs/contract.md). */
const pendingEvents = (sim) => (sim.storage.has(EVENTS_KEY) ? sim.storage.get(EVENTS_KEY).split("\n").length - 1 : 0);
/** Waits until the cached profile's `field` reads `value`. */
const cachedReads = (tm, field, value) => until(() => cached(tm) && cached(tm)[field] === value, `${field} ${value} in the cache`);

/** Another player on the same backend (no reset): a fresh phone with the SDK installed. */
async function anotherPlayer(env, openId, launchQuery = {}) {
  const { wx, sim } = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP, kind: "minigame" });
  simsInUse.push(sim);
  sim.openId = openId;
  sim.launchQuery = { channelCode: "ch-sim", ...launchQuery };
  await env.install({ server: env.backendUrl, host: wx, autoLogin: false });
  return { wx, sim, tm: wx.tmSDK };
}

export const figures = [
  {
    name: "figures: an active share, a menu share and a page's share read share_times 3, each tagged with the share code",
    async run(env) {
      const { wx, sim, tm } = await setup(env, { kind: "minigame" });
      const p = await tm.login();
      const code = p.share_code;
      ok(/^[A-Za-z0-9_-]{1,32}$/.test(code), `a share code (${code})`);
      wx.shareAppMessage({ title: "来挑战", query: "room=7" });
      eq(sim.shared[0], { title: "来挑战", query: `room=7&tmsdk_s=${code}` }, "the active share, the game's keys kept");
      const onMenu = () => ({ title: "菜单" });
      wx.onShareAppMessage(onMenu);
      eq(sim.menuShare(), { title: "菜单", query: `tmsdk_s=${code}` }, "the menu share");
      const page = { title: "页面", path: "pages/game/index?room=7" };
      eq(tm.share(page), { title: "页面", path: `pages/game/index?room=7&tmsdk_s=${code}` }, "a page's share, tagged in its path");
      eq(page.path, "pages/game/index?room=7", "the game's object is left as it was");
      eq(tm.share("not an object"), "not an object", "anything else comes back as it was");
      await cachedReads(tm, "share_times", 3);
      eq(pendingEvents(sim), 0, "acknowledged, nothing pending");
      wx.offShareAppMessage(onMenu);
      eq(sim.menuShare(), {}, "offShareAppMessage removes the game's callback");
    },
  },
  {
    name: "figures: a new player launched from a share adds one share_new, and nothing else does",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame", config: { autoLogin: false } });
      const code = (await tm.login()).share_code;
      const shareNew = async () => {
        tm.clearProfileCache();
        return (await tm.login()).share_new;
      };
      const invitee = await anotherPlayer(env, "oInvitee_1", { tmsdk_s: code });
      ok((await invitee.tm.login()).is_new, "a new player");
      const { bodies } = await backend(env, "stats");
      eq(bodies.filter((b) => b.path === "/v1/login").pop().body.sharer, code, "the login names the sharer");
      eq(await shareNew(), 1, "one new player brought in");
      // Nothing else does: the same invitee again, the sharer itself, an existing player, a forged tag.
      await (await anotherPlayer(env, "oInvitee_1", { tmsdk_s: code })).tm.login();
      await (await anotherPlayer(env, sim.openId, { tmsdk_s: code })).tm.login();
      await (await anotherPlayer(env, "oInvitee_1", { tmsdk_s: code })).tm.login();
      await (await anotherPlayer(env, "oInvitee_2", { tmsdk_s: "forged-code" })).tm.login();
      eq(await shareNew(), 1, "still one");
    },
  },
  {
    name: "figures: 125 s in the foreground then a hide read online_duration 125; background time adds nothing",
    async run(env) {
      await withClock(env, async (c) => {
        const { sim, tm } = await setup(env, { kind: "minigame" });
        await tm.login();
        c.advance(125_400);
        sim.hide();
        await cachedReads(tm, "online_duration", 125);
        c.advance(3_600_000);
        sim.show();
        c.advance(10_000);
        sim.hide();
        await cachedReads(tm, "online_duration", 135);
        eq((await stats(env)).events, 2, "one send per hide");
      });
    },
  },
  {
    name: "figures: an answer lost after the server counted is resent and counted once",
    async run(env) {
      await withClock(env, async (c) => {
        const { sim, tm } = await setup(env, { kind: "minigame" });
        await tm.login();
        await script(env, "/v1/events", { lose: true });
        tm.share({});
        await untilServer(env, (s) => s.events === 1, "the send whose answer is lost");
        await settled();
        eq((await stats(env)).events, 1, "sent once, its answer lost");
        eq(pendingEvents(sim), 1, "the SDK did not hear it: pending");
        c.advance(1_000);
        sim.hide();
        await cachedReads(tm, "online_duration", 1);
        eq(cached(tm).share_times, 1, "counted once");
        eq(pendingEvents(sim), 0, "nothing pending");
      });
    },
  },
  {
    name: "figures: time played offline arrives with the next launch",
    async run(env) {
      await withClock(env, async (c) => {
        const { wx, sim, tm } = await setup(env, { kind: "minigame" });
        await tm.login();
        await script(env, "/v1/events", { destroy: true }, { destroy: true });
        c.advance(300_000);
        sim.hide();
        tm.share({});
        await untilServer(env, (s) => s.events >= 1, "a send");
        await settled();
        eq(pendingEvents(sim), 2, "kept pending while offline");
        // The next launch, online again.
        c.advance(86_400_000);
        await env.install({ server: env.backendUrl, host: wx });
        await cachedReads(wx.tmSDK, "online_duration", 300);
        eq(cached(wx.tmSDK).share_times, 1, "the share too");
        eq(pendingEvents(sim), 0, "nothing pending");
      });
    },
  },
  {
    name: "figures: the events endpoint down → the events stay pending and go with the next send",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame" });
      await tm.login();
      const down = { status: 503, body: { err: 503, msg: "down" } };
      await script(env, "/v1/events", down, down);
      tm.share({});
      await untilServer(env, (s) => s.events === 1, "the first send");
      await settled();
      eq(pendingEvents(sim), 1, "refused: pending");
      tm.share({});
      await untilServer(env, (s) => s.events === 2, "the second send");
      await settled();
      eq(pendingEvents(sim), 2, "both pending");
      tm.share({});
      await cachedReads(tm, "share_times", 3);
      eq(pendingEvents(sim), 0, "all three went");
    },
  },
  {
    name: "figures: storage full → the events are sent from memory, one warning",
    async run(env) {
      await withClock(env, async (c) => {
        const { sim, tm } = await setup(env, { kind: "minigame" });
        await tm.login();
        const realmConsole = env.console || console;
        const warn = realmConsole.warn;
        const warnings = [];
        realmConsole.warn = (...args) => {
          warnings.push(String(args[0]));
          return warn.apply(realmConsole, args);
        };
        try {
          sim.storageThrows.set = true;
          c.advance(42_000);
          tm.share({});
          sim.hide();
          await untilServer(env, (s) => s.events >= 1, "a send");
          await settled();
        } finally {
          realmConsole.warn = warn;
          sim.storageThrows.set = false;
        }
        eq(warnings.filter((w) => w.includes("pending figures")).length, 1, `warned once: ${warnings.join(" | ")}`);
        tm.clearProfileCache();
        const p = await tm.login();
        eq([p.share_times, p.online_duration], [1, 42], "sent from memory and counted");
      });
    },
  },
  {
    name: "figures: before the first login a share goes out untagged and is counted after the login",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame", config: { autoLogin: false } });
      eq(tm.share({ query: "room=7" }), { query: "room=7" }, "no share code yet: untagged");
      await until(() => pendingEvents(sim) === 1, "pending");
      eq((await stats(env)).events, 0, "no session: waiting");
      eq(sim.counts.login, 0, "no login for the figures");
      const p = await tm.login();
      eq(p.share_times, 0, "the login's answer came first");
      await cachedReads(tm, "share_times", 1);
    },
  },
  {
    name: "figures: trackShares and trackPlayTime false count nothing, shares still tagged",
    async run(env) {
      const { wx, sim, tm } = await setup(env, { kind: "minigame", config: { trackShares: false, trackPlayTime: false } });
      const { share_code: code } = await tm.login();
      const object = { query: "room=7" };
      wx.shareAppMessage(object);
      ok(sim.shared[0] === object, "shareAppMessage is the host's own");
      eq(tm.share({}), { query: `tmsdk_s=${code}` }, "still tagged, so invitees are credited");
      sim.hide();
      await settled();
      eq((await stats(env)).events, 0, "nothing sent");
      ok(!sim.storage.has(EVENTS_KEY), "nothing stored");
    },
  },
  {
    name: "deleteProfile erases the player: nothing left in storage, no login by itself, the next login a new player",
    async run(env) {
      const { sim, tm } = await setup(env, { kind: "minigame" });
      sim.authorised = true;
      await tm.updateUserProfile();
      await script(env, "/v1/events", { destroy: true });
      tm.share({});
      await untilServer(env, (s) => s.events >= 1, "the failing send");
      await settled();
      eq(pendingEvents(sim), 1, "a share pending");
      const logins = sim.counts.login;
      const before = await stats(env);
      eq(await tm.deleteProfile(), undefined, "resolves with undefined");
      eq([...sim.storage.keys()], [], "nothing of the player left in storage");
      eq(tm.getCachedProfile(), null, "no cached profile");
      await settled();
      eq(sim.counts.login, logins, "no login by itself");
      eq((await stats(env)).events, before.events, "the pending share erased, not sent");
      const next = await tm.login();
      eq([next.is_new, next.login_times, next.share_times], [true, 1, 0], "the next login is a new player");
    },
  },
  {
    name: "deleteProfile offline or refused → NETWORK / HTTP / SERVER, the record kept; a refused session logs in once",
    async run(env) {
      const { sim, tm } = await setup(env);
      const first = await authorise(tm, sim);
      const record = sim.storage.get(KEY);
      await script(env, "DELETE /v1/profile", { destroy: true }, { status: 500, body: { err: 500, msg: "boom" } }, { body: { err: 5001, msg: "busy" } });
      const offline = await rejects(tm.deleteProfile(), "NETWORK", env, "offline");
      eq(offline.cached, first, "error.cached");
      await rejects(tm.deleteProfile(), "HTTP", env, "HTTP 500");
      const refused = await rejects(tm.deleteProfile(), "SERVER", env, "err != 0");
      eq(refused.serverErr, 5001, "serverErr");
      eq(sim.storage.get(KEY), record, "the record kept to try again");
      await backend(env, "expire-sessions");
      const logins = (await stats(env)).login;
      await tm.deleteProfile();
      eq((await stats(env)).login, logins + 1, "one login after the refused session");
      ok(!sim.storage.has(KEY), "erased");
      const noLogin = await setup(env, { config: { noLogin: true, server: undefined } });
      await rejects(noLogin.tm.deleteProfile(), "NO_LOGIN_SDK", env, "the no-login build");
    },
  },
];

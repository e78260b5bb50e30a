// The benchmark's timed comparisons, runtime-agnostic: scripts/bench.mjs runs them in Node, in headless
// Chromium (bench/browser-entry.mjs) and in the WeChat sandbox (bench/sandbox-entry.mjs). Candidates run
// interleaved — rounds of batches, the order rotating — and each figure is the median over rounds of the mean
// time per call, in µs, so a noisy machine moves every candidate alike.
import { peers } from "./peer/peers.mjs";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Times synchronous candidates. */
export function compare(now, candidates, { batch = 2000, rounds = 21 } = {}) {
  const labels = Object.keys(candidates);
  const samples = Object.fromEntries(labels.map((l) => [l, []]));
  for (const l of labels) for (let i = 0; i < batch; i++) candidates[l]();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < labels.length; k++) {
      const label = labels[(r + k) % labels.length];
      const run = candidates[label];
      const t = now();
      for (let i = 0; i < batch; i++) run();
      samples[label].push(((now() - t) * 1000) / batch);
    }
  }
  return Object.fromEntries(labels.map((l) => [l, median(samples[l])]));
}

/** Times candidates of which some return promises (settled in batches, as a game awaits them). */
export async function compareAsync(now, candidates, { batch = 2000, rounds = 21 } = {}) {
  const labels = Object.keys(candidates);
  const samples = Object.fromEntries(labels.map((l) => [l, []]));
  const once = async (run) => {
    const t = now();
    const pending = [];
    for (let i = 0; i < batch; i++) pending.push(run());
    await Promise.all(pending);
    return ((now() - t) * 1000) / batch;
  };
  for (const l of labels) await once(candidates[l]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < labels.length; k++) {
      const label = labels[(r + k) % labels.length];
      samples[label].push(await once(candidates[label]));
    }
  }
  return Object.fromEntries(labels.map((l) => [l, median(samples[l])]));
}

/**
 * The three timed figures of every runtime: parse the sample envelope, `updateUserProfile()` from a fresh
 * record, `getCachedProfile()`.
 * @param {object} o
 * @param {() => number} o.now milliseconds
 * @param {(body: string, appId: string) => object} o.parseProfile the package's
 * @param {object} o.tm the installed `wx.tmSDK`, over `o.wx` holding a fresh authorised record under `o.key`
 * @param {object} o.peers `{ "hand-written": module, zod: module, "zod plain": module }` of bench/peer/
 */
export async function runFigures({ now, parseProfile, tm, wx, key, appId, envelope, peers, batch, rounds }) {
  const options = { batch, rounds };
  const peer = (m) => () => m.cachedProfile(wx, key, appId, 604800, Date.now());
  const parse = compare(
    now,
    {
      package: () => parseProfile(envelope, appId),
      "hand-written": () => peers["hand-written"].parseProfile(envelope, appId),
      zod: () => peers.zod.parseProfile(envelope, appId),
      "zod plain": () => peers["zod plain"].parseProfile(envelope, appId),
      "JSON.parse": () => JSON.parse(envelope),
    },
    options,
  );
  const hit = await compareAsync(
    now,
    {
      package: () => tm.updateUserProfile(),
      "hand-written": peer(peers["hand-written"]),
      zod: peer(peers.zod),
      "zod plain": peer(peers["zod plain"]),
    },
    options,
  );
  const peek = compare(
    now,
    {
      package: () => tm.getCachedProfile(),
      "hand-written": peer(peers["hand-written"]),
      zod: peer(peers.zod),
      "zod plain": peer(peers["zod plain"]),
    },
    options,
  );
  return [
    { name: "parse + validate + normalise the sample envelope (text)", unit: "µs", ...parse },
    { name: "updateUserProfile() served from a fresh record", unit: "µs", ...hit },
    { name: "getCachedProfile()", unit: "µs", ...peek },
  ];
}

/** A wx with only sync storage, holding a fresh authorised record of `profile` for `appId`. */
export function storageHost(appId, profile, cachedAt) {
  const store = new Map();
  store.set(`tmsdk.profile.v1.${appId}`, JSON.stringify({ v: 1, app_id: appId, cached_at: cachedAt, profile }));
  return {
    getStorageSync: (k) => (store.has(k) ? store.get(k) : ""),
    setStorageSync: (k, v) => store.set(k, v),
    removeStorageSync: (k) => store.delete(k),
  };
}

/**
 * Installs the package over a wx holding a fresh record of `authorised`, then runs [`runFigures`].
 * `install(config, wx)` installs it the runtime's way (a `host` key, or the realm's global `wx`); `batch` and
 * `rounds` default to [`compare`]'s.
 */
export async function runBench({ now, install, parseProfile, appId, envelope, authorised, config = {}, batch, rounds }) {
  const wx = storageHost(appId, authorised, Date.now());
  const tm = await install({ server: "https://bench.invalid", appId, autoLogin: false, ...config }, wx);
  return runFigures({ now, parseProfile, tm, wx, key: `tmsdk.profile.v1.${appId}`, appId, envelope, peers, batch, rounds });
}

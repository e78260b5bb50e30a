/**
 * The player's figures at the host's edge (docs/api.md, "The player's figures"): with `trackShares`, the host's
 * `shareAppMessage` and `onShareAppMessage` wrapped so every share object leaving the game goes through the
 * core's `share` (tagged with the share code, counted), `offShareAppMessage` still removing what the game
 * registered; with `trackPlayTime`, the host's show and hide events forwarded to the core, and while the game is
 * in the foreground a timer that tells the core it still is (its checkpoint). Only plumbing: what a share
 * carries, what counts and when is the core's.
 *
 * Hooks are set once per `wx` object; a later `install` on the same `wx` points them at its own core.
 */

import { CHECKPOINT_MS, TRACKS_PLAY_TIME, TRACKS_SHARES } from "./defaults.js";
import { read } from "./read.js";

const hooked = new WeakMap();

/**
 * @param {object} wx the host
 * @param {() => any} core the install's current core, or null while it cannot be had
 */
export function hookFigures(wx, core) {
  const known = hooked.get(wx);
  if (known) {
    known.core = core;
    return;
  }
  const hooks = { core };
  hooked.set(wx, hooks);
  const current = () => {
    try {
      return hooks.core();
    } catch {
      return null;
    }
  };
  const first = current();
  if (!first) return;
  const tracking = first.tracking;
  if (tracking & TRACKS_SHARES) wrapShares(wx, current);
  if (tracking & TRACKS_PLAY_TIME) listenToPlay(wx, current);
}

function wrapShares(wx, current) {
  // A share object through the core; a missing one is an empty one (WeChat's defaults, still a share).
  const tag = (object) => {
    const core = current();
    if (!core) return object;
    try {
      return core.share(object === undefined ? {} : object);
    } catch {
      return object;
    }
  };
  const share = read(wx, "shareAppMessage");
  const on = read(wx, "onShareAppMessage");
  const off = read(wx, "offShareAppMessage");
  // The game's callback → the one registered in its place, so offShareAppMessage(callback) finds it.
  const registered = new Map();
  try {
    if (typeof share === "function") {
      wx.shareAppMessage = function shareAppMessage(object) {
        return share.call(wx, tag(object));
      };
    }
    if (typeof on === "function") {
      wx.onShareAppMessage = function onShareAppMessage(callback) {
        if (typeof callback !== "function") return on.call(wx, callback);
        let ours = registered.get(callback);
        if (!ours) {
          ours = function (...args) {
            return tag(callback.apply(this, args));
          };
          registered.set(callback, ours);
        }
        return on.call(wx, ours);
      };
    }
    if (typeof off === "function") {
      wx.offShareAppMessage = function offShareAppMessage(callback) {
        if (callback === undefined) {
          registered.clear();
          return off.call(wx);
        }
        const ours = registered.get(callback);
        registered.delete(callback);
        return off.call(wx, ours || callback);
      };
    }
  } catch {
    // A frozen host: shares go out as the game made them; wx.tmSDK.share still tags them.
  }
}

function listenToPlay(wx, current) {
  // Mini-games: onShow / onHide; mini-programs: onAppShow / onAppHide.
  const mini = typeof read(wx, "onShow") === "function" && typeof read(wx, "onHide") === "function";
  const [show, hide] = mini ? ["onShow", "onHide"] : ["onAppShow", "onAppHide"];
  const forward = (name) => () => {
    const core = current();
    try {
      if (core) core[name]();
    } catch {
      // The core reports its own failures; a host event never throws into the host.
    }
  };
  const shown = forward("shown");
  // While the game is in the foreground, the core hears every CHECKPOINT_MS that it still is (a checkpoint).
  let timer = null;
  const start = () => {
    if (timer !== null || typeof setInterval !== "function") return;
    timer = setInterval(shown, CHECKPOINT_MS);
    // Node: the timer never keeps a process alive.
    if (timer && typeof timer.unref === "function") timer.unref();
  };
  const stop = () => {
    if (timer !== null && typeof clearInterval === "function") clearInterval(timer);
    timer = null;
  };
  try {
    if (typeof read(wx, show) === "function") {
      wx[show](() => {
        shown();
        start();
      });
    }
    if (typeof read(wx, hide) === "function") {
      wx[hide](() => {
        stop();
        forward("hidden")();
      });
    }
  } catch {
    // A host whose listeners throw: time is counted from install to the next launch's checkpoint.
  }
  start();
}

/**
 * The mini-game platforms the drop-in serves, as data: each one's name, its host object and wasm loader (read
 * as free names, `typeof`-guarded: a host may hand its globals to the game's code as names that are not
 * properties of the global object), the loader's name and the base library that has it. Found in one place:
 * `config.host` when given (its platform is the one whose host it is, else WeChat's), else the first platform
 * whose host exists — Douyin, then QQ, then WeChat, since an engine's adapter may alias `wx` on the others. A new
 * platform is a row.
 */
/* global tt, TTWebAssembly, qq, QQWebAssembly, WXWebAssembly */

/**
 * @typedef {[name: string, host: () => any, loaderName: string, loader: () => any, base: string, code: number]} Platform
 * `code`: the core's number for the platform (`Platform::code`, core/src/platform.rs), which its messages name.
 */

/** @type {Platform[]} in the order they are looked for; WeChat, the last, is the default */
export const PLATFORMS = [
  ["Douyin", () => typeof tt == "object" && tt, "TTWebAssembly", () => typeof TTWebAssembly == "object" && TTWebAssembly, "3.7.0.0", 2],
  ["QQ", () => typeof qq == "object" && qq, "QQWebAssembly", () => typeof QQWebAssembly == "object" && QQWebAssembly, "1.71.0", 1],
  ["WeChat", () => typeof wx == "object" && wx, "WXWebAssembly", () => typeof WXWebAssembly == "object" && WXWebAssembly, "2.13.0", 0],
];

/**
 * The platform `host` belongs to, or, without one, the first whose host exists; WeChat's where none does (a
 * browser, Node: the host is then a new `wx` object).
 * @param {object} [host] `config.host`
 * @returns {Platform}
 */
export const findPlatform = (host) => PLATFORMS.find((p) => (host ? p[1]() == host : p[1]())) || PLATFORMS[2]; // WeChat's

/**
 * The platform's host object (`tt`, `qq`, `wx`); without one, a new `wx` on the global (browsers and Node, whose
 * engines all have `globalThis`).
 */
export const defaultHost = () => findPlatform()[1]() || (globalThis.wx = {});

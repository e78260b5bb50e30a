// A WeChat-like JS realm for the drop-in: a Node `vm` context holding only WeChat's globals — `wx`,
// `WXWebAssembly` (which takes only a path inside the game package), `console`, `setTimeout`, `setInterval`, `Promise` — and
// none of `WebAssembly`, `fetch`, `TextEncoder`/`TextDecoder`, `window`, `document`, `require`. The same realm
// as another platform's (`platform`: QQ's `qq` and `QQWebAssembly`), holding that platform's globals instead.
import vm from "node:vm";
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize, sep } from "node:path";
import { brotliDecompressSync } from "node:zlib";

/**
 * @param {object} o
 * @param {string} o.packageRoot the game package's folder on disk
 * @param {"instance"|"pair"} o.resultShape what WXWebAssembly.instantiate resolves with
 * @param {boolean} [o.withWXWebAssembly] false: an old base library without it
 * @param {object} [o.console] the realm's console (default Node's)
 * @param {object} [o.globals] more globals for the realm (e.g. a host that has TextDecoder)
 * @param {{ host: string, loader: string }} [o.platform] the host's global and its loader's (default WeChat's)
 */
export function createWeChatSandbox({
  packageRoot, resultShape, withWXWebAssembly = true, console: realmConsole = console, globals = {},
  platform = { host: "wx", loader: "WXWebAssembly" },
}) {
  const context = vm.createContext({});
  // A fresh realm has WebAssembly (a JS builtin in V8): WeChat's doesn't.
  vm.runInContext("delete globalThis.WebAssembly;", context);
  const loads = [];
  const WXWebAssembly = {
    instantiate(path, imports) {
      loads.push(path);
      if (typeof path !== "string") {
        return Promise.reject(new TypeError("WXWebAssembly.instantiate: first argument must be a string"));
      }
      const relative = normalize(path.replace(/^\/+/, ""));
      if (/^[a-z]+:/i.test(path) || isAbsolute(relative) || relative.startsWith(`..${sep}`) || !/\.wasm(\.br)?$/.test(relative)) {
        return Promise.reject(new Error(`WXWebAssembly.instantiate: ${path} is not a .wasm/.wasm.br path inside the package`));
      }
      let bytes;
      try {
        bytes = readFileSync(join(packageRoot, relative));
      } catch {
        return Promise.reject(new Error(`WXWebAssembly.instantiate: no such file in the package: ${path}`));
      }
      if (relative.endsWith(".br")) bytes = brotliDecompressSync(bytes);
      return WebAssembly.instantiate(bytes, imports).then((r) => (resultShape === "instance" ? r.instance : r));
    },
  };
  Object.assign(context, { console: realmConsole, setTimeout, clearTimeout, setInterval, clearInterval, ...globals });
  if (withWXWebAssembly) context[platform.loader] = WXWebAssembly;

  /** Evaluates a CommonJS file of the package; it may not require anything. */
  function load(file) {
    const code = readFileSync(join(packageRoot, file), "utf8");
    const wrapper = vm.runInContext(`(function (module, exports, require) {${code}\n})`, context, { filename: file });
    const module = { exports: {} };
    const requireFromPackage = (name) => {
      if (name.startsWith("./")) return load(normalize(join(file, "..", name)));
      throw new Error(`require("${name}") is not available in the ${platform.host} sandbox`);
    };
    wrapper(module, module.exports, requireFromPackage);
    return module.exports;
  }

  return {
    context,
    load,
    loads,
    /** Makes `host` the realm's global `wx` (or the platform's host global). */
    setWx(host) {
      context[platform.host] = host;
    },
    /** The realm's own Error class (errors made inside are instances of it, not of Node's). */
    Error: vm.runInContext("Error", context),
    /** The realm's own Date (the drop-in's clock). */
    Date: vm.runInContext("Date", context),
  };
}

/**
 * The scenarios' `env` for the drop-in loaded in `sandbox`: as in a mini-game, the host is the realm's global
 * (`wx`, `qq`), not a config key.
 */
export function realmEnv({ sandbox, dropIn, transport, backendUrl }) {
  return {
    install: ({ host, ...config }) => {
      sandbox.setWx(host);
      return dropIn.install(config);
    },
    TmSdkError: dropIn.TmSdkError,
    Error: sandbox.Error,
    Date: sandbox.Date,
    transport,
    backendUrl,
  };
}

// Inside JavaScriptCore's shell: the drop-in loaded as a mini-game loads it — the platform's loader
// (`WXWebAssembly`, `QQWebAssembly`, `TTWebAssembly`) taking a package path, then the CommonJS file evaluated as
// `require` evaluates it. Used by the scenario runner
// (tests/jsc/runner.mjs) and the benchmark (bench/jsc-entry.mjs). `dir` holds tmsdk-profile.js and the wasm
// decompressed (tests/support/jsc-drop-in.mjs: brotli is the host's job in WeChat).
/* global load, readFile */

/** Installs the loader named `loader` (WeChat's by default), evaluates the drop-in from `dir`, and returns its exports. */
export function loadDropIn(dir, loader = "WXWebAssembly") {
  globalThis[loader] = {
    instantiate(path, imports) {
      if (!/\.wasm(\.br)?$/.test(path)) return Promise.reject(new Error(`not a wasm path: ${path}`));
      const file = `${dir}/${path.replace(/^tmsdk-profile\//, "").replace(/\.br$/, "")}`;
      return WebAssembly.instantiate(readFile(file, "binary"), imports).then((r) => r.instance);
    },
  };
  globalThis.module = { exports: {} };
  globalThis.exports = globalThis.module.exports;
  load(`${dir}/tmsdk-profile.js`);
  return globalThis.module.exports;
}

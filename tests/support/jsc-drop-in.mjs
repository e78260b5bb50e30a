// The drop-in laid out for JavaScriptCore's shell (tests/jsc/load-drop-in.mjs), from dist/minigame/: its JS file
// and its wasm decompressed, as WXWebAssembly decompresses a .wasm.br in WeChat. For tests/js/jsc.test.mjs and
// scripts/bench.mjs.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";

const dist = fileURLToPath(new URL("../../dist/minigame/", import.meta.url));

/** A new temporary folder holding the drop-in for jsc; the caller removes it. */
export function jscDropInDir() {
  const dir = mkdtempSync(join(tmpdir(), "tmsdk-jsc-"));
  copyFileSync(join(dist, "tmsdk-profile.js"), join(dir, "tmsdk-profile.js"));
  writeFileSync(join(dir, "tmsdk-profile.wasm"), brotliDecompressSync(readFileSync(join(dist, "tmsdk-profile.wasm.br"))));
  return dir;
}

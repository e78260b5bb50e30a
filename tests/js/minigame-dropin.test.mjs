// Static checks of the WeChat drop-in: two files, ES2017 syntax, no web-only or dynamic-code globals used
// unguarded, the wasm strictly MVP + mutable-globals, and the UTF-8 codecs it injects agree with Node's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { brotliDecompressSync } from "node:zlib";
import { parse } from "acorn";
import wabtInit from "wabt";

import { Utf8Decoder, Utf8Encoder } from "../../js-shim/text-codec.js";

const dist = new URL("../../dist/minigame/", import.meta.url);
const code = readFileSync(new URL("tmsdk-profile.js", dist), "utf8");

/** Names WeChat lacks (or forbids): referenced only behind a `typeof` guard, if at all. */
const FORBIDDEN = ["fetch", "window", "document", "self", "localStorage", "eval", "WebAssembly", "TextEncoder", "TextDecoder", "XMLHttpRequest", "require"];

function walk(node, parent, visit) {
  visit(node, parent);
  for (const value of Object.values(node)) {
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child.type === "string") walk(child, node, visit);
    }
  }
}

function containsTypeofOf(node, name) {
  let found = false;
  walk(node, null, (n) => {
    if (n.type === "UnaryExpression" && n.operator === "typeof" && n.argument.type === "Identifier" && n.argument.name === name) found = true;
  });
  return found;
}

test("the drop-in is one CommonJS .js and one .wasm.br", () => {
  assert.deepEqual(readdirSync(dist).sort(), ["tmsdk-profile.js", "tmsdk-profile.wasm.br"]);
  assert.match(code, /module\.exports/);
});

test("the drop-in parses as an ES2017 script (no import.meta, no later syntax)", () => {
  assert.doesNotThrow(() => parse(code, { ecmaVersion: 2017, sourceType: "script" }));
  assert.throws(() => parse("a?.b", { ecmaVersion: 2017, sourceType: "script" }), "the check itself rejects ES2020");
});

/** Every use of a FORBIDDEN name that is not behind a `typeof` guard, and every Function constructor. */
function unguardedUses(source) {
  const ast = parse(source, { ecmaVersion: 2017, sourceType: "script" });
  const offences = [];
  walk(ast, null, (node, parent) => {
    if (node.type === "NewExpression" || node.type === "CallExpression") {
      if (node.callee.type === "Identifier" && node.callee.name === "Function") offences.push("Function constructor");
    }
    if (node.type !== "Identifier" || !FORBIDDEN.includes(node.name)) return;
    if (parent.type === "MemberExpression" && parent.property === node && !parent.computed) return; // x.window
    if (parent.type === "Property" && parent.key === node && !parent.computed && !parent.shorthand) return; // {window: …}
    if (parent.type === "UnaryExpression" && parent.operator === "typeof") return; // typeof window
    if (parent.type === "ConditionalExpression" && containsTypeofOf(parent.test, node.name)) return; // typeof window == "undefined" ? … : window
    offences.push(`${node.name} at ${node.start}: …${source.slice(Math.max(0, node.start - 40), node.end + 20)}…`);
  });
  return offences;
}

test("the drop-in uses no web-only global unguarded and no dynamic code", () => {
  assert.deepEqual(unguardedUses(code), []);
});

test("the unguarded-use check itself catches what it should", () => {
  assert.equal(unguardedUses("fetch(u); new TextDecoder(); eval('1'); new Function('x')").length, 4);
  assert.equal(unguardedUses("var w = window.document;").length, 1);
  assert.deepEqual(unguardedUses("var w = typeof window == 'undefined' ? void 0 : window; o.fetch(); ({ document: 1 });"), []);
});

test("the .wasm.br is the size-first build of the package's wasm (same imports and exports), strictly MVP + mutable-globals", async () => {
  const wasm = brotliDecompressSync(readFileSync(new URL("tmsdk-profile.wasm.br", dist)));
  assert.deepEqual(wasm, readFileSync(new URL("../../target/pkg-minigame/tmsdk_profile_bg.wasm", import.meta.url)));
  const packaged = readFileSync(new URL("../../pkg/tmsdk_profile_bg.wasm", import.meta.url));
  const shape = (bytes) => {
    const m = new WebAssembly.Module(bytes);
    // Closure shims are exported by their table index, which the optimisation level moves.
    const named = (entries) => entries.map((e) => ({ ...e, name: e.name.replace(/^__wasm_bindgen_func_elem_\d+$/, "closure") }));
    return [named(WebAssembly.Module.imports(m)), named(WebAssembly.Module.exports(m))];
  };
  assert.deepEqual(shape(wasm), shape(packaged));
  assert.ok(wasm.length < packaged.length, "the drop-in's wasm is the smaller build");
  // Beside the drop-in, for a host that refuses .wasm.br: the same wasm, uncompressed.
  assert.deepEqual(readFileSync(new URL("../tmsdk-profile.wasm", dist)), wasm);
  const wabt = await wabtInit();
  const strict = { mutable_globals: true, sat_float_to_int: false, sign_extension: false, bulk_memory: false, reference_types: false, multi_value: false, simd: false };
  const module = wabt.readWasm(new Uint8Array(wasm), strict);
  assert.doesNotThrow(() => module.validate());
  module.destroy();
  // The check can fail: a sign-extension instruction (i32.extend8_s) is refused under the same flags.
  const signExt = wabt.parseWat("x.wat", "(module (func (param i32) (result i32) local.get 0 i32.extend8_s))", { sign_extension: true });
  const bytes = signExt.toBinary({}).buffer;
  assert.throws(() => wabt.readWasm(new Uint8Array(bytes), strict).validate(), /opcode/);
});

test("the injected UTF-8 codecs agree with Node's on random input", () => {
  let seed = 20261125;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const ours = new Utf8Decoder("utf-8", { ignoreBOM: true });
  const native = new TextDecoder("utf-8", { ignoreBOM: true });
  const byteAlphabet = [0x41, 0xc3, 0xa9, 0xe4, 0xb8, 0xad, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xed, 0xa0, 0x80, 0xef, 0xbb, 0xbf, 0xc0, 0xf4, 0x90];
  const unitAlphabet = [0x41, 0xe9, 0x4e2d, 0xd83d, 0xde00, 0xdc00, 0x7f, 0x800, 0xffff];
  for (let t = 0; t < 5000; t++) {
    const bytes = Uint8Array.from({ length: Math.floor(random() * 14) }, () => pick(byteAlphabet));
    assert.equal(ours.decode(bytes), native.decode(bytes), `decode ${[...bytes]}`);
    const text = String.fromCharCode(...Array.from({ length: Math.floor(random() * 10) }, () => pick(unitAlphabet)));
    assert.deepEqual(new Utf8Encoder().encode(text), new TextEncoder().encode(text), `encode ${JSON.stringify(text)}`);
  }
  assert.equal(new Utf8Decoder().decode(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41)), "A", "a BOM is dropped unless ignoreBOM");
  // Long ASCII runs (decoded a run at a time, in chunks) around multi-byte characters.
  const long = new TextEncoder().encode(`${"a".repeat(40_000)}中${"b".repeat(0x4000)}😀c`);
  assert.equal(ours.decode(long), native.decode(long), "long ASCII runs");
  assert.equal(ours.decode(), "");
});

// Build step: gives wasm-bindgen's imports short names. wasm-bindgen names each JS function the wasm imports
// `__wbg_<name>_<16 hex digits>`; the names sit in the wasm's import section and as keys of the glue's import
// object, and the hex digits do not compress. Renamed to `a`, `b`, … `ba` … in both places they cost 1.6 KB
// less brotli across the drop-in (wasm + js). Only the glue's own module (`./<crate>_bg.js`) is renamed;
// snippet modules keep their names.

/** Unsigned LEB128. */
function uleb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return Buffer.from(out);
}

const nameBytes = (s) => {
  const bytes = Buffer.from(s, "utf8");
  return Buffer.concat([uleb(bytes.length), bytes]);
};

/** `a` … `z`, `A` … `Z`, then `ba` …: never a JS keyword, never clashing with wasm-bindgen's own keys. */
function shortName(index) {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let name = "";
  let n = index;
  do {
    name = letters[n % letters.length] + name;
    n = Math.floor(n / letters.length);
  } while (n > 0);
  return name === "do" || name === "if" || name === "in" ? `${name}_` : name;
}

/**
 * Renames the imports of `wasm` from `module` and the matching keys of `glue`.
 * @param {Buffer} wasm the module's bytes
 * @param {string} glue the glue's source
 * @param {string} module the import module whose names are renamed (`./<crate>_bg.js`)
 * @returns {{ wasm: Buffer, glue: string, renamed: number }}
 */
export function shortenImports(wasm, glue, module) {
  let at = 8;
  const read = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = wasm[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const readName = () => {
    const length = read();
    const name = wasm.subarray(at, at + length).toString("utf8");
    at += length;
    return name;
  };
  const names = new Map();
  const parts = [wasm.subarray(0, 8)];
  while (at < wasm.length) {
    const start = at;
    const id = wasm[at++];
    const size = read();
    const end = at + size;
    if (id !== 2) {
      parts.push(wasm.subarray(start, end));
      at = end;
      continue;
    }
    const count = read();
    const entries = [uleb(count)];
    for (let k = 0; k < count; k++) {
      const from = readName();
      const field = readName();
      const descStart = at;
      const kind = wasm[at++];
      if (kind === 0) read(); // function: type index
      else if (kind === 1) { at++; if (wasm[at++] & 1) read(); read(); } // table: reftype, limits
      else if (kind === 2) { if (wasm[at++] & 1) read(); read(); } // memory: limits
      else if (kind === 3) at += 2; // global: valtype, mutability
      else throw new Error(`short-imports: unknown import kind ${kind}`);
      let renamed = field;
      if (from === module) {
        if (!names.has(field)) names.set(field, shortName(names.size));
        renamed = names.get(field);
      }
      entries.push(nameBytes(from), nameBytes(renamed), wasm.subarray(descStart, at));
    }
    if (at !== end) throw new Error("short-imports: the import section did not read to its end");
    const body = Buffer.concat(entries);
    parts.push(Buffer.from([2]), uleb(body.length), body);
  }
  let out = glue;
  for (const [from, to] of names) {
    // The keys of the import object: `__wbg_x_0123456789abcdef: function(…)`.
    const key = new RegExp(`\\b${from}(?=\\s*:)`, "g");
    const uses = out.match(key)?.length ?? 0;
    if (uses !== 1) throw new Error(`short-imports: "${from}" is a key of the glue ${uses} times, not once`);
    out = out.replace(key, to);
  }
  return { wasm: Buffer.concat(parts), glue: out, renamed: names.size };
}

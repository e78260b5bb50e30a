/**
 * UTF-8 TextEncoder / TextDecoder for hosts that lack them (WeChat on real phones). The WeChat bundle injects
 * these in place of the globals (see text-codec-inject.js), so the wasm-bindgen glue finds them while it
 * evaluates. Only what the glue uses: `encode`, and `decode` with `ignoreBOM`; invalid input becomes U+FFFD as
 * in the WHATWG Encoding standard.
 */

export class Utf8Encoder {
  get encoding() {
    return "utf-8";
  }

  /** @param {string} [input] @returns {Uint8Array} */
  encode(input = "") {
    const s = String(input);
    const out = new Uint8Array(s.length * 3);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          c = 0xfffd; // a lone surrogate
        }
      }
      if (c < 0x80) {
        out[n++] = c;
      } else if (c < 0x800) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 0x3f);
      } else if (c < 0x10000) {
        out[n++] = 0xe0 | (c >> 12);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
      } else {
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 0x3f);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
      }
    }
    return out.slice(0, n);
  }
}

export class Utf8Decoder {
  /** @param {string} [label] @param {{ignoreBOM?: boolean, fatal?: boolean}} [options] */
  constructor(label = "utf-8", options = {}) {
    const l = String(label).trim().toLowerCase();
    if (l !== "utf-8" && l !== "utf8" && l !== "unicode-1-1-utf-8") {
      throw new RangeError(`The encoding label provided ('${label}') is not supported.`);
    }
    this.ignoreBOM = Boolean(options.ignoreBOM);
    this.fatal = Boolean(options.fatal);
  }

  get encoding() {
    return "utf-8";
  }

  /** @param {ArrayBufferView | ArrayBuffer} [input] @returns {string} */
  decode(input) {
    if (input === undefined) return "";
    const bytes = ArrayBuffer.isView(input)
      ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
      : new Uint8Array(input);
    let i = 0;
    if (!this.ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    const units = [];
    let text = "";
    const fail = () => {
      if (this.fatal) throw new TypeError("The encoded data was not valid for encoding utf-8");
      units.push(0xfffd);
    };
    while (i < bytes.length) {
      const b = bytes[i];
      let need = 0;
      let cp = 0;
      let lower = 0x80;
      let upper = 0xbf;
      if (b < 0x80) {
        // A long run of ASCII bytes becomes text in one call: byte by byte it costs an engine without JIT
        // (JavaScriptCore on iOS) several times more; a short run is cheaper byte by byte with a JIT.
        let end = i + 1;
        while (end < bytes.length && bytes[end] < 0x80 && end - i < 0x4000) end++;
        if (end - i < 32) {
          for (; i < end; i++) units.push(bytes[i]);
        } else {
          if (units.length) {
            text += String.fromCharCode.apply(null, units);
            units.length = 0;
          }
          text += String.fromCharCode.apply(null, bytes.subarray(i, end));
          i = end;
        }
      } else {
        if (b >= 0xc2 && b <= 0xdf) {
          need = 1;
          cp = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          cp = b & 0x0f;
          if (b === 0xe0) lower = 0xa0;
          if (b === 0xed) upper = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          cp = b & 0x07;
          if (b === 0xf0) lower = 0x90;
          if (b === 0xf4) upper = 0x8f;
        } else {
          fail();
          i++;
          continue;
        }
        i++;
        let ok = true;
        for (let k = 0; k < need; k++, i++) {
          const c = bytes[i];
          if (i >= bytes.length || c < lower || c > upper) {
            ok = false;
            break;
          }
          lower = 0x80;
          upper = 0xbf;
          cp = (cp << 6) | (c & 0x3f);
        }
        if (!ok) {
          fail(); // the bad byte is not consumed: it starts the next sequence
        } else if (cp >= 0x10000) {
          cp -= 0x10000;
          units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
          units.push(cp);
        }
      }
      if (units.length >= 0x4000) {
        text += String.fromCharCode.apply(null, units);
        units.length = 0;
      }
    }
    return text + String.fromCharCode.apply(null, units);
  }
}

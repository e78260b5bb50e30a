/**
 * Injected by the WeChat build (esbuild `inject`) in place of the free names `TextEncoder` / `TextDecoder`:
 * the host's own classes when it has them, the UTF-8 ones from text-codec.js otherwise. Being an import, it
 * is evaluated before the wasm-bindgen glue.
 */
import { Utf8Decoder, Utf8Encoder } from "./text-codec.js";

/* global GameGlobal */
const host =
  typeof globalThis === "object" ? globalThis : typeof GameGlobal === "object" ? GameGlobal : {};

const Encoder = typeof host.TextEncoder === "function" ? host.TextEncoder : Utf8Encoder;
const Decoder = typeof host.TextDecoder === "function" ? host.TextDecoder : Utf8Decoder;

export { Encoder as TextEncoder, Decoder as TextDecoder };

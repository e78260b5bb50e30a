// The line format between tests/jsc/runner.mjs (in jsc) and tests/js/jsc.test.mjs (in Node): JSON text with every
// non-ASCII character escaped, since jsc's `print` and `readline` do not keep UTF-8.

/** `value` as JSON text of ASCII characters only. */
export const ascii = (value) =>
  JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

// The web entry's wasm loader, run in Node over a local HTTP server: a failed fetch is a TmSdkError naming
// wasmPath, and is not cached: the next install() with the right URL loads it. Its own file, so no earlier
// test of this process has loaded the wasm already.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

import { install, parseProfile, TmSdkError } from "../../pkg/shim/web.js";

const wasm = readFileSync(new URL("../../pkg/tmsdk_profile_bg.wasm", import.meta.url));
const server = createServer((req, res) => {
  if (req.url === "/tmsdk.wasm") {
    res.writeHead(200, { "content-type": "application/wasm" });
    res.end(wasm);
  } else {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
after(() => new Promise((r) => server.close(r)));
const base = `http://127.0.0.1:${server.address().port}`;

test("web: a failed wasm fetch rejects INVALID_CONFIG (wasmPath), and a later install loads it", async () => {
  const config = { noLogin: true, appId: "wxsimapp0000000001", host: {} };
  assert.throws(() => parseProfile("{}", "wx1"), (e) => e instanceof TmSdkError && e.code === "UNSUPPORTED");
  const warn = console.warn;
  console.warn = () => {}; // the glue warns about the 404's content type before it fails
  let e;
  try {
    e = await install({ ...config, wasmPath: `${base}/missing.wasm` }).then(
      () => assert.fail("should reject"),
      (err) => err,
    );
  } finally {
    console.warn = warn;
  }
  assert.ok(e instanceof TmSdkError, String(e));
  assert.equal(e.code, "INVALID_CONFIG");
  assert.equal(e.field, "wasmPath");
  const tm = await install({ ...config, wasmPath: `${base}/tmsdk.wasm` });
  assert.equal(typeof tm.updateUserProfile, "function");
  assert.equal(parseProfile('{"open_id":"oW"}', "wx1").open_id, "oW", "parseProfile works once loaded");
});

// `npm start`'s simulator and dev backend: the page driven in headless Chromium (Allow shows the profile, the
// second call comes from the cache with no sheet, refresh shows the sheet, Deny shows AUTH_DENIED; the
// screenshot in docs/ comes from here), the dev stack over HTTP (tmsdk-server behind the page, the simulated
// WeChat's jscode2session, signatures, persistence, token rotation), and the `npm start` entry itself. Needs the webpack bundle (npm test builds it first).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import jsonwebtoken from "jsonwebtoken";

import { startDevServer, SIMULATOR_APP_ID } from "../../dev/server.mjs";
import { launchChromium } from "../support/chromium.mjs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
let dataDir;
let server;
/** What tmsdk-server printed. */
const serverLines = [];

before(async () => {
  assert.ok(existsSync(join(repo, "dist", "webpack", "simulator.js")), "run `node scripts/webpack.mjs` (npm test does) first");
  dataDir = mkdtempSync(join(tmpdir(), "tmsdk-dev-data-"));
  server = await startDevServer({ port: 0, dataDir, log: (line) => serverLines.push(line) });
});

after(async () => {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The simulator page (at `url`) in `browser`, ready (`install()` resolved), its page errors collected. */
async function openSimulator(browser, url = server.url) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  return { page, errors };
}

async function post(base, path, body, headers = {}) {
  const res = await fetch(new URL(path, base), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test("the simulator's platform switch: QQ — the user-info button's tap (the sheet), the QQ game's verified profile through QQ's API, then the cache", async () => {
  // A dev stack of its own: the page's other tests keep the per-address rate limit's whole allowance.
  const qqData = mkdtempSync(join(tmpdir(), "tmsdk-dev-qq-"));
  const qqServer = await startDevServer({ port: 0, dataDir: qqData });
  const browser = await launchChromium();
  try {
    const { page, errors } = await openSimulator(browser, qqServer.url);
    await page.selectOption("#platform", "qq");
    await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
    assert.equal(await page.textContent("#api-name"), "qq.tmSDK");
    assert.equal(await page.evaluate(() => typeof globalThis.qq.tmSDK.updateUserProfile), "function", "qq.tmSDK installed");
    await page.click("#tap");
    await page.waitForSelector("#sheet:not([hidden])", { timeout: 15_000 });
    assert.equal(await page.isVisible(".sheet-privacy"), false, "no privacy answers on QQ");
    await page.click("#allow");
    await page.waitForFunction(() => ["resolved", "rejected"].includes(document.getElementById("status").textContent));
    assert.equal(await page.textContent("#status"), "resolved", await page.textContent("#error"));
    assert.equal(await page.textContent("#nick"), "小明");
    assert.match(await page.textContent("#source"), /QQ user-info button/);
    const metrics = await (await fetch(new URL("/metrics", qqServer.url))).text();
    assert.match(metrics, /tmsdk_login_calls_total\{outcome="ok",platform="qq"\} [1-9]/, "the login went through QQ's API");
    await page.click("#tap");
    await page.waitForFunction(() => document.getElementById("source").textContent.startsWith("cache"));
    assert.equal(await page.isVisible("#sheet"), false, "the cache, no button");
    // And back to WeChat.
    await page.selectOption("#platform", "wechat");
    await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await qqServer.stop();
    rmSync(qqData, { recursive: true, force: true });
  }
});

test("the simulator's platform switch: Douyin — an anonymous player, Douyin's login dialog refused then accepted, tt.getUserInfo's prompt, the verified profile through Douyin's API, then the cache", async () => {
  const douyinData = mkdtempSync(join(tmpdir(), "tmsdk-dev-douyin-"));
  const douyinServer = await startDevServer({ port: 0, dataDir: douyinData });
  const browser = await launchChromium();
  const settle = (page) =>
    page.waitForFunction(() => ["resolved", "rejected"].includes(document.getElementById("status").textContent), null, { timeout: 15_000 });
  try {
    const { page, errors } = await openSimulator(browser, douyinServer.url);
    await page.selectOption("#platform", "douyin");
    await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
    assert.equal(await page.textContent("#api-name"), "tt.tmSDK");
    assert.equal(await page.evaluate(() => typeof globalThis.tt.tmSDK.updateUserProfile), "function", "tt.tmSDK installed");
    assert.equal(await page.isChecked("#douyin-logged-in"), false, "the player is not logged in to Douyin");
    // The login dialog refused: AUTH_DENIED.
    await page.click("#tap");
    await page.waitForSelector("#sheet:not([hidden])", { timeout: 15_000 });
    assert.match(await page.textContent("#sheet-desc"), /抖音登录/);
    await page.click("#deny");
    await settle(page);
    assert.equal(await page.textContent("#status"), "rejected");
    assert.equal(await page.textContent("#error-code"), "AUTH_DENIED");
    // Accepted, then tt.getUserInfo's prompt allowed.
    await page.click("#tap");
    await page.waitForSelector("#sheet:not([hidden])", { timeout: 15_000 });
    await page.click("#allow");
    await page.waitForFunction(() => !document.getElementById("sheet").hidden && !/抖音登录/.test(document.getElementById("sheet-desc").textContent), null, { timeout: 15_000 });
    assert.equal(await page.isVisible(".sheet-privacy"), false, "no privacy answers on Douyin");
    await page.click("#allow");
    await settle(page);
    assert.equal(await page.textContent("#status"), "resolved", await page.textContent("#error"));
    assert.equal(await page.textContent("#nick"), "小明");
    assert.match(await page.textContent("#source"), /Douyin tt\.getUserInfo/);
    const metrics = await (await fetch(new URL("/metrics", douyinServer.url))).text();
    assert.match(metrics, /tmsdk_login_calls_total\{outcome="ok",platform="douyin"\} [1-9]/, "logins through Douyin's API");
    await page.click("#tap");
    await page.waitForFunction(() => document.getElementById("source").textContent.startsWith("cache"));
    assert.equal(await page.isVisible("#sheet"), false, "the cache, no prompt");
    await page.selectOption("#platform", "wechat");
    await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await douyinServer.stop();
    rmSync(douyinData, { recursive: true, force: true });
  }
});

test("the simulator page: Allow, cache, refresh, Deny", async () => {
  const browser = await launchChromium();
  try {
    const { page, errors } = await openSimulator(browser);
    const tapAndSettle = async () => {
      await page.click("#tap");
      await page.waitForFunction(() => ["resolved", "rejected"].includes(document.getElementById("status").textContent) || !document.getElementById("sheet").hidden);
    };
    const settled = () => page.waitForFunction(() => ["resolved", "rejected"].includes(document.getElementById("status").textContent));

    // First run: the sheet shows desc; Allow → the profile card.
    await tapAndSettle();
    assert.equal(await page.isVisible("#sheet"), true, "the authorisation sheet opens");
    assert.equal(await page.textContent("#sheet-desc"), "用于排行榜展示头像昵称");
    await page.click("#allow");
    await settled();
    assert.equal(await page.textContent("#nick"), "小明");
    assert.match(await page.textContent("#source"), /popup/);
    await page.waitForFunction(() => document.getElementById("cache").textContent.includes("expiresAt"));

    // Second call: from the cache, no sheet.
    await tapAndSettle();
    assert.equal(await page.isVisible("#sheet"), false, "no sheet the second time");
    assert.equal(await page.textContent("#status"), "resolved");
    assert.match(await page.textContent("#source"), /^cache/);

    // refresh: true → the sheet again; the screenshot shows it over the last result.
    await page.check("#refresh");
    await tapAndSettle();
    assert.equal(await page.isVisible("#sheet"), true, "refresh shows the sheet");
    // Under target/, so `npm test` leaves the tree clean; `npm run screenshot` refreshes the README's picture.
    const shot = join(repo, "target", "simulator.png");
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot });
    if (process.env.TMSDK_UPDATE_SCREENSHOT === "1") copyFileSync(shot, join(repo, "docs", "simulator.png"));
    await page.click("#allow");
    await settled();
    assert.match(await page.textContent("#source"), /popup/);

    // Deny → AUTH_DENIED.
    await tapAndSettle();
    await page.click("#deny");
    await settled();
    assert.equal(await page.textContent("#error-code"), "AUTH_DENIED");
    assert.match(await page.textContent("#error-errmsg"), /auth deny/);

    // WeChat's privacy answers from the sheet.
    for (const [button, code] of [["#privacy-denied", "PRIVACY_DENIED"], ["#privacy-undeclared", "PRIVACY_NOT_DECLARED"]]) {
      await tapAndSettle();
      await page.click(button);
      await settled();
      assert.equal(await page.textContent("#error-code"), code);
    }

    // The 微信用户 placeholder: resolved, flagged on the card and in the cache.
    await page.check("#placeholder");
    await tapAndSettle();
    await page.click("#allow");
    await settled();
    assert.equal(await page.textContent("#nick"), "微信用户");
    assert.equal(await page.isVisible("#placeholder-badge"), true, "the placeholder badge");
    await page.waitForFunction(() => document.getElementById("cache").textContent.includes("placeholder true"));

    // The mini-program's fill-in: shown for the placeholder; a risky nickname is its error; then the player's
    // own image (uploaded to tmsdk-server) and nickname replace the placeholder.
    await page.waitForSelector("#fill", { state: "visible" });
    await page.click("#fill-avatar");
    await page.waitForFunction(() => document.body.dataset.avatarChosen === "true");
    await page.fill("#fill-nick", "大坏蛋");
    await page.click("#fill-submit");
    await settled();
    assert.equal(await page.textContent("#error-code"), "CONTENT_RISKY");
    await page.fill("#fill-nick", "小红");
    await page.click("#fill-submit");
    await settled();
    assert.equal(await page.textContent("#nick"), "小红");
    assert.equal(await page.isVisible("#placeholder-badge"), false, "no longer the placeholder");
    const avatar = await page.getAttribute("#avatar", "src");
    assert.match(avatar, /\/v1\/avatar\/[0-9a-f]{64}\.jpg$/, "the stored avatar");
    await page.waitForFunction(() => document.getElementById("avatar").naturalWidth === 256, null, { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById("fill").hidden);

    // A page's share: tagged with the player's share code and counted by tmsdk-server.
    await page.click("#share");
    await page.waitForFunction(() => document.body.dataset.shared === "true");
    assert.match(await page.textContent("#shared"), /^shared path: pages\/game\/index\?room=7&tmsdk_s=[A-Za-z0-9_-]{1,32}$/);
    await page.waitForFunction(() => document.getElementById("share-times").textContent === "1", null, { timeout: 5000 });

    // Delete my data: the server erases the player, the page's cache empties.
    await page.click("#delete");
    await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("deleted"), null, { timeout: 5000 });
    assert.equal(await page.textContent("#cache"), "empty");
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
  // tmsdk-server erased the player: their next login is a new player.
  const { body: wx } = await post(server.url, "/sim/wx/login", { openId: "oDevPlayer_0001" });
  const next = await post(server.url, "/v1/login", { app_id: SIMULATOR_APP_ID, code: wx.code, scene: 1001, channel: "" });
  assert.deepEqual([next.body.data.nick_name, next.body.data.is_new, next.body.data.share_times], ["", true, 0]);
});

test("the dev stack: tmsdk-server behind the page, the simulated WeChat's jscode2session, persistence", async () => {
  const linesBefore = serverLines.length; // the page's test, before this one, used the same stack
  const openId = "oBackendTest_01";
  const login = async (base) => {
    const { body: wx } = await post(base, "/sim/wx/login", { openId });
    return post(base, "/v1/login", { app_id: SIMULATOR_APP_ID, code: wx.code, scene: 1001, channel: "test" });
  };
  assert.equal(await (await fetch(new URL("/healthz", server.url))).text(), "ok", "tmsdk-server answers behind the page");
  const first = await login(server.url);
  assert.equal(first.body.err, 0);
  assert.deepEqual([first.body.data.login_times, first.body.data.is_new, first.body.data.from_code], [1, true, "test"]);
  assert.deepEqual([first.body.data.login_province, first.body.data.login_city], ["广东省", "广州市"], "the dev region file places loopback in 广州");
  assert.ok(first.body.data.jwt.length > 20);
  const jwt = first.body.data.jwt;

  // The session is a standard JWT: a game's backend verifies it with jsonwebtoken as docs/server.md shows.
  const secret = readFileSync(join(dataDir, "token-secret"), "utf8");
  const verify = (token, options = {}) =>
    jsonwebtoken.verify(token, secret, {
      algorithms: ["HS256"], issuer: "tmsdk-server", audience: SIMULATOR_APP_ID, clockTolerance: 60, ...options,
    });
  const claims = verify(jwt);
  assert.equal(claims.sub, openId);
  assert.equal(claims.exp - claims.iat, 604800, "TMSDK_TOKEN_TTL's default");
  assert.deepEqual(jsonwebtoken.decode(jwt, { complete: true }).header, { alg: "HS256", typ: "JWT" });
  assert.throws(() => verify(jwt, { audience: "wxanotherapp000001" }), /audience/, "the check can fail");

  // A code is good once (WeChat's 40029, passed on by tmsdk-server).
  const { body: wx } = await post(server.url, "/sim/wx/login", { openId });
  assert.equal((await post(server.url, "/v1/login", { app_id: SIMULATOR_APP_ID, code: wx.code, scene: 1, channel: "" })).body.err, 0);
  assert.equal((await post(server.url, "/v1/login", { app_id: SIMULATOR_APP_ID, code: wx.code, scene: 1, channel: "" })).body.err, 40029);

  // jscode2session speaks WeChat's shape and checks the app's secret.
  const { body: wx2 } = await post(server.url, "/sim/wx/login", { openId });
  const wrongSecret = await (await fetch(new URL(`/sns/jscode2session?appid=${SIMULATOR_APP_ID}&secret=wrong&js_code=${wx2.code}&grant_type=authorization_code`, server.url))).json();
  assert.equal(wrongSecret.errcode, 40125);

  const { body: info } = await post(server.url, "/sim/wx/userinfo", { appId: SIMULATOR_APP_ID, openId, nickName: "测试员", avatarUrl: `${server.url}sim/avatar/2.svg` });
  const wire = { app_id: SIMULATOR_APP_ID, raw_data: info.rawData, signature: info.signature, encrypted_data: info.encryptedData, iv: info.iv, user_info: info.userInfo };
  const auth = { authorization: `Bearer ${jwt}` };
  const tampered = await post(server.url, "/v1/profile", { ...wire, raw_data: info.rawData.replace("测试员", "冒充者") }, auth);
  assert.equal(tampered.body.err, 41003, "a changed raw_data fails the signature");
  assert.equal((await post(server.url, "/v1/profile", wire, {})).status, 401, "no session → 401");
  const good = await post(server.url, "/v1/profile", wire, auth);
  assert.equal(good.body.err, 0);
  assert.deepEqual([good.body.data.nick_name, good.body.data.is_new], ["测试员", false]);

  // Its logs: a JSON line per request (time, level, request id, route, status, latency), never a token, the
  // app's secret or a session key; and its metrics through the page's origin.
  const requests = serverLines.slice(linesBefore).flatMap((line) => {
    try {
      const event = JSON.parse(line);
      return event.route === "/v1/profile" ? [event] : [];
    } catch {
      return [];
    }
  });
  assert.equal(requests.length, 3, "one line per /v1/profile request");
  for (const event of requests) {
    assert.deepEqual(
      ["timestamp", "level", "request_id", "route", "status", "latency_ms"].filter((k) => !(k in event)),
      [],
      JSON.stringify(event),
    );
  }
  assert.deepEqual(requests.map((e) => e.status).sort(), [200, 200, 401], "tampered (err 41003), no session, good");
  const printed = serverLines.join("\n"); // all of it, the page's test included
  for (const hidden of [jwt, "dev-simulator-app-secret", secret]) {
    assert.ok(!printed.includes(hidden), "no token or secret in the logs");
  }
  const metrics = await (await fetch(new URL("/metrics", server.url))).text();
  assert.match(metrics, /tmsdk_requests_total\{route="\/v1\/profile",status="401"\} 1/);

  // A restarted stack still knows the user and its session (the token secret is kept in the data folder).
  await server.stop();
  server = await startDevServer({ port: 0, dataDir });
  assert.equal((await post(server.url, "/v1/profile", wire, auth)).body.err, 0, "the session outlives the restart");
  const third = await login(server.url);
  assert.deepEqual([third.body.data.login_times, third.body.data.is_new, third.body.data.nick_name], [3, false, "测试员"]);
  assert.ok(third.body.data.last_login_time >= first.body.data.last_login_time);
  // Rotating the token secret ends every session: 401, and the SDK logs in again.
  await server.dev.rotateTokenSecret();
  assert.equal((await post(server.url, "/v1/profile", wire, auth)).status, 401, "old tokens are refused");
});

test("a process that exits without stopping the dev stack takes tmsdk-server with it", async () => {
  const data = mkdtempSync(join(tmpdir(), "tmsdk-orphan-"));
  const script = `import { startDevServer } from ${JSON.stringify(join(repo, "dev", "server.mjs"))};
    await startDevServer({ port: 0, dataDir: ${JSON.stringify(data)}, log: (l) => console.log(l) });
    process.exit(0);`;
  try {
    const out = await new Promise((resolve, reject) => {
      const child = spawn("node", ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.on("data", (c) => (text += c));
      child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`exited ${code}: ${text}`))));
    });
    const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
    assert.ok(url, `tmsdk-server printed its address: ${out}`);
    let answered = true;
    const deadline = Date.now() + 15_000; // it stops within ~100 ms; CI machines are shared
    while (answered && Date.now() < deadline) {
      answered = await fetch(`${url}/healthz`).then(() => true, () => false);
      if (answered) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(answered, false, "tmsdk-server stopped with its parent");
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test("npm start's entry serves the page and prints its URL", async () => {
  const data = mkdtempSync(join(tmpdir(), "tmsdk-start-"));
  const child = spawn("node", [join(repo, "dev", "start.mjs"), "--port", "0"], { env: { ...process.env, TMSDK_DATA_DIR: data }, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 120_000);
      child.stdout.on("data", (chunk) => {
        out += chunk;
        const match = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const html = await (await fetch(url)).text();
    assert.match(html, /tmsdk-profile simulator/);
    assert.equal((await fetch(new URL("/dist/webpack/simulator.js", url))).status, 200);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(data, { recursive: true, force: true });
  }
});

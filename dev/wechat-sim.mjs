// A small simulation of WeChat's servers, so the flow runs without WeChat: the client half the simulated `wx`
// calls (/sim/wx/login, /sim/wx/userinfo) and the server half tmsdk-server calls, in WeChat's real shape
// (GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code).
//
// - `login` hands out one-time codes (valid 5 minutes); each user has one session_key, kept as WeChat keeps it.
// - `userinfo` answers what wx.getUserProfile answers: rawData, signature = sha1(rawData + session_key),
//   encryptedData (AES-128-CBC with the session_key, with watermark.appid), iv, userInfo, errMsg "<api>:ok".
// - `jscode2session` checks appid and secret, then gives openid and session_key for a code once; otherwise
//   WeChat's errcodes (40013 invalid appid, 40125 invalid secret, 40029 invalid code).
// - the content security API tmsdk-server calls for 头像昵称填写: `stable_token` (an access token per app),
//   `msg_sec_check` (version 2; a short word list is risky), `media_check_async` (its verdict pushed a moment
//   later to the server's message push URL, signed with the push token as WeChat signs it).
// - QQ's server API under /qq (tmsdk-server's TMSDK_QQ_API for a `qq:` app): the same `jscode2session` (QQ's
//   route and answer are WeChat's), `getToken`, and the synchronous checks `MsgSecCheck` (answering `errCode`)
//   and `ImgSecCheck` (answering `errcode`; the image verdict above decides), 87014 for risky.
// - Douyin: the client half the simulated `tt` calls (/sim/tt/login: a `code` only for a player logged in to
//   Douyin, always an `anonymousCode` naming the device), and its server API under /tt (tmsdk-server's
//   TMSDK_DOUYIN_API for a `tt:` app): `jscode2session` with `code` and `anonymous_code`, answering
//   `{error: 0, openid, session_key, anonymous_openid, unionid}` or `{error: 1, errcode, errmsg}` (Douyin's shape).
// Session keys persist in <dataDir>/wechat.json, so tokens and keys stay consistent across restarts.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const CODE_TTL_MS = 5 * 60 * 1000;
/** Words the simulated text check finds risky (and one it sends for review). */
export const RISKY_WORDS = ["坏蛋", "违禁词"];
const REVIEW_WORDS = ["可疑"];
const OPEN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * @param {{ apps: Record<string, string>, defaultApp?: string, dataDir: string, pushToken?: string, now?: () => number }} options
 *   `apps`: appId → secret, as WeChat knows them; `defaultApp`: the app of a simulated client that names none
 *   (else the first of `apps`; mind that numeric appIds, QQ's, come first in an object); `pushToken`: the Token of
 *   the app's message push.
 * @returns {{ handle(method: string, url: URL, body: any): { status: number, body: any }, reset(): void,
 *   pushTo(url: string): void, setImageVerdict(suggest: string): void }}
 */
export function createWechatSim({ apps, defaultApp = Object.keys(apps)[0], dataDir, pushToken = "", now = Date.now }) {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "wechat.json");
  let keys = load(); // openId → session_key (base64)
  const codes = new Map(); // code → { openId, expires }

  function load() {
    try {
      return JSON.parse(readFileSync(file, "utf8")).sessionKeys || {};
    } catch {
      return {};
    }
  }

  function save() {
    writeFileSync(`${file}.tmp`, JSON.stringify({ sessionKeys: keys }, null, 2));
    renameSync(`${file}.tmp`, file);
  }

  function sessionKey(openId) {
    if (!keys[openId]) {
      keys[openId] = randomBytes(16).toString("base64");
      save();
    }
    return keys[openId];
  }

  const answer = (body, status = 200) => ({ status, body });

  function login({ openId }) {
    if (!OPEN_ID.test(openId || "")) return answer({ errMsg: "login:fail invalid openId" }, 400);
    const code = randomBytes(16).toString("hex");
    codes.set(code, { openId, expires: now() + CODE_TTL_MS });
    sessionKey(openId);
    return answer({ code, errMsg: "login:ok" });
  }

  /** Douyin's `tt.login`: an anonymous code always, a code only for a player logged in to Douyin. */
  function douyinLogin({ openId, device, loggedIn }) {
    if (!OPEN_ID.test(openId || "") || !OPEN_ID.test(device || "")) return answer({ errMsg: "login:fail invalid openId or device" }, 400);
    const anonymousCode = randomBytes(16).toString("hex");
    codes.set(anonymousCode, { anonymousOpenId: `anon_${device}`, expires: now() + CODE_TTL_MS });
    if (!loggedIn) return answer({ code: "", anonymousCode, isLogin: false, errMsg: "login:ok" });
    const code = randomBytes(16).toString("hex");
    codes.set(code, { openId, expires: now() + CODE_TTL_MS });
    sessionKey(openId);
    return answer({ code, anonymousCode, isLogin: true, errMsg: "login:ok" });
  }

  /** Douyin's `GET /mgplatform/api/apps/jscode2session?appid&secret&code&anonymous_code`. */
  function douyinSession(query) {
    const refuse = (errcode, errmsg) => answer({ error: 1, errcode, errmsg, message: errmsg });
    const appId = query.get("appid");
    if (!(appId in apps)) return refuse(40015, "bad appid");
    if (query.get("secret") !== apps[appId]) return refuse(40017, "bad secret");
    const take = (code) => {
      const entry = codes.get(code);
      codes.delete(code); // each code is good once
      return entry && entry.expires >= now() ? entry : null;
    };
    const code = query.get("code") || "";
    const anonymousCode = query.get("anonymous_code") || "";
    if (!code && !anonymousCode) return refuse(40014, "code or anonymous_code is required");
    const signed = code ? take(code) : null;
    if (code && !(signed && signed.openId)) return refuse(40018, "bad code");
    const anonymous = anonymousCode ? take(anonymousCode) : null;
    if (anonymousCode && !(anonymous && anonymous.anonymousOpenId)) return refuse(40019, "bad anonymous_code");
    return answer({
      error: 0,
      session_key: signed ? sessionKey(signed.openId) : "",
      openid: signed ? signed.openId : "",
      anonymous_openid: anonymous ? anonymous.anonymousOpenId : "",
      unionid: "",
    });
  }

  function userInfo({ openId, nickName, avatarUrl, api = "getUserProfile" }, appId) {
    if (!OPEN_ID.test(openId || "")) return answer({ errMsg: `${api}:fail invalid openId` }, 400);
    if (api !== "getUserProfile" && api !== "getUserInfo") return answer({ errMsg: "api must be getUserProfile or getUserInfo" }, 400);
    const key = Buffer.from(sessionKey(openId), "base64");
    const info = { nickName, gender: 0, language: "zh_CN", city: "", province: "", country: "", avatarUrl };
    const rawData = JSON.stringify(info);
    const iv = randomBytes(16);
    const cipher = createCipheriv("aes-128-cbc", key, iv);
    const plain = JSON.stringify({ ...info, watermark: { timestamp: Math.floor(now() / 1000), appid: appId } });
    return answer({
      errMsg: `${api}:ok`,
      userInfo: info,
      rawData,
      signature: sha1(rawData + key.toString("base64")),
      encryptedData: Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]).toString("base64"),
      iv: iv.toString("base64"),
    });
  }

  let accessTokens = 0;
  const tokenApps = new Map(); // access token → the app it was issued to
  let pushUrl = "";
  let imageVerdict = "pass";
  let traces = 0;

  function stableToken({ grant_type: grant, appid, secret }) {
    if (!(appid in apps) || secret !== apps[appid]) return answer({ errcode: 40013, errmsg: "invalid appid or secret" });
    if (grant !== "client_credential") return answer({ errcode: 40002, errmsg: "invalid grant_type" });
    accessTokens += 1;
    tokenApps.set(`sim-access-token-${accessTokens}`, appid);
    return answer({ access_token: `sim-access-token-${accessTokens}`, expires_in: 7200 });
  }

  const validToken = (query) => query.get("access_token") === `sim-access-token-${accessTokens}`;

  function msgSecCheck(query, { content = "", version }) {
    if (!validToken(query)) return answer({ errcode: 40001, errmsg: "invalid credential, access_token is invalid" });
    if (version !== 2) return answer({ errcode: 47001, errmsg: "data format error (version must be 2)" });
    const suggest = RISKY_WORDS.some((w) => content.includes(w)) ? "risky" : REVIEW_WORDS.some((w) => content.includes(w)) ? "review" : "pass";
    return answer({ errcode: 0, errmsg: "ok", result: { suggest, label: suggest === "pass" ? 100 : 20001 }, detail: [] });
  }

  function mediaCheckAsync(query, { media_url: mediaUrl, openid }) {
    if (!validToken(query)) return answer({ errcode: 40001, errmsg: "invalid credential, access_token is invalid" });
    traces += 1;
    const traceId = `sim-trace-${traces}`;
    // The app is the one the access token was issued to (WeChat knows the caller by its token).
    const appid = tokenApps.get(query.get("access_token"));
    const event = { ToUserName: "gh_sim", FromUserName: openid, CreateTime: Math.floor(now() / 1000), MsgType: "event",
      Event: "wxa_media_check", appid, trace_id: traceId, version: 2, detail: [], errcode: 0, errmsg: "ok",
      result: { suggest: imageVerdict, label: imageVerdict === "pass" ? 100 : 20002 } };
    // WeChat checks the image itself (it fetches media_url) and pushes the verdict a moment later.
    if (pushUrl) setTimeout(() => push(event).catch(() => {}), 20);
    return answer({ errcode: 0, errmsg: "ok", trace_id: traceId });
  }

  function push(event) {
    const timestamp = String(Math.floor(now() / 1000));
    const nonce = randomBytes(6).toString("hex");
    const signature = sha1([pushToken, timestamp, nonce].sort().join(""));
    return fetch(`${pushUrl}?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
    });
  }

  function jscode2session(query) {
    const appId = query.get("appid");
    if (!(appId in apps)) return answer({ errcode: 40013, errmsg: "invalid appid" });
    if (query.get("secret") !== apps[appId]) return answer({ errcode: 40125, errmsg: "invalid appsecret" });
    if (query.get("grant_type") !== "authorization_code") return answer({ errcode: 40002, errmsg: "invalid grant_type" });
    const code = query.get("js_code");
    const entry = codes.get(code);
    codes.delete(code); // a code is good once
    if (!entry || !entry.openId || entry.expires < now()) return answer({ errcode: 40029, errmsg: "invalid code" });
    return answer({ openid: entry.openId, session_key: sessionKey(entry.openId) });
  }

  /** QQ's `GET /api/getToken?grant_type&appid&secret`, tokens from the same counter. */
  function qqToken(query) {
    return stableToken({ grant_type: query.get("grant_type"), appid: query.get("appid"), secret: query.get("secret") });
  }

  /** QQ's verdict: `errCode` (MsgSecCheck's casing) or `errcode` (ImgSecCheck's), 87014 for risky. */
  function qqCheck(query, risky, casing) {
    if (!validToken(query)) return answer({ [`err${casing}ode`]: 40001, [`err${casing === "C" ? "M" : "m"}sg`]: "access_token invalid" });
    const [code, msg] = risky ? [87014, "risky content"] : [0, "ok"];
    return answer(casing === "C" ? { errCode: code, errMsg: msg } : { errcode: code, errmsg: msg });
  }

  return {
    /** Answers a request to the simulated WeChat (or QQ, under /qq, or Douyin, under /tt and /sim/tt), or returns null when `url` is not one of its routes. */
    handle(method, url, body) {
      if (method === "GET" && url.pathname === "/sns/jscode2session") return jscode2session(url.searchParams);
      if (method === "GET" && url.pathname === "/qq/sns/jscode2session") return jscode2session(url.searchParams);
      if (method === "GET" && url.pathname === "/tt/mgplatform/api/apps/jscode2session") return douyinSession(url.searchParams);
      if (method === "GET" && url.pathname === "/qq/api/getToken") return qqToken(url.searchParams);
      if (method === "POST" && url.pathname === "/qq/api/json/security/MsgSecCheck") {
        return qqCheck(url.searchParams, RISKY_WORDS.some((w) => (body.content || "").includes(w)), "C");
      }
      if (method === "POST" && url.pathname === "/qq/api/json/security/ImgSecCheck") {
        return qqCheck(url.searchParams, imageVerdict === "risky", "c");
      }
      if (method !== "POST") return null;
      if (url.pathname === "/sim/wx/login") return login(body);
      if (url.pathname === "/sim/tt/login") return douyinLogin(body);
      // The simulated client names its app (a real client is its app); the first known app otherwise.
      if (url.pathname === "/sim/wx/userinfo") return userInfo(body, body.appId || defaultApp);
      if (url.pathname === "/cgi-bin/stable_token") return stableToken(body);
      if (url.pathname === "/wxa/msg_sec_check") return msgSecCheck(url.searchParams, body);
      if (url.pathname === "/wxa/media_check_async") return mediaCheckAsync(url.searchParams, body);
      return null;
    },
    /** Where the app's message push goes (tmsdk-server's /v1/wechat/push). */
    pushTo(url) {
      pushUrl = url;
    },
    /** The image check's verdict from now on. */
    setImageVerdict(suggest) {
      imageVerdict = suggest;
    },
    /** Forgets every code and session key. */
    reset() {
      keys = {};
      codes.clear();
      imageVerdict = "pass";
      save();
    },
  };
}

function sha1(text) {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

// A small simulation of WeChat's servers, so the flow runs without WeChat: the client half the simulated `wx`
// calls (/sim/wx/login, /sim/wx/userinfo) and the server half tmsdk-server calls, in WeChat's real shape
// (GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code).
//
// - `login` hands out one-time codes (valid 5 minutes); each user has one session_key, kept as WeChat keeps it.
// - `userinfo` answers what wx.getUserProfile answers: rawData, signature = sha1(rawData + session_key),
//   encryptedData (AES-128-CBC with the session_key, with watermark.appid), iv, userInfo, errMsg "<api>:ok".
// - `jscode2session` checks appid and secret, then gives openid and session_key for a code once; otherwise
//   WeChat's errcodes (40013 invalid appid, 40125 invalid secret, 40029 invalid code).
// Session keys persist in <dataDir>/wechat.json, so tokens and keys stay consistent across restarts.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const CODE_TTL_MS = 5 * 60 * 1000;
const OPEN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * @param {{ apps: Record<string, string>, dataDir: string, now?: () => number }} options
 *   `apps`: appId → secret, as WeChat knows them.
 * @returns {{ handle(method: string, url: URL, body: any): { status: number, body: any }, reset(): void }}
 */
export function createWechatSim({ apps, dataDir, now = Date.now }) {
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

  function jscode2session(query) {
    const appId = query.get("appid");
    if (!(appId in apps)) return answer({ errcode: 40013, errmsg: "invalid appid" });
    if (query.get("secret") !== apps[appId]) return answer({ errcode: 40125, errmsg: "invalid appsecret" });
    if (query.get("grant_type") !== "authorization_code") return answer({ errcode: 40002, errmsg: "invalid grant_type" });
    const code = query.get("js_code");
    const entry = codes.get(code);
    codes.delete(code); // a code is good once
    if (!entry || entry.expires < now()) return answer({ errcode: 40029, errmsg: "invalid code" });
    return answer({ openid: entry.openId, session_key: sessionKey(entry.openId) });
  }

  return {
    /** Answers a request to the simulated WeChat, or returns null when `url` is not one of its routes. */
    handle(method, url, body) {
      if (method === "GET" && url.pathname === "/sns/jscode2session") return jscode2session(url.searchParams);
      if (method !== "POST") return null;
      if (url.pathname === "/sim/wx/login") return login(body);
      // The simulated client names its app (a real client is its app); the first known app otherwise.
      if (url.pathname === "/sim/wx/userinfo") return userInfo(body, body.appId || Object.keys(apps)[0]);
      return null;
    },
    /** Forgets every code and session key. */
    reset() {
      keys = {};
      codes.clear();
      save();
    },
  };
}

function sha1(text) {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

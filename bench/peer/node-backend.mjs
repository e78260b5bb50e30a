// The baseline of `npm run bench:server`: the Node backend the project ran before tmsdk-server (a simulated
// WeChat and the game's backend in one process, profiles in a JSON file rewritten on every change). It serves
// nothing else; `npm start` and the scenarios run tmsdk-server.
//
// WeChat side (/sim/wx/*): `login` hands out one-time codes; each user has one session_key; `userinfo` returns
// what wx.getUserProfile returns, signed and encrypted with it.
// Game side (/v1/*): `login` exchanges the code, counts logins and issues a session token (in memory);
// `profile` checks the token, the signature, decrypts the data, checks its appid, and stores the profile.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const CODE_TTL_MS = 5 * 60 * 1000;

/**
 * @param {{ appId: string, dataDir: string, now?: () => number }} options
 * @returns {{ handle(method: string, path: string, body: any, headers: object): { status: number, body: any },
 *   expireSessions(): void, reset(): void }}
 */
export function createNodeBackend({ appId, dataDir, now = Date.now }) {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, "profiles.json");
  let store = load();
  const codes = new Map(); // code → { openId, expires }
  const sessions = new Map(); // token → openId (in memory: a restart expires sessions, and the SDK logs in again)

  function load() {
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return { users: {}, wechat: {} };
    }
  }

  function save() {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(store, null, 2));
    renameSync(tmp, file);
  }

  /** WeChat's per-user session_key (one per user). */
  function sessionKey(openId) {
    store.wechat[openId] ||= { session_key: randomBytes(16).toString("base64") };
    return Buffer.from(store.wechat[openId].session_key, "base64");
  }

  const ok = (data) => ({ status: 200, body: { err: 0, msg: "请求成功", data } });
  const fail = (err, msg, status = 200) => ({ status, body: { err, msg } });

  // ---- the simulated WeChat servers ----

  function wxLogin({ openId }) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(openId || "")) return fail(40013, "invalid openid");
    const code = randomBytes(16).toString("hex");
    codes.set(code, { openId, expires: now() + CODE_TTL_MS });
    sessionKey(openId);
    save();
    return { status: 200, body: { code, errMsg: "login:ok" } };
  }

  function wxUserInfo({ openId, nickName, avatarUrl, api = "getUserProfile" }) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(openId || "")) return fail(40013, "invalid openid");
    if (api !== "getUserProfile" && api !== "getUserInfo") return fail(40013, "api must be getUserProfile or getUserInfo");
    const key = sessionKey(openId);
    save();
    const userInfo = { nickName, gender: 0, language: "zh_CN", city: "", province: "", country: "", avatarUrl };
    const rawData = JSON.stringify(userInfo);
    const iv = randomBytes(16);
    const cipher = createCipheriv("aes-128-cbc", key, iv);
    const plain = JSON.stringify({ ...userInfo, watermark: { timestamp: Math.floor(now() / 1000), appid: appId } });
    const encryptedData = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]).toString("base64");
    return {
      status: 200,
      body: {
        errMsg: `${api}:ok`,
        userInfo,
        rawData,
        signature: sha1(rawData + key.toString("base64")),
        encryptedData,
        iv: iv.toString("base64"),
      },
    };
  }

  // ---- the game's backend (docs/contract.md, "Wire protocol") ----

  function login({ app_id: app, code, scene, channel }) {
    if (app !== appId) return fail(40013, `unknown app_id ${app}`);
    const entry = codes.get(code);
    codes.delete(code); // a code is good once
    if (!entry || entry.expires < now()) return fail(40029, "invalid code");
    const today = new Date(now()).toISOString().slice(0, 10);
    let user = store.users[entry.openId];
    const isNew = !user;
    if (isNew) {
      user = store.users[entry.openId] = {
        pid: "", app_id: appId, open_id: entry.openId, union_id: "", nick_name: "", avatar_url: "", gender: 0,
        city: "", province: "", country: "", language: "zh_CN", gold: 0, diamond: 0, share_new: 0, share_times: 0,
        online_days: 0, online_duration: 0, last_login_time: 0, login_times: 0,
        from_scene: String(scene ?? ""), from_code: String(channel ?? ""), is_new: true, ofp: "", jwt: "",
        login_province: "广东省", login_city: "广州市", login_district: "海珠区", last_login_day: "",
      };
    }
    user.is_new = isNew;
    user.login_times += 1;
    user.last_login_time = Math.floor(now() / 1000);
    if (user.last_login_day !== today) {
      user.online_days += 1;
      user.last_login_day = today;
    }
    save();
    const token = randomBytes(24).toString("base64url");
    sessions.set(token, entry.openId);
    return ok({ ...publicProfile(user), jwt: token });
  }

  function profile(body, headers) {
    const token = /^Bearer (.+)$/.exec(headers.authorization || "")?.[1];
    const openId = token && sessions.get(token);
    if (!openId) return fail(401, "session expired, log in again", 401);
    if (body.app_id !== appId) return fail(40013, `unknown app_id ${body.app_id}`);
    const key = sessionKey(openId);
    if (typeof body.raw_data !== "string" || sha1(body.raw_data + key.toString("base64")) !== body.signature) {
      return fail(41003, "signature mismatch: raw_data was changed or signed with another session_key");
    }
    let decrypted;
    try {
      const decipher = createDecipheriv("aes-128-cbc", key, Buffer.from(body.iv, "base64"));
      decrypted = JSON.parse(Buffer.concat([decipher.update(Buffer.from(body.encrypted_data, "base64")), decipher.final()]).toString("utf8"));
    } catch {
      return fail(41004, "encrypted_data does not decrypt with this user's session_key");
    }
    if (decrypted.watermark?.appid !== appId) return fail(41005, "encrypted_data belongs to another app");
    const info = JSON.parse(body.raw_data);
    const user = store.users[openId];
    user.nick_name = String(info.nickName || "").slice(0, 64);
    user.avatar_url = /^https?:\/\//.test(info.avatarUrl || "") ? info.avatarUrl : "";
    user.is_new = false;
    save();
    return ok({ ...publicProfile(user), jwt: "" });
  }

  function publicProfile(user) {
    const { last_login_day: _day, ...profile } = user;
    return profile;
  }

  return {
    /** Forgets every session, as a restart does (they live in memory): the next /v1/profile meets a 401. */
    expireSessions() {
      sessions.clear();
    },
    /** Forgets everything: users, WeChat's session keys, codes and sessions. */
    reset() {
      store = { users: {}, wechat: {} };
      codes.clear();
      sessions.clear();
      save();
    },
    handle(method, path, body, headers) {
      if (method !== "POST") return fail(405, "use POST", 405);
      switch (path) {
        case "/sim/wx/login":
          return wxLogin(body);
        case "/sim/wx/userinfo":
          return wxUserInfo(body);
        case "/v1/login":
          return login(body);
        case "/v1/profile":
          return profile(body, headers);
        default:
          return fail(404, "no such route", 404);
      }
    },
  };
}

function sha1(text) {
  return createHash("sha1").update(text, "utf8").digest("hex");
}

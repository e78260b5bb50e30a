// The hand-written JavaScript peer: the profile rules (docs/contract.md, Profile; docs/decisions.md) and the
// cache-hit path, written the way a careful mini-game developer would, with no library. It must give the
// core's exact output on every fixture (tests/js/peers.test.mjs), so the benchmark compares equal work.

export const MAX_BODY_BYTES = 64 * 1024;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MS_THRESHOLD = 100_000_000_000;
const STRING_FIELDS_END = ["ofp", "jwt", "login_province", "login_city", "login_district"];

export class PeerError extends Error {
  constructor(code, field, message) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

const invalid = (field, message) => new PeerError("INVALID_PROFILE", field, message);
const utf8Length = (s) => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
};
const charCount = (s) => {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c >= 0xdc00) n++;
  }
  return n;
};
const isInt = (n) => Number.isInteger(n) && n >= 0 && n <= MAX_SAFE;

function str(o, key, cap = 256) {
  const v = o[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw invalid(key, `${key} must be a string`);
  if (charCount(v) > cap) throw invalid(key, `${key} is too long`);
  return v;
}

function int(o, key) {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") {
    if (isInt(v)) return v;
  } else if (typeof v === "string") {
    const t = v.trim();
    if (t === "") return 0;
    if (/^[0-9]+$/.test(t)) {
      const n = Number(t);
      if (n <= MAX_SAFE) return n;
    }
  }
  throw invalid(key, `${key} must be a whole number`);
}

function code(o, key) {
  const v = o[key];
  if (typeof v === "number") {
    if (isInt(v)) return String(v);
    throw invalid(key, `${key} must be a string or a whole number`);
  }
  return str(o, key);
}

/** Reads one profile object for `appId`; throws a PeerError naming the first field at fault. */
export function profileFrom(o, appId) {
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw invalid(undefined, "not an object");
  const own = (key) => (Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined);
  const p = {};
  p.pid = str(o, "pid");
  p.app_id = str(o, "app_id");
  const openId = str(o, "open_id", 128);
  if (openId === "" || !/^[A-Za-z0-9_-]+$/.test(openId)) throw invalid("open_id", "open_id is missing or malformed");
  p.open_id = openId;
  p.union_id = str(o, "union_id");
  const nick = str(o, "nick_name", Infinity).replace(/[\u0000-\u001f\u007f-\u009f]/g, "");
  if (charCount(nick) > 64) throw invalid("nick_name", "nick_name is too long");
  p.nick_name = nick;
  const avatar = str(o, "avatar_url");
  if (avatar !== "" && !/^https?:\/\//i.test(avatar)) throw invalid("avatar_url", "avatar_url must be http(s)");
  p.avatar_url = avatar;
  const g = own("gender");
  const gender = g === undefined || g === null ? 0 : typeof g === "number" ? g : typeof g === "string" && /^\+?[0-9]+$/.test(g.trim()) ? Number(g.trim()) : -1;
  if (gender !== 0 && gender !== 1 && gender !== 2) throw invalid("gender", "gender must be 0, 1 or 2");
  p.gender = gender;
  p.city = str(o, "city");
  p.province = str(o, "province");
  p.country = str(o, "country");
  p.language = str(o, "language");
  p.gold = int(o, "gold");
  p.diamond = int(o, "diamond");
  p.share_new = int(o, "share_new");
  p.share_times = int(o, "share_times");
  p.online_days = int(o, "online_days");
  p.online_duration = int(o, "online_duration");
  const t = int(o, "last_login_time");
  const secs = t > MS_THRESHOLD ? Math.floor(t / 1000) : t;
  if (secs > MS_THRESHOLD) throw invalid("last_login_time", "last_login_time is too large");
  p.last_login_time = secs;
  p.login_times = int(o, "login_times");
  p.from_scene = code(o, "from_scene");
  p.from_code = code(o, "from_code");
  const f = own("is_new");
  if (f === undefined || f === null || f === false || f === 0) p.is_new = false;
  else if (f === true || f === 1) p.is_new = true;
  else throw invalid("is_new", "is_new must be true, false, 0 or 1");
  for (const key of STRING_FIELDS_END) p[key] = str(o, key);
  if (own("lst") !== undefined && own("lst") !== null) p.lst = str(o, "lst");
  if (own("xh_uid") !== undefined && own("xh_uid") !== null) p.xh_uid = str(o, "xh_uid");
  const share = own("share_code");
  if (share !== undefined && share !== null) {
    if (typeof share !== "string" || !/^[A-Za-z0-9_-]{1,32}$/.test(share)) throw invalid("share_code", "share_code must be 1 to 32 of A-Z a-z 0-9 _ -");
    p.share_code = share;
  }
  if (p.app_id !== "" && p.app_id !== appId) throw invalid("app_id", "a profile of another app");
  return p;
}

/** Reads a backend answer's text: size cap, JSON, the envelope, then the profile. */
export function parseProfile(body, appId) {
  if (body.length > MAX_BODY_BYTES / 4 && utf8Length(body) > MAX_BODY_BYTES) throw invalid(undefined, "body too large");
  let value;
  try {
    value = JSON.parse(body);
  } catch {
    throw invalid(undefined, "body is not JSON");
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value) && ("err" in value || "data" in value)) {
    const err = value.err === undefined || value.err === null ? 0 : value.err;
    if (!Number.isInteger(err)) throw invalid("err", "err must be an integer");
    if (err !== 0) {
      const e = new PeerError("SERVER", undefined, `server error ${err}`);
      e.serverErr = err;
      throw e;
    }
    if (!("data" in value)) throw invalid("data", "data is missing");
    value = value.data;
  }
  return profileFrom(value, appId);
}

/**
 * The cache-hit path of `updateUserProfile()` / `getCachedProfile()`: read the record, check it, decide
 * reuse with the clock, and hand back a fresh profile object (or null when the user must be asked).
 */
export function cachedProfile(storage, key, appId, ttlSecs, now) {
  const text = storage.getStorageSync(key);
  if (typeof text !== "string" || text === "") return null;
  let record;
  try {
    record = JSON.parse(text);
    if (record.v !== 1 || record.app_id !== appId || !isInt(record.cached_at)) return null;
    record.profile = profileFrom(record.profile, appId);
  } catch {
    return null;
  }
  return reusable(record.cached_at, record.profile, ttlSecs, now);
}

/** The reuse rule: fresh (TTL, at most 5 minutes ahead of the clock) and authorised, else null. */
export function reusable(cachedAt, profile, ttlSecs, now) {
  if (ttlSecs === 0 || cachedAt > now + 300_000 || now >= cachedAt + ttlSecs * 1000) return null;
  if (profile.nick_name === "" || profile.avatar_url === "") return null;
  return profile;
}

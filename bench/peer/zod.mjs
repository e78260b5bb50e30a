// The zod 4 peer: the same profile rules and cache-hit path as handwritten.mjs, written as a zod developer
// would — schemas with preprocessing and refinements. Checked against the core on every fixture
// (tests/js/peers.test.mjs), so the benchmark compares equal work.
import { z } from "zod";
import { MAX_BODY_BYTES, PeerError, reusable } from "./handwritten.mjs";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MS_THRESHOLD = 100_000_000_000;
const chars = (s) => [...s].length;
const empty = (v) => v === undefined || v === null;

const text = (cap = 256) =>
  z.preprocess((v) => (empty(v) ? "" : v), z.string().refine((s) => chars(s) <= cap, "too long"));
const whole = z.preprocess(
  (v) => (empty(v) ? 0 : typeof v === "string" ? (v.trim() === "" ? 0 : /^[0-9]+$/.test(v.trim()) ? Number(v.trim()) : NaN) : v),
  z.number().int().min(0).max(MAX_SAFE),
);
const codeText = z.preprocess(
  (v) => (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_SAFE ? String(v) : empty(v) ? "" : v),
  z.string().refine((s) => chars(s) <= 256, "too long"),
);
const optionalText = z.preprocess((v) => (v === null ? undefined : v), z.string().refine((s) => chars(s) <= 256).optional());

const profileSchema = z.object({
  pid: text(),
  app_id: text(),
  open_id: z.preprocess((v) => (empty(v) ? "" : v), z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/)),
  union_id: text(),
  nick_name: z.preprocess(
    (v) => (empty(v) ? "" : typeof v === "string" ? v.replace(/[\u0000-\u001f\u007f-\u009f]/g, "") : v),
    z.string().refine((s) => chars(s) <= 64, "too long"),
  ),
  avatar_url: text().refine((s) => s === "" || /^https?:\/\//i.test(s), "must be http(s)"),
  gender: z.preprocess(
    (v) => (empty(v) ? 0 : typeof v === "string" && /^\+?[0-9]+$/.test(v.trim()) ? Number(v.trim()) : v),
    z.union([z.literal(0), z.literal(1), z.literal(2)]),
  ),
  city: text(),
  province: text(),
  country: text(),
  language: text(),
  gold: whole,
  diamond: whole,
  share_new: whole,
  share_times: whole,
  online_days: whole,
  online_duration: whole,
  last_login_time: whole
    .transform((t) => (t > MS_THRESHOLD ? Math.floor(t / 1000) : t))
    .refine((s) => s <= MS_THRESHOLD, "too large"),
  login_times: whole,
  from_scene: codeText,
  from_code: codeText,
  is_new: z.preprocess((v) => (empty(v) ? false : v === 0 ? false : v === 1 ? true : v), z.boolean()),
  ofp: text(),
  jwt: text(),
  login_province: text(),
  login_city: text(),
  login_district: text(),
  lst: optionalText,
  xh_uid: optionalText,
});

const envelopeSchema = z.object({
  err: z.preprocess((v) => (empty(v) ? 0 : v), z.number().int()),
  msg: z.unknown().optional(),
  data: z.unknown().optional(),
});

function check(value, appId) {
  const result = profileSchema.safeParse(value);
  if (!result.success) {
    const path = result.error.issues[0].path;
    throw new PeerError("INVALID_PROFILE", path.length ? String(path[0]) : undefined, result.error.issues[0].message);
  }
  const p = result.data;
  if (p.lst === undefined) delete p.lst;
  if (p.xh_uid === undefined) delete p.xh_uid;
  if (p.app_id !== "" && p.app_id !== appId) throw new PeerError("INVALID_PROFILE", "app_id", "a profile of another app");
  return p;
}

/** Reads a backend answer's text with zod. */
export function parseProfile(body, appId) {
  if (body.length > MAX_BODY_BYTES / 4 && new TextEncoder().encode(body).length > MAX_BODY_BYTES) {
    throw new PeerError("INVALID_PROFILE", undefined, "body too large");
  }
  let value;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PeerError("INVALID_PROFILE", undefined, "body is not JSON");
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value) && ("err" in value || "data" in value)) {
    const envelope = envelopeSchema.safeParse(value);
    if (!envelope.success) throw new PeerError("INVALID_PROFILE", "err", "err must be an integer");
    if (envelope.data.err !== 0) {
      const e = new PeerError("SERVER", undefined, `server error ${envelope.data.err}`);
      e.serverErr = envelope.data.err;
      throw e;
    }
    if (!("data" in value)) throw new PeerError("INVALID_PROFILE", "data", "data is missing");
    value = value.data;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new PeerError("INVALID_PROFILE", undefined, "not an object");
  return check(value, appId);
}

const recordSchema = z.object({
  v: z.literal(1),
  app_id: z.string(),
  cached_at: z.number().int().min(0).max(MAX_SAFE),
  profile: z.unknown(),
});

/** The cache-hit path with zod: the record, the profile, the reuse decision; a fresh object or null. */
export function cachedProfile(storage, key, appId, ttlSecs, now) {
  const text = storage.getStorageSync(key);
  if (typeof text !== "string" || text === "") return null;
  let record;
  try {
    record = recordSchema.parse(JSON.parse(text));
    if (record.app_id !== appId) return null;
    record.profile = check(record.profile, appId);
  } catch {
    return null;
  }
  return reusable(record.cached_at, record.profile, ttlSecs, now);
}

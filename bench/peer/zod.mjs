// The zod 4 peer: the same profile rules and cache-hit path as handwritten.mjs, written as a zod developer
// would — schemas with preprocessing and refinements. Checked against the core on every fixture
// (tests/js/peers.test.mjs), so the benchmark compares equal work.
import { z } from "zod";
import { zodPeer } from "./zod-common.mjs";

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
  share_code: z.preprocess((v) => (v === null ? undefined : v), z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).optional()),
});

const envelopeSchema = z.object({
  err: z.preprocess((v) => (empty(v) ? 0 : v), z.number().int()),
  msg: z.unknown().optional(),
  data: z.unknown().optional(),
});

const recordSchema = z.object({
  v: z.literal(1),
  app_id: z.string(),
  cached_at: z.number().int().min(0).max(MAX_SAFE),
  profile: z.unknown(),
});

export const { parseProfile, cachedProfile } = zodPeer({ profileSchema, envelopeSchema, recordSchema });

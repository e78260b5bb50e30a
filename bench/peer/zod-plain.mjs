// The second zod 4 peer: the same rules as zod.mjs, written the plain way — `z.object` of typed schemas,
// unions, `nullish`, `transform` and `pipe`, with no `z.preprocess` (which wraps every field in a pass that
// makes zod.mjs about 2.4× slower in Node). Checked against the core on every fixture
// (tests/js/peers.test.mjs), so the benchmark compares equal work.
import { z } from "zod";
import { zodPeer } from "./zod-common.mjs";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MS_THRESHOLD = 100_000_000_000;
const chars = (s) => [...s].length;

const capped = (cap = 256) => z.string().refine((s) => chars(s) <= cap, "too long");
const text = (cap = 256) => capped(cap).nullish().transform((v) => v ?? "");
const safeWhole = z.number().int().min(0).max(MAX_SAFE);
const whole = z
  .union([
    safeWhole,
    z
      .string()
      .regex(/^\s*[0-9]*\s*$/)
      .transform((s) => (s.trim() === "" ? 0 : Number(s.trim())))
      .pipe(safeWhole),
  ])
  .nullish()
  .transform((v) => v ?? 0);
const codeText = z
  .union([capped(), safeWhole.transform(String)])
  .nullish()
  .transform((v) => v ?? "");
const optionalText = capped().nullish().transform((v) => v ?? undefined);
const gender = z.union([z.literal(0), z.literal(1), z.literal(2)]);

const profileSchema = z.object({
  pid: text(),
  app_id: text(),
  open_id: z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+$/),
  union_id: text(),
  nick_name: z
    .string()
    .nullish()
    .transform((v) => (v ?? "").replace(/[\u0000-\u001f\u007f-\u009f]/g, ""))
    .pipe(capped(64)),
  avatar_url: text().refine((s) => s === "" || /^https?:\/\//i.test(s), "must be http(s)"),
  gender: z
    .union([
      gender,
      z
        .string()
        .regex(/^\s*\+?[0-9]+\s*$/)
        .transform((s) => Number(s.trim()))
        .pipe(gender),
    ])
    .nullish()
    .transform((v) => v ?? 0),
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
  is_new: z
    .union([z.boolean(), z.literal(0).transform(() => false), z.literal(1).transform(() => true)])
    .nullish()
    .transform((v) => v ?? false),
  ofp: text(),
  jwt: text(),
  login_province: text(),
  login_city: text(),
  login_district: text(),
  lst: optionalText,
  xh_uid: optionalText,
  share_code: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .nullish()
    .transform((v) => v ?? undefined),
});

const envelopeSchema = z.object({
  err: z.number().int().nullish().transform((v) => v ?? 0),
  msg: z.unknown().optional(),
  data: z.unknown().optional(),
});

const recordSchema = z.object({
  v: z.literal(1),
  app_id: z.string(),
  cached_at: safeWhole,
  profile: z.unknown(),
});

export const { parseProfile, cachedProfile } = zodPeer({ profileSchema, envelopeSchema, recordSchema });

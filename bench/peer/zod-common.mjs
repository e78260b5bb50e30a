// What both zod peers share around their schemas: reading a backend answer (size, JSON, the envelope, then the
// profile schema and the app) and the cache-hit path (the record, the profile, the reuse decision).
import { MAX_BODY_BYTES, PeerError, reusable } from "./handwritten.mjs";

/**
 * The two entry points of a zod peer over its schemas.
 * @param {{ profileSchema: any, envelopeSchema: any, recordSchema: any }} schemas
 */
export function zodPeer({ profileSchema, envelopeSchema, recordSchema }) {
  function check(value, appId) {
    const result = profileSchema.safeParse(value);
    if (!result.success) {
      const path = result.error.issues[0].path;
      throw new PeerError("INVALID_PROFILE", path.length ? String(path[0]) : undefined, result.error.issues[0].message);
    }
    const p = result.data;
    if (p.lst === undefined) delete p.lst;
    if (p.xh_uid === undefined) delete p.xh_uid;
    if (p.share_code === undefined) delete p.share_code;
    if (p.app_id !== "" && p.app_id !== appId) throw new PeerError("INVALID_PROFILE", "app_id", "a profile of another app");
    return p;
  }

  /** Reads a backend answer's text. */
  function parseProfile(body, appId) {
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

  /** The cache-hit path: the record, the profile, the reuse decision; a fresh object or null. */
  function cachedProfile(storage, key, appId, ttlSecs, now) {
    const stored = storage.getStorageSync(key);
    if (typeof stored !== "string" || stored === "") return null;
    let record;
    try {
      record = recordSchema.parse(JSON.parse(stored));
      if (record.app_id !== appId) return null;
      record.profile = check(record.profile, appId);
    } catch {
      return null;
    }
    return reusable(record.cached_at, record.profile, ttlSecs, now);
  }

  return { parseProfile, cachedProfile };
}

// The benchmark's peers (bench/peer/) do the core's work exactly: on every profile fixture they give the
// core's output byte for byte, or the same error code and field; on the cache-hit path, the same profile or
// the same "ask the user". So no peer is handicapped, and none skips a rule.
import { test } from "node:test";
import assert from "node:assert/strict";

import { parseProfile, TmSdkError } from "../../pkg/shim/node.js";
import * as handwritten from "../../bench/peer/handwritten.mjs";
import * as zodPeer from "../../bench/peer/zod.mjs";
import * as zodPlainPeer from "../../bench/peer/zod-plain.mjs";
import { APP, PROFILE_FIXTURES } from "../fixtures/profiles.mjs";

/** What an implementation makes of a body: the profile's JSON text, or `code/field`. */
function outcome(parse, body) {
  try {
    return JSON.stringify(parse(body, APP));
  } catch (e) {
    return `${e.code}/${e.field ?? ""}${e.serverErr !== undefined ? `/${e.serverErr}` : ""}`;
  }
}

const core = (body, appId) => parseProfile(body, appId);

test("the fixtures cover valid and invalid answers", () => {
  const outcomes = PROFILE_FIXTURES.map(([, body]) => outcome(core, body));
  assert.ok(outcomes.filter((o) => o.startsWith("{")).length >= 10, "valid ones");
  assert.ok(outcomes.filter((o) => o.startsWith("INVALID_PROFILE")).length >= 12, "invalid ones");
  assert.ok(outcomes.some((o) => o.startsWith("SERVER/")), "a server error");
  assert.throws(() => parseProfile("{}", APP), TmSdkError);
});

for (const [name, peer] of [["hand-written", handwritten], ["zod", zodPeer], ["zod plain", zodPlainPeer]]) {
  test(`${name} peer: the core's exact output on every profile fixture`, () => {
    for (const [fixture, body] of PROFILE_FIXTURES) {
      assert.equal(outcome(peer.parseProfile, body), outcome(core, body), fixture);
    }
  });

  test(`${name} peer: the cache-hit path agrees with the core's reuse rule`, () => {
    const profile = core(PROFILE_FIXTURES[2][1], APP);
    const key = `tmsdk.profile.v1.${APP}`;
    const t0 = 1_700_000_000_000;
    const record = (fields) => JSON.stringify({ v: 1, app_id: APP, cached_at: t0, profile, ...fields });
    const storage = (text) => ({ getStorageSync: () => text });
    const hit = peer.cachedProfile(storage(record({})), key, APP, 3600, t0 + 1000);
    assert.equal(JSON.stringify(hit), JSON.stringify(profile), "a fresh record is reused");
    assert.notEqual(hit, peer.cachedProfile(storage(record({})), key, APP, 3600, t0 + 1000), "a fresh object each time");
    for (const [why, text, now] of [
      ["expired", record({}), t0 + 3600 * 1000],
      ["from the future", record({}), t0 - 301_000],
      ["another version", record({ v: 2 }), t0],
      ["another app", record({ app_id: "wxother" }), t0],
      ["not authorised", record({ profile: { ...profile, nick_name: "" } }), t0],
      ["corrupt", "{", t0],
      ["absent", "", t0],
    ]) {
      assert.equal(peer.cachedProfile(storage(text), key, APP, 3600, now), null, why);
    }
  });
}

test("a peer that skips a rule is caught by the comparison", () => {
  // The check above can fail: a peer that lets any avatar_url through disagrees on a fixture.
  const lenient = (body, appId) => {
    try {
      return handwritten.parseProfile(body, appId);
    } catch (e) {
      if (e.field === "avatar_url") return {};
      throw e;
    }
  };
  const differing = PROFILE_FIXTURES.filter(([, body]) => outcome(lenient, body) !== outcome(core, body));
  assert.deepEqual(differing.map(([name]) => name), ["javascript: avatar"]);
});

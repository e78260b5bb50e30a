// The fill-in of 头像昵称填写 end to end, in every runtime: the simulated player picks an avatar and types a
// nickname, `fillUserProfile` uploads it with wx.uploadFile to tmsdk-server, which checks the nickname with the
// simulated WeChat's content check and hands the image to its asynchronous image check. (Natively:
// core/tests/fill.rs over the fake host; the server half: server/tests/fill.rs.)
import { createSimWx } from "../../dev/simulator/wx-sim.js";
import { APP, KEY, authorise, backend, editRecord, eq, ok, rejects, resetCounts, setup, simsInUse, stats, tick } from "./helpers.mjs";

/** A second 1 × 1 PNG, of another colour than the simulator's sample: an image only one player uploads. */
const OTHER_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

/** CRC-32 (PNG's chunk checksum). */
function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/**
 * `png` with a `tEXt` chunk of `size` bytes before its end: still a valid 1 × 1 image, but as large as a photo,
 * so an upload refused before its body is read leaves most of it unread (a small body is drained whole and
 * the connection could be kept).
 */
function padded(png, size) {
  const text = new Uint8Array(size).fill(0x61);
  text.set(new TextEncoder().encode("Comment\0"));
  const chunk = new Uint8Array(12 + size);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, size);
  chunk.set(new TextEncoder().encode("tEXt"), 4);
  chunk.set(text, 8);
  view.setUint32(8 + size, crc32(chunk.subarray(4, 8 + size)));
  const end = png.length - 12; // IEND, the last chunk
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, end));
  out.set(chunk, end);
  out.set(png.subarray(end), end + chunk.length);
  return out;
}

const PLACEHOLDER = {
  nickName: "微信用户",
  avatarUrl: "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132",
};

/** `GET url` past any HTTP cache (an avatar is cached for a year, as a phone would keep it). */
const fetchFresh = (url) => fetch(url, { cache: "no-store" });

/** Polls `url` until it answers `status` (the image check's push comes a moment after the upload). */
async function answers(url, status, what) {
  for (let i = 0; i < 100; i++) {
    if ((await fetchFresh(url)).status === status) return;
    await tick(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const fills = [
  {
    name: "fill-in: the 微信用户 placeholder filled in → the player's own profile, cached; the avatar served with its cache headers",
    async run(env) {
      const { sim, tm } = await setup(env);
      sim.user = PLACEHOLDER;
      const placeholder = await authorise(tm, sim);
      eq(tm.getCachedProfile().placeholder, true, "the placeholder first");
      resetCounts(sim);
      const p = await tm.fillUserProfile({ avatarPath: sim.chooseAvatar(), nickName: " 小红 " });
      eq(p.nick_name, "小红", "the nickname, trimmed");
      ok(p.avatar_url.startsWith(`${env.backendUrl}/v1/avatar/`) && p.avatar_url.endsWith(".jpg"), `the stored avatar (${p.avatar_url})`);
      eq(p.open_id, placeholder.open_id, "the same player");
      eq(tm.getCachedProfile().placeholder, false, "no longer a placeholder");
      eq(tm.getCachedProfile().profile, p, "cached");
      eq([sim.counts.uploadFile, sim.counts.getUserProfile, sim.counts.login], [1, 0, 0], "one upload, no popup, no login");
      const s = await stats(env);
      eq([s.upload, s.fill], [1, 1], "one upload, one fill-in");
      const image = await fetch(p.avatar_url);
      eq(image.status, 200, "the avatar is served");
      eq(image.headers.get("content-type"), "image/jpeg", "as a JPEG");
      eq(image.headers.get("cache-control"), "public, max-age=31536000, immutable", "cached for a year");
      ok(/^"[0-9a-f]{64}"$/.test(image.headers.get("etag") || ""), `its ETag (${image.headers.get("etag")})`);
      const revalidated = await fetch(p.avatar_url, { headers: { "if-none-match": image.headers.get("etag") } });
      eq(revalidated.status, 304, "revalidated by its ETag");
    },
  },
  {
    name: "fill-in: a nickname WeChat finds risky → CONTENT_RISKY, nothing saved, the record intact",
    async run(env) {
      const { sim, tm } = await setup(env);
      const first = await authorise(tm, sim);
      const record = sim.storage.get(KEY);
      const e = await rejects(tm.fillUserProfile({ nickName: "大坏蛋" }), "CONTENT_RISKY", env, "a risky nickname");
      eq(e.serverErr, 87014, "WeChat's code");
      eq(e.cached, first, "error.cached is the previous profile");
      eq(sim.storage.get(KEY), record, "the record is intact");
      tm.clearProfileCache();
      eq((await tm.login()).nick_name, first.nick_name, "nothing stored on the server either");
      eq((await tm.fillUserProfile({ nickName: "小红" })).nick_name, "小红", "another nickname passes");
    },
  },
  {
    name: "fill-in: an avatar that is not an image, or over 2 MiB → INVALID_AVATAR, no fill-in sent; over 2 MiB is refused before uploading where the host can stat the file",
    async run(env) {
      const { sim, tm } = await setup(env);
      const first = await authorise(tm, sim);
      const record = sim.storage.get(KEY);
      const text = sim.chooseAvatar(new TextEncoder().encode("<html>not an image</html>"));
      const e = await rejects(tm.fillUserProfile({ avatarPath: text, nickName: "小红" }), "INVALID_AVATAR", env, "not an image");
      eq(e.serverErr, 41010, "the server's code");
      const large = sim.chooseAvatar(new Uint8Array(2 * 1024 * 1024 + 1));
      const uploads = sim.counts.uploadFile;
      const local = await rejects(tm.fillUserProfile({ avatarPath: large }), "INVALID_AVATAR", env, "too large, seen by statSync");
      eq(sim.counts.uploadFile, uploads, "not uploaded");
      ok(local.message.includes("2097153 bytes"), `the message gives the size: ${local.message}`);
      eq([local.status, local.serverErr], [undefined, undefined], "refused on the phone, not by the server");
      eq(local.cached, first, "error.cached is the previous profile");
      // A host that cannot stat the file uploads it, and the server's 413 arrives while the upload is still
      // going out (the server lingers on close).
      sim.statSyncThrows = true;
      const big = await rejects(tm.fillUserProfile({ avatarPath: large }), "INVALID_AVATAR", env, "too large, seen by the server");
      eq([big.status, big.serverErr], [413, 41011], "HTTP 413, err 41011");
      eq(big.cached, first, "error.cached is the previous profile");
      eq(sim.storage.get(KEY), record, "the record is intact");
      eq((await stats(env)).fill, 0, "no fill-in after a refused upload");
    },
  },
  {
    name: "fill-in: a 401 during the upload → one login, the upload again, then the fill-in",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      await backend(env, "expire-sessions");
      resetCounts(sim);
      const p = await tm.fillUserProfile({ avatarPath: sim.chooseAvatar(), nickName: "小红" });
      eq(p.nick_name, "小红", "filled in");
      eq([sim.counts.login, sim.counts.uploadFile], [1, 2], "one login, the upload twice");
      eq(tm.getCachedProfile().profile.jwt, p.jwt, "the new session kept");
    },
  },
  {
    name: "fill-in: a 401 on the upload → login → the upload again, 20 times in a row (the backend's uploader keeps connections alive: the retry must not land on the connection the 401 closed)",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      const avatar = sim.chooseAvatar(padded(OTHER_PNG, 1024 * 1024));
      for (let round = 0; round < 20; round++) {
        // A session the server no longer accepts: its signature's first character changed.
        editRecord(sim, (record) => {
          const jwt = record.profile.jwt;
          const at = jwt.lastIndexOf(".") + 1;
          record.profile.jwt = `${jwt.slice(0, at)}${jwt[at] === "A" ? "B" : "A"}${jwt.slice(at + 1)}`;
        });
        resetCounts(sim);
        const before = await stats(env);
        const p = await tm.fillUserProfile({ avatarPath: avatar, nickName: `小红${round}` });
        eq(p.nick_name, `小红${round}`, `round ${round}: filled in`);
        eq([sim.counts.login, sim.counts.uploadFile], [1, 2], `round ${round}: one login, the upload twice`);
        const after = await stats(env);
        eq([after.upload - before.upload, after.fill - before.fill], [2, 1], `round ${round}: two uploads reached the backend, one fill-in`);
      }
    },
  },
  {
    name: "fill-in: WeChat's image check pushes risky → the avatar removed; a forged push is refused and changes nothing",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      const p = await tm.fillUserProfile({ avatarPath: sim.chooseAvatar() });
      const forged = await fetch(`${env.backendUrl}/v1/wechat/push?signature=forged&timestamp=1&nonce=2`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ Event: "wxa_media_check", appid: APP, trace_id: "sim-trace-1", result: { suggest: "risky", label: 20002 } }),
      });
      eq(forged.status, 401, "a push without WeChat's signature");
      eq((await fetchFresh(p.avatar_url)).status, 200, "the avatar still served");
      await backend(env, "image-verdict", { suggest: "risky" });
      await tm.fillUserProfile({ avatarPath: sim.chooseAvatar() });
      await answers(p.avatar_url, 404, "the risky avatar to be removed");
      tm.clearProfileCache();
      eq((await tm.login()).avatar_url, "", "and taken from the player");
    },
  },
  {
    name: "fill-in: bad options → INVALID_OPTIONS naming the key, nothing sent",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      resetCounts(sim);
      for (const [options, field] of [[{}, "options"], [{ nickName: "字".repeat(65) }, "nickName"], [{ avatarPath: "" }, "avatarPath"], ["小红", "options"]]) {
        const e = await rejects(tm.fillUserProfile(options), "INVALID_OPTIONS", env, JSON.stringify(options));
        eq(e.field, field, `${JSON.stringify(options)}: field`);
      }
      eq([sim.counts.uploadFile, sim.counts.request], [0, 0], "nothing sent");
    },
  },
  {
    name: "deleteProfile after a fill-in: the player's own avatar answers 404, one another player uses still 200, the old session 401, nothing left on the phone, the next login a new player",
    async run(env) {
      const { sim, tm } = await setup(env);
      await authorise(tm, sim);
      const own = (await tm.fillUserProfile({ avatarPath: sim.chooseAvatar(OTHER_PNG) })).avatar_url;
      const shared = (await tm.fillUserProfile({ avatarPath: sim.chooseAvatar(), nickName: "小红" })).avatar_url;
      ok(own !== shared, "two images, two avatars");
      // Another player on the same server with the same image as their avatar.
      const other = createSimWx({ transport: env.transport, wechat: env.backendUrl, appId: APP });
      simsInUse.push(other.sim);
      other.sim.openId = "oOtherPlayer_01";
      await env.install({ server: env.backendUrl, host: other.wx, autoLogin: false });
      await other.sim.tap(() => other.wx.tmSDK.updateUserProfile());
      eq((await other.wx.tmSDK.fillUserProfile({ avatarPath: other.sim.chooseAvatar() })).avatar_url, shared, "the same image");
      const oldJwt = tm.getCachedProfile().profile.jwt;
      await tm.deleteProfile();
      eq((await fetchFresh(own)).status, 404, "the player's own avatar is gone");
      eq((await fetchFresh(shared)).status, 200, "the avatar another player uses stays");
      const old = await fetch(`${env.backendUrl}/v1/profile/fill`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${oldJwt}` },
        body: JSON.stringify({ app_id: APP, nick_name: "小刚" }),
      });
      eq(old.status, 401, "the old session is refused");
      eq([...sim.storage.keys()], [], "nothing of the player left on the phone");
      const next = await tm.login();
      eq([next.is_new, next.login_times, next.nick_name, next.avatar_url], [true, 1, "", ""], "a new player");
      const again = await fetch(`${env.backendUrl}/v1/profile/fill`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${oldJwt}` },
        body: JSON.stringify({ app_id: APP, nick_name: "小刚" }),
      });
      eq(again.status, 401, "still refused after the same openid logged in again");
    },
  },
];

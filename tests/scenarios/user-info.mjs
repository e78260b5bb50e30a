// SkyRiver's `updateUserInfo(result)` end to end, in every runtime: the game makes its own user-info button,
// and hands what its tap gave to `tm.updateUserInfo`; tmsdk-server checks it (with rawData: the signature; without,
// SkyRiver's three fields: the decryption and the watermark). Natively: core/tests/update_user_info.rs.
import { APP, KEY, eq, ok, rejects, setup, stats } from "./helpers.mjs";

/** The game's own user-info button: resolves with what its first tap gives (the SDK shows none). */
function gameButton(wx, sim) {
  return new Promise((resolve) => {
    const button = wx.createUserInfoButton({ type: "text", text: "登录", style: { left: 0, top: 0, width: 100, height: 40 } });
    button.onTap((res) => {
      button.destroy();
      resolve(res);
    });
    sim.tapButton();
  });
}

export const userInfos = [
  {
    name: "updateUserInfo: the game's own button tap result gives the verified profile, with rawData and with SkyRiver's three fields only",
    async run(env) {
      const { wx, sim, tm } = await setup(env, { kind: "minigame" });
      await tm.login();
      sim.user.nickName = "点击者";
      const res = await gameButton(wx, sim);
      ok(typeof res.rawData === "string" && typeof res.encryptedData === "string", "a whole tap result");
      const p = await tm.updateUserInfo(res);
      eq([p.nick_name, p.app_id, p.open_id], ["点击者", APP, sim.openId], "the verified profile");
      eq(JSON.parse(sim.storage.get(KEY)).profile, p, "cached");
      eq(sim.counts.buttons, 1, "no button of the SDK's: only the game's");
      // SkyRiver's own call passes encryptedData, iv and signature only: the server decrypts.
      sim.user.nickName = "三字段";
      const again = await gameButton(wx, sim);
      const p2 = await tm.updateUserInfo({ encryptedData: again.encryptedData, iv: again.iv, signature: again.signature });
      eq(p2.nick_name, "三字段", "read from the decrypted data");
      const s = await stats(env);
      eq([s.login, s.profile], [1, 2], "one login, one request each");
      // A cache hit afterwards: updateUserProfile serves the record with no button.
      eq(await tm.updateUserProfile(), p2, "the record serves updateUserProfile");
      eq(sim.counts.buttons, 2, "still only the game's two buttons");
    },
  },
  {
    name: "updateUserInfo: a refusal in errMsg is AUTH_DENIED and a tampered or foreign payload is refused, the record kept",
    async run(env) {
      const { wx, sim, tm } = await setup(env, { kind: "minigame" });
      await tm.login();
      const p = await tm.updateUserInfo(await gameButton(wx, sim));
      const record = sim.storage.get(KEY);
      sim.decision = "deny";
      const denied = await gameButton(wx, sim);
      const e = await rejects(tm.updateUserInfo(denied), "AUTH_DENIED", env, "a refusal");
      eq(e.errMsg, "getUserInfo:fail auth deny", "the host's words");
      eq(e.cached, p, "error.cached");
      sim.decision = "allow";
      const res = await gameButton(wx, sim);
      // One byte of the ciphertext changed, without rawData: it no longer decrypts to this app's data.
      const flipped = res.encryptedData.slice(0, 8) + (res.encryptedData[8] === "A" ? "B" : "A") + res.encryptedData.slice(9);
      const tampered = await rejects(tm.updateUserInfo({ encryptedData: flipped, iv: res.iv, signature: res.signature }), "SERVER", env, "tampered");
      ok(typeof tampered.serverErr === "number" && tampered.serverErr !== 0, `the server's refusal (${tampered.serverErr})`);
      // rawData that is not what was signed: the signature check refuses it.
      await rejects(tm.updateUserInfo({ ...res, rawData: res.rawData.replace("小明", "篡改者") }), "SERVER", env, "signature");
      eq(sim.storage.get(KEY), record, "the record kept");
    },
  },
  {
    name: "updateUserInfo: a malformed result is INVALID_OPTIONS naming the field before any request; without a session it logs in first",
    async run(env) {
      const { wx, sim, tm } = await setup(env, { kind: "minigame" });
      for (const [result, field] of [[undefined, "encryptedData"], ["tap", "result"], [{ encryptedData: "x" }, "iv"], [{ encryptedData: 1, iv: "y" }, "encryptedData"], [{ encryptedData: "x", iv: "y", rawData: "{}" }, "signature"]]) {
        const e = await rejects(tm.updateUserInfo(result), "INVALID_OPTIONS", env, `malformed ${JSON.stringify(result)}`);
        eq(e.field, field, "the field");
      }
      eq(await stats(env).then((s) => [s.login, s.profile]), [0, 0], "nothing sent");
      const p = await tm.updateUserInfo(await gameButton(wx, sim));
      eq(p.nick_name, "小明", "logged in, then verified");
      eq(await stats(env).then((s) => [s.login, s.profile]), [1, 1], "one login, one request");
    },
  },
];

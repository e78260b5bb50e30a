// Type-checks a mini-game consumer against minigame-api-typings (tsc --noEmit in tests/js/packaging.test.mjs).
import { install, parseProfile, TmSdkError, type Profile, type TmSdkErrorCode } from "tmsdk-profile/wechat";

install({ server: "https://api.example.com", profileTtl: 3600, userInfoButton: { left: 0, top: 0, width: 200, height: 40 } })
  .then((sdk) => sdk.getCachedProfile()?.expiresAt);

wx.onTouchEnd(() => {
  wx.tmSDK
    .updateUserProfile({ refresh: false, desc: "更新用户信息" })
    .then((profile: Profile) => {
      const name: string = profile.nick_name;
      const gender: 0 | 1 | 2 = profile.gender;
      console.log(name, gender, profile.xh_uid ?? profile.open_id, profile.last_login_time + 1);
    })
    .catch((e: unknown) => {
      if (e instanceof TmSdkError) {
        const code: TmSdkErrorCode = e.code;
        console.log(code, e.errMsg, e.cached?.nick_name);
      }
    });
  // @ts-expect-error refresh is a boolean
  wx.tmSDK.updateUserProfile({ refresh: "yes" });
  // @ts-expect-error not an error code
  const bad: TmSdkErrorCode = "NOT_A_CODE";
  console.log(bad);
});

// parseProfile: text or a parsed body, and the appId.
const parsed: Profile = parseProfile('{"err":0,"data":{"open_id":"o1"}}', "wx1");
console.log(parsed.open_id, parseProfile({ open_id: "o1" }, "wx1").jwt);
// @ts-expect-error the appId is required
parseProfile("{}");
// The placeholder and region questions.
wx.tmSDK.updateUserProfile().then((p) => {
  const blocked: boolean = wx.tmSDK.inRegion(p, ["西藏", "新疆"]) || wx.tmSDK.isPlaceholderProfile(p);
  console.log(blocked, wx.tmSDK.getCachedProfile()?.placeholder);
  // @ts-expect-error regions must be an array of strings
  wx.tmSDK.inRegion(p, "西藏");
});

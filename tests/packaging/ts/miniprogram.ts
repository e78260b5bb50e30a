// Type-checks a mini-program consumer against miniprogram-api-typings (tsc --noEmit in tests/js/packaging.test.mjs).
import { install, type Profile } from "tmsdk-profile/wechat";

install({ server: "https://api.example.com" });

Page({
  data: { nickName: "" },
  onAuthorizeTap() {
    wx.tmSDK.updateUserProfile({ desc: "用于展示头像昵称", lang: "zh_CN" }).then((profile: Profile) => {
      this.setData({ nickName: profile.nick_name });
    });
  },
  onShow() {
    const cached = wx.tmSDK.getCachedProfile();
    if (cached) this.setData({ nickName: cached.profile.nick_name });
    wx.tmSDK.login().then((p) => p.open_id);
    wx.tmSDK.clearProfileCache();
  },
});

// @ts-expect-error lang is one of WeChat's spellings
wx.tmSDK.updateUserProfile({ lang: "fr" });

// profile-form: WeChat's 头像昵称填写 as one custom component. The player picks an avatar
// (<button open-type="chooseAvatar">) and types a nickname (<input type="nickname">); the submit button calls
// wx.tmSDK.fillUserProfile (install() must have run). Events: `fill` with { profile } once the backend took it,
// `error` with { code, message, error } (CONTENT_RISKY: ask for another nickname or image). No rule lives here:
// the SDK checks the options and the backend the content.
Component({
  properties: {
    /** The submit button's text. */
    submitText: { type: String, value: "保存" },
    /** The nickname input's placeholder. */
    placeholder: { type: String, value: "请输入昵称" },
    /** The image shown before the player picks one (e.g. the current avatar_url). */
    avatar: { type: String, value: "" },
  },
  data: { avatarPath: "", nickName: "", busy: false, error: "" },
  methods: {
    onChooseAvatar(e) {
      this.setData({ avatarPath: (e && e.detail && e.detail.avatarUrl) || "", error: "" });
    },
    onNickName(e) {
      this.setData({ nickName: (e && e.detail && e.detail.value) || "" });
    },
    onSubmit() {
      if (this.data.busy) return;
      const sdk = typeof wx === "object" && wx ? wx.tmSDK : undefined;
      if (!sdk || typeof sdk.fillUserProfile !== "function") {
        const message = "wx.tmSDK.fillUserProfile is missing: call install() from tmsdk-profile before the form is used.";
        this.setData({ error: message });
        this.triggerEvent("error", { code: "UNSUPPORTED", message });
        return;
      }
      const options = {};
      if (this.data.avatarPath) options.avatarPath = this.data.avatarPath;
      if (this.data.nickName) options.nickName = this.data.nickName;
      this.setData({ busy: true, error: "" });
      sdk.fillUserProfile(options).then(
        (profile) => {
          this.setData({ busy: false });
          this.triggerEvent("fill", { profile });
        },
        (error) => {
          const message = (error && error.message) || String(error);
          this.setData({ busy: false, error: message });
          this.triggerEvent("error", { code: (error && error.code) || "INTERNAL", message, error });
        },
      );
    },
  },
});

// A minimal WeChat mini-game using the tmsdk-profile drop-in. Copy dist/minigame/ (from `npm run build`) into
// this folder as tmsdk-profile/, set your backend in config.js, and open the folder in WeChat DevTools.
const { install } = require("./tmsdk-profile/tmsdk-profile.js");
const config = require("./config.js");

let status = "点击屏幕，授权头像和昵称";

// install() sets wx.tmSDK at once and logs in silently in the background.
install({ server: config.server }).catch(function (e) {
  status = "初始化失败：" + e.code;
  render();
});

wx.onTouchEnd(function () {
  // Call it directly in the touch handler: WeChat only shows the popup from a tap (no await before it).
  // On mini-games without wx.getUserProfile, the first tap places a transparent full-screen button and the
  // next tap authorises.
  wx.tmSDK
    .updateUserProfile({ desc: "用于展示排行榜头像昵称" })
    .then(function (profile) {
      status = "你好，" + profile.nick_name;
      render();
    })
    .catch(function (e) {
      status = e.code === "AUTH_DENIED" ? "你拒绝了授权，可以稍后再试" : "出错了：" + e.code;
      render();
    });
});

const canvas = typeof wx.createCanvas === "function" ? wx.createCanvas() : null;

function render() {
  if (!canvas) {
    console.log(status);
    return;
  }
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#1b1b1f";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#ffffff";
  ctx.font = "20px sans-serif";
  ctx.textAlign = "center";
  ctx.fillText(status, canvas.width / 2, canvas.height / 2);
}

render();

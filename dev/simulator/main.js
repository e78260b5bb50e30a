// The simulator page: a mini-game whose tap calls wx.tmSDK.updateUserProfile, with a WeChat-style
// authorisation sheet, the resolved profile with its figures, the cache's age and expiry, and errors with their
// codes; while the cached profile is WeChat's 微信用户 placeholder, the mini-program's fill-in form (头像昵称填写 →
// wx.tmSDK.fillUserProfile, the image uploaded to tmsdk-server); a share (wx.tmSDK.share), the game sent to the
// background and back (play time), and "delete my data" (wx.tmSDK.deleteProfile). It only displays what the SDK
// returns; every rule is the SDK's. A platform switch (saved in localStorage) makes it a QQ mini-game: the host is
// `qq`, the app a `qq:` app of tmsdk-server (its logins go to the simulated QQ API), and the player authorises
// through the user-info button, whose tap the sheet stands for; or a Douyin mini-game: the host is `tt`, the app a
// `tt:` app (its logins go to the simulated Douyin API), a player not logged in to Douyin plays anonymously, and
// the sheet stands for Douyin's login dialog and then its tt.getUserInfo prompt.
import { install } from "../../pkg/shim/web.js";
import { webTransport } from "./transport-web.js";
import { createSimWx } from "./wx-sim.js";

const $ = (id) => document.getElementById(id);
// WeChat (a mini-program's popup), QQ (a mini-game's user-info button) or Douyin (its login dialog and prompt);
// dev/server.mjs serves the three apps.
const PLATFORM = { qq: "qq", douyin: "douyin" }[localStorage.getItem("sim-platform")] || "wechat";
const QQ = PLATFORM === "qq";
const DOUYIN = PLATFORM === "douyin";
const APP_ID = { qq: "1109000001", douyin: "ttdevsimulator0001" }[PLATFORM] || "wxdevsimulator0001";
$("platform").value = PLATFORM;
$("platform").addEventListener("change", (e) => {
  localStorage.setItem("sim-platform", e.target.value);
  location.reload();
});
$("api-name").textContent = { qq: "qq.tmSDK", douyin: "tt.tmSDK" }[PLATFORM] || "wx.tmSDK";
$("game-title").textContent = { qq: "模拟 QQ 小游戏", douyin: "模拟抖音小游戏" }[PLATFORM] || "模拟小游戏";
$("user-platform").textContent = { qq: "QQ", douyin: "Douyin" }[PLATFORM] || "WeChat";
// QQ and Douyin have no privacy-agreement API: WeChat's privacy answers never arise there.
if (QQ || DOUYIN) document.querySelector(".sheet-privacy").style.display = "none";
// Douyin: whether the player is logged in to the Douyin app (else they play anonymously until its login dialog).
$("douyin-login").hidden = !DOUYIN;
const player = { openId: "oDevPlayer_0001", nickName: "小明", avatar: 0 };
const avatarUrl = (n) => `${location.origin}/sim/avatar/${n}.svg`;

// wx storage in localStorage, so the cache survives a reload as it survives a game restart.
const STORAGE_PREFIX = `${PLATFORM}-storage:`;
const localStorageMap = {
  get: (key) => JSON.parse(localStorage.getItem(STORAGE_PREFIX + key)),
  set: (key, value) => localStorage.setItem(STORAGE_PREFIX + key, JSON.stringify(value)),
  has: (key) => localStorage.getItem(STORAGE_PREFIX + key) !== null,
  delete: (key) => localStorage.removeItem(STORAGE_PREFIX + key),
};

// The simulated WeChat user: nickname and avatar (what the sheet shares).
$("player-nick").addEventListener("input", (e) => {
  player.nickName = e.target.value;
  syncUser();
});
// What WeChat shares: the player's own nickname and avatar, or the anonymous placeholder that mini-programs
// released after 2022-11-08 get (微信用户, gray avatar).
const PLACEHOLDER_AVATAR = 9;
function syncUser() {
  const placeholder = $("placeholder").checked;
  sim.user = placeholder
    ? { nickName: "微信用户", avatarUrl: avatarUrl(PLACEHOLDER_AVATAR) }
    : { nickName: player.nickName, avatarUrl: avatarUrl(player.avatar) };
}
$("placeholder").addEventListener("change", syncUser);
for (let n = 0; n < 5; n++) {
  const b = document.createElement("button");
  b.type = "button";
  b.setAttribute("aria-pressed", String(n === player.avatar));
  b.innerHTML = `<img src="${avatarUrl(n)}" alt="avatar ${n}">`;
  b.addEventListener("click", () => {
    player.avatar = n;
    syncUser();
    for (const other of $("avatars").children) other.setAttribute("aria-pressed", String(other === b));
  });
  $("avatars").append(b);
}

/** The authorisation sheet: resolves true on 允许, false on 拒绝, `{ privacy }` for WeChat's privacy answers. */
function askUser(desc) {
  $("sheet-desc").textContent = desc;
  $("sheet-nick").textContent = sim.user.nickName;
  $("sheet-avatar").src = sim.user.avatarUrl;
  $("sheet").hidden = false;
  return new Promise((resolve) => {
    const answer = (allowed) => () => {
      $("sheet").hidden = true;
      $("allow").onclick = $("deny").onclick = $("privacy-denied").onclick = $("privacy-undeclared").onclick = null;
      resolve(allowed);
    };
    $("allow").onclick = answer(true);
    $("deny").onclick = answer(false);
    $("privacy-denied").onclick = answer({ privacy: 104 });
    $("privacy-undeclared").onclick = answer({ privacy: 112 });
  });
}

/** Douyin's login dialog, on the same sheet: 允许 logs the player in to Douyin. */
const askLogin = () => askUser("（抖音登录：登录后继续）").then((allowed) => allowed === true);
const { wx, sim } = createSimWx({ transport: webTransport, appId: APP_ID, askUser, askLogin, storage: localStorageMap, kind: QQ ? "minigame" : DOUYIN ? "douyin" : undefined });
// On QQ the host is the global `qq`, on Douyin `tt`.
if (QQ) globalThis.qq = wx;
if (DOUYIN) globalThis.tt = wx;
sim.douyinLoggedIn = $("douyin-logged-in").checked = localStorage.getItem("sim-douyin-logged-in") === "true";
$("douyin-logged-in").addEventListener("change", (e) => {
  sim.douyinLoggedIn = e.target.checked;
  localStorage.setItem("sim-douyin-logged-in", String(e.target.checked));
});

/** QQ: the SDK puts up the user-info button; the sheet stands for the player's tap on it (Allow or Deny). */
function answerButtons(settled) {
  if (!QQ) return;
  let done = false;
  settled.then(() => (done = true), () => (done = true));
  const watch = () => {
    if (done) return;
    if (sim.buttons.length === 0) return setTimeout(watch, 20);
    askUser("（QQ 用户信息按钮）").then((allowed) => {
      sim.decision = allowed === true ? "allow" : "deny";
      sim.tapButton();
    });
  };
  watch();
}
sim.openId = player.openId;
syncUser();
// The page's launch: the simulator's own scene (Douyin's is a string) and channel.
wx.getLaunchOptionsSync = () => ({ scene: DOUYIN ? "011004" : 1001, query: { channelCode: "simulator" } });

function showProfile(profile, source) {
  $("profile-card").hidden = false;
  $("avatar").src = profile.avatar_url || avatarUrl(0);
  $("nick").textContent = profile.nick_name || "(no nickname yet)";
  $("placeholder-badge").hidden = !wx.tmSDK.isPlaceholderProfile(profile);
  $("open-id").textContent = profile.open_id;
  $("login-times").textContent = profile.login_times;
  $("last-login").textContent = new Date(profile.last_login_time * 1000).toLocaleString();
  $("is-new").textContent = String(profile.is_new);
  showFigures(profile);
  $("source").textContent = source;
}

/** The player's figures, as the latest profile has them (events answers refresh the cached one). */
function showFigures(profile) {
  $("share-times").textContent = profile.share_times;
  $("share-new").textContent = profile.share_new;
  $("online-days").textContent = profile.online_days;
  $("online-duration").textContent = profile.online_duration;
}

function showError(e) {
  $("error").hidden = false;
  $("error-code").textContent = e.code || "ERROR";
  $("error-message").textContent = e.message;
  $("error-errmsg").textContent = e.errMsg ? `errMsg: ${e.errMsg}` : "";
}

function duration(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  const parts = [[Math.floor(s / 86400), "d"], [Math.floor((s % 86400) / 3600), "h"], [Math.floor((s % 3600) / 60), "m"], [s % 60, "s"]];
  return parts.filter(([v], i) => v > 0 || i === 3).map(([v, u]) => `${v}${u}`).join(" ");
}

function showCache() {
  const cached = wx.tmSDK && wx.tmSDK.getCachedProfile();
  $("fill").hidden = !(cached && cached.placeholder);
  if (!cached) {
    $("cache").textContent = "empty";
    return;
  }
  if (!$("profile-card").hidden) showFigures(cached.profile);
  const now = Date.now();
  $("cache").textContent =
    `cachedAt  ${new Date(cached.cachedAt).toLocaleString()} (${duration(now - cached.cachedAt)} ago)\n` +
    `expiresAt ${new Date(cached.expiresAt).toLocaleString()} (${cached.expiresAt > now ? `in ${duration(cached.expiresAt - now)}` : "expired"})\n` +
    `nick_name ${JSON.stringify(cached.profile.nick_name)}  placeholder ${cached.placeholder}`;
}

$("tap").addEventListener("click", () => {
  $("error").hidden = true;
  const before = sim.counts.getUserProfile;
  const options = { refresh: $("refresh").checked, desc: $("desc").value };
  $("status").textContent = `updateUserProfile(${JSON.stringify(options)}) …`;
  const buttons = sim.counts.buttons;
  const prompts = sim.counts.getUserInfo;
  // Called synchronously inside the tap, as WeChat requires.
  const settled = sim.tap(() => wx.tmSDK.updateUserProfile(options));
  answerButtons(settled);
  settled
    .then((profile) => {
      const popup = sim.counts.getUserProfile > before;
      const button = sim.counts.buttons > buttons;
      const prompt = DOUYIN && sim.counts.getUserInfo > prompts;
      const source = popup ? "WeChat popup + /v1/profile" : button ? "QQ user-info button + /v1/profile" : prompt ? "Douyin tt.getUserInfo + /v1/profile" : "cache (no popup, no request)";
      showProfile(profile, source);
      $("status").textContent = "resolved";
    })
    .catch((e) => {
      showError(e);
      $("status").textContent = "rejected";
    })
    .then(showCache);
});

// The fill-in (头像昵称填写). <button open-type="chooseAvatar">: the player picks an image and WeChat hands over
// a temporary file; here each tap paints the next colour as a PNG.
const FILL_COLOURS = ["#07c160", "#fa5151", "#10aeff", "#ffc300", "#6467f0"];
let chosenAvatar = "";
let chosen = 0;
function png(colour) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 96;
  const g = canvas.getContext("2d");
  g.fillStyle = colour;
  g.fillRect(0, 0, 96, 96);
  g.fillStyle = "#fff";
  g.beginPath();
  g.arc(48, 38, 18, 0, Math.PI * 2);
  g.fill();
  return new Promise((resolve) => canvas.toBlob((blob) => blob.arrayBuffer().then((b) => resolve(new Uint8Array(b))), "image/png"));
}
$("fill-avatar").addEventListener("click", async () => {
  const bytes = await png(FILL_COLOURS[chosen++ % FILL_COLOURS.length]);
  chosenAvatar = sim.chooseAvatar(bytes);
  $("fill-avatar-image").src = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
  document.body.dataset.avatarChosen = "true";
});
$("fill-submit").addEventListener("click", () => {
  $("error").hidden = true;
  const options = {};
  if (chosenAvatar) options.avatarPath = chosenAvatar;
  if ($("fill-nick").value) options.nickName = $("fill-nick").value;
  $("status").textContent = `fillUserProfile(${JSON.stringify(options)}) …`;
  wx.tmSDK
    .fillUserProfile(options)
    .then((profile) => {
      showProfile(profile, "fill-in: wx.uploadFile → /v1/avatar, then /v1/profile/fill");
      $("status").textContent = "resolved";
    })
    .catch((e) => {
      showError(e);
      $("status").textContent = "rejected";
    })
    .then(showCache);
});

$("clear").addEventListener("click", () => {
  wx.tmSDK.clearProfileCache();
  showCache();
});

// A page's share (mini-program onShareAppMessage): the object goes out through wx.tmSDK.share, tagged and counted.
$("share").addEventListener("click", () => {
  const shared = wx.tmSDK.share({ title: "来挑战我的分数", path: "pages/game/index?room=7" });
  $("shared").textContent = `shared path: ${shared.path}`;
  document.body.dataset.shared = "true";
});
// The home button and back: onAppHide ends the segment of play time (sent at once), onAppShow starts the next.
let inBackground = false;
$("background").addEventListener("click", () => {
  inBackground = !inBackground;
  if (inBackground) sim.hide();
  else sim.show();
  $("background").textContent = inBackground ? "back to foreground" : "to background";
});
$("delete").addEventListener("click", () => {
  $("error").hidden = true;
  $("status").textContent = "deleteProfile() …";
  wx.tmSDK
    .deleteProfile()
    .then(() => {
      $("profile-card").hidden = true;
      $("status").textContent = "deleted: the server erased the player; the next tap creates a new one";
    })
    .catch((e) => {
      showError(e);
      $("status").textContent = "rejected";
    })
    .then(showCache);
});

install({ server: location.origin, host: wx, appId: QQ || DOUYIN ? APP_ID : undefined }).then(
  () => {
    $("status").textContent = "installed — tap the green button";
    document.body.dataset.ready = "true";
    showCache();
    setInterval(showCache, 1000);
  },
  (e) => showError(e),
);

// The mini-program component `profile-form` (miniprogram/profile-form/, shipped as wechat/profile-form/ in the
// npm package): its JS run in a WeChat-like realm under a simulated `Component` host (setData, triggerEvent,
// the events WeChat's own components send), and its WXML checked for the 头像昵称填写 components.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { fileURLToPath } from "node:url";

const folder = fileURLToPath(new URL("../../miniprogram/profile-form/", import.meta.url));
const source = readFileSync(`${folder}index.js`, "utf8");

/** Runs the component's file in a fresh realm with `wx`; returns one instance of what it registered. */
function mount(wx, properties = {}) {
  let definition;
  const context = vm.createContext({ wx, console, Component: (d) => (definition = d) });
  vm.runInContext(source, context, { filename: "profile-form/index.js" });
  assert.ok(definition, "the file registers a Component");
  const events = [];
  const defaults = Object.fromEntries(Object.entries(definition.properties).map(([k, p]) => [k, p.value]));
  const instance = {
    data: { ...defaults, ...properties, ...definition.data },
    setData(patch) {
      Object.assign(this.data, patch);
    },
    triggerEvent(name, detail) {
      events.push({ name, detail });
    },
  };
  for (const [name, method] of Object.entries(definition.methods)) instance[name] = method.bind(instance);
  return { instance, events };
}

/** A wx whose tmSDK.fillUserProfile answers with `answer(options)` (a promise). */
function wxWith(answer) {
  const calls = [];
  return { calls, wx: { tmSDK: { fillUserProfile: (options) => (calls.push(options), answer(options)) } } };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
/** A value of the component's realm as plain data of this one (deepEqual compares prototypes too). */
const plain = (v) => JSON.parse(JSON.stringify(v));

test("profile-form: the chosen avatar and the typed nickname go to fillUserProfile; `fill` carries the profile", async () => {
  const profile = { open_id: "o1", nick_name: "小红", avatar_url: "https://api.example.com/v1/avatar/a.jpg" };
  const { calls, wx } = wxWith(() => Promise.resolve(profile));
  const { instance, events } = mount(wx);
  instance.onChooseAvatar({ detail: { avatarUrl: "http://tmp/avatar_1.png" } });
  instance.onNickName({ detail: { value: "小红" } });
  instance.onSubmit();
  assert.equal(instance.data.busy, true, "busy while the SDK works");
  instance.onSubmit();
  assert.equal(calls.length, 1, "a second tap while busy sends nothing");
  await settle();
  assert.deepEqual(plain(calls[0]), { avatarPath: "http://tmp/avatar_1.png", nickName: "小红" });
  assert.equal(events.length, 1);
  assert.equal(events[0].name, "fill");
  assert.equal(events[0].detail.profile, profile, "the SDK's profile, as it resolved");
  assert.equal(instance.data.busy, false);
});

test("profile-form: only what was filled in is sent", async () => {
  const { calls, wx } = wxWith(() => Promise.resolve({}));
  const { instance } = mount(wx);
  instance.onNickName({ detail: { value: "小蓝" } });
  instance.onSubmit();
  await settle();
  assert.deepEqual(plain(calls), [{ nickName: "小蓝" }], "no avatarPath without an avatar");
});

test("profile-form: a refusal is shown and sent as `error` with its code", async () => {
  const refusal = Object.assign(new Error("WeChat's content check refused what the player filled in."), { code: "CONTENT_RISKY" });
  const { wx } = wxWith(() => Promise.reject(refusal));
  const { instance, events } = mount(wx);
  instance.onNickName({ detail: { value: "大坏蛋" } });
  instance.onSubmit();
  await settle();
  assert.equal(events.length, 1);
  assert.equal(events[0].name, "error");
  assert.equal(events[0].detail.code, "CONTENT_RISKY");
  assert.equal(events[0].detail.error, refusal);
  assert.equal(instance.data.error, refusal.message, "shown under the form");
  assert.equal(instance.data.busy, false, "the player can try again");
  instance.onChooseAvatar({ detail: { avatarUrl: "http://tmp/avatar_2.png" } });
  assert.equal(instance.data.error, "", "a new choice clears the error");
});

test("profile-form: without install() the form says so instead of throwing", () => {
  const { instance, events } = mount({});
  instance.onSubmit();
  assert.equal(events[0].name, "error");
  assert.equal(events[0].detail.code, "UNSUPPORTED");
  assert.match(instance.data.error, /install\(\)/);
});

test("profile-form: the WXML uses WeChat's own avatar and nickname components; the JSON declares a component", () => {
  const wxml = readFileSync(`${folder}index.wxml`, "utf8");
  assert.match(wxml, /<button[^>]*open-type="chooseAvatar"[^>]*bind:chooseavatar="onChooseAvatar"/);
  assert.match(wxml, /<input[^>]*type="nickname"/);
  assert.match(wxml, /bindinput="onNickName"/);
  assert.match(wxml, /bindtap="onSubmit"/);
  assert.equal(JSON.parse(readFileSync(`${folder}index.json`, "utf8")).component, true);
  // The check sees a form without them.
  assert.doesNotMatch('<button open-type="getUserInfo">', /open-type="chooseAvatar"/);
});

// Packaging test consumer (webpack 5, browser): the installed tarball's "." entry (the web build).
import { install, parseProfile, TmSdkError } from "tmsdk-profile";
import { createSimWx } from "../../../../dev/simulator/wx-sim.js";
import { webTransport } from "../../../../dev/simulator/transport-web.js";

window.runFlow = async () => {
  // Before any install the wasm is not loaded: parseProfile says so with a typed error.
  let early;
  try {
    parseProfile("{}", "wxsimapp0000000001");
  } catch (e) {
    early = e instanceof TmSdkError ? e.code : `not a TmSdkError: ${e}`;
  }
  const { wx, sim } = createSimWx({ transport: webTransport, appId: "wxsimapp0000000001" });
  await install({ server: location.origin, host: wx });
  const profile = await sim.tap(() => wx.tmSDK.updateUserProfile({ desc: "打包测试" }));
  let code;
  try {
    await sim.tap(() => wx.tmSDK.updateUserProfile({ refresh: "yes" }));
  } catch (e) {
    code = e instanceof TmSdkError ? e.code : `not a TmSdkError: ${e}`;
  }
  const parsed = parseProfile('{"err":0,"msg":"ok","data":{"open_id":"oParsed"}}', "wxsimapp0000000001").open_id;
  return { nick: profile.nick_name, fields: Object.keys(profile).length, code, early, parsed };
};
window.consumerReady = true;

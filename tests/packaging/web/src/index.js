// Packaging test consumer (webpack 5, browser): the installed tarball's "." entry (the web build).
import { install, TmSdkError } from "tmsdk-profile";
import { createSimWx } from "../../../support/sim-wx.mjs";
import { webTransport } from "../../../support/transport-web.mjs";

window.runFlow = async () => {
  const { wx, sim } = createSimWx({ transport: webTransport, appId: "wxsimapp0000000001" });
  await install({ server: location.origin, host: wx });
  const profile = await sim.tap(() => wx.tmSDK.updateUserProfile({ desc: "打包测试" }));
  let code;
  try {
    await sim.tap(() => wx.tmSDK.updateUserProfile({ refresh: "yes" }));
  } catch (e) {
    code = e instanceof TmSdkError ? e.code : `not a TmSdkError: ${e}`;
  }
  return { nick: profile.nick_name, fields: Object.keys(profile).length, code };
};
window.consumerReady = true;

// Shared by the Node consumers: install against the backend given as argv[2], one updateUserProfile inside a
// simulated tap, the outcome printed as JSON for tests/js/packaging.test.mjs.
import { createSimWx } from "../../../dev/simulator/wx-sim.js";
import { nodeTransport } from "../../../dev/transport-node.mjs";

export async function run({ install, TmSdkError, parseProfile, flavour }) {
  const { wx, sim } = createSimWx({ transport: nodeTransport, wechat: process.argv[2], appId: "wxsimapp0000000001" });
  await install({ server: process.argv[2], host: wx });
  const profile = await sim.tap(() => wx.tmSDK.updateUserProfile({ desc: "打包测试" }));
  let code;
  try {
    await sim.tap(() => wx.tmSDK.updateUserProfile({ desc: "" }));
  } catch (e) {
    code = e instanceof TmSdkError ? e.code : `not a TmSdkError: ${e}`;
  }
  // parseProfile, the same rules for backends and tools, synchronous in Node.
  const parsed = parseProfile({ err: 0, msg: "ok", data: { open_id: "oParsed", app_id: "wxsimapp0000000001" } }, "wxsimapp0000000001").open_id;
  console.log(JSON.stringify({ flavour, nick: profile.nick_name, fields: Object.keys(profile).length, code, parsed }));
}

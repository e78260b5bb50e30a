// The scenario page's script: loaded as an ES module by scenarios.html, and bundled by webpack
// (webpack.config.js) for scenarios-webpack.html. tests/js/scenarios-browser.test.mjs drives both.
import { install, TmSdkError } from "../../pkg/shim/web.js";
import { scenarios } from "../scenarios/scenarios.mjs";
import { webTransport } from "../../dev/simulator/transport-web.js";

const env = { install, TmSdkError, transport: webTransport, backendUrl: location.origin };
window.scenarioNames = scenarios.map((s) => s.name);
window.runScenario = async (name) => {
  try {
    await scenarios.find((s) => s.name === name).run(env);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: String((e && e.stack) || e) };
  }
};
window.scenariosReady = true;

// The scenario page's script: loaded as an ES module by scenarios.html, and bundled by webpack
// (webpack.config.js) for scenarios-webpack.html. tests/js/scenarios-browser.test.mjs drives both.
import { install, TmSdkError } from "../../pkg/shim/web.js";
import { allScenarios as scenarios } from "../scenarios/all.mjs";
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
// For the loading-failure test: install() itself, before any scenario has loaded the wasm.
window.installForTest = install;
window.scenariosReady = true;

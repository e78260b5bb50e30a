// webpack 5 build of the demo pages: the simulator of `npm start` (dev/simulator/) and the browser scenario
// page of `npm test`. It also proves a webpack consumer of the package works: the wasm is found through
// `new URL(…, import.meta.url)` and emitted as an asset. Run by scripts/webpack.mjs.
const path = require("node:path");

module.exports = {
  mode: "production",
  target: "web",
  entry: {
    simulator: "./dev/simulator/main.js",
    scenarios: "./tests/browser/scenarios-page.mjs",
  },
  output: {
    path: path.resolve(__dirname, "dist/webpack"),
    publicPath: "/dist/webpack/",
    filename: "[name].js",
    assetModuleFilename: "[name][ext]",
    clean: true,
  },
  performance: { hints: false },
};

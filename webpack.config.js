// webpack 5 build of the browser scenario page: proves that a webpack consumer of the package works (the wasm
// is found through `new URL(…, import.meta.url)` and emitted as an asset). `npm test` builds it and runs the
// bundle in headless Chromium (tests/js/scenarios-browser.test.mjs).
const path = require("node:path");

module.exports = {
  mode: "production",
  target: "web",
  entry: { scenarios: "./tests/browser/scenarios-page.mjs" },
  output: {
    path: path.resolve(__dirname, "dist/webpack"),
    publicPath: "/dist/webpack/",
    filename: "[name].js",
    assetModuleFilename: "[name][ext]",
    clean: true,
  },
  performance: { hints: false },
};

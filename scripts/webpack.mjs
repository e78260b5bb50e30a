// Runs webpack.config.js (the simulator and the browser scenario page) through webpack's Node API.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import webpack from "webpack";

const config = createRequire(import.meta.url)("../webpack.config.js");

export function bundle() {
  return new Promise((resolve, reject) =>
    webpack(config, (err, stats) => (err || stats.hasErrors() ? reject(err || new Error(stats.toString("errors-only"))) : resolve(stats))),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stats = await bundle();
  console.log(stats.toString({ colors: false, modules: false, assets: true }).split("\n").slice(0, 6).join("\n"));
}

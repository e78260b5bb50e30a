// The repository stands alone and says one thing once: nothing points outside it, and the supported Node
// version is the same wherever it is stated (and holds for the Node running the tests).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const read = (file) => readFileSync(join(repo, file), "utf8");
const tracked = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: repo, encoding: "utf8" })
  .split("\n")
  .filter((f) => /\.(rs|mjs|js|ts|md|sh|json|toml|html|css)$/.test(f) && !f.endsWith("package-lock.json"));

/** References to material outside the repository: the contract it was built from, machine paths. */
const OUTSIDE = [/\bSPEC\b/, /\.\.\/shared\b/, /\/work\/main\b/, /\/home\/\w+/, /\/root\//];

function outsideReferences(text) {
  return OUTSIDE.filter((pattern) => pattern.test(text)).map(String);
}

test("no file points outside the repository", () => {
  assert.ok(tracked.length > 50, `found the repository's files (${tracked.length})`);
  const offenders = tracked
    .filter((f) => f !== "tests/js/repo.test.mjs")
    .map((f) => [f, outsideReferences(readFileSync(join(repo, f), "utf8"))])
    .filter(([, found]) => found.length > 0);
  assert.deepEqual(offenders, []);
});

test("the outside-reference check finds what it looks for", () => {
  assert.deepEqual(outsideReferences("see SPEC §6"), [String(OUTSIDE[0])]);
  assert.equal(outsideReferences("see ../shared/reference/host-apis.md").length, 1);
  assert.deepEqual(outsideReferences("see docs/contract.md, Profile"), []);
});

test("the lowest supported Node is stated the same everywhere, and this Node meets it", () => {
  const min = Number(/^MIN_NODE=(\d+)$/m.exec(read("scripts/setup.sh"))[1]);
  assert.equal(JSON.parse(read("package.json")).engines.node, `>=${min}`);
  assert.equal(JSON.parse(read("pkg-template/package.json")).engines.node, `>=${min}`);
  assert.match(read("README.md"), new RegExp(`Node ≥ ${min}\\b`));
  assert.match(read("README.zh-CN.md"), new RegExp(`Node ≥ ${min}\\b`));
  assert.match(read("scripts/build.mjs"), new RegExp(`target: "node${min}"`));
  assert.ok(Number(process.versions.node.split(".")[0]) >= min, `Node ${process.versions.node} ≥ ${min}`);
});

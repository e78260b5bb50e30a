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

/** Comments that cite where the work came from instead of saying why: a seed page, a design card, an issue. */
const CITATIONS = [/\bseed page\b/i, /\bdesign card\b/i, /\bissue\s*#?\d+/i, /\b(?:the|this|that|an?)\s+(?:[\w-]+\s+)?issue\b/i];
const CODE = /\.(rs|mjs|js|ts|sh|toml|css|html)$/;

/** The comment text of a code file: what follows `//` or `#`, and the lines of block comments. */
function comments(text) {
  return text
    .split("\n")
    .map((line) => {
      const t = line.trim();
      if (/^(\/\*|\*|#)/.test(t)) return t;
      const at = line.indexOf("//");
      return at >= 0 && !/https?:$/.test(line.slice(0, at)) ? line.slice(at) : "";
    })
    .join("\n");
}

function citations(text) {
  return CITATIONS.filter((pattern) => pattern.test(comments(text))).map(String);
}

test("no comment cites a seed page, a design card or an issue", () => {
  const offenders = tracked
    .filter((f) => CODE.test(f) && f !== "tests/js/repo.test.mjs")
    .map((f) => [f, citations(readFileSync(join(repo, f), "utf8"))])
    .filter(([, found]) => found.length > 0);
  assert.deepEqual(offenders, []);
});

test("the citation check finds what it looks for, in comments only", () => {
  assert.equal(citations("// the seed page's default").length, 1);
  assert.equal(citations("/// A trade against the design card").length, 1);
  assert.equal(citations("  // done for issue 16").length, 1);
  assert.equal(citations(" * the end-to-end issue").length, 1);
  assert.deepEqual(citations('const path = result.error.issues[0].path; // zod'), []);
  assert.deepEqual(citations("// logins and issues a session token"), []);
});

test("no shim file reaches into wasm-bindgen's internals", () => {
  const shim = tracked.filter((f) => f.startsWith("js-shim/"));
  assert.ok(shim.length > 5, `found the shim (${shim.length} files)`);
  const offenders = shim.filter((f) => /__wbg_|__wbindgen_/.test(readFileSync(join(repo, f), "utf8")));
  assert.deepEqual(offenders, []);
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

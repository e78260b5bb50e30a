// `npm run build`: compiles the Rust core to wasm, generates the JS glue, optimises and lowers the wasm with
// npm binaryen, assembles pkg/ from pkg-template/ and js-shim/, and prints raw / gzip / brotli sizes.
//
// The wasm is built for the MVP feature set plus mutable-globals, because WeChat's engines (iOS in particular)
// do not document post-MVP support: `-Ctarget-cpu=mvp` for our code, `strip` so wasm-bindgen does not see the
// reference-types feature of the precompiled std, and binaryen's lowering passes for the sign-ext,
// bulk-memory and non-trapping float conversions that std still contains.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, brotliCompressSync, constants as zlib } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const targetDir = join(root, "target", "mvp");
const crateName = "tmsdk_profile";
const cargoHome = process.env.CARGO_HOME || join(homedir(), ".cargo");

function run(cmd, args, env = {}) {
  execFileSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
}

// 1. Rust → wasm (own target dir, so these flags never invalidate the test builds' cache).
run("cargo", ["build", "--lib", "--release", "--target", "wasm32-unknown-unknown"], {
  CARGO_TARGET_DIR: targetDir,
  // Panic locations name source files: remap them so the wasm is the same on every machine.
  RUSTFLAGS: [
    "-Ctarget-cpu=mvp", "-Ctarget-feature=+mutable-globals",
    `--remap-path-prefix=${root}=.`, `--remap-path-prefix=${cargoHome}=~/.cargo`,
  ].join(" "),
  CARGO_PROFILE_RELEASE_STRIP: "true",
});

// 2. JS glue.
rmSync(pkg, { recursive: true, force: true });
run("wasm-bindgen", [
  join(targetDir, "wasm32-unknown-unknown", "release", `${crateName}.wasm`),
  "--out-dir", pkg, "--target", "web", "--out-name", crateName,
]);

// 3. Optimise and lower to MVP + mutable-globals. A stripped module has no target_features section, so the
//    features it may contain before lowering are named explicitly.
const wasmFile = join(pkg, `${crateName}_bg.wasm`);
const wasmOpt = join(root, "node_modules", ".bin", "wasm-opt");
run(wasmOpt, [
  wasmFile, "-o", wasmFile,
  "--enable-bulk-memory", "--enable-bulk-memory-opt", "--enable-sign-ext",
  "--enable-nontrapping-float-to-int", "--enable-mutable-globals",
  "--signext-lowering", "--llvm-nontrapping-fptoint-lowering", "--llvm-memory-copy-fill-lowering",
  "-Oz",
]);

// 4. The npm package: template, shim, sizes.
const template = JSON.parse(readFileSync(join(root, "pkg-template", "package.json"), "utf8"));
const version = readFileSync(join(root, "Cargo.toml"), "utf8").match(/^version = "(.+)"$/m)[1];
writeFileSync(join(pkg, "package.json"), JSON.stringify({ ...template, version }, null, 2) + "\n");
rmSync(join(pkg, ".gitignore"), { force: true });
mkdirSync(join(pkg, "shim"), { recursive: true });
cpSync(join(root, "js-shim"), join(pkg, "shim"), { recursive: true });

function sizes(file) {
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { raw: bytes.length, gzip, brotli };
}
const report = {
  wasm: sizes(wasmFile),
  glue: sizes(join(pkg, `${crateName}.js`)),
};
console.log("\nsize (bytes)        raw     gzip   brotli");
for (const [name, s] of Object.entries(report)) {
  console.log(`${name.padEnd(12)} ${String(s.raw).padStart(9)} ${String(s.gzip).padStart(8)} ${String(s.brotli).padStart(8)}`);
}
writeFileSync(join(pkg, "sizes.json"), JSON.stringify(report, null, 2) + "\n");

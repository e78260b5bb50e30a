#!/usr/bin/env bash
# One idempotent setup for every npm script: installs what the build and tests need, and does nothing
# (in about a second) when all of it is already present. Safe to run by hand: `bash scripts/setup.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen CLI must equal the crate's exact version: read it from the lockfile (the crate is pinned
# with `=` in Cargo.toml, so Cargo.toml and Cargo.lock always agree).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || die "cargo not found: install Rust with rustup (https://rustup.rs) first."
# The lowest Node the project supports: package.json's engines says the same, and tests/js/repo.test.mjs checks
# that every place agrees.
MIN_NODE=20
command -v node >/dev/null || die "node not found: install Node.js $MIN_NODE or newer first."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge "$MIN_NODE" ] || die "Node.js $(node --version) is too old: install Node.js $MIN_NODE or newer."

# 1. Rust target and components.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown || die "rustup could not add wasm32-unknown-unknown."
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding rustup component $component"
    rustup component add "$component" || die "rustup could not add $component."
  fi
done

# 2. wasm-bindgen CLI at the crate's exact version (it ships wasm-bindgen-test-runner beside it).
want=$(wasm_bindgen_version)
[ -n "$want" ] || die "could not read the wasm-bindgen version from Cargo.lock."
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ] || ! command -v wasm-bindgen-test-runner >/dev/null; then
  say "installing wasm-bindgen-cli $want (had: ${have:-none}); this takes a few minutes once"
  # No --locked: the registry mirror may lack a crate pinned by the CLI's own lockfile.
  cargo install wasm-bindgen-cli --version "=$want" --force \
    || die "cargo install wasm-bindgen-cli $want failed."
fi

# 3. wasm-pack, from crates.io (the npm package downloads from GitHub and cannot work offline).
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack; this takes a few minutes once"
  cargo install wasm-pack || die "cargo install wasm-pack failed."
fi

# 4. Headless Chromium and its driver, from Debian, for the browser tests.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  command -v apt-get >/dev/null || die "chromium/chromedriver missing and apt-get unavailable: install them so both are on PATH."
  say "installing chromium and chromium-driver with apt-get"
  $sudo apt-get update -qq || die "apt-get update failed."
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null \
    || die "apt-get install chromium chromium-driver failed."
fi

# 4b. JavaScriptCore's shell (`jsc`, iOS's engine), from Debian, for the drop-in's tests in it
#     (tests/js/jsc.test.mjs).
if ! command -v jsc >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  command -v apt-get >/dev/null || die "jsc missing and apt-get unavailable: install JavaScriptCore's shell (jsc) on PATH."
  say "installing libjavascriptcoregtk-4.0-bin (jsc) with apt-get"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libjavascriptcoregtk-4.0-bin >/dev/null \
    || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libjavascriptcoregtk-4.0-bin >/dev/null; } \
    || die "apt-get install libjavascriptcoregtk-4.0-bin failed."
fi

# 5. A CJK font, so Chinese text renders in the simulator's screenshots (Debian's Chromium has none).
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing fonts-wqy-zenhei (CJK font for screenshots)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-zenhei >/dev/null \
    || { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq fonts-wqy-zenhei >/dev/null; } \
    || say "warning: could not install fonts-wqy-zenhei; screenshots will show boxes for Chinese text"
fi

# 6. Node dependencies, exactly as locked. Re-run only when the lockfile changed since the last install.
stamp=node_modules/.setup-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed."
  touch "$stamp"
fi

#!/usr/bin/env bash
# `npm test` (after scripts/setup.sh): formatting, lints, native tests, browser tests in headless Chromium,
# the release build, and the JS tests of the built package. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n=== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, wasm32)"
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test

step "the backend (tmsdk-server): clippy, then its tests on SQLite and, when reachable, PostgreSQL"
cargo clippy -p tmsdk-server --all-targets -- -D warnings
cargo test -p tmsdk-server

step "browser tests (headless Chromium)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
wasm-pack test --headless --chrome --mode no-install 2>&1 | tee "$log"
# wasm-pack exits 0 when the runner silently falls back to "no tests": count what ran in the browser.
browser_passed=$(awk '/Running headless tests in Chrome/ { on = 1 }
  on && /^test result: ok\./ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^passed/) sum += $i; on = 0 }
  END { print sum + 0 }' "$log")
if [ "$browser_passed" -eq 0 ]; then
  echo "FAIL: no test ran in headless Chromium (is wasm_bindgen_test_configure!(run_in_browser) missing?)" >&2
  exit 1
fi
echo "browser: $browser_passed tests passed in headless Chromium"

step "release build (shipped), then the test build (feature test-exports, target/pkg-test/)"
node scripts/build.mjs
node scripts/build.mjs --test-exports

step "webpack bundles (simulator, browser scenario page)"
node scripts/webpack.mjs

step "JS tests (node --test)"
node --test tests/js/

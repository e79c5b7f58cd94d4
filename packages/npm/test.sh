#!/usr/bin/env bash
# Build (if needed) and run every test of the npm package:
#   conformance manifest, class API / errors / free(), two-agents example,
#   npm pack + ESM/CJS install, .d.ts type check, headless Chromium, and the
#   Rust wasm-bindgen-test tests (WASM_RUST_TESTS=0 skips those).
# Installs what it needs, idempotently: npm deps, wasm-bindgen-cli (cargo
# install, via build.sh), chromium (apt-get, only if /usr/bin/chromium is
# missing). With CI=true a missing tool fails instead of skipping.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"
START=$(date +%s)
CI="${CI:-false}"
fail() { echo "test.sh: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node is required (Node >= 18)"
command -v npm >/dev/null || fail "npm is required"

# npm dependencies (playwright-core, typescript) from the registry.
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/typescript ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund || fail "npm install failed"
fi

# Chromium for the browser test.
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
  echo "== apt-get install chromium"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium; }; then
    if [ "$CI" = true ]; then fail "could not install chromium"; fi
    echo "test.sh: chromium unavailable; the browser test will be skipped" >&2
  fi
fi

# Build when the wasm or the glue is missing or older than the Rust/JS sources.
needs_build() {
  local out="$HERE/dist/web/crdt_merge_wasm_bg.wasm"
  [ -f "$out" ] && [ -f "$HERE/lib/api.cjs" ] && [ -f "$HERE/dist/node/crdt_merge_wasm.js" ] || return 0
  [ -n "$(find "$ROOT/wasm" "$ROOT/core/src" "$ROOT/core/Cargo.toml" "$ROOT/Cargo.lock" "$HERE/lib/api.js" "$HERE/build.sh" -newer "$out" -type f -print -quit)" ]
}
if needs_build; then
  echo "== build.sh"
  bash "$HERE/build.sh" || fail "build failed"
else
  F="$HERE/dist/web/crdt_merge_wasm_bg.wasm"
  echo "== build up to date; wasm size: $(wc -c < "$F") bytes raw, $(gzip -9 -n -c "$F" | wc -c) bytes gzip -9"
fi

echo "== node --test"
NODE_LOG="$(mktemp)"
CI="$CI" node --test --test-reporter=spec test/*.test.mjs 2>&1 | tee "$NODE_LOG"
NODE_RC=${PIPESTATUS[0]}

# Rust side: wasm-bindgen-test tests of the bindings, debug build (overflow
# checks on) run under Node by wasm-bindgen-test-runner. WASM_RUST_TESTS=0 skips.
RUST_RC=0
if [ "${WASM_RUST_TESTS:-1}" != 0 ]; then
  echo "== cargo test -p crdt-merge-wasm --target wasm32-unknown-unknown (wasm-bindgen-test)"
  RUST_LOG_FILE="$(mktemp)"
  ( cd "$ROOT" && PATH=/usr/bin:$PATH:$HOME/.cargo/bin RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_DIR="$ROOT/target/wasm-test" RUSTFLAGS="-Cpanic=abort" \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
      /usr/bin/cargo test -p crdt-merge-wasm --target wasm32-unknown-unknown \
      -Zbuild-std=std,panic_abort -Zpanic-abort-tests ) 2>&1 | tee "$RUST_LOG_FILE"
  RUST_RC=${PIPESTATUS[0]}
fi

echo "== test.sh: node --test exit $NODE_RC, wasm-bindgen-test exit $RUST_RC, $(( $(date +%s) - START ))s"
pass=$(grep -Eo 'ℹ pass [0-9]+' "$NODE_LOG" | grep -Eo '[0-9]+' | tail -1); fail=$(grep -Eo 'ℹ fail [0-9]+' "$NODE_LOG" | grep -Eo '[0-9]+' | tail -1)
pass=${pass:-0}; fail=${fail:-0}
if [ -n "${RUST_LOG_FILE:-}" ]; then
  pass=$((pass + $(grep -Eo '[0-9]+ passed' "$RUST_LOG_FILE" | awk '{s+=$1} END {print s+0}')))
  fail=$((fail + $(grep -Eo '[0-9]+ failed' "$RUST_LOG_FILE" | awk '{s+=$1} END {print s+0}')))
fi
echo "npm total: $pass passed, $fail failed"
[ "$NODE_RC" = 0 ] && [ "$RUST_RC" = 0 ]

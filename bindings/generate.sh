#!/usr/bin/env bash
# Regenerate the Kotlin and Swift sources from the cdylib (UniFFI library mode).
# Output is committed: packages/kotlin/src/main/kotlin/org/crdtmerge/crdt_merge_uniffi.kt,
# packages/swift/Sources/CrdtMerge/CrdtMerge.swift, packages/swift/Sources/CrdtMergeFFI/include/CrdtMergeFFI.h.
#   bash bindings/generate.sh          # build, regenerate in place
#   bash bindings/generate.sh --check  # regenerate to a temp dir; fail if the committed files differ
# SKIP_BUILD=1 uses the cdylib and generator already in target/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR=never
CHECK=0; [ "${1:-}" = "--check" ] && CHECK=1
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build -q --release -p crdt-merge-uniffi --lib
fi
[ -x target/debug/uniffi-bindgen ] && [ -n "${SKIP_BUILD:-}" ] || cargo build -q -p crdt-merge-uniffi --features cli --bin uniffi-bindgen
LIB="$ROOT/target/release/libcrdt_merge_uniffi.so"
[ -f "$LIB" ] || LIB="$ROOT/target/release/libcrdt_merge_uniffi.dylib"
GEN="$ROOT/target/debug/uniffi-bindgen"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
"$GEN" generate --no-format --config bindings/uniffi.toml --library "$LIB" --language kotlin --out-dir "$TMP/kotlin" >/dev/null
"$GEN" generate --no-format --config bindings/uniffi.toml --library "$LIB" --language swift --out-dir "$TMP/swift" >/dev/null
if [ "$CHECK" = 1 ]; then
  diff -q "$TMP/kotlin/org/crdtmerge/crdt_merge_uniffi.kt" packages/kotlin/src/main/kotlin/org/crdtmerge/crdt_merge_uniffi.kt
  diff -q "$TMP/swift/CrdtMerge.swift" packages/swift/Sources/CrdtMerge/CrdtMerge.swift
  diff -q "$TMP/swift/CrdtMergeFFI.h" packages/swift/Sources/CrdtMergeFFI/include/CrdtMergeFFI.h
  echo "generated Kotlin and Swift bindings are up to date"
  exit 0
fi
install -D -m 644 "$TMP/kotlin/org/crdtmerge/crdt_merge_uniffi.kt" packages/kotlin/src/main/kotlin/org/crdtmerge/crdt_merge_uniffi.kt
install -D -m 644 "$TMP/swift/CrdtMerge.swift" packages/swift/Sources/CrdtMerge/CrdtMerge.swift
install -D -m 644 "$TMP/swift/CrdtMergeFFI.h" packages/swift/Sources/CrdtMergeFFI/include/CrdtMergeFFI.h
echo "generated Kotlin and Swift bindings"

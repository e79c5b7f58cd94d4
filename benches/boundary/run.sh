#!/usr/bin/env bash
# Cross-language overhead: the same workloads natively (Rust core), through
# UniFFI from Python, through wasm from Node and through the C ABI from Go,
# printed as one table with the ratio to native. Builds what is missing
# (release core bench, the C ABI library, the wasm package, the Python wheel
# venv via bindings/test.sh). Nothing here asserts a time.
#
#   bash benches/boundary/run.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR=never
OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT

cargo build --release -q -p crdt-merge-bench --bin boundary
cargo build --release -q -p crdt-merge-ffi
[ -f packages/npm/dist/node/crdt_merge_wasm.js ] || bash packages/npm/build.sh >/dev/null
PY="$ROOT/packages/python/.venv/bin/python"
"$PY" -c 'import crdt_merge_rs' 2>/dev/null || KEEP_VENV=1 bash bindings/test.sh >/dev/null

./target/release/boundary "$ROOT" > "$OUT/native"
"$PY" benches/boundary/bench.py "$ROOT" > "$OUT/python"
node benches/boundary/bench.mjs "$ROOT" > "$OUT/node"
( cd packages/go && CGO_ENABLED=1 go test -run '^$' -bench . -benchtime 2s . ) \
  | awk '/^Benchmark/ { n=$1; sub(/^Benchmark/, "", n); sub(/-[0-9]+$/, "", n);
                       gsub(/[A-Z]/, "_&", n); n=tolower(substr(n, 2)); printf "%s %.3f us\n", n, $3/1000 }' > "$OUT/go"

printf '\n%-16s %14s %22s %22s %22s\n' workload native "python (uniffi)" "node (wasm)" "go (c abi)"
while read -r name v unit; do
  row=$(printf '%-16s %11s %s' "$name" "$v" "$unit")
  for lang in python node go; do
    o=$(awk -v n="$name" '$1 == n { print $2 }' "$OUT/$lang")
    if [ -n "$o" ]; then
      row+=$(printf ' %11s %s (%5.1fx)' "$o" "$unit" "$(awk -v a="$o" -v b="$v" 'BEGIN { print a / b }')")
    else
      row+=$(printf ' %22s' "-")
    fi
  done
  echo "$row"
done < "$OUT/native"

#!/usr/bin/env bash
# Cross-language chain: states pass through every runtime that can change
# them here and come back to the reference unchanged in meaning:
#   reference Python → Rust CLI → JS (Node, crdt-merge-wasm) → Go (cgo, C ABI)
#   → C# (mono, C ABI) → Kotlin (JVM, UniFFI/JNA) → Python binding
#   (crdt_merge_rs) → reference decode.
# Each step decodes the previous step's frame, changes the state with that
# language's API, and writes a new frame. The last step checks the exact
# expected state. Needs the npm package built (packages/npm/test.sh), the
# Python binding's venv and the Kotlin module's test classes (bindings/test.sh);
# ./dev test runs those first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REF="$ROOT/conformance/.venv/bin/python"
PYB="$ROOT/packages/python/.venv/bin/python"
[ -x "$REF" ] || bash conformance/generate.sh --venv-only
cargo build --release -q -p crdt-merge-cli -p crdt-merge-ffi
for need in "$PYB" "$ROOT/packages/npm/dist/node" "$ROOT/target/release/crdt-merge" "$ROOT/target/release/libcrdt_merge_ffi.so" "$ROOT/target/dotnet/CrdtMerge.dll" \
  "$ROOT/packages/kotlin/target/test-classes/org/crdtmerge/ChainStepKt.class" "$ROOT/packages/kotlin/target/classpath.txt" \
  "$ROOT/target/release/libcrdt_merge_uniffi.so"; do
  [ -e "$need" ] || { echo "chain: missing $need (run the npm and bindings suites and cargo build --release first)"; echo "0 passed, 1 failed"; exit 1; }
done
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
step() { printf '  %-34s %s\n' "$1" "$2"; }

# 0. the reference writes a GCounter, an ORSet (fixed tags) and an LWWMap
PYTHONHASHSEED=0 "$REF" - "$T" <<'PY'
import sys, os
from crdt_merge import GCounter, ORSet, LWWMap
from crdt_merge.wire import serialize
d = sys.argv[1]
g = GCounter(); g.increment("ref", 5)
s = ORSet.from_dict({"type": "or_set", "elements": {"x": ["00000000000a"], "y": ["00000000000b"]}})
m = LWWMap(); m.set("lang", "python", timestamp=1.0, node_id="ref"); m.set("gone", 1, timestamp=1.0, node_id="ref")
for name, obj in (("gc", g), ("or", s), ("map", m)):
    open(os.path.join(d, f"0_{name}.crdt"), "wb").write(serialize(obj))
PY
step "reference Python" "wrote g_counter, or_set, lww_map"

# 1. Rust CLI: merge the counter with a second replica's, roundtrip the others
"$REF" - "$T" <<'PY'
import sys, os
from crdt_merge import GCounter
from crdt_merge.wire import serialize
g = GCounter(); g.increment("other", 7)
open(os.path.join(sys.argv[1], "replica_gc.crdt"), "wb").write(serialize(g))
PY
CLI="$ROOT/target/release/crdt-merge"
"$CLI" wire merge "$T/0_gc.crdt" "$T/replica_gc.crdt" -o "$T/1_gc.crdt"
"$CLI" wire roundtrip "$T/0_or.crdt" -o "$T/1_or.crdt"
"$CLI" wire roundtrip "$T/0_map.crdt" -o "$T/1_map.crdt"
cmp -s "$T/0_or.crdt" "$T/1_or.crdt" && cmp -s "$T/0_map.crdt" "$T/1_map.crdt"
step "Rust CLI" "merged the counter; or_set and lww_map byte-identical"

# 2. JS (Node): increment, add/remove, set/delete
node --input-type=module - "$T" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from './packages/npm/node.mjs';
const d = process.argv[2];
const g = deserialize(readFileSync(`${d}/1_gc.crdt`)); g.increment('js', 3);
const s = deserialize(readFileSync(`${d}/1_or.crdt`)); s.add('z'); s.remove('x');
const m = deserialize(readFileSync(`${d}/1_map.crdt`)); m.set('lang', 'javascript', 2.0, 'js'); m.delete('gone', 2.0);
writeFileSync(`${d}/2_gc.crdt`, serialize(g));
writeFileSync(`${d}/2_or.crdt`, serialize(s));
writeFileSync(`${d}/2_map.crdt`, serialize(m));
JS
step "JavaScript (Node, wasm)" "incremented, added z, removed x, set/deleted keys"

# 3. Go: merge with states built from edited JSON views
( cd packages/go && CGO_ENABLED=1 go run ./cmd/chainstep "$T" )
step "Go (cgo over the C ABI)" "added node go, element v; map re-encoded"

# 3b. C#: merge with states built from JSON views
mcs -nologo -target:exe -r:"$ROOT/target/dotnet/CrdtMerge.dll" -out:"$T/CsStep.exe" tests/chain/CsStep.cs
MONO_PATH="$ROOT/target/dotnet" LD_LIBRARY_PATH="$ROOT/target/release${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono "$T/CsStep.exe" "$T"
step "C# (mono over the C ABI)" "added node cs, element u; map re-encoded"

# 3k. Kotlin (JVM, UniFFI over JNA): one more change each
KT="$ROOT/packages/kotlin/target"
java -Djna.library.path="$ROOT/target/release" -cp "$KT/classes:$KT/test-classes:$(cat "$KT/classpath.txt")" \
  org.crdtmerge.ChainStepKt "$T"
step "Kotlin (JVM, UniFFI/JNA)" "added node kt, element t, key runtime"

# 4. Python binding: one more change each
"$PYB" - "$T" <<'PY'
import sys, os
from crdt_merge_rs import deserialize, serialize
d = sys.argv[1]
rd = lambda n: deserialize(open(os.path.join(d, n), "rb").read())
g = rd("3k_gc.crdt"); g.increment("pyrs", 2)
s = rd("3k_or.crdt"); s.add("w")
m = rd("3k_map.crdt"); m.set("year", 2026, timestamp=3.0, node_id="pyrs")
for name, obj in (("gc", g), ("or", s), ("map", m)):
    open(os.path.join(d, f"4_{name}.crdt"), "wb").write(serialize(obj))
PY
step "Python binding (crdt_merge_rs)" "incremented, added w, set a key"

# 5. the reference reads everything back
PYTHONHASHSEED=0 "$REF" - "$T" <<'PY'
import sys, os
from crdt_merge.wire import deserialize
d = sys.argv[1]
rd = lambda n: deserialize(open(os.path.join(d, n), "rb").read())
g, s, m = rd("4_gc.crdt"), rd("4_or.crdt"), rd("4_map.crdt")
want_counts = {"ref": 5, "other": 7, "js": 3, "go": 4, "cs": 6, "kt": 8, "pyrs": 2}
assert g.to_dict()["counts"] == want_counts, g.to_dict()
assert g.value == 35, g.value
assert s.value == {"y", "z", "v", "u", "t", "w"}, s.value
assert m.value == {"lang": "javascript", "runtime": "jvm", "year": 2026}, m.value
print("  reference Python                   read back: counter 35 over 7 nodes, set {t, u, v, w, y, z}, map {lang, runtime, year}")
PY
echo "chain: 8 passed, 0 failed"

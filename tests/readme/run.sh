#!/usr/bin/env bash
# Run every example of the top-level README.md verbatim.
#
# A fenced block directly preceded by the line `<!-- readme-test: LANG -->`
# (invisible on GitHub) is extracted as it stands and run as the complete
# program a user would write, against the packages of this checkout installed
# the way the README says:
#   js      npm pack packages/npm → npm install the tarball into a scratch
#           project → node example.mjs (imports 'crdt-merge-wasm' by name)
#   python  the crdt_merge_rs wheel (packages/python/.venv from bindings/test.sh,
#           else pip install ./packages/python into a scratch venv)
#   go      scratch module requiring github.com/crdt-merge/crdt-merge-go with a
#           replace to packages/go (cgo over target/release/libcrdt_merge_ffi.so);
#           gofmt-clean, go vet, go run
#   csharp  mcs against CrdtMerge.dll (built here from packages/dotnet/src), mono
#   c       gcc -Wall -Wextra -Werror against ffi/include + libcrdt_merge_ffi,
#           run under valgrind --leak-check=full
#   kotlin  no kotlinc here, so the program is compiled by the Maven module:
#           the block must equal packages/kotlin/src/test/kotlin/ReadmeExample.kt
#           byte for byte (so does the JUnit test ReadmeExampleTest); its class
#           is run with java + JNA
# Each example checks its own result; a non-zero exit fails it. A missing tool
# fails its examples (no skips), and so does a language with no marked block.
# Prints one line per example and ends with "N passed, N failed"; exits
# non-zero on any failure. Builds what it needs when missing or stale (the
# release libraries, the wasm package, the Kotlin test classes); ./dev test
# runs it after the js, bindings and ffi suites, which build the same things.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
README="${README:-$ROOT/README.md}"  # README=FILE checks another copy (used to test this runner)
LANGS=(js python kotlin go csharp c)
LIB="$ROOT/target/release"
export CARGO_TERM_COLOR=never
[ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
PASSED=0; FAILED=0

# ---------------------------------------------------------------- extraction
# blocks/NN.LANG holds the block's text; blocks/NN.line its line in README.md
mkdir -p "$T/blocks"
if ! awk -v dir="$T/blocks" '
  function fail(msg) { print "README.md:" NR ": " msg > "/dev/stderr"; bad = 1; exit 1 }
  inblock && /^```[[:space:]]*$/ { inblock = 0; close(out); next }
  inblock { print > out; next }
  want != "" {
    if ($0 !~ /^```[A-Za-z]/) fail("<!-- readme-test: " want " --> is not followed by a fenced code block")
    n++; out = sprintf("%s/%02d.%s", dir, n, want); at = sprintf("%s/%02d.line", dir, n)
    printf "" > out; print NR > at; close(at)
    inblock = 1; want = ""; next
  }
  /^<!-- readme-test: [a-z]+ -->$/ { want = $3; next }
  END { if (!bad && (inblock || want != "")) { print "README.md: unterminated readme-test block" > "/dev/stderr"; exit 1 } }
' "$README"; then
  echo "readme: could not extract the examples"; echo "0 passed, 1 failed"; exit 1
fi

# ---------------------------------------------------------------- helpers
report() { # report RC NAME LINE LOG
  local rc=$1 name=$2 line=$3 log=$4 first
  first="$(grep -v '^\s*$' "$log" | head -1 | cut -c1-110)"
  if [ "$rc" -eq 0 ]; then
    PASSED=$((PASSED+1)); printf '  ok    %-7s README.md:%-4s %s\n' "$name" "$line" "$first"
  else
    FAILED=$((FAILED+1)); printf '  FAIL  %-7s README.md:%-4s (exit %s)\n' "$name" "$line" "$rc"
    tail -n 30 "$log" | sed 's/^/        | /'
  fi
}
need() { # need TOOL...: all present, or print what is missing and return 1
  local t miss=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || miss+=("$t"); done
  [ ${#miss[@]} -eq 0 ] && return 0
  echo "missing tool(s): ${miss[*]}"; return 1
}
# newer_than OUT PATH...: 0 when OUT exists and no file under PATH... is newer
newer_than() {
  local out=$1; shift
  [ -e "$out" ] && [ -z "$(find "$@" -type f -newer "$out" -print -quit 2>/dev/null)" ]
}
RUST_SRC=("$ROOT/core/src" "$ROOT/core/Cargo.toml" "$ROOT/Cargo.lock")

# ---------------------------------------------------------------- setup (once per language)
setup_native() { # release libraries of the C ABI and the UniFFI crate
  [ -n "${NATIVE_DONE:-}" ] && return "$NATIVE_RC"
  NATIVE_DONE=1; NATIVE_RC=0
  if ! newer_than "$LIB/libcrdt_merge_ffi.so" "${RUST_SRC[@]}" "$ROOT/ffi/src" "$ROOT/ffi/Cargo.toml" \
     || ! newer_than "$LIB/libcrdt_merge_uniffi.so" "${RUST_SRC[@]}" "$ROOT/bindings/src" "$ROOT/bindings/Cargo.toml"; then
    echo "  .. cargo build --release -p crdt-merge-ffi -p crdt-merge-uniffi" >&2
    need cargo && cargo build --release -q -p crdt-merge-ffi -p crdt-merge-uniffi || NATIVE_RC=1
  fi
  return "$NATIVE_RC"
}

setup_js() { # scratch project with the npm tarball installed → $T/js/app
  need node npm || return 1
  local pkg="$ROOT/packages/npm" wasm="$ROOT/packages/npm/dist/web/crdt_merge_wasm_bg.wasm"
  if ! [ -f "$pkg/lib/api.cjs" ] || ! [ -f "$pkg/dist/node/crdt_merge_wasm.js" ] \
     || ! newer_than "$wasm" "${RUST_SRC[@]}" "$ROOT/wasm" "$pkg/lib/api.js" "$pkg/build.sh"; then
    echo "  .. bash packages/npm/build.sh" >&2
    bash "$pkg/build.sh" >"$T/npm-build.log" 2>&1 || { cat "$T/npm-build.log"; return 1; }
  fi
  mkdir -p "$T/js/app"
  local tgz
  tgz="$(cd "$T/js" && npm pack --silent "$pkg" | tail -1)" || return 1
  printf '{"name": "readme-example", "version": "1.0.0", "private": true}\n' >"$T/js/app/package.json"
  (cd "$T/js/app" && npm install --silent --offline --no-audit --no-fund --ignore-scripts "../$tgz")
}

setup_python() { # → $PYBIN, a Python with crdt_merge_rs installed
  need python3 || return 1
  PYBIN="$ROOT/packages/python/.venv/bin/python"
  if "$PYBIN" -c 'import crdt_merge_rs' 2>/dev/null; then return 0; fi
  echo "  .. no packages/python/.venv (bindings/test.sh); pip install ./packages/python into a scratch venv" >&2
  python3 -m venv "$T/venv" && "$T/venv/bin/python" -m pip install -q ./packages/python || return 1
  PYBIN="$T/venv/bin/python"
}

setup_kotlin() { # the Maven module's compiled classes (ReadmeExample.kt included) and classpath
  need mvn java || return 1
  setup_native || return 1
  local kt="$ROOT/packages/kotlin"
  if ! newer_than "$kt/target/test-classes/ReadmeExampleKt.class" "$kt/src" "$kt/pom.xml" \
     || ! [ -f "$kt/target/classpath.txt" ]; then
    echo "  .. mvn test-compile (packages/kotlin)" >&2
    mvn -q -B -f "$kt/pom.xml" test-compile -Dnative.dir="$LIB" >"$T/mvn.log" 2>&1 || { tail -n 40 "$T/mvn.log"; return 1; }
  fi
}

setup_csharp() { # CrdtMerge.dll from packages/dotnet/src → $T/cs
  need mcs mono || return 1
  setup_native || return 1
  mkdir -p "$T/cs" && mcs -nologo -warnaserror -target:library -out:"$T/cs/CrdtMerge.dll" "$ROOT"/packages/dotnet/src/*.cs
}

# ---------------------------------------------------------------- runners (cwd: a fresh dir per example)
run_js() { cp "$1" "$T/js/app/example.mjs" && (cd "$T/js/app" && node example.mjs); }

run_python() { cp "$1" example.py && "$PYBIN" example.py; }

run_go() {
  need go gofmt || return 1
  cp "$1" main.go
  cat >go.mod <<EOF
module readme-example

go 1.21

require github.com/crdt-merge/crdt-merge-go v0.0.0

replace github.com/crdt-merge/crdt-merge-go => $ROOT/packages/go
EOF
  local unformatted; unformatted="$(gofmt -l main.go)"
  [ -z "$unformatted" ] || { echo "the Go block is not gofmt-formatted:"; gofmt -d main.go; return 1; }
  CGO_ENABLED=1 go vet . && CGO_ENABLED=1 go run .
}

run_csharp() {
  cp "$1" Example.cs
  mcs -nologo -r:"$T/cs/CrdtMerge.dll" -out:Example.exe Example.cs \
    && MONO_PATH="$T/cs" LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" mono Example.exe
}

run_c() {
  need gcc valgrind || return 1
  cp "$1" example.c
  gcc -std=c11 -Wall -Wextra -Werror -I "$ROOT/ffi/include" example.c -o example \
      -L "$LIB" -lcrdt_merge_ffi -Wl,-rpath,"$LIB" || return 1
  valgrind -q --leak-check=full --error-exitcode=99 --errors-for-leak-kinds=definite,indirect,possible ./example
}

run_kotlin() {
  local kt="$ROOT/packages/kotlin"
  cmp -s "$1" "$kt/src/test/kotlin/ReadmeExample.kt" || {
    echo "the Kotlin block differs from packages/kotlin/src/test/kotlin/ReadmeExample.kt (they must be identical):"
    diff "$1" "$kt/src/test/kotlin/ReadmeExample.kt"; return 1; }
  java -Djna.library.path="$LIB" -cp "$kt/target/test-classes:$kt/target/classes:$(cat "$kt/target/classpath.txt")" ReadmeExampleKt
}

# ---------------------------------------------------------------- run
echo "README examples (blocks marked <!-- readme-test: LANG -->):"
for lang in "${LANGS[@]}"; do
  blocks=("$T"/blocks/*."$lang")
  if ! [ -e "${blocks[0]}" ]; then
    FAILED=$((FAILED+1)); printf '  FAIL  %-7s no block marked <!-- readme-test: %s --> in README.md\n' "$lang" "$lang"; continue
  fi
  setup_rc=0
  case "$lang" in
    js) setup_js >"$T/setup-$lang.log" 2>&1 || setup_rc=$? ;;
    python) setup_python >"$T/setup-$lang.log" 2>&1 || setup_rc=$? ;;
    kotlin) setup_kotlin >"$T/setup-$lang.log" 2>&1 || setup_rc=$? ;;
    csharp) setup_csharp >"$T/setup-$lang.log" 2>&1 || setup_rc=$? ;;
    go|c) setup_native >"$T/setup-$lang.log" 2>&1 || setup_rc=$? ;;
    *) echo "unknown language $lang" >"$T/setup-$lang.log"; setup_rc=1 ;;
  esac
  for b in "${blocks[@]}"; do
    line="$(cat "${b%.*}.line")"; log="$T/$(basename "$b").log"
    if [ "$setup_rc" -ne 0 ]; then
      { echo "setup for $lang failed:"; cat "$T/setup-$lang.log"; } >"$log"; report "$setup_rc" "$lang" "$line" "$log"; continue
    fi
    work="$T/run-$(basename "$b")"; mkdir -p "$work"
    rc=0; (cd "$work" && "run_$lang" "$b") >"$log" 2>&1 || rc=$?
    report "$rc" "$lang" "$line" "$log"
  done
done
# marked blocks in a language this runner does not know
for b in "$T"/blocks/*.*; do
  case "$b" in *.line) continue ;; esac
  lang="${b##*.}"
  case " ${LANGS[*]} " in *" $lang "*) ;; *)
    FAILED=$((FAILED+1)); printf '  FAIL  %-7s README.md:%-4s no runner for this language\n' "$lang" "$(cat "${b%.*}.line")" ;;
  esac
done
echo "readme: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

#!/usr/bin/env bash
# Checks what can be checked without a Swift toolchain: the generated C header
# compiles (C and as a clang module), links against libcrdt_merge_uniffi and
# agrees with it on the UniFFI contract version; the README block matches the XCTest.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
INC="$HERE/Sources/CrdtMergeFFI/include"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
CC="${CC:-clang}"
cat > "$TMP/t.c" <<'C'
#include <stdio.h>
#include "CrdtMergeFFI.h"
int main(void) {
    unsigned v = ffi_crdt_merge_uniffi_uniffi_contract_version();
    printf("contract version %u\n", v);
    return v == 0;
}
C
"$CC" -std=c11 -Wall -Werror -I "$INC" "$TMP/t.c" -L "$ROOT/target/release" -lcrdt_merge_uniffi -Wl,-rpath,"$ROOT/target/release" -o "$TMP/t"
"$TMP/t"
if "$CC" --version 2>/dev/null | grep -q clang; then
  printf '@import CrdtMergeFFI;\nint main(void){return 0;}\n' > "$TMP/m.m"
  "$CC" -fmodules -fsyntax-only -fmodules-cache-path="$TMP/mc" -I "$INC" "$TMP/m.m"
  echo "clang module CrdtMergeFFI ok"
fi
# README block == body of testReadmeExample (modulo indentation)
python3 - "$HERE" <<'PY'
import re, sys, textwrap, pathlib
h = pathlib.Path(sys.argv[1])
block = re.search(r"```swift\n(.*?)```", (h / "README.md").read_text(), re.S).group(1)
src = (h / "Tests/CrdtMergeTests/CrdtMergeTests.swift").read_text()
body = src.split("func testReadmeExample() throws {\n", 1)[1].split("\n    }\n", 1)[0]
assert textwrap.dedent(block).strip() == textwrap.dedent(body).strip(), "README swift block differs from the XCTest"
print("swift README block matches the XCTest")
PY

#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60); fail if any crashes.
#
#   fuzz/run.sh 30
#
# Uses the stable toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly
# flags) and installs cargo-fuzz if it is missing. The committed seed corpus
# in fuzz/corpus/<target>/ is read, never written: new inputs go to a scratch
# corpus under fuzz/target/ (ignored by git). Crashes land in fuzz/artifacts/.
set -euo pipefail

SECONDS_EACH="${1:-60}"
case "$SECONDS_EACH" in
  ''|*[!0-9]*) echo "usage: $0 SECONDS" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

targets=(frame value_codec json_payload batch)
cargo fuzz build

failed=()
for t in "${targets[@]}"; do
  work="$here/target/corpus-work/$t"
  mkdir -p "$work" "$here/artifacts/$t"
  log="$here/target/fuzz-$t.log"
  echo "== $t: ${SECONDS_EACH}s" >&2
  if cargo fuzz run "$t" "$work" "$here/corpus/$t" -- \
       -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 >"$log" 2>&1; then
    grep -E '^Done [0-9]+ runs' "$log" >&2 || true
  else
    echo "!! $t failed; see $log" >&2
    grep -E 'panicked at|ERROR: libFuzzer|Test unit written to' "$log" >&2 || tail -20 "$log" >&2
    failed+=("$t")
  fi
done

crashes=$(find "$here/artifacts" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)
if [ "${#failed[@]}" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  echo "fuzzing found problems: targets failed: ${failed[*]:-none}; artifacts: $crashes" >&2
  exit 1
fi
echo "fuzz: all targets clean" >&2

#!/usr/bin/env bash
# Idempotently creates the Python environments the benchmarks compare
# against (none is needed by the tests):
#   benches/.venv-refnp     crdt-merge==0.8.3 + numpy (the reference's model layer needs numpy)
#   benches/.venv-mergekit  mergekit (pulls torch; CPU is enough; several GB)
#   benches/.venv-polars    polars (created by table_vs_reference.py itself)
# Usage: bash benches/venvs.sh [refnp] [mergekit]   (default: both)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PIP_DISABLE_PIP_VERSION_CHECK=1
want=("$@"); [ ${#want[@]} -eq 0 ] && want=(refnp mergekit)
for w in "${want[@]}"; do
  case "$w" in
    refnp)
      v="$HERE/.venv-refnp"
      [ -x "$v/bin/python" ] || python3 -m venv "$v"
      "$v/bin/python" -c 'import numpy, crdt_merge, importlib.metadata as m; assert m.version("crdt-merge") == "0.8.3"' 2>/dev/null \
        || "$v/bin/python" -m pip install -q "crdt-merge==0.8.3" numpy
      # with msgpack importable the reference writes msgpack payloads; the benches assume JSON
      "$v/bin/python" -m pip uninstall -y -q msgpack >/dev/null 2>&1 || true ;;
    mergekit)
      v="$HERE/.venv-mergekit"
      [ -x "$v/bin/python" ] || python3 -m venv "$v"
      [ -x "$v/bin/mergekit-yaml" ] || "$v/bin/python" -m pip install -q mergekit ;;
    *) echo "venvs.sh: unknown environment $w (refnp, mergekit)" >&2; exit 2 ;;
  esac
done

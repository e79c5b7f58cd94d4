#!/usr/bin/env bash
# Regenerate the golden conformance files from the Python reference.
# Idempotent: creates conformance/.venv once, installs exactly crdt-merge==0.8.3
# (without msgpack, so JSON-payload types are written as JSON), then runs
# generate.py with PYTHONHASHSEED=0. Running it twice gives identical files.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("crdt-merge") != "0.8.3")' 2>/dev/null; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "crdt-merge==0.8.3"
fi
# The reference writes msgpack for JSON-payload types when msgpack is importable.
if "$venv/bin/python" -c 'import msgpack' 2>/dev/null; then
  "$venv/bin/python" -m pip uninstall --quiet --yes msgpack
fi
"$venv/bin/python" - <<'PY'
import importlib.util, importlib.metadata as m
assert m.version("crdt-merge") == "0.8.3", m.version("crdt-merge")
assert importlib.util.find_spec("msgpack") is None, "msgpack must not be installed"
from crdt_merge import wire
assert not wire._HAS_MSGPACK
PY
# --venv-only: just make sure the reference venv exists (benches use it)
[ "${1:-}" = "--venv-only" ] && exit 0
cd "$here"
PYTHONHASHSEED=0 "$venv/bin/python" "$here/generate.py" "$@"

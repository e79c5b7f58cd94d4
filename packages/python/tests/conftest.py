"""Shared paths for the crdt_merge_rs test suite."""
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT / "conformance"
GOLDEN = CONFORMANCE / "golden"
PKG = Path(__file__).resolve().parents[1]


def load_manifest():
    return json.loads((CONFORMANCE / "manifest.json").read_text())["cases"]


def reference_python():
    """The Python of a venv with crdt-merge==0.8.3 (never the one under test)."""
    cands = [os.environ.get("CRDT_MERGE_REF_PYTHON"), PKG / ".refvenv/bin/python", CONFORMANCE / ".venv/bin/python"]
    for c in cands:
        if c and Path(c).exists():
            return str(c)
    return None


@pytest.fixture(scope="session")
def ref_python():
    p = reference_python()
    if p is None:
        if os.environ.get("CI") == "true":
            pytest.fail("reference venv missing (bindings/test.sh creates packages/python/.refvenv)")
        pytest.skip("reference crdt-merge==0.8.3 venv not found; run bindings/test.sh")
    return p

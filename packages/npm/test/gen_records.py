"""Select the reference merge cases of core/tests/fixtures/table_cases.json
that JavaScript can represent exactly (no integral floats such as 1.0, which
JSON.parse turns into the int 1, and no integers beyond 2^53) and write them
to packages/npm/test/fixtures/records.json for records.test.mjs.

    python3 packages/npm/test/gen_records.py
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def js_exact(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return True
    if isinstance(v, int):
        return abs(v) <= 2**53
    if isinstance(v, float):
        return v == v and abs(v) != float("inf") and not v.is_integer()
    if isinstance(v, list):
        return all(js_exact(x) for x in v)
    if isinstance(v, dict):
        return all(js_exact(x) for x in v.values())
    return False


cases = json.loads((ROOT / "core/tests/fixtures/table_cases.json").read_text())["merge"]
keep = [c for c in cases if not c.get("fuzzy_dedup") and js_exact([c["a"], c["b"], c["expected"], c["schema"]])]
out = ROOT / "packages/npm/test/fixtures/records.json"
out.write_text(json.dumps(keep, sort_keys=True) + "\n")
print(f"{len(keep)} of {len(cases)} cases written to {out.relative_to(ROOT)}")

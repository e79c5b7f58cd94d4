"""Record merge from Python: results equal the reference's (run in its own
venv) for the same rows, schemas travel in the reference's dict form,
Custom strategies call back into Python, data frames round-trip."""
import json
import random
import subprocess

import pytest

import crdt_merge_rs as cm
from conftest import ROOT


def rows(rng, n, start, cols=("name", "score", "tags", "_ts")):
    out = []
    for i in range(n):
        r = {"id": start + i}
        for c in cols:
            if c == "_ts":
                r[c] = float(rng.randrange(100))
            elif c == "score":
                r[c] = rng.choice([rng.randrange(100), None, rng.random()])
            elif c == "tags":
                r[c] = ",".join(rng.sample("abcde", 2))
            else:
                r[c] = rng.choice(["ann", "bob", "cy", ""])
        out.append(r)
    return out


SCHEMAS = [
    None,
    {"score": {"strategy": "MaxWins"}, "tags": {"strategy": "UnionSet", "separator": ","},
     "__default__": {"strategy": "LWW"}},
    {"name": {"strategy": "LongestWins"}, "score": {"strategy": "MinWins"},
     "tags": {"strategy": "Concat", "separator": " | ", "dedup": True}, "__default__": {"strategy": "LWW"}},
    {"name": {"strategy": "Priority", "levels": ["", "cy", "bob", "ann"]}, "__default__": {"strategy": "LWW"}},
]


def cases():
    out = []
    for seed in range(24):
        rng = random.Random(seed)
        a = rows(rng, 30, 0)
        b = rows(rng, 30, 15)
        out.append({"a": a, "b": b, "prefer": rng.choice(["a", "b", "latest"]),
                    "schema": SCHEMAS[seed % len(SCHEMAS)], "dedup": seed % 3 != 0,
                    "timestamp_col": "_ts" if seed % 2 else None})
    return out


REF_SCRIPT = r"""
import json, sys
import crdt_merge as M
from crdt_merge.strategies import MergeSchema
out = []
for c in json.loads(sys.stdin.read()):
    s = MergeSchema.from_dict(c["schema"]) if c["schema"] else None
    r = M.merge(c["a"], c["b"], key="id", prefer=c["prefer"], dedup=c["dedup"],
                timestamp_col=c["timestamp_col"], schema=s)
    out.append(r)
print(json.dumps({"merge": out,
                  "dicts": M.merge_dicts({"a": 1, "n": {"x": 1, "y": [1, 2]}, "k": 5}, {"a": 2, "n": {"y": [2, 3], "z": None}, "k": None}),
                  "jsonl": M.merge_json_lines([{"id": 1, "v": {"p": 1}}, {"id": 2, "v": 1}], [{"id": 1, "v": {"q": 2}}, {"id": 3}], key="id")}))
"""


@pytest.fixture(scope="module")
def ref(ref_python):
    p = subprocess.run([ref_python, "-c", REF_SCRIPT], input=json.dumps(cases()), capture_output=True,
                       text=True, check=True, env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin"})
    return json.loads(p.stdout)


def canon(rs):
    return sorted(json.dumps(r, sort_keys=True) for r in rs)


@pytest.mark.parametrize("i", range(24))
def test_merge_equals_reference(ref, i):
    c = cases()[i]
    schema = cm.MergeSchema.from_dict(c["schema"]) if c["schema"] else None
    ours = cm.merge(c["a"], c["b"], key="id", prefer=c["prefer"], dedup=c["dedup"],
                    timestamp_col=c["timestamp_col"], schema=schema)
    assert canon(ours) == canon(ref["merge"][i])


def test_merge_dicts_and_json_lines_equal_reference(ref):
    assert cm.merge_dicts({"a": 1, "n": {"x": 1, "y": [1, 2]}, "k": 5},
                          {"a": 2, "n": {"y": [2, 3], "z": None}, "k": None}) == ref["dicts"]
    ours = cm.merge_json_lines([{"id": 1, "v": {"p": 1}}, {"id": 2, "v": 1}], [{"id": 1, "v": {"q": 2}}, {"id": 3}], key="id")
    assert canon(ours) == canon(ref["jsonl"])


def test_schema_dict_form_roundtrips_and_rejects_unknown():
    s = cm.MergeSchema(default=cm.LWW(), price=cm.MaxWins(), tags=cm.UnionSet(";"), lvl=cm.Priority(["lo", "hi"]))
    d = s.to_dict()
    assert d["price"] == {"strategy": "MaxWins"} and d["tags"] == {"strategy": "UnionSet", "separator": ";"}
    assert cm.MergeSchema.from_dict(d).to_dict() == d
    with pytest.raises(cm.ArgumentError, match="Bogus"):
        cm.MergeSchema.from_dict({"x": {"strategy": "Bogus"}})


def test_custom_strategy_calls_python():
    seen = []

    def longer_list(a, b, ta, tb):
        seen.append((a, b))
        return a + b

    s = cm.MergeSchema(default=cm.LWW(), v=cm.Custom(longer_list))
    out = cm.merge([{"id": 1, "v": [1]}], [{"id": 1, "v": [2, 3]}], key="id", schema=s)
    assert out == [{"id": 1, "v": [1, 2, 3]}]
    assert seen == [([1], [2, 3])]


def test_provenance_counts_and_exports():
    a = [{"id": 1, "x": 1, "_ts": 1.0}, {"id": 2, "x": 5, "_ts": 1.0}]
    b = [{"id": 1, "x": 2, "_ts": 2.0}, {"id": 3, "x": 7, "_ts": 1.0}]
    merged, log = cm.merge_with_provenance(a, b, key="id")
    assert canon(merged) == canon([{"id": 1, "x": 2, "_ts": 2.0}, {"id": 2, "x": 5, "_ts": 1.0}, {"id": 3, "x": 7, "_ts": 1.0}])
    assert (log.total_rows, log.merged_rows, log.unique_a_rows, log.unique_b_rows) == (3, 1, 1, 1)
    assert log.total_conflicts >= 1 and "1" in log.summary()
    assert json.loads(cm.export_provenance(log, "json"))["total_conflicts"] == log.total_conflicts
    assert cm.export_provenance(log, "csv").splitlines()[0].count(",") >= 4


def test_bad_input_is_a_typed_error():
    with pytest.raises(cm.ArgumentError, match="id"):
        cm.merge([{"x": 1}], [{"id": 1}], key="id")
    with pytest.raises(cm.ArgumentError):
        cm.merge([{"id": 1}], [{"id": 1}], key="id", prefer="sideways")


def test_streams_equal_batch_merge():
    rng = random.Random(5)
    a = sorted(rows(rng, 200, 0), key=lambda r: r["id"])
    b = sorted(rows(rng, 200, 100), key=lambda r: r["id"])
    full = cm.merge(a, b, key="id", dedup=False)
    st = cm.StreamStats()
    streamed = [r for batch in cm.merge_stream(iter(a), iter(b), key="id", batch_size=37, stats=st) for r in batch]
    assert canon(streamed) == canon(full)
    assert st.rows_processed == len(full) and st.batches_processed >= len(full) // 37
    sorted_out = [r for batch in cm.merge_sorted_stream(iter(a), iter(b), key="id", batch_size=41) for r in batch]
    assert canon(sorted_out) == canon(full)
    with pytest.raises(ValueError, match="not sorted"):
        list(cm.merge_sorted_stream(iter(a[::-1]), iter(b), key="id"))


def test_data_frames_roundtrip():
    import pandas as pd  # installed by bindings/test.sh: a missing one fails, never skips
    import polars as pl
    import pyarrow as pa

    a = [{"id": i, "v": float(i), "s": f"a{i}"} for i in range(50)]
    b = [{"id": i, "v": float(-i), "s": f"b{i}"} for i in range(25, 75)]
    want = canon(cm.merge(a, b, key="id", prefer="b"))
    out_pd = cm.merge(pd.DataFrame(a), pd.DataFrame(b), key="id", prefer="b")
    assert isinstance(out_pd, pd.DataFrame) and canon(out_pd.to_dict("records")) == want
    out_pl = cm.merge(pl.DataFrame(a), pl.DataFrame(b), key="id", prefer="b")
    assert isinstance(out_pl, pl.DataFrame) and canon(out_pl.to_dicts()) == want
    out_pa = cm.merge(pa.Table.from_pylist(a), pa.Table.from_pylist(b), key="id", prefer="b")
    assert isinstance(out_pa, pa.Table) and canon(out_pa.to_pylist()) == want

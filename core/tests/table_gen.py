#!/usr/bin/env python3
"""Generate core/tests/fixtures/table_cases.json from the reference
(crdt-merge==0.8.3): random keyed merges (every option, every built-in
strategy, multi-column keys, nulls, absent cells, duplicate keys, mixed key
types), single strategy resolutions, timestamp parsing and inputs on which
the reference raises.

Expected merge outputs are the reference's `merge(..., dedup=False,
fuzzy_dedup=False)` followed by the documented dedup pipeline: exact dedup
on typed values (ours, see wire-spec/table.md "Deviations"), then the
reference's own fuzzy pass. `ref_dedup_same` says whether the reference's
str()-based dedup gives the same rows.

    TZ=UTC PYTHONHASHSEED=0 /work/main/conformance/.venv/bin/python core/tests/table_gen.py
"""

import json
import math
import os
import random
import sys
import time
import warnings

os.environ["TZ"] = "UTC"
time.tzset()
warnings.simplefilter("ignore")

from crdt_merge import merge  # noqa: E402
from crdt_merge import dataframe as df_mod  # noqa: E402
from crdt_merge.strategies import (  # noqa: E402
    LWW, Concat, LongestWins, MaxWins, MergeSchema, MinWins, Priority, UnionSet)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "table_cases.json")

KEYS_INT = [0, 1, 2, 3, 4, 5, 6]
KEYS_MIXED = [1, 2, 1.0, 2.0, 2.5, "1", "k", True, False, None]
VALUES = [None, 0, 1, 2, 10, -3, 1.5, 2.0, 0.0, True, False, "", "a", "b", "abc", "B",
          "x,y", "y, z", "p | q", "q", "draft", "review", "done", "zz top", "\u00e9t\u00e9",
          [1, 2], ["a"], "10", "9", "1.5", "None", "True"]
TS = [None, 0, 1, 2, 2, 3, 1.5, "2", "2.5", "2024-01-01T00:00:00Z", "2024-01-01 00:00:00",
      "2024-01-01T02:00:00+02:00", "2023-12-31", "garbage", "", True, 1700000000]
COLS = ["name", "score", "tags", "status", "notes", "n2"]


def rand_strategy(rng):
    k = rng.randrange(7)
    if k == 0:
        return LWW()
    if k == 1:
        return MaxWins()
    if k == 2:
        return MinWins()
    if k == 3:
        return UnionSet(separator=rng.choice([",", ";", " "]))
    if k == 4:
        return Concat(separator=rng.choice([" | ", ",", "-"]), dedup=rng.random() < 0.7)
    if k == 5:
        return Priority(rng.sample(["draft", "review", "done", "a", "b", "1", "True"], rng.randrange(0, 5)))
    return LongestWins()


def rand_schema(rng, cols):
    fields = {c: rand_strategy(rng) for c in cols if rng.random() < 0.6}
    return MergeSchema(default=rand_strategy(rng) if rng.random() < 0.5 else None, **fields)


def rand_rows(rng, n, key_cols, key_pool, cols, ts_col, p_absent):
    rows = []
    for i in range(n):
        r = {}
        for k in key_cols:
            if i == 0 or rng.random() > 0.05:
                r[k] = rng.choice(key_pool)
            elif rng.random() < 0.5:
                r[k] = None
        if i == 0:
            for k in key_cols:
                if r.get(k) is None:
                    r[k] = key_pool[0] if key_pool[0] is not None else 0
        for c in cols:
            if rng.random() >= p_absent:
                r[c] = rng.choice(VALUES)
        if ts_col is not None and (i == 0 or rng.random() > 0.1):
            r[ts_col] = rng.choice(TS)
        # shuffle key order inside the dict: column order must not matter
        items = list(r.items())
        if rng.random() < 0.3:
            rng.shuffle(items)
        rows.append(dict(items))
    return rows


def typed(v):
    """Type-strict canonical form (1, 1.0, True and "1" all differ)."""
    if isinstance(v, dict):
        return ("dict", tuple(sorted((k, typed(x)) for k, x in v.items())))
    if isinstance(v, (list, tuple)):
        return ("list", tuple(typed(x) for x in v))
    if isinstance(v, float) and math.isnan(v):
        return ("float", "nan")
    return (type(v).__name__, repr(v))


def typed_dedup(rows):
    seen = set()
    out = []
    for r in rows:
        h = typed(r)
        if h not in seen:
            seen.add(h)
            out.append(r)
    return out


def rows_equal(x, y):
    return len(x) == len(y) and all(typed(a) == typed(b) for a, b in zip(x, y))


def merge_case(rng, idx):
    key_kind = rng.choice(["single", "single", "multi", "none", "mixed"])
    if key_kind == "single":
        key_cols, pool = ["id"], KEYS_INT
    elif key_kind == "multi":
        key_cols, pool = ["id", "sub"], [0, 1, 2, "x"]
    elif key_kind == "mixed":
        key_cols, pool = ["id"], KEYS_MIXED
    else:
        key_cols, pool = [], KEYS_INT
    ts_mode = rng.choice(["none", "none", "explicit", "auto", "auto_one_side"])
    ts_col = {"none": None, "explicit": "ts", "auto": "_ts", "auto_one_side": "_ts"}[ts_mode]
    cols_a = rng.sample(COLS, rng.randrange(1, len(COLS)))
    cols_b = rng.sample(COLS, rng.randrange(1, len(COLS)))
    p_absent = rng.choice([0.0, 0.0, 0.2])
    gen_keys = key_cols or ["id"]
    a = rand_rows(rng, rng.randrange(0, 9), gen_keys, pool, cols_a, ts_col, p_absent)
    b = rand_rows(rng, rng.randrange(0, 9), gen_keys, pool, cols_b,
                  None if ts_mode == "auto_one_side" else ts_col, p_absent)
    prefer = rng.choice(["a", "b", "latest"])
    schema = rand_schema(rng, cols_a + cols_b + ["ts", "_ts"]) if rng.random() < 0.4 else None
    if schema is not None:
        # to_dict() drops the default's parameters: merge with what the dict says.
        # (and cannot load a Priority default at all: TypeError).
        try:
            schema = MergeSchema.from_dict(schema.to_dict())
        except TypeError:
            schema = MergeSchema.from_dict(MergeSchema(**schema.fields).to_dict())
    dedup = rng.random() < 0.7
    fuzzy = rng.random() < 0.15
    threshold = rng.choice([0.5, 0.85, 1.0])
    key = None if not key_cols else (key_cols[0] if len(key_cols) == 1 and rng.random() < 0.5 else key_cols)
    kw = dict(key=key, timestamp_col="ts" if ts_mode == "explicit" else None, prefer=prefer,
              fuzzy_threshold=threshold, schema=schema)
    case = {
        "name": f"merge_{idx}_{key_kind}_{ts_mode}",
        "a": a, "b": b,
        "key": key_cols,
        "prefer": prefer,
        "timestamp_col": kw["timestamp_col"],
        "schema": schema.to_dict() if schema is not None else None,
        "dedup": dedup, "fuzzy_dedup": fuzzy, "fuzzy_threshold": threshold,
    }
    try:
        raw = merge(a, b, dedup=False, fuzzy_dedup=False, **kw)
    except Exception as e:  # noqa: BLE001
        case["error"] = type(e).__name__
        return case
    expected = typed_dedup(raw) if dedup else raw
    if fuzzy and key_cols:
        expected = df_mod._fuzzy_dedup_records(expected, key_cols[0], [], threshold)
    full = merge(a, b, dedup=dedup, fuzzy_dedup=fuzzy, **kw)
    case["expected"] = expected
    case["ref_dedup_same"] = rows_equal(full, expected)
    return case


def strategy_cases(rng):
    out = []
    for i in range(400):
        s = rand_strategy(rng)
        va = rng.choice(VALUES[1:])
        vb = rng.choice(VALUES[1:])
        ta = rng.choice([0.0, 1.0, 2.0])
        tb = rng.choice([0.0, 1.0, 2.0])
        out.append({
            "strategy": MergeSchema(default=s).to_dict()["__default__"] | _params(s),
            "a": va, "b": vb, "ts_a": ta, "ts_b": tb,
            "expected": s.resolve(va, vb, ta, tb),
        })
    return out


def _params(s):
    d = MergeSchema(x=s).to_dict()["x"]
    d.pop("strategy")
    return d


def ts_cases():
    inputs = [None, 0, 1, -5, 2.5, True, False, "3", " 4.5 ", "1e3", "inf", "-inf", "1_000", "abc", "",
              "2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00Z", "2024-01-01 12:30",
              "2024-02-29T23:59:59.5+01:00", "2024-01-01T00:00:00.123456-05:30", "2024-13-01",
              "2024-01-01T25:00:00", "1970-01-01T00:00:00+0100", "2024-01-01T12", [1], "0x10", "+7", "--7"]
    return [{"input": v, "expected": df_mod._parse_timestamp(v)} for v in inputs]


def error_cases():
    out = []
    specs = [
        ("missing_key_a", [{"x": 1}], [{"id": 1}], "id"),
        ("missing_key_b", [{"id": 1}], [{"x": 1}], "id"),
        ("missing_key_multi", [{"id": 1}], [{"id": 1, "sub": 2}], ["id", "sub"]),
        ("unhashable_list", [{"id": [1]}], [{"id": 1}], "id"),
        ("unhashable_dict_b", [{"id": 1}], [{"id": {"a": 1}}], "id"),
        ("unhashable_multi", [{"id": 1, "sub": [2]}], [{"id": 1, "sub": 2}], ["id", "sub"]),
        ("later_row_missing_key_is_null", [{"id": 1}, {"x": 2}], [{"id": 1}], "id"),
        ("empty_a", [], [{"x": 1}], "id"),
    ]
    for name, a, b, key in specs:
        c = {"name": name, "a": a, "b": b, "key": [key] if isinstance(key, str) else key}
        try:
            c["expected"] = merge(a, b, key=key, dedup=False)
        except Exception as e:  # noqa: BLE001
            c["error"] = type(e).__name__
        out.append(c)
    return out


JVALS = [None, 0, 1, 1.0, True, 2, "x", "y", "1", [1, 2], [2, "x"], {"p": 1}, {"p": "1"}]


def rand_doc(rng, depth=0):
    d = {}
    for k in rng.sample(["a", "b", "c", "d", "e"], rng.randrange(0, 5)):
        r = rng.random()
        if r < 0.25 and depth < 2:
            d[k] = rand_doc(rng, depth + 1)
        elif r < 0.4:
            d[k] = [rng.choice(JVALS) for _ in range(rng.randrange(0, 4))]
        else:
            d[k] = rng.choice(JVALS)
    return d


def paths(d, prefix=""):
    for k, v in d.items():
        p = f"{prefix}.{k}" if prefix else k
        yield p
        if isinstance(v, dict):
            yield from paths(v, p)


def ours_item_key(item):
    """Our list-item identity: scalars as Python set members, containers typed."""
    if isinstance(item, (dict, list)):
        return ("typed", typed(item))
    return item


def json_cases(rng):
    import crdt_merge.json_merge as jm
    ref_key = jm._list_item_key
    out = []
    for i in range(250):
        a, b = rand_doc(rng), rand_doc(rng)
        ts_a = {p: rng.choice([0.0, 1.0, 2.0]) for p in paths(a) if rng.random() < 0.5} or None
        ts_b = {p: rng.choice([0.0, 1.0, 2.0]) for p in paths(b) if rng.random() < 0.5} or None
        jm._list_item_key = ref_key
        ref = jm.merge_dicts(a, b, ts_a, ts_b)
        jm._list_item_key = ours_item_key
        exp = jm.merge_dicts(a, b, ts_a, ts_b)
        out.append({"kind": "dicts", "a": a, "b": b, "ts_a": ts_a, "ts_b": ts_b,
                    "expected": exp, "ref_same": typed(ref) == typed(exp)})
    for i in range(150):
        key = rng.choice(["id", None])
        def line():
            d = rand_doc(rng, 1)
            if key:
                d["id"] = rng.choice([1, 2, 3, 1.0, "1", "k"])
            return d
        la = [line() for _ in range(rng.randrange(0, 6))]
        lb = [line() for _ in range(rng.randrange(0, 6))]
        jm._list_item_key = ref_key
        ref = jm.merge_json_lines(la, lb, key)
        jm._list_item_key = ours_item_key
        exp = jm.merge_json_lines(la, lb, key)
        out.append({"kind": "lines", "a": la, "b": lb, "key": key,
                    "expected": exp, "ref_same": rows_equal(ref, exp)})
    jm._list_item_key = ref_key
    return out


def main():
    rng = random.Random(4)
    cases = [merge_case(rng, i) for i in range(600)]
    doc = {
        "merge": cases,
        "strategies": strategy_cases(rng),
        "timestamps": ts_cases(),
        "errors": error_cases(),
        "json": json_cases(rng),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=0, sort_keys=False)
        f.write("\n")
    n_err = sum(1 for c in cases if "error" in c)
    n_dev = sum(1 for c in cases if not c.get("ref_dedup_same", True))
    print(f"wrote {OUT}: {len(cases)} merges ({n_err} errors, {n_dev} dedup deviations)", file=sys.stderr)


if __name__ == "__main__":
    main()

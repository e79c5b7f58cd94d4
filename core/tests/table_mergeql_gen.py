#!/usr/bin/env python3
"""Generate core/tests/fixtures/table_mergeql_cases.json from the reference
(crdt-merge==0.8.3): random source tables and MergeQL statements, run
through the reference's `MergeQL`, with its rows, conflict counts,
provenance entries and plans; plus statements it rejects (syntax or
validation) and EXPLAIN plans.

Statements stay inside what the reference handles correctly (see
wire-spec/mergeql.md, "Deviations"): no null keys (it drops those rows), no
`>=`/`<=`/`!=` (its tokenizer splits them), no `priority` strategy (it
raises TypeError), MAP targets that are not existing columns.

    PYTHONHASHSEED=0 /work/main/conformance/.venv/bin/python core/tests/table_mergeql_gen.py
"""

import json
import os
import random

from crdt_merge.mergeql import MergeQL, MergeQLSyntaxError, MergeQLValidationError

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "table_mergeql_cases.json")
rng = random.Random(20260403)

WORDS = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "Eta", "theta"]
STRATS = ["lww", "max", "min", "union", "concat", "longest", "MAX", "MaxWins", "minwins",
          "LWW", "unionset", "LongestWins", "Concat"]


def cell(kind):
    r = rng.random()
    if r < 0.08:
        return None
    if kind == "int":
        return rng.randint(-20, 60)
    if kind == "float":
        return rng.choice([0.5, 1.25, -3.5, 10.0, 2.75, 100.5, 7.0])
    if kind == "tags":
        return ",".join(rng.sample(WORDS, rng.randint(1, 3)))
    if kind == "mixed":
        return rng.choice([rng.randint(0, 9), rng.choice(WORDS), 1.5, True])
    return rng.choice(WORDS) + rng.choice(["", "x", "yy", " z"])


def table(key_pool, cols, n, sparse):
    rows = []
    for _ in range(n):
        row = {"id": rng.choice(key_pool)}
        for c, kind in cols:
            if sparse and rng.random() < 0.15:
                continue
            row[c] = cell(kind)
        rows.append(row)
    return rows


ALL_COLS = [("score", "int"), ("name", "str"), ("tags", "tags"), ("w", "float"), ("m", "mixed"),
            ("note", "str")]


def where_clause(cols):
    def cmp():
        c, kind = rng.choice(cols)
        op = rng.choice(["=", ">", "<"])
        if kind in ("int", "float", "mixed"):
            v = str(rng.randint(0, 40))  # the reference drops a minus sign
        else:
            v = rng.choice(WORDS)
            if rng.random() < 0.5:
                v = "'" + v + "'"
        sp = rng.choice([" ", ""]) if not v.startswith("'") else " "
        return f"{c}{sp}{op}{sp}{v}"
    parts = [cmp()]
    for _ in range(rng.randint(0, 2)):
        parts.append(rng.choice(["AND", "and", "OR"]))
        parts.append(cmp())
    return " ".join(parts)


def statement(names, cols):
    srcs = list(names)
    if rng.random() < 0.15:
        srcs.append(srcs[0])  # a source twice
    q = ("EXPLAIN " if rng.random() < 0.1 else "") + rng.choice(["MERGE", "merge"]) + " "
    q += rng.choice([", ", " , ", ","]).join(srcs) + " ON id"
    clauses = []
    if rng.random() < 0.7:
        fs = rng.sample([c for c, _ in cols], rng.randint(1, len(cols)))
        items = []
        for f in fs:
            s = rng.choice(STRATS)
            items.append(f"{f}=" + rng.choice([f"'{s}'", f'"{s}"', s]))
        clauses.append("STRATEGY " + ", ".join(items))
    if rng.random() < 0.4:
        clauses.append("WHERE " + where_clause(cols))
    if rng.random() < 0.3:
        c = rng.choice(cols)[0]
        clauses.append(f"MAP {c} -> {c}_renamed")
    if rng.random() < 0.3:
        clauses.append(f"LIMIT {rng.randint(0, 12)}")
    rng.shuffle(clauses)
    sep = rng.choice([" ", "\n  "])
    return q + sep + sep.join(clauses)


def run(sources, query):
    ql = MergeQL()
    for n, rows in sources.items():
        ql.register(n, rows)
    try:
        res = ql.execute(query)
    except MergeQLSyntaxError as e:
        return {"error": "syntax", "message": str(e)}
    except MergeQLValidationError as e:
        return {"error": "validation", "message": str(e)}
    plan = res.plan
    return {
        "data": res.data,
        "conflicts": res.conflicts,
        "provenance": res.provenance,
        "sources_merged": res.sources_merged,
        "plan": {
            "sources": plan.sources,
            "source_sizes": plan.source_sizes,
            "merge_key": plan.merge_key,
            "strategies": plan.strategies,
            "estimated_output_rows": plan.estimated_output_rows,
            "schema_evolution_needed": plan.schema_evolution_needed,
            "arrow_backend": plan.arrow_backend,
            "steps": plan.steps,
        },
    }


def main():
    cases = []
    for i in range(220):
        nsrc = rng.randint(1, 3)
        names = [rng.choice(["east", "west", "eu", "s_1", "Src"]) + str(j) for j in range(nsrc)]
        cols = rng.sample(ALL_COLS, rng.randint(1, 4))
        pool = list(range(rng.randint(2, 12)))
        if rng.random() < 0.2:
            pool = [f"k{x}" for x in pool]
        sources = {}
        for n in names:
            sc = cols if rng.random() < 0.7 else rng.sample(cols, max(1, len(cols) - 1))
            sources[n] = table(pool, sc, rng.randint(0, 10), rng.random() < 0.3)
        q = statement(names, cols)
        cases.append({"sources": sources, "query": q, "expect": run(sources, q)})
    bad = [
        "", "   ", "EXPLAIN", "SELECT * FROM a", "MERGE", "MERGE ON id", "MERGE a", "MERGE a b",
        "MERGE a ON", "MERGE a ON id STRATEGY x", "MERGE a ON id STRATEGY x=",
        "MERGE a ON id LIMIT", "MERGE a ON id LIMIT ten", "MERGE a ON id MAP x",
        "MERGE a ON id MAP x ->", "MERGE a ON id FOO", "MERGE a, nope ON id",
        "MERGE a ON id STRATEGY x='median'", "MERGE a ON id STRATEGY x='custom:f'",
        "MERGE a ON id LIMIT 5 extra",
    ]
    src = {"a": [{"id": 1, "x": 2}]}
    for q in bad:
        cases.append({"sources": src, "query": q, "expect": run(src, q)})
    with open(OUT, "w") as f:
        json.dump({"generator": "core/tests/table_mergeql_gen.py", "reference": "crdt-merge==0.8.3",
                   "cases": cases}, f, indent=1, sort_keys=False)
        f.write("\n")
    kinds = {}
    for c in cases:
        k = c["expect"].get("error", "ok")
        kinds[k] = kinds.get(k, 0) + 1
    print(OUT, len(cases), kinds)


if __name__ == "__main__":
    main()

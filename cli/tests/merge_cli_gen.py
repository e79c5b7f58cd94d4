#!/usr/bin/env python3
"""Generate cli/tests/fixtures/merge/: input tables (CSV, JSON-lines, JSON)
and cases.json, whose expected rows come from the reference's
`crdt_merge.merge` (crdt-merge==0.8.3) run on the same rows as our readers
produce (CSV typed per column: empty = null, else int, else float, else
string), plus bad inputs with the one-line error each must give.

    PYTHONHASHSEED=0 /work/main/conformance/.venv/bin/python cli/tests/merge_cli_gen.py
"""

import csv
import io
import json
import os
import random
import re
import warnings

from crdt_merge import merge
from crdt_merge.strategies import MergeSchema, MaxWins, MinWins, UnionSet, LWW, Priority, LongestWins, Concat

warnings.simplefilter("ignore")
DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "merge")
rng = random.Random(4242)

INT = re.compile(r"^[+-]?[0-9]+$")
FLOAT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")


def read_csv_typed(text):
    """The CLI's CSV typing rule."""
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], [r for r in rows[1:] if r]
    kinds = []
    for i in range(len(header)):
        cells = [r[i] for r in body if r[i] != ""]
        if all(INT.match(c) and -2**63 <= int(c) < 2**63 for c in cells):
            kinds.append(int)
        elif all(FLOAT.match(c) for c in cells):
            kinds.append(float)
        else:
            kinds.append(str)
    return [{h: (None if r[i] == "" else kinds[i](r[i])) for i, h in enumerate(header)} for r in body]


def write(name, text):
    with open(os.path.join(DIR, name), "w", newline="") as f:
        f.write(text)


def load(name):
    with open(os.path.join(DIR, name), newline="") as f:
        text = f.read()
    if name.endswith(".csv"):
        return read_csv_typed(text)
    if name.endswith(".jsonl"):
        return [json.loads(l) for l in text.splitlines() if l.strip()]
    return json.loads(text)


def to_csv(rows, cols):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    return out.getvalue()


def to_jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)


NAMES = ["ann", "bob", "cy", "dee", "eve", "fay"]
TAGS = ["red", "green", "blue", "x"]


def gen_rows(keys, with_ts, composite=False, sparse=False):
    rows = []
    for k in keys:
        r = {"id": k}
        if composite:
            r["region"] = rng.choice(["eu", "us"])
        cand = {
            "name": rng.choice(NAMES),
            "score": rng.randint(0, 100),
            "weight": rng.choice([0.5, 1.25, 3.0, 7.75, None]),
            "tags": ",".join(rng.sample(TAGS, rng.randint(1, 3))),
            "status": rng.choice(["draft", "review", "published"]),
        }
        for c, v in cand.items():
            if sparse and rng.random() < 0.3:
                continue
            r[c] = v
        if with_ts:
            r["_ts"] = rng.choice([1.0, 2.0, 3.0, 2.0])
        rows.append(r)
    return rows


COLS = ["id", "name", "score", "weight", "tags", "status"]


def main():
    os.makedirs(DIR, exist_ok=True)
    for f in os.listdir(DIR):
        os.remove(os.path.join(DIR, f))
    cases = []

    def case(name, a, b, args, out_ext="jsonl", **kw):
        ra, rb = load(a), load(b)
        key = args[args.index("--key") + 1]
        keyarg = key.split(",") if "," in key else key
        prefer = args[args.index("--prefer") + 1] if "--prefer" in args else "latest"
        ts = args[args.index("--timestamp-col") + 1] if "--timestamp-col" in args else None
        schema = None
        if "--schema" in args:
            with open(os.path.join(DIR, args[args.index("--schema") + 1])) as f:
                schema = MergeSchema.from_dict(json.load(f))
        rows = merge(ra, rb, key=keyarg, prefer=prefer, timestamp_col=ts, schema=schema)
        cases.append({"name": name, "a": a, "b": b, "args": args, "out": "out." + out_ext,
                      "expect_rows": rows, **kw})

    # 1. CSV + CSV, overlapping keys, default prefer (latest)
    a = gen_rows(range(0, 12), False)
    b = gen_rows(range(6, 18), False)
    write("basic_a.csv", to_csv(a, COLS))
    write("basic_b.csv", to_csv(b, COLS))
    case("csv_csv_latest", "basic_a.csv", "basic_b.csv", ["--key", "id"])
    case("csv_csv_prefer_a_to_csv", "basic_a.csv", "basic_b.csv", ["--key", "id", "--prefer", "a"], "csv")
    case("csv_csv_prefer_b_to_json", "basic_a.csv", "basic_b.csv", ["--key", "id", "--prefer", "b"], "json")
    case("csv_csv_to_parquet", "basic_a.csv", "basic_b.csv", ["--key", "id"], "parquet")

    # 2. JSON-lines with _ts (auto-detected), duplicates inside a file, null keys
    a = gen_rows([1, 2, 3, 3, 4, None, 5], True)
    b = gen_rows([3, 4, 5, 6, None, 6], True)
    write("ts_a.jsonl", to_jsonl(a))
    write("ts_b.jsonl", to_jsonl(b))
    case("jsonl_ts_dups_nullkeys", "ts_a.jsonl", "ts_b.jsonl", ["--key", "id"])
    case("jsonl_ts_as_parquet", "ts_a.jsonl", "ts_b.jsonl", ["--key", "id"], "jsonl", inputs_as="parquet")

    # 3. JSON array + CSV, explicit timestamp column, string keys
    a = [dict(r, id=f"k{r['id']}", ts=rng.randint(1, 5)) for r in gen_rows(range(0, 8), False)]
    b = [dict(r, id=f"k{r['id']}", ts=rng.randint(1, 5)) for r in gen_rows(range(4, 12), False)]
    write("mixed_a.json", json.dumps(a, indent=1))
    write("mixed_b.csv", to_csv(b, COLS + ["ts"]))
    case("json_csv_timestamp_col", "mixed_a.json", "mixed_b.csv", ["--key", "id", "--timestamp-col", "ts"])

    # 4. composite key
    a = gen_rows([1, 2, 3, 1, 2], False, composite=True)
    b = gen_rows([1, 2, 3, 4], False, composite=True)
    write("comp_a.jsonl", to_jsonl(a))
    write("comp_b.jsonl", to_jsonl(b))
    case("composite_key", "comp_a.jsonl", "comp_b.jsonl", ["--key", "id,region"], "csv")

    # 5. sparse rows (different keys per row)
    a = gen_rows(range(0, 10), False, sparse=True)
    b = gen_rows(range(5, 15), False, sparse=True)
    write("sparse_a.jsonl", to_jsonl(a))
    write("sparse_b.jsonl", to_jsonl(b))
    case("sparse_jsonl", "sparse_a.jsonl", "sparse_b.jsonl", ["--key", "id"])

    # 6. schema of mixed strategies
    schema = MergeSchema(default=LWW(), score=MaxWins(), weight=MinWins(), tags=UnionSet(),
                         status=Priority(["draft", "review", "published"]), name=LongestWins())
    with open(os.path.join(DIR, "schema.json"), "w") as f:
        json.dump(schema.to_dict(), f)
    case("schema_mixed", "basic_a.csv", "basic_b.csv", ["--key", "id", "--schema", "schema.json"])
    case("schema_mixed_ts", "ts_a.jsonl", "ts_b.jsonl", ["--key", "id", "--schema", "schema.json"], "json")
    schema2 = MergeSchema(default=MaxWins(), tags=Concat())
    with open(os.path.join(DIR, "schema2.json"), "w") as f:
        json.dump(schema2.to_dict(), f)
    case("schema_default_concat", "sparse_a.jsonl", "sparse_b.jsonl", ["--key", "id", "--schema", "schema2.json"])

    # Bad inputs: exit 1, one line naming the file (and place), no output file.
    write("bad_line.jsonl", '{"id": 1, "name": "a"}\n{"id": 2, "name": \n{"id": 3}\n')
    write("bad_row.csv", "id,name\n1,a\n2,b,c\n")
    write("bad_quote.csv", 'id,name\n1,"a\n')
    write("empty.csv", "")
    write("empty.jsonl", "\n\n")
    write("strkey.jsonl", '{"id": "1", "name": "a"}\n')
    write("bad_schema.json", json.dumps({"score": {"strategy": "Median"}}))
    write("nan.jsonl", '{"id": 1, "score": NaN}\n')
    bad = [
        ("missing_key_column", "basic_a.csv", "basic_b.csv", ["--key", "nope"], "basic_a.csv: key column \"nope\" not found"),
        ("malformed_jsonl_line", "basic_a.csv", "bad_line.jsonl", ["--key", "id"], "bad_line.jsonl:2:"),
        ("ragged_csv_row", "bad_row.csv", "basic_b.csv", ["--key", "id"], "bad_row.csv:3:1: expected 2 fields"),
        ("unterminated_quote", "bad_quote.csv", "basic_b.csv", ["--key", "id"], "bad_quote.csv:2:3: unterminated"),
        ("empty_csv", "empty.csv", "basic_b.csv", ["--key", "id"], "empty.csv: empty file"),
        ("empty_jsonl", "basic_a.csv", "empty.jsonl", ["--key", "id"], "empty.jsonl: empty file"),
        ("missing_file", "basic_a.csv", "missing.csv", ["--key", "id"], "missing.csv: "),
        ("key_type_mismatch", "basic_a.csv", "strkey.jsonl", ["--key", "id"], "strkey.jsonl: row 1: key column \"id\" holds str"),
        ("unknown_strategy", "basic_a.csv", "basic_b.csv", ["--key", "id", "--schema", "bad_schema.json"], "bad_schema.json: unknown merge strategy"),
        ("bad_prefer", "basic_a.csv", "basic_b.csv", ["--key", "id", "--prefer", "newest"], "--prefer: invalid prefer"),
        ("nan_value", "nan.jsonl", "basic_b.csv", ["--key", "id"], "nan.jsonl:1:20: NaN"),
        ("unknown_out_format", "basic_a.csv", "basic_b.csv", ["--key", "id"], "out.txt: unknown table format"),
    ]
    for name, a, b, args, msg in bad:
        out = "out.txt" if name == "unknown_out_format" else "out.jsonl"
        cases.append({"name": name, "a": a, "b": b, "args": args, "out": out, "expect_error": msg})
    with open(os.path.join(DIR, "cases.json"), "w") as f:
        json.dump({"generator": "cli/tests/merge_cli_gen.py", "reference": "crdt-merge==0.8.3",
                   "cases": cases}, f, indent=1)
        f.write("\n")
    print(DIR, len(cases), "cases")


if __name__ == "__main__":
    main()

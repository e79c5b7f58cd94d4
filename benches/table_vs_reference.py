"""Keyed table merge benchmark: two tables of N rows (default 1,000,000),
8 columns, 50% key overlap, JSON lines in and out.

Times, in one run, for a plain merge (prefer b) and for a MergeSchema of
mixed strategies:
  - crdt-merge-rs: `crdt-merge merge a.jsonl b.jsonl --key id ... -o out.jsonl`,
    end to end (process start, reading and parsing both files, merge, writing);
  - the reference: `crdt_merge.merge(a, b, key="id", ...)` on already-loaded
    lists of dicts (its JSON loading is not timed);
  - Polars: read_ndjson both files, full outer join on id, per-column
    coalesce by preference (or the schema's rule as expressions), write_ndjson,
    end to end, in its own venv (benches/.venv-polars, created on first run).
Usage: python benches/table_vs_reference.py [N] [--bin target/release/crdt-merge]
(run with the reference's venv, e.g. conformance/.venv/bin/python).
"""
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import warnings

from crdt_merge import merge
from crdt_merge.strategies import LWW, LongestWins, MaxWins, MergeSchema, MinWins, UnionSet

REPEAT = 3  # ours and Polars: best of 3 (the reference once: it takes longest)
HERE = os.path.dirname(os.path.abspath(__file__))
POLARS_VENV = os.path.join(HERE, ".venv-polars")

POLARS_SCRIPT = r'''
import sys, time
import polars as pl
pa, pb, po, mode = sys.argv[1:5]
t0 = time.perf_counter()
a = pl.read_ndjson(pa)
b = pl.read_ndjson(pb)
t1 = time.perf_counter()
j = a.join(b, on="id", how="full", coalesce=True, suffix="_b")
cols = [c for c in a.columns if c != "id"]
A, B = pl.col, lambda c: pl.col(c + "_b")
if mode == "plain":
    exprs = [pl.coalesce(B(c), A(c)).alias(c) for c in cols]
else:
    # the schema: score MaxWins, amount MinWins, tags UnionSet, name LongestWins, rest LWW on ts
    def lww(c):
        return (pl.when(B(c).is_null()).then(A(c)).when(A(c).is_null()).then(B(c))
                .when(B("ts") > A("ts")).then(B(c)).when(A("ts") > B("ts")).then(A(c))
                .when(B(c).cast(pl.Utf8) > A(c).cast(pl.Utf8)).then(B(c)).otherwise(A(c)))
    exprs = []
    for c in cols:
        if c == "score":
            e = pl.max_horizontal(A(c), B(c))
        elif c == "amount":
            e = pl.min_horizontal(A(c), B(c))
        elif c == "tags":
            e = (pl.when(A(c).is_null()).then(B(c)).when(B(c).is_null()).then(A(c))
                 .otherwise(pl.concat_list([A(c).str.split(","), B(c).str.split(",")])
                            .list.eval(pl.element().str.strip_chars()).list.unique().list.sort()
                            .list.join(",")))
        elif c == "name":
            e = (pl.when(B(c).is_null()).then(A(c)).when(A(c).is_null()).then(B(c))
                 .when(B(c).str.len_chars() > A(c).str.len_chars()).then(B(c))
                 .when(A(c).str.len_chars() > B(c).str.len_chars()).then(A(c))
                 .otherwise(lww(c)))
        else:
            e = lww(c)
        exprs.append(e.alias(c))
out = j.select([pl.col("id")] + exprs)
t2 = time.perf_counter()
out.write_ndjson(po)
t3 = time.perf_counter()
print(f"{t3 - t0:.3f} {t2 - t1:.3f} {out.height}")
'''


def polars_python():
    py = os.path.join(POLARS_VENV, "bin", "python")
    if not os.path.exists(py):
        print("creating benches/.venv-polars (pip install polars) ...", flush=True)
        if subprocess.run([sys.executable, "-m", "venv", POLARS_VENV]).returncode != 0:
            return None
        r = subprocess.run([py, "-m", "pip", "install", "-q", "polars"])
        if r.returncode != 0:
            return None
    return py


WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
CITIES = ["Paris", "Berlin", "Lagos", "Lima", "Osaka", "Perth", "Quito", "Oslo"]


def row(rng, i):
    """One row of the benchmark tables (8 columns), key `i`."""
    return {
        "id": i,
        "name": rng.choice(WORDS) + " " + rng.choice(WORDS),
        "city": rng.choice(CITIES),
        "score": rng.randrange(0, 1000),
        "amount": round(rng.random() * 1000, 2),
        "active": rng.random() < 0.5,
        "tags": ",".join(rng.sample(WORDS, 2)),
        "ts": rng.randrange(1_700_000_000, 1_700_001_000),
    }


def make(rng, ids):
    return [row(rng, i) for i in ids]


def timed(cmd):
    """Wall seconds, stdout and CPU seconds (user + system) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return dt, r.stdout, cpu


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def inputs(n):
    """The two benchmark tables (the same rows on every call)."""
    rng = random.Random(7)
    return make(rng, range(0, n)), make(rng, range(n // 2, n // 2 + n))


def main():
    args = sys.argv[1:]
    n = int(args[0]) if args and args[0].isdigit() else 1_000_000
    binary = args[args.index("--bin") + 1] if "--bin" in args else "target/release/crdt-merge"
    a, b = inputs(n)
    schema = MergeSchema(default=LWW(), score=MaxWins(), amount=MinWins(), tags=UnionSet(),
                         name=LongestWins())
    ppy = polars_python()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        pa, pb, po, ps = (os.path.join(d, x) for x in ("a.jsonl", "b.jsonl", "out.jsonl", "schema.json"))
        for path, recs in ((pa, a), (pb, b)):
            with open(path, "w") as f:
                for r in recs:
                    f.write(json.dumps(r) + "\n")
        with open(ps, "w") as f:
            json.dump(schema.to_dict(), f)
        # The inputs' writeback is not part of anyone's run, and the file
        # tools run without this process holding 2M loaded rows (they are
        # made again, identically, for the reference's turn).
        del a, b
        gc.collect()
        os.sync()
        size = os.path.getsize(pa) + os.path.getsize(pb)
        print(f"2 x {n:,} rows, 8 columns, 50% key overlap, {size / 1e6:.0f} MB of JSON lines in")
        for label, extra, mode, kw in (
            ("merge, prefer b", ["--prefer", "b"], "plain", {"prefer": "b"}),
            ("MergeSchema (max/min/union/longest/LWW on ts)", ["--schema", ps, "--timestamp-col", "ts"],
             "schema", {"schema": schema, "timestamp_col": "ts"}),
        ):
            runs = [timed([binary, "merge", pa, pb, "--key", "id", *extra, "-o", po])
                    for _ in range(REPEAT)]
            ours = min(r[0] for r in runs)
            ours_cpu = min(r[2] for r in runs)
            ours_rows = count_lines(po)
            pol = None
            if ppy:
                runs = []
                for _ in range(REPEAT):
                    _, outp, _ = timed([ppy, "-c", POLARS_SCRIPT, pa, pb, po, mode])
                    e2e, join, prow = outp.split()
                    runs.append((float(e2e), float(join), int(prow)))
                pol = min(runs)
            a, b = inputs(n)
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            ref = merge(a, b, key="id", **kw)
            ref_t = time.perf_counter() - t
            rows.append((label, ours, ours_cpu, ours_rows, ref_t, len(ref), pol))
            del ref, a, b
            gc.collect()
    print()
    print(f"{'workload':<48} {'crdt-merge-rs (e2e)':>20} {'its CPU':>8} {'reference merge()':>18} "
          f"{'speedup':>8} {'polars (e2e)':>13} {'polars join only':>17} {'vs polars':>9}")
    for label, ours, ocpu, orow, ref_t, rrow, pol in rows:
        ps_ = f"{pol[0]:.2f} s" if pol else "n/a"
        pj = f"{pol[1]:.2f} s" if pol else "n/a"
        vp = f"{pol[0] / ours:.2f}x" if pol else "n/a"
        print(f"{label:<48} {ours:>18.2f} s {ocpu:>6.2f} s {ref_t:>16.2f} s {ref_t / ours:>7.1f}x "
              f"{ps_:>13} {pj:>17} {vp:>9}")
        if orow != rrow or (pol and pol[2] != orow):
            print(f"  row counts: ours {orow}, reference {rrow}, polars {pol[2] if pol else '-'}")
    print("\nreference timed once on already-loaded lists; ours and polars (best of 3) include reading")
    print("and writing files; both use every core. 'its CPU': user + system seconds of our fastest run.")
    print("machine shared with other jobs: figures as measured.")


if __name__ == "__main__":
    main()

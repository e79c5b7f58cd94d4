"""Times the Python reference (crdt-merge 0.8.3) on its sorted merge-join stream.

`python benches/sorted_stream_reference.py ROWS [BATCH] [--variant plain|schema]`
feeds `crdt_merge.streaming.merge_sorted_stream` two lazily generated,
key-sorted row streams of ROWS rows per side (default 1,000,000), rows as
dicts with the 8 columns of benches/table_vs_reference.py's `make`, half the
keys shared, and consumes its output batches (counting rows). Without
`--variant` it runs each variant in its own child process (so that each peak
RSS is its own) and prints one JSON line per variant:
{"variant", "secs", "cpu_secs", "rows", "base_kib", "peak_kib"}: wall and
CPU time of one run, output rows, RSS before the merge (/proc/self/status
VmRSS) and peak RSS (resource.getrusage ru_maxrss). Variants: "generate"
(both streams consumed without a merge: the generation's share), "plain"
(the default: LWW, no timestamp column) and "schema" (MaxWins / MinWins /
UnionSet / LongestWins, LWW on "ts"), as in benches/src/bin/sorted_stream.rs.
"""
import itertools
import json
import random
import resource
import subprocess
import sys
import time
import warnings

from crdt_merge.streaming import merge_sorted_stream
from crdt_merge.strategies import LWW, LongestWins, MaxWins, MergeSchema, MinWins, UnionSet

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
CITIES = ["Paris", "Berlin", "Lagos", "Lima", "Osaka", "Perth", "Quito", "Oslo"]


def rows(seed, start, n):
    rng = random.Random(seed)
    for i in range(start, start + n):
        yield {
            "id": i,
            "name": rng.choice(WORDS) + " " + rng.choice(WORDS),
            "city": rng.choice(CITIES),
            "score": rng.randrange(0, 1000),
            "amount": round(rng.random() * 1000, 2),
            "active": rng.random() < 0.5,
            "tags": ",".join(rng.sample(WORDS, 2)),
            "ts": rng.randrange(1_700_000_000, 1_700_001_000),
        }


def vm_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(variant, n, batch):
    warnings.simplefilter("ignore")
    kw = {}
    if variant == "schema":
        kw = {
            "schema": MergeSchema(default=LWW(), score=MaxWins(), amount=MinWins(), tags=UnionSet(),
                                  name=LongestWins()),
            "timestamp_col": "ts",
        }
    a = rows(7, 0, n)
    b = rows(8, n // 2, n)
    base = vm_rss_kib()
    out = 0
    t, c = time.perf_counter(), time.process_time()
    if variant == "generate":
        for _ in itertools.chain(a, b):
            out += 1
    else:
        for chunk in merge_sorted_stream(a, b, key="id", batch_size=batch, **kw):
            out += len(chunk)
    secs, cpu = time.perf_counter() - t, time.process_time() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"variant": variant, "secs": secs, "cpu_secs": cpu, "rows": out,
                      "base_kib": base, "peak_kib": peak}), flush=True)


def main():
    args = sys.argv[1:]
    variant = args[args.index("--variant") + 1] if "--variant" in args else None
    pos = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] != "--variant")]
    n = int(pos[0]) if pos else 1_000_000
    batch = int(pos[1]) if len(pos) > 1 else 10_000
    if variant:
        run(variant, n, batch)
        return
    for v in ("generate", "plain", "schema"):
        r = subprocess.run([sys.executable, __file__, str(n), str(batch), "--variant", v],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"reference {v} failed:\n{r.stderr}")
        sys.stdout.write(r.stdout)
        sys.stdout.flush()


if __name__ == "__main__":
    main()

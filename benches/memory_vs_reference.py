"""Agent-memory benchmark: two agents' memories (N each, 30% of B's facts also
in A), JSON lines in and out.

Times, in one run:
  - crdt-merge-rs: `crdt-merge memory merge a.jsonl b.jsonl -o out.jsonl`,
    end to end (process start, parsing, merge, writing);
  - the reference: `ContextMerge().merge(a, b)` on already-loaded lists
    (its JSON loading is not timed).
Usage: python benches/memory_vs_reference.py [N] [--bin target/release/crdt-merge]
(run with the reference's venv, e.g. conformance/.venv/bin/python).
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

from crdt_merge.context import ContextMerge


def make(rng, n, start, shared_from=None):
    out = []
    for i in range(n):
        if shared_from is not None and rng.random() < 0.3:
            fact = shared_from[rng.randrange(len(shared_from))]["fact"]
        else:
            fact = f"agent fact {start + i}: the value of item {rng.randrange(10**9)} is {rng.random():.6f}"
        out.append({"fact": fact, "confidence": round(rng.random(), 3), "source": rng.choice(["alice", "bob"]),
                    "ts": float(rng.randrange(1_700_000_000, 1_700_100_000)),
                    "topic": rng.choice(["science", "ops", "chat"]), "tags": rng.sample(["a", "b", "c", "d"], 2)})
    return out


def main():
    args = sys.argv[1:]
    n = int(args[0]) if args and args[0].isdigit() else 1_000_000
    binary = args[args.index("--bin") + 1] if "--bin" in args else "target/release/crdt-merge"
    rng = random.Random(1)
    a = make(rng, n, 0)
    b = make(rng, n, n, shared_from=a)
    with tempfile.TemporaryDirectory() as d:
        pa, pb, po = (os.path.join(d, x) for x in ("a.jsonl", "b.jsonl", "out.jsonl"))
        for path, mems in ((pa, a), (pb, b)):
            with open(path, "w") as f:
                for m in mems:
                    f.write(json.dumps(m) + "\n")
        size = os.path.getsize(pa) + os.path.getsize(pb)
        t = time.perf_counter()
        subprocess.run([binary, "memory", "merge", pa, pb, "-o", po], check=True)
        ours = time.perf_counter() - t
        with open(po) as f:
            ours_count = sum(1 for _ in f)
    t = time.perf_counter()
    r = ContextMerge().merge(a, b)
    ref = time.perf_counter() - t
    print(f"memory merge of 2 x {n} memories ({size / 2**20:.0f} MiB of JSON lines)")
    print(f"{'':24} {'seconds':>10} {'memories out':>14}")
    print(f"{'reference (merge only)':24} {ref:>10.2f} {len(r.memories):>14}")
    print(f"{'crdt-merge-rs (CLI e2e)':24} {ours:>10.2f} {ours_count:>14}")
    print(f"speed-up: {ref / ours:.0f}x")


if __name__ == "__main__":
    main()

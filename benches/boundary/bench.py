"""Python (UniFFI) side of the boundary benchmark: the public crdt_merge_rs
API on the same workloads as the native `boundary` binary. Prints one
`name value unit` line per workload (best of several repetitions)."""
import sys
import time

import crdt_merge_rs as cm

root = sys.argv[1] if len(sys.argv) > 1 else "."
g = f"{root}/conformance/golden/g_counter/merge"
a = open(f"{g}/overlap.a.crdt", "rb").read()
b = open(f"{g}/overlap.b.crdt", "rb").read()


def best(reps, f):
    out = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f()
        out = min(out, time.perf_counter() - t)
    return out


n = 20_000


def small():
    for _ in range(n):
        cm.serialize(cm.deserialize(a).merge(cm.deserialize(b)))


print(f"small_merge {best(5, small) / n * 1e6:.3f} us")

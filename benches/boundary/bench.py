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


def rows(start, count):
    return [{"id": i, "name": f"user{i % 1000}", "city": f"c{i % 37}", "score": (i % 100) + 0.5,
             "qty": (i * 7 + start) % 50, "price": (i % 999) + 0.25, "flag": (i + start) % 2 == 0,
             "note": f"n{(i + start) % 11}"} for i in range(start, start + count)]


import os  # noqa: E402

N = int(os.environ.get("BOUNDARY_ROWS", "1000000"))
ra, rb = rows(0, N), rows(N // 2, N)
print(f"records_1m {best(3, lambda: cm.merge(ra, rb, key='id')) * 1e3:.1f} ms")
del ra, rb

import numpy as np  # noqa: E402

P = int(os.environ.get("BOUNDARY_PARAMS", "100000000"))
idx = np.arange(P, dtype=np.int64)
ms = [(((idx * 7 + k) % 1000).astype(np.float32) * np.float32(1e-3)) for k in range(3)]
del idx
print(f"linear_100m {best(3, lambda: cm.merge_tensors('linear', ms, family='mergekit', weights=[0.2, 0.3, 0.5])) * 1e3:.1f} ms")

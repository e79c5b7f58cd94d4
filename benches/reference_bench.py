"""Times the Python reference (crdt-merge 0.8.3) on the benchmark workloads.

Prints one JSON object {workload: seconds}. The same workloads, with the same
items and sizes, are run by the Rust bench binary (benches/src/main.rs),
which calls this script in the same run and prints both side by side.
Best of N repetitions per workload (N=1 for the slow ones).
"""
import json
import sys
import time

from crdt_merge import GCounter, PNCounter, ORSet
from crdt_merge.probabilistic import MergeableHLL, MergeableBloom, MergeableCMS
from crdt_merge.wire import serialize, serialize_batch, deserialize_batch

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def n(x):
    return max(1, int(x * SCALE))


def best(fn, reps):
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def counters(cls, nodes):
    a, b = cls(), cls()
    for i in range(nodes):
        a.increment(f"node-{i}", i + 1)
        b.increment(f"node-{i}", nodes - i)
    return a, b


def orsets(k):
    a, b = ORSet(), ORSet()
    # fixed tags, half the elements shared
    a._elements = {f"e{i}": {f"{i:012x}"} for i in range(k)}
    b._elements = {f"e{i + k // 2}": {f"{i + k:012x}"} for i in range(k)}
    return a, b


def main():
    out = {}
    nodes = n(1000)
    ga, gb = counters(GCounter, nodes)
    out["gcounter_merge_1k_nodes"] = best(lambda: ga.merge(gb), 20)
    pa, pb = counters(PNCounter, nodes)
    out["pncounter_merge_1k_nodes"] = best(lambda: pa.merge(pb), 20)
    oa, ob = orsets(n(100_000))
    out["orset_merge_100k"] = best(lambda: oa.merge(ob), 3)
    items = n(1_000_000)

    def hll():
        h = MergeableHLL(14)
        for i in range(items):
            h.add(i)
    out["hll_add_1m_p14"] = best(hll, 1)

    def bloom():
        bl = MergeableBloom(capacity=items, fp_rate=0.01)
        for i in range(items):
            bl.add(i)
        serialize(bl)
    out["bloom_add_serialize_1m"] = best(bloom, 1)

    def cms():
        c = MergeableCMS(2000, 7)
        for i in range(items):
            c.add(i)
    out["cms_add_1m"] = best(cms, 1)

    objs = []
    for i in range(n(50_000)):
        g = GCounter()
        g.increment(f"n{i % 97}", i)
        objs.append(g)

    def batch():
        deserialize_batch(serialize_batch(objs))
    out["batch_roundtrip_50k"] = best(batch, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

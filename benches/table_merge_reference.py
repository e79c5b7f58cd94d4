"""Times the Python reference (crdt-merge 0.8.3) on the keyed record merge.

`python benches/table_merge_reference.py ROWS` builds the same two tables as
benches/src/table_merge.rs (rows as dicts, 8 columns, key "id", half the keys
shared, every shared row with conflicts) and prints one JSON object
{"merge_dedup": seconds, "merge_no_dedup": seconds} (best of 2).
"""
import json
import sys
import time
import warnings

from crdt_merge import merge

warnings.simplefilter("ignore")


def rows(n, offset, salt):
    out = []
    for i in range(offset, offset + n):
        out.append({
            "id": i,
            "name": f"name{i % 5000}",
            "qty": (i * 7 + salt) % 1000,
            "price": (i % 997) / 4.0 + salt,
            "city": f"city{(i + salt) % 300}",
            "active": (i + salt) % 3 == 0,
            "score": (i * 13) % 101,
            "note": f"n{(i * 31 + salt) % 10007}",
        })
    return out


def best(fn, reps=2):
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
a = rows(n, 0, 0)
b = rows(n, n // 2, 1)
print(json.dumps({
    "merge_dedup": best(lambda: merge(a, b, key="id")),
    "merge_no_dedup": best(lambda: merge(a, b, key="id", dedup=False)),
}))

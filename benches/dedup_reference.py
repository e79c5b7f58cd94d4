#!/usr/bin/env python3
"""Time the reference's fuzzy dedup_list on the first N texts of a JSON list.

    dedup_reference.py TEXTS.json N THRESHOLD

Prints the seconds on line 1 and the duplicate indices (comma-separated) on
line 2. Used by `dedup-vs-reference` (benches/src/dedup.rs).
"""
import json
import sys
import time

from crdt_merge.dedup import dedup_list

texts = json.load(open(sys.argv[1]))[: int(sys.argv[2])]
th = float(sys.argv[3])
t = time.perf_counter()
_, dups = dedup_list(texts, method="fuzzy", threshold=th)
secs = time.perf_counter() - t
print(secs)
print(",".join(map(str, dups)))

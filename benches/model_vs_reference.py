"""Times the Python reference (crdt-merge 0.8.3 with numpy, its "model"
extra) on the model-merge workloads of benches/src/model.rs, which calls
this script and prints both side by side. Prints {workload: seconds}, best
of N repetitions. Needs a Python with numpy and the reference importable
(see core/tests/model_gen.py).
"""
import json
import sys
import time

import numpy as np

from crdt_merge.model.strategies import get_strategy
from crdt_merge.model.crdt_state import CRDTMergeState

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


def gen(k, d, s):
    i = np.arange(d, dtype=np.uint64)
    return [((((i + 1) * np.uint64(2654435761)) ^ np.uint64(s + j * 977)) % np.uint64(2001)).astype(np.float32) / 1000.0 - 1.0
            for j in range(k)]


out = {}
d = n(1_000_000)
models = gen(4, d, 1)
base = gen(1, d, 99)[0]
for name, kw, reps in [("weight_average", {}, 3), ("slerp", {}, 3), ("ties", {}, 1), ("dare", {"drop_rate": 0.9}, 1)]:
    s = get_strategy(name)
    b = base if name in CRDTMergeState.BASE_REQUIRED else None
    out[f"{name} 4 x {d}"] = best(lambda: s.merge(models, weights=[1, 2, 3, 4], base=b, **kw), reps)
side = n(256)
mats = [m[: side * side].reshape(side, side) for m in models]
bm = base[: side * side].reshape(side, side)
s = get_strategy("star")
out[f"star 4 x {side}x{side}"] = best(lambda: s.merge(mats, base=bm), 1)
dl = n(100_000)
s = get_strategy("led_merge")
out[f"led_merge 4 x {dl}"] = best(lambda: s.merge([m[:dl] for m in models]), 1)


def state_work():
    states = []
    for r in range(2):
        st = CRDTMergeState("weight_average")
        for j in range(4):
            st.add(models[j][:dl], model_id=f"r{r}m{j}", weight=1.0 + j)
        states.append(st)
    return CRDTMergeState.merge_many(states).resolve()


out[f"state add+merge+resolve 8 x {dl}"] = best(state_work, 1)
print(json.dumps(out))

"""Times mergekit (0.1.5, torch CPU) on the mergekit-method workloads.

Prints one JSON object {method: seconds}: one tensor of ROWS x 1024 float32
values (ROWS = 1024 * SCALE), a base and 3 models (slerp/nearswap: 1 model,
nuslerp: 2), the parameters below; best of 3 runs after one warm-up. The
Rust binary `vs_mergekit` (benches/src/bin/vs_mergekit.rs) runs the same
workloads on crdt-merge-core and calls this script in the same run.

    /work/venvs/mergekit/bin/python benches/mergekit_bench.py [SCALE]
"""
import json
import sys
import time

import torch
from mergekit.merge_methods.api import merge_tensors

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
ROWS = max(1, int(1024 * SCALE))

W3 = [0.5, 0.3, 0.2]
D3 = [0.5, 0.6, 0.7]
WORK = [
    # (name, models, uses base, params)
    ("linear", 3, False, {"weight": W3}),
    ("slerp", 1, True, {"t": 0.3}),
    ("nuslerp", 2, False, {"weight": [0.4, 0.6]}),
    ("multislerp", 3, True, {"weight": W3}),
    ("karcher", 3, False, {}),
    ("task_arithmetic", 3, True, {"weight": W3}),
    ("ties", 3, True, {"weight": W3, "density": D3}),
    ("dare_ties", 3, True, {"weight": W3, "density": D3}),
    ("breadcrumbs", 3, True, {"weight": W3, "density": D3}),
    ("della", 3, True, {"weight": W3, "density": D3, "epsilon": [0.1, 0.1, 0.1]}),
    ("model_stock", 3, True, {}),
    ("sce", 3, True, {"select_topk": 0.5}),
    ("nearswap", 1, True, {"t": 0.01}),
    ("ram", 3, True, {}),
]


def main():
    g = torch.Generator().manual_seed(0)
    base = torch.randn(ROWS, 1024, generator=g)
    models = [base + 0.1 * torch.randn(ROWS, 1024, generator=g) for _ in range(3)]
    out = {"torch_threads": torch.get_num_threads()}
    for name, k, use_base, params in WORK:
        tensors = ([base] if use_base else []) + models[:k]
        kw = {}
        for key, v in params.items():
            if isinstance(v, list):
                v = v[:k]  # one value per model (base excluded)
            kw[key] = v
        fn = lambda: merge_tensors(tensors, name, parameters=kw, base_index=0 if use_base else None)
        fn()
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        out[name] = best
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Write core/tests/fixtures/mergekit_cases.json: real mergekit (0.1.5,
venv /work/venvs/mergekit) run on tiny random models saved as safetensors.

Run:  /work/venvs/mergekit/bin/python core/tests/mergekit_gen.py

Each case names a mergekit method, its global and per-model parameters,
and for every tensor the base (or null), the models and mergekit's output,
all float32 values written exactly (as doubles). The Rust test
`model_mergekit_golden.rs` replays them through `mergekit_methods()`.
"""

import json
import os
import tempfile

import torch
from safetensors.torch import load_file, save_file
from mergekit.merge_methods.api import merge_state_dicts

SHAPES = {"layer.weight": (4, 6), "layer.bias": (5,), "conv.weight": (2, 3, 4)}
DEFAULTS = {"density": 1.0, "gamma": 0.01, "epsilon": 0.15}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mergekit_cases.json")


def models(seed, k, kind="randn", shapes=SHAPES):
    """A base and k models; `kind` shapes how models relate to the base."""
    g = torch.Generator().manual_seed(seed)
    base = {n: torch.randn(s, generator=g) for n, s in shapes.items()}
    ms = []
    for i in range(k):
        m = {}
        for n, s in shapes.items():
            noise = torch.randn(s, generator=g)
            if kind == "randn":
                m[n] = torch.randn(s, generator=g)
            elif kind == "near":  # task vectors of modest size
                m[n] = base[n] + 0.3 * noise
            elif kind == "sparse":  # about half the entries unchanged
                keep = (torch.rand(s, generator=g) > 0.5).float()
                m[n] = base[n] + noise * keep
            elif kind == "colinear":  # almost a multiple of the base
                m[n] = base[n] * (1.5 + i) + 1e-5 * noise
            else:
                raise ValueError(kind)
        ms.append(m)
    return base, ms


# Edge cases on other shapes: a tensor past numpy/torch's small-size paths
# and a single element.
BIG = {"big.weight": (64, 48), "one": (1,)}
EDGE_CASES = [
    ("ties_big", "ties", True, 3, "near", {}, [{"weight": 0.5, "density": 0.2}, {"weight": 0.3, "density": 0.5}, {"weight": 0.9, "density": 0.05}]),
    ("ties_density0", "ties", True, 2, "near", {}, [{"weight": 0.5, "density": 0.0}, {"weight": 0.3, "density": 0.5}]),
    ("breadcrumbs_big", "breadcrumbs_ties", True, 3, "near", {"rescale": True}, [{"weight": 0.5, "density": 0.3, "gamma": 0.1}, {"weight": 0.3, "density": 0.9, "gamma": 0.2}, {"weight": 0.9, "density": 0.1}]),
    ("ta_zero_weights", "task_arithmetic", True, 2, "near", {"normalize": True}, [{"weight": 1.0}, {"weight": -1.0}]),
    ("sce_big", "sce", True, 3, "near", {"select_topk": 0.1}, [{}, {}, {}]),
    ("sce_topk0", "sce", True, 2, "near", {"select_topk": 0.0}, [{}, {}]),
    ("nuslerp_zero_sum", "nuslerp", True, 2, "near", {}, [{"weight": 1.0}, {"weight": -1.0}]),
    ("slerp_big", "slerp", True, 1, "near", {"t": 0.65}, [{}]),
    ("karcher_big", "karcher", False, 4, "near", {"tol": 1e-6, "max_iter": 20}, [{}, {}, {}, {}]),
    ("model_stock_big", "model_stock", True, 4, "near", {"filter_wise": True}, [{}, {}, {}, {}]),
    ("ram_eps", "ram", True, 3, "sparse", {"epsilon": 0.5}, [{}, {}, {}]),
    ("dare_linear_big_d1", "dare_linear", True, 3, "near", {"lambda": 0.5}, [{"weight": 0.2}, {"weight": 0.3}, {"weight": 0.5}]),
]


def through_files(tmp, sd, name):
    path = os.path.join(tmp, name + ".safetensors")
    save_file({k: v.contiguous() for k, v in sd.items()}, path)
    return load_file(path)


def flat(t):
    return [float(x) for x in t.reshape(-1).tolist()]


CASES = [
    # (label, method, use_base, k, kind, params, per-model params)
    ("linear_norm", "linear", False, 3, "randn", {}, [{"weight": 0.2}, {"weight": 0.5}, {"weight": 0.3}]),
    ("linear_raw", "linear", False, 3, "randn", {"normalize": False}, [{"weight": 1.0}, {"weight": 2.0}, {"weight": -0.5}]),
    ("passthrough", "passthrough", False, 1, "randn", {}, [{}]),
    ("passthrough_scale", "passthrough", False, 1, "randn", {}, [{"scale": 0.5}]),
    ("slerp_03", "slerp", True, 1, "randn", {"t": 0.3}, [{}]),
    ("slerp_08", "slerp", True, 1, "near", {"t": 0.8}, [{}]),
    ("slerp_colinear", "slerp", True, 1, "colinear", {"t": 0.4}, [{}]),
    ("nuslerp_flat", "nuslerp", False, 2, "randn", {}, [{"weight": 0.4}, {"weight": 0.6}]),
    ("nuslerp_base", "nuslerp", True, 2, "near", {}, [{"weight": 1.0}, {"weight": 3.0}]),
    ("nuslerp_rows", "nuslerp", False, 2, "randn", {"nuslerp_flatten": False}, [{"weight": 0.7}, {"weight": 0.3}]),
    ("nuslerp_cols_base", "nuslerp", True, 2, "near", {"nuslerp_flatten": False, "nuslerp_row_wise": True}, [{"weight": 0.5}, {"weight": 0.5}]),
    ("multislerp", "multislerp", False, 3, "randn", {}, [{"weight": 0.2}, {"weight": 0.5}, {"weight": 0.3}]),
    ("multislerp_base", "multislerp", True, 3, "near", {}, [{"weight": 1.0}, {"weight": 2.0}, {"weight": 1.0}]),
    ("multislerp_raw", "multislerp", True, 2, "near", {"normalize_weights": False}, [{"weight": 0.3}, {"weight": 0.6}]),
    ("karcher3", "karcher", False, 3, "randn", {}, [{}, {}, {}]),
    ("karcher2_iter", "karcher", False, 2, "near", {"max_iter": 5}, [{}, {}]),
    ("task_arithmetic", "task_arithmetic", True, 3, "near", {"lambda": 0.8}, [{"weight": 0.5}, {"weight": 0.3}, {"weight": 0.9}]),
    ("task_arithmetic_norm", "task_arithmetic", True, 2, "near", {"normalize": True}, [{"weight": 0.5}, {"weight": 1.5}]),
    ("ties", "ties", True, 3, "near", {}, [{"weight": 0.5, "density": 0.5}, {"weight": 0.3, "density": 0.7}, {"weight": 0.9, "density": 0.3}]),
    ("ties_raw_int8", "ties", True, 3, "near", {"normalize": False, "int8_mask": True, "lambda": 1.2}, [{"weight": 1.0, "density": 0.4}, {"weight": -0.5, "density": 0.9}, {"weight": 0.7}]),
    ("ties_rescale", "ties", True, 2, "near", {"rescale": True}, [{"weight": 0.6, "density": 0.25}, {"weight": 0.4, "density": 0.6}]),
    ("dare_ties_d1", "dare_ties", True, 3, "near", {}, [{"weight": 0.5}, {"weight": 0.3, "density": 1.0}, {"weight": 0.9}]),
    ("dare_linear_d1", "dare_linear", True, 2, "near", {"normalize": True}, [{"weight": 0.5}, {"weight": 0.3}]),
    ("della_d1", "della", True, 3, "near", {}, [{"weight": 0.5}, {"weight": 0.3}, {"weight": 0.9}]),
    ("della_linear_d1", "della_linear", True, 2, "near", {"lambda": 0.7}, [{"weight": 0.5}, {"weight": 0.8}]),
    ("breadcrumbs", "breadcrumbs", True, 3, "near", {}, [{"weight": 0.5, "density": 0.6, "gamma": 0.1}, {"weight": 0.3, "density": 0.8}, {"weight": 0.9, "density": 0.5, "gamma": 0.2}]),
    ("breadcrumbs_ties", "breadcrumbs_ties", True, 3, "near", {"rescale": True, "normalize": True}, [{"weight": 0.5, "density": 0.5, "gamma": 0.05}, {"weight": 0.3, "density": 0.7}, {"weight": 0.9, "density": 0.4, "gamma": 0.1}]),
    ("model_stock", "model_stock", True, 3, "near", {}, [{}, {}, {}]),
    ("model_stock_filter", "model_stock", True, 2, "near", {"filter_wise": True}, [{}, {}]),
    ("sce", "sce", True, 3, "near", {}, [{}, {}, {}]),
    ("sce_topk", "sce", True, 3, "near", {"select_topk": 0.5}, [{}, {}, {}]),
    ("nearswap", "nearswap", True, 1, "near", {"t": 0.2}, [{}]),
    ("nearswap_small", "nearswap", True, 1, "near", {"t": 0.01}, [{}]),
    ("ram", "ram", True, 3, "sparse", {}, [{}, {}, {}]),
    ("ramplus_tl", "ramplus_tl", True, 3, "sparse", {"r": 0.3, "alpha": 0.5}, [{}, {}, {}]),
]


def main():
    torch.manual_seed(0)
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        all_cases = [c + (SHAPES,) for c in CASES] + [c + (BIG,) for c in EDGE_CASES]
        for n, (label, method, use_base, k, kind, params, mparams, shapes) in enumerate(all_cases):
            base, ms = models(1000 + n, k, kind, shapes)
            base = through_files(tmp, base, f"{label}_base")
            ms = [through_files(tmp, m, f"{label}_m{i}") for i, m in enumerate(ms)]
            ids = [f"m{i}" for i in range(k)]
            inputs = dict(zip(ids, ms))
            if use_base:
                inputs = {"base": base, **inputs}
            kw = dict(params)
            for key in sorted({key for mp in mparams for key in mp}):
                # mergekit wants a value for every input once a key is given;
                # missing ones get mergekit's default (the Rust side applies
                # its own defaults, which this checks).
                kw[key] = {ids[i]: mp[key] if key in mp else DEFAULTS[key] for i, mp in enumerate(mparams)}
            out = merge_state_dicts(inputs, method, parameters=kw, base="base" if use_base else None)
            tensors = []
            for name, shape in shapes.items():
                tensors.append({
                    "name": name,
                    "shape": list(shape),
                    "base": flat(base[name]) if use_base else None,
                    "models": [flat(m[name]) for m in ms],
                    "expected": flat(out[name].to(torch.float32)),
                })
            cases.append({"label": label, "method": method, "params": params, "model_params": mparams, "tensors": tensors})
    with open(OUT, "w") as f:
        json.dump({"mergekit": "0.1.5", "torch": torch.__version__.split("+")[0], "cases": cases}, f)
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()

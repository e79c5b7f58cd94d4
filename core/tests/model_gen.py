"""Write core/tests/fixtures/model_strategies.json and model_states.json
from the reference (crdt-merge 0.8.3).

The model layer of the reference needs its "model" extra (numpy), which
the conformance venv lacks, so run it from a venv with numpy and the
reference on the path:

    python3 -m venv /tmp/refnp && /tmp/refnp/bin/pip install numpy
    PYTHONHASHSEED=0 PYTHONPATH=/work/main/conformance/.venv/lib/python3.11/site-packages \
        /tmp/refnp/bin/python core/tests/model_gen.py

model_strategies.json: every deterministic strategy of the reference on
small fixed tensors (f32-representable inputs) with several parameter sets;
`expected` is the reference's float64 output.
model_states.json: CRDTMergeState.to_dict() documents built by the
reference, with the reference's resolve() result where deterministic.
"""
import json
import os

import numpy as np

from crdt_merge.model.strategies import get_strategy
from crdt_merge.model.crdt_state import CRDTMergeState

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


rs = np.random.RandomState(1234)


def gen(shape, scale=1.0):
    return f32(rs.standard_normal(shape) * scale)


SHAPES = [(7,), (4, 3), (3, 5), (1, 6), (2, 2, 3)]

DETERMINISTIC = {
    "weight_average": [{}],
    "linear": [{}, {"t": 0.3}],
    "slerp": [{}, {"t": 0.25}],
    "task_arithmetic": [{}, {"scaling_coefficients": "per-model"}],
    "ties": [{}, {"density": 0.5}, {"density": 0.7, "majority_sign_method": "magnitude"}],
    "model_breadcrumbs": [{}, {"sparsity": 0.5}],
    "emr": [{}, {"elect_ratio": 0.6}],
    "star": [{}, {"rank_fraction": 0.34}, {"rescale_method": "none"}],
    "svd_knot_tying": [{"alignment_method": "none"}, {"alignment_method": "none", "rank": 1}],
    "adarank": [{}, {"target_rank": 1}],
    "fisher_merge": [{}],
    "regression_mean": [{}, {"regularization": 0.5}],
    "ada_merging": [{}, {"steps": 10, "learning_rate": 0.1}],
    "dam": [{}, {"steps": 7, "learning_rate": 0.2}],
    "negative_merge": [{}, {"scaling": 0.5, "models_to_negate": [1]}],
    "split_unlearn_merge": [{}, {"target_fraction": 0.3}],
    "weight_scope_alignment": [{}, {"scope_method": "minmax"}, {"scope_method": "l2", "target_distribution": "first"}],
    "representation_surgery": [{}, {"correction_method": "rescale"}, {"correction_method": "whiten"}],
    "safe_merge": [{}, {"safety_threshold": 0.3}],
    "led_merge": [{}],
    "dual_projection": [{}, {"stability_weight": 0.2, "rank_fraction": 1.0}],
}
BASE = set(CRDTMergeState.BASE_REQUIRED)

cases = []
for method, psets in DETERMINISTIC.items():
    strat = get_strategy(method)
    for shape in SHAPES:
        for k in (2, 3):
            for pi, params in enumerate(psets):
                base = gen(shape)
                models = [base + gen(shape, 0.5) for _ in range(k)]
                models = [f32(m) for m in models]
                weights = [float(x) for x in f32(rs.uniform(0.2, 2.0, k))]
                kwargs = dict(params)
                if kwargs.get("scaling_coefficients") == "per-model":
                    kwargs["scaling_coefficients"] = [0.5 + 0.25 * i for i in range(k)]
                use_base = method in BASE
                try:
                    out = strat.merge(models, weights=weights, base=base if use_base else None, **kwargs)
                except Exception as e:  # noqa: BLE001
                    print("skip", method, shape, e)
                    continue
                out = np.asarray(out, dtype=np.float64)
                cases.append({
                    "method": method,
                    "shape": list(shape),
                    "base": base.ravel().tolist() if use_base else None,
                    "models": [m.ravel().tolist() for m in models],
                    "weights": weights,
                    "params": kwargs,
                    "expected": out.ravel().tolist(),
                })

with open(os.path.join(OUT, "model_strategies.json"), "w") as f:
    json.dump({"cases": cases}, f)
print(len(cases), "strategy cases")

# CRDTMergeState documents.
states = []
for method in ["weight_average", "ties", "slerp", "fisher_merge", "dual_projection", "dare"]:
    base = gen((2, 3))
    s = CRDTMergeState(method, base=base, seed=7)
    for i in range(3):
        s.add(base + gen((2, 3), 0.5), model_id=f"m{i}", weight=[1.0, 0.5, 2][i], version=1 + i % 2)
    s.add(base + gen((2, 3), 0.5), model_id="gone", weight=1.0)
    s.remove("gone")
    d = s.to_dict()
    entry = {"state": d}
    if method not in CRDTMergeState.STOCHASTIC:
        entry["resolved"] = np.asarray(s.resolve(), dtype=np.float64).ravel().tolist()
    states.append(entry)
# Hash vectors: model_id, tensor, weight, version -> merkle hash.
from crdt_merge.model.crdt_state import MergeContribution
hashes = []
for mid, t, w, v in [("a", [1.0, 2.0], 1.0, 1), ("node-b", [[0.5, -1.25], [3.0, 4.0]], 0.5, 3),
                     ("x", [0.1], 2, 1), ("", [], 1.0, 1)]:
    c = MergeContribution(mid, t, weight=w, version=v, timestamp=1.0)
    hashes.append({"model_id": mid, "tensor": t, "weight": w, "version": v, "merkle_hash": c.merkle_hash})
with open(os.path.join(OUT, "model_states.json"), "w") as f:
    json.dump({"states": states, "hashes": hashes}, f)
print(len(states), "states")

# Our documents (written by `cargo test --test model_state -- --ignored
# write_our_states`) decoded and resolved by the reference.
ours_path = os.path.join(OUT, "model_states_ours.json")
if os.path.exists(ours_path):
    checked = []
    for d in json.load(open(ours_path)):
        s = CRDTMergeState.from_dict(d)
        checked.append({
            "strategy": s.strategy_name,
            "model_ids": s.model_ids,
            "hashes": [s.get_contribution(m).merkle_hash for m in s.model_ids],
            "resolved": np.asarray(s.resolve(), dtype=np.float64).ravel().tolist(),
        })
    with open(os.path.join(OUT, "model_states_ours_checked.json"), "w") as f:
        json.dump(checked, f)
    print(len(checked), "of our states checked by the reference")

# ContinualMerge: classic (with memory decay) and CRDT exports, stability.
from crdt_merge.model.continual import ContinualMerge

cont = []
for strategy, budget, conv in [("weight_average", 1.0, None), ("weight_average", 0.5, None),
                               ("weight_average", 1.0, "crdt"), ("dual_projection", 1.0, "crdt"),
                               ("led_merge", 0.7, "crdt")]:
    base = {"a": gen((2, 3)).tolist(), "b": gen((4,)).tolist()}
    steps = []
    cm = ContinualMerge(base, strategy=strategy, memory_budget=budget, convergence=conv)
    for i in range(3):
        m = {k: (np.asarray(v) + gen(np.asarray(v).shape, 0.3)).tolist() for k, v in base.items()}
        name = ["x", "y", "x"][i]
        replace = "y" if i == 2 else None
        w = [1.0, 2.0, 0.5][i]
        cm.absorb(m, weight=w, name=name, replace=replace)
        steps.append({"model": m, "weight": w, "name": name, "replace": replace})
    exp = cm.export()
    cont.append({
        "strategy": strategy, "memory_budget": budget, "crdt": conv == "crdt", "base": base,
        "steps": steps,
        "export": {k: np.asarray(v, dtype=np.float64).ravel().tolist() for k, v in exp.items()},
        "names": list(cm._order),
        "stability_x": cm.measure_stability("x").retention,
    })
with open(os.path.join(OUT, "model_continual.json"), "w") as f:
    json.dump(cont, f)
print(len(cont), "continual cases")

"""Write core/tests/fixtures/model_extras.json from the reference
(crdt-merge 0.8.3): LoRA merges, federated rounds, safety reports and
provenance summaries on small random inputs.

The reference's model layer needs numpy (its "model" extra), which the
conformance venv lacks; run it from a venv with numpy (the mergekit venv
has it) with the reference on the path:

    PYTHONHASHSEED=0 PYTHONPATH=/work/main/conformance/.venv/lib/python3.11/site-packages \
        /work/venvs/mergekit/bin/python core/tests/model_extras_gen.py
"""

import json
import os
import random

import numpy as np

from crdt_merge.model.federated import FederatedMerge
from crdt_merge.model.lora import LoRAMerge, LoRAMergeSchema
from crdt_merge.model.provenance import ProvenanceTracker, export_provenance
from crdt_merge.model.safety import SafetyAnalyzer

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "model_extras.json")
rng = random.Random(5)


def vec(n, scale=1.0, shift=0.0):
    return [round(rng.gauss(shift, scale), 6) for _ in range(n)]


def mat(r, c, scale=1.0):
    return [vec(c, scale) for _ in range(r)]


def tolist(x):
    return np.asarray(x, dtype=float).tolist()


def federated_cases():
    cases = []
    for label, strategy, mu, order, with_global in [
        ("fedavg", "fedavg", 0.01, ["a", "b", "c"], False),
        ("fedavg_unsorted", "fedavg", 0.01, ["c", "a", "b"], False),
        ("fedprox", "fedprox", 0.1, ["a", "b", "c"], True),
        ("fedprox_mu_half", "FedProx", 0.5, ["b", "a"], True),
    ]:
        subs = []
        for i, cid in enumerate(order):
            layers = {"w": vec(6), "b": vec(3)}
            if i == 1:
                layers["extra"] = vec(4)
            if i == 2:
                del layers["b"]
            subs.append({"client": cid, "samples": 50 * (i + 1) + 7, "layers": layers})
        glob = {"w": vec(6), "extra": vec(4)} if with_global else None
        fm = FederatedMerge(strategy=strategy, mu=mu)
        for s in subs:
            fm.submit(s["client"], s["layers"], num_samples=s["samples"])
        r = fm.aggregate(global_model=glob)
        cases.append({
            "label": label, "strategy": strategy, "mu": mu, "submissions": subs, "global": glob,
            "model": {k: tolist(v) for k, v in r.model.items()},
            "contributions": r.client_contributions, "num_clients": r.num_clients,
            "total_samples": r.total_samples, "strategy_used": r.strategy_used,
        })
    return cases


def safety_cases():
    cases = []
    for label, shifts in [
        ("low", [0.0, 0.05, -0.05]),
        ("moderate", [0.0, 0.5, -0.3]),
        ("high", [0.0, 1.2, -0.4]),
        ("very_high", [0.0, 3.0, -2.0]),
    ]:
        models = []
        for i, s in enumerate(shifts):
            m = {"embed": vec(8, 0.1, s), "attn": vec(6, 0.1, s * (i % 2)), "head": vec(4, 0.1)}
            if i == 2:
                m["only_last"] = vec(3)
            models.append(m)
        a = SafetyAnalyzer()
        rep = a.safety_report(models)
        cases.append({
            "label": label, "models": models,
            "safety_layers": rep.safety_layers, "layer_variance": rep.layer_variance,
            "risk_score": rep.risk_score,
            "detect_005": a.detect_safety_layers(models, threshold=0.05),
        })
    return cases


def provenance_cases():
    cases = []
    for label, layers in [
        ("three_layers", [
            ("a.weight", [vec(6), vec(6, 1.0, 0.5)], [0.3, 0.7], "weight_average"),
            ("b.bias", [vec(4), vec(4), vec(4)], None, "ties"),
            ("c.weight", [vec(5, 0.01, 1.0), vec(5, 0.01, 1.0)], [2.0, 1.0], "slerp"),
        ]),
        ("ties_in_dominance", [
            ("l0", [vec(3), vec(3)], [0.6, 0.4], "linear"),
            ("l1", [vec(3), vec(3)], [0.2, 0.8], "linear"),
            ("l2", [vec(3), vec(3, 5.0)], None, "linear"),
            ("l3", [[1.0, 2.0], [1.0, 2.0, 3.0]], [1.0, 1.0], "linear"),
        ]),
    ]:
        t = ProvenanceTracker()
        for name, tensors, w, strat in layers:
            t.track_merge(name, tensors, w, strat)
        s = t.summary()
        cases.append({
            "label": label,
            "layers": [{"name": n, "tensors": ts, "weights": w, "strategy": st} for n, ts, w, st in layers],
            "overall_conflict": s.overall_conflict, "dominant_model": s.dominant_model,
            "ranking": s.layer_conflict_ranking,
            "per_layer": {n: {"dominant_source": lp.dominant_source,
                              "contribution": [lp.contribution_map[i] for i in sorted(lp.contribution_map)],
                              "conflict_score": lp.conflict_score}
                          for n, lp in s.per_layer.items()},
            "json": export_provenance(s, "json"), "csv": export_provenance(s, "csv"),
        })
    return cases


def lora_cases():
    cases = []
    base_adapters = []
    for rank in (2, 4, 3):
        base_adapters.append({
            "q_proj": {"lora_A": mat(rank, 5), "lora_B": mat(6, rank)},
            "v_proj": {"lora_A": mat(rank, 5, 0.5), "lora_B": mat(6, rank, 0.5)},
        })
    base_adapters[1]["k_proj"] = {"lora_A": mat(2, 5), "lora_B": mat(6, 2)}
    base_model = {"q_proj.weight": mat(6, 5), "v_proj": mat(6, 5), "other": mat(2, 2)}
    for label, schema, weights, rank_strategy in [
        ("max_uniform", {"default": "weight_average"}, None, "max"),
        ("min_weighted", {"default": "weight_average"}, [0.2, 0.5, 0.3], "min"),
        ("mean_linear", {"q_proj": "linear", "default": "weight_average"}, [1.0, 2.0, 1.0], "mean"),
        ("adaptive", {"default": "weight_average"}, [0.1, 0.1, 0.8], "adaptive"),
        ("adaptive_uniform", {"v_": "linear", "default": "weight_average"}, None, "adaptive"),
    ]:
        lm = LoRAMerge(LoRAMergeSchema(schema))
        merged, prov = lm.merge_adapters_with_provenance(base_adapters, weights=weights, rank_strategy=rank_strategy)
        applied = lm.apply_to_base(merged, base_model)
        cases.append({
            "label": label, "schema": [[k, v] for k, v in schema.items()], "weights": weights,
            "rank_strategy": rank_strategy,
            "merged": {m: {"lora_A": tolist(p["lora_A"]), "lora_B": tolist(p["lora_B"])} for m, p in merged.items()},
            "provenance": {m: {"strategy": p["strategy"], "dominant_source": p["dominant_source"],
                               "sources": p.get("sources", [0])} for m, p in prov.items()},
            "applied": {k: tolist(v) for k, v in applied.items()},
        })
    return {"adapters": base_adapters, "base_model": base_model, "cases": cases}


def main():
    data = {
        "federated": federated_cases(),
        "safety": safety_cases(),
        "provenance": provenance_cases(),
        "lora": lora_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()

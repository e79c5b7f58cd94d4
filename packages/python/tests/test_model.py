"""Model weights from Python: tensors as numpy arrays (bytes across), the
strategies agree with their formulas, CRDTMergeState reads the reference's
documents (written by core/tests/model_gen.py) and resolves as it does, in
any merge order."""
import itertools
import json

import numpy as np
import pytest

import crdt_merge_rs as cm
from conftest import ROOT


def test_registries():
    ref = cm.merge_methods("reference")
    assert len(ref) == 26 and "ties" in ref and "dual_projection" in ref
    mk = cm.merge_methods("mergekit")
    assert {"linear", "slerp", "ties", "dare_ties", "model_stock", "passthrough"} <= set(mk)


def test_weight_average_and_mergekit_linear_formulas():
    rng = np.random.default_rng(1)
    ts = [rng.standard_normal((4, 5)).astype(np.float32) for _ in range(3)]
    out = cm.merge_tensors("weight_average", ts, weights=[1.0, 2.0, 3.0])
    want = (ts[0] * 1 + ts[1] * 2 + ts[2] * 3) / 6
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    out = cm.merge_tensors("linear", ts, family="mergekit", weights=[0.2, 0.3, 0.5], normalize=True)
    np.testing.assert_allclose(out, 0.2 * ts[0] + 0.3 * ts[1] + 0.5 * ts[2], rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32 and out.shape == (4, 5)


def test_randomized_methods_are_deterministic():
    rng = np.random.default_rng(2)
    base = rng.standard_normal(100).astype(np.float32)
    ts = [base + rng.standard_normal(100).astype(np.float32) for _ in range(2)]
    a = cm.merge_tensors("dare_ties", ts, base=base, family="mergekit", weights=[1, 1],
                         model_params=[{"density": 0.5}, {"density": 0.5}], seed=9)
    b = cm.merge_tensors("dare_ties", ts, base=base, family="mergekit", weights=[1, 1],
                         model_params=[{"density": 0.5}, {"density": 0.5}], seed=9)
    assert a.tobytes() == b.tobytes()


def test_errors_are_typed():
    with pytest.raises(cm.ArgumentError, match="unknown merge method"):
        cm.merge_tensors("nope", [np.zeros(3)])
    with pytest.raises(cm.ArgumentError, match="non-finite|NaN"):
        cm.merge_tensors("ties", [np.array([np.nan, 1, 2]), np.zeros(3)], base=np.zeros(3), family="mergekit")
    with pytest.raises(ValueError, match="shape"):
        cm.merge_tensors("weight_average", [np.zeros(3), np.zeros(4)])


def reference_states():
    d = json.loads((ROOT / "core/tests/fixtures/model_states.json").read_text())
    # randomized strategies (no "resolved": our Philox draws differ by design) are left to the Rust tests
    return [s for s in d["states"] if "resolved" in s]


@pytest.mark.parametrize("i", range(len(reference_states())))
def test_reference_documents_resolve_as_the_reference(i):
    case = reference_states()[i]
    s = cm.CRDTMergeState.from_dict(case["state"])
    want = case["resolved"]
    if isinstance(want, str):
        want = json.loads(want)
    np.testing.assert_allclose(s.resolve().ravel(), np.asarray(want, dtype=float).ravel(), rtol=1e-5, atol=1e-6)
    assert cm.CRDTMergeState.from_dict(s.to_dict()) == s
    assert cm.CRDTMergeState.from_bytes(s.to_bytes()) == s


def test_merge_order_never_changes_the_result():
    rng = np.random.default_rng(3)
    states = []
    for i in range(3):
        s = cm.CRDTMergeState("weight_average")
        s.add(rng.standard_normal((2, 3)), model_id=f"m{i}", weight=1.0 + i)
        states.append(s)
    states[1].remove("m0")
    results = set()
    for perm in itertools.permutations(states):
        m = cm.CRDTMergeState.merge_many(list(perm))
        m2 = m.merge(m)
        results.add(m.resolve().tobytes())
        assert m2 == m
    assert len(results) == 1
    s = cm.CRDTMergeState("weight_average")
    s.add(np.ones(3))
    assert s.model_ids[0].startswith("auto_") or len(s.model_ids[0]) > 0

"""The Python surface: names and signatures mirror the reference, errors carry
codes, bad input never crashes."""
import inspect
import json
import random
import subprocess

import pytest

import crdt_merge_rs as M
from conftest import GOLDEN, load_manifest

MIRRORED = {
    "GCounter": ["__init__", "increment", "merge", "to_dict", "from_dict"],
    "PNCounter": ["__init__", "increment", "decrement", "merge", "to_dict", "from_dict"],
    "LWWRegister": ["__init__", "set", "merge", "to_dict", "from_dict"],
    "ORSet": ["__init__", "add", "remove", "contains", "merge", "to_dict", "from_dict"],
    "LWWMap": ["__init__", "set", "get", "delete", "merge", "to_dict", "from_dict"],
    "VectorClock": ["__init__", "get", "increment", "compare", "merge", "to_dict", "from_dict"],
    "MergeableHLL": ["__init__", "add", "add_all", "cardinality", "merge", "standard_error", "to_dict", "from_dict"],
    "MergeableBloom": ["add", "add_all", "contains", "estimated_fp_rate", "merge", "to_dict", "from_dict"],
    "MergeableCMS": ["__init__", "add", "add_all", "estimate", "merge", "to_dict", "from_dict"],
    "AgentState": ["__init__", "add_fact", "get_fact", "list_facts", "add_tag", "remove_tag", "has_tag",
                   "increment", "decrement", "counter_value", "append_message", "merge", "to_dict", "from_dict"],
    "SharedKnowledge": ["__init__", "merge", "get_fact", "counter_value", "to_dict", "from_dict"],
    "ContextMerge": ["__init__", "merge", "merge_multi"],
    "MergeSchema": ["__init__", "strategy_for", "set_strategy", "to_dict"],
    "CRDTMergeState": ["__init__", "add", "remove", "merge", "resolve", "to_dict", "from_dict"],
}
FUNCS = ["serialize", "deserialize", "peek_type", "wire_size", "serialize_batch", "deserialize_batch",
         "merge", "merge_with_provenance", "merge_stream", "merge_sorted_stream", "merge_dicts", "merge_json_lines"]
PROPS = {"GCounter": ["value"], "PNCounter": ["value"], "LWWRegister": ["value", "timestamp"], "ORSet": ["value"],
         "LWWMap": ["value"], "VectorClock": ["value"], "AgentState": ["tags", "messages"]}

SIG_SCRIPT = r"""
import inspect, json, sys
import crdt_merge as M
spec = json.loads(sys.argv[1])
out = {}
def sig(f):
    try:
        s = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    return [[p.name, str(p.kind), repr(p.default) if p.default is not p.empty else None] for p in s.parameters.values() if p.name not in ("self", "cls")]
import importlib
for cls, meths in spec["classes"].items():
    C = getattr(M, cls, None) or getattr(importlib.import_module("crdt_merge.model.crdt_state"), cls)
    out[cls] = {m: sig(getattr(C, m)) for m in meths}
out["_funcs"] = {f: sig(getattr(M, f)) for f in spec["funcs"]}
print(json.dumps(out))
"""


def sig(f):
    s = inspect.signature(f)
    return [[p.name, str(p.kind), repr(p.default) if p.default is not p.empty else None] for p in s.parameters.values() if p.name not in ("self", "cls")]


@pytest.fixture(scope="module")
def ref_sigs(ref_python):
    p = subprocess.run([ref_python, "-c", SIG_SCRIPT, json.dumps({"classes": MIRRORED, "funcs": FUNCS})],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("cls", list(MIRRORED))
def test_method_signatures_mirror_reference(ref_sigs, cls):
    C = getattr(M, cls)
    for m in MIRRORED[cls]:
        assert sig(getattr(C, m)) == ref_sigs[cls][m], f"{cls}.{m}"


def test_function_signatures_mirror_reference(ref_sigs):
    for f in FUNCS:
        assert sig(getattr(M, f)) == ref_sigs["_funcs"][f], f


def test_value_properties_like_reference():
    for cls, props in PROPS.items():
        for p in props:
            assert isinstance(getattr(getattr(M, cls), p), property), f"{cls}.{p}"


def test_errors_carry_codes():
    with pytest.raises(M.WireError) as e:
        M.deserialize(b"")
    assert e.value.code == "truncated"
    with pytest.raises(M.WireError) as e:
        M.deserialize(b"NOPE" + bytes(8))
    assert e.value.code == "bad_magic"
    with pytest.raises(M.MergeError) as e:
        M.MergeableHLL(10).merge(M.MergeableHLL(12))
    assert e.value.code == "parameter_mismatch"
    with pytest.raises(M.WireError) as e:
        M.PNCounter.from_dict({"type": "g_counter", "counts": {}})
    assert e.value.code == "shape"
    with pytest.raises(TypeError):
        M.GCounter().merge(M.PNCounter())
    with pytest.raises(ValueError):
        M.GCounter().increment("a", -1)
    with pytest.raises(TypeError):
        M.GCounter().increment("a", 1.5)
    with pytest.raises(M.ArgumentError):
        M.LWWRegister("v", float("nan"), "n")
    with pytest.raises(ValueError):
        M.ContextMerge(strategy="nope")
    with pytest.raises(M.WireError) as e:
        M.ContextMerge().merge([{"no_fact": 1}], [])
    assert e.value.code == "shape"
    with pytest.raises(TypeError):
        M.deserialize("not bytes")


def test_native_typed_decode_rejects_other_types():
    from crdt_merge_rs._native import crdt_merge_uniffi as n
    g = M.GCounter()
    g.increment("a")
    with pytest.raises(n.CrdtError) as e:
        n.PnCounter.decode(M.serialize(g))
    assert e.value.code == "wrong_type"


def test_garbage_never_crashes():
    rng = random.Random(1234)
    frames = [p.read_bytes() for p in sorted(GOLDEN.rglob("*.crdt"))]
    assert frames
    n = 0
    for _ in range(3000):
        f = bytearray(rng.choice(frames))
        op = rng.randrange(4)
        if op == 0 and f:
            f[rng.randrange(len(f))] ^= 1 << rng.randrange(8)
        elif op == 1 and f:
            del f[rng.randrange(len(f)):]
        elif op == 2:
            f[rng.randrange(len(f) + 1):rng.randrange(len(f) + 1)] = rng.randbytes(rng.randrange(1, 9))
        else:
            f = bytearray(rng.randbytes(rng.randrange(40)))
        try:
            obj = M.deserialize(bytes(f))
            if hasattr(obj, "to_view"):
                obj.to_view()
            M.serialize(obj)
            n += 1
        except M.CrdtError:
            pass
        try:
            M.deserialize_batch(bytes(f))
        except M.CrdtError:
            pass
    assert n > 0


def test_values_cross_as_view_json():
    v = {"b": b"\x00\x01", "s": {1, 2}, "f": float("inf"), "m": {1: "x"}, "t": [1, 2.0, None, True]}
    r = M.LWWRegister(v, 1.0, "n")
    assert r.value == v
    assert M.deserialize(M.serialize(r)).value == v
    assert M.from_view_json(M.to_view_json(v)) == v

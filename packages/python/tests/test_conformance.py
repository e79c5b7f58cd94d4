"""Every case of conformance/manifest.json, through the Python API."""
import json
import struct

import pytest

import crdt_merge_rs as cm
from conftest import GOLDEN, load_manifest

CASES = load_manifest()


def by_kind(kind):
    return [pytest.param(c, id=c["name"]) for c in CASES if c["kind"] == kind]


def read(rel):
    return (GOLDEN / rel).read_bytes()


def view(obj):
    return obj.to_view()


def load(data):
    """deserialize(), but a Frame for generic frames (which deserialize() returns as plain values)."""
    obj = cm.deserialize(data)
    if cm.peek_type(data) == "generic":
        assert isinstance(obj, (dict, list)), type(obj)
        # the plain value re-encodes to the same state (a Python set may reorder its items)
        assert view(cm.Frame.from_bytes(cm.serialize(obj))) == view(cm.Frame.from_bytes(data))
        return cm.Frame.from_bytes(data)
    return obj


def test_manifest_covers_all_kinds():
    kinds = {c["kind"] for c in CASES}
    assert kinds == {"roundtrip", "merge", "batch", "bad"}
    assert len(CASES) >= 100


@pytest.mark.parametrize("case", by_kind("roundtrip"))
def test_roundtrip(case):
    data = read(case["file"])
    assert cm.peek_type(data) == case["type"]
    ref = case.get("ref_api", {})
    if "wire_size" in ref:
        assert cm.wire_size(data) == ref["wire_size"]
    obj = load(data)
    assert view(obj) == case["view"]
    # to_dict agrees with the view up to key order
    if case["type"] in cm._CLASSES:
        assert type(obj) is cm._CLASSES[case["type"]]
    again = cm.serialize(obj, compress=case["compressed"])
    if case["bytes_exact"]:
        assert again == data
    assert view(load(again)) == case["view"]
    # the payload dict rebuilds the same state
    rebuilt = type(obj).from_dict(obj.to_dict()) if type(obj) is not cm.Frame else cm.Frame.from_dict(obj.to_dict(), case["type"])
    assert view(rebuilt) == case["view"]


@pytest.mark.parametrize("case", by_kind("merge"))
def test_merge(case):
    a, b = (load(read(p)) for p in case["inputs"])
    ab, ba = a.merge(b), b.merge(a)
    assert view(ab) == view(ba), "our merge must commute"
    assert view(ab.merge(ab)) == view(ab), "our merge must be idempotent"
    if case.get("law_safe"):
        assert view(ab) == case["view"]
        if case["bytes_exact"]:
            assert cm.serialize(ab) == read(case["expected"])
    else:
        assert case.get("deviation")
        if case.get("law") == "commutativity":
            assert case["view"] != case["view_ba"], "the reference breaks commutativity here"


@pytest.mark.parametrize("case", by_kind("batch"))
def test_batch(case):
    data = read(case["file"])
    cm.deserialize_batch(data)
    objs = []
    pos = 4
    for _ in range(struct.unpack(">I", data[:4])[0]):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        objs.append(load(data[pos + 4:pos + 4 + n]))
        pos += 4 + n
    assert [o.to_view()["type"] for o in objs] == case["frame_types"]
    assert [view(o) for o in objs] == case["view"]
    if case["bytes_exact"]:
        # re-encode each frame compressing iff it was compressed
        frames = []
        pos = 4
        for o in objs:
            (n,) = struct.unpack(">I", data[pos:pos + 4])
            frames.append(cm.serialize(o, compress=cm.wire_size(data[pos + 4:pos + 4 + n])["compressed"]))
            pos += 4 + n
        assert struct.pack(">I", len(frames)) + b"".join(struct.pack(">I", len(f)) + f for f in frames) == data
        if not case["compressed"]:
            assert cm.serialize_batch(objs) == data


@pytest.mark.parametrize("case", by_kind("bad"))
def test_bad(case):
    data = read(case["file"])
    fn = cm.deserialize_batch if case["type"] == "batch" else cm.deserialize
    with pytest.raises(cm.CrdtError) as e:
        fn(data)
    assert e.value.code in case["errors"], f"{e.value.code}: {e.value}"

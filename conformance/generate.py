#!/usr/bin/env python3
"""Generate the golden conformance corpus from the Python reference crdt-merge==0.8.3.

Run through generate.sh (it pins the reference, removes msgpack and sets
PYTHONHASHSEED=0). Writes conformance/golden/** and conformance/manifest.json.

Everything is deterministic: fixed ORSet tags (built with from_dict), fixed
timestamps, fixed seeds. Whether a golden file's bytes depend on the hash seed
is measured, not guessed: after writing, this script re-runs itself with
``--probe`` under PYTHONHASHSEED=1,2,3 and compares what the reference produces
there (see README.md, "bytes_exact").
"""

import hashlib
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
MANIFEST = os.path.join(HERE, "manifest.json")
PROBE_SEEDS = ("1", "2", "3")

import importlib.metadata as _md  # noqa: E402

assert _md.version("crdt-merge") == "0.8.3", "the reference must be crdt-merge==0.8.3"

from crdt_merge import wire  # noqa: E402
from crdt_merge.core import GCounter, PNCounter, LWWRegister, ORSet, LWWMap  # noqa: E402
from crdt_merge.delta import Delta  # noqa: E402
from crdt_merge.probabilistic import MergeableHLL, MergeableBloom, MergeableCMS  # noqa: E402
from crdt_merge.clocks import VectorClock, DottedVersionVector  # noqa: E402
from crdt_merge.merkle import MerkleTree, MerkleDiff, merkle_diff  # noqa: E402
from crdt_merge.gossip import GossipState, GossipEntry  # noqa: E402
from crdt_merge.schema_evolution import (  # noqa: E402
    SchemaChange, SchemaEvolutionResult, SchemaPolicy, evolve_schema)
from crdt_merge.mergeql import MergeAST, MergePlan, MergeQLResult  # noqa: E402
from crdt_merge.parquet import ParquetMergeMetadata  # noqa: E402
from crdt_merge.provenance import MergeDecision, MergeRecord, ProvenanceLog  # noqa: E402

assert not wire._HAS_MSGPACK, "msgpack is importable: JSON-payload types would be written as msgpack"

HEADER = struct.Struct(">4sHBBI")


# ─── canonical JSON view (wire-spec/SPEC.md section 4) ──────────────────────

def _float_key(f):
    # Same order as Rust f64::total_cmp.
    bits = struct.unpack(">q", struct.pack(">d", f))[0]
    if bits < 0:
        bits ^= 0x7FFFFFFFFFFFFFFF
    return bits


def vkey(v):
    """Sort key reproducing the core's total order on values:
    None < bool < int < float < str < bytes < list < map < set; within a kind
    natural order (str by code point, float by total_cmp, containers
    lexicographically on their canonical form)."""
    if v is None:
        return (0,)
    if isinstance(v, bool):
        return (1, v)
    if isinstance(v, int):
        return (2, v)
    if isinstance(v, float):
        return (3, _float_key(v))
    if isinstance(v, str):
        return (4, v)
    if isinstance(v, (bytes, bytearray)):
        return (5, bytes(v))
    if isinstance(v, Pairs):
        return (7, sorted((vkey(k), vkey(x)) for k, x in v))
    if isinstance(v, (list, tuple)):
        return (6, [vkey(x) for x in v])
    if isinstance(v, dict):
        return (7, sorted((vkey(k), vkey(x)) for k, x in v.items()))
    if isinstance(v, (set, frozenset)):
        return (8, sorted(vkey(x) for x in v))
    raise TypeError(type(v))


def to_view(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return {"$float": "nan"}
        if math.isinf(v):
            return {"$float": "inf" if v > 0 else "-inf"}
        return v
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, Pairs):
        items = sorted(v, key=lambda kv: vkey(kv[0]))
        return {"$map": [[to_view(k), to_view(x)] for k, x in items]}
    if isinstance(v, (list, tuple)):
        return [to_view(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return {"$set": [to_view(x) for x in sorted(v, key=vkey)]}
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: vkey(kv[0]))
        plain = all(isinstance(k, str) for k, _ in items) and not (
            len(items) == 1 and items[0][0].startswith("$"))
        if plain:
            return {k: to_view(x) for k, x in items}
        return {"$map": [[to_view(k), to_view(x)] for k, x in items]}
    raise TypeError(type(v))


def split_frame(b):
    magic, version, tag, flags, n = HEADER.unpack_from(b)
    payload = b[12:12 + n]
    if flags & 1:
        payload = zlib.decompress(payload)
    return tag, flags, payload


class Pairs(list):
    """A decoded dict whose keys Python cannot hash (e.g. a list key)."""


def decode_value(p, i=0, depth=0):
    """Independent decoder for the compact codec (wire-spec/SPEC.md section 2)."""
    assert depth < 1000
    t = p[i]
    i += 1
    if t == 0x00:
        return None, i
    if t in (0x01, 0x02):
        return t == 0x01, i
    if t == 0x09:
        return struct.unpack_from(">b", p, i)[0], i + 1
    if t == 0x03:
        return struct.unpack_from(">q", p, i)[0], i + 8
    if t == 0x04:
        return struct.unpack_from(">d", p, i)[0], i + 8
    if t in (0x05, 0x06):
        (n,) = struct.unpack_from(">I", p, i)
        i += 4
        raw = p[i:i + n]
        assert len(raw) == n
        return (raw.decode("utf-8") if t == 0x05 else bytes(raw)), i + n
    if t in (0x07, 0x0A):
        (n,) = struct.unpack_from(">I", p, i)
        i += 4
        items = []
        for _ in range(n):
            v, i = decode_value(p, i, depth + 1)
            items.append(v)
        return (items if t == 0x07 else set(items)), i
    if t == 0x08:
        (n,) = struct.unpack_from(">I", p, i)
        i += 4
        pairs = []
        for _ in range(n):
            k, i = decode_value(p, i, depth + 1)
            v, i = decode_value(p, i, depth + 1)
            pairs.append((k, v))
        try:
            d = dict(pairs)
        except TypeError:
            return Pairs(pairs), i
        assert len(d) == len(pairs), "duplicate keys"
        return d, i
    raise ValueError(f"unknown value tag {t:#x}")


def payload_value(b):
    """The value actually on the wire: the codec value, or the JSON document."""
    tag, _flags, payload = split_frame(b)
    if tag >= 0x40:
        return json.loads(payload.decode("utf-8"))
    value, end = decode_value(payload, 0)
    assert end == len(payload), "trailing bytes in a reference-written payload"
    return value


def frame_view(b):
    name = wire.peek_type(b)
    value = payload_value(b)
    if name == "or_set":
        value = dict(value)
        value["elements"] = {k: sorted(t) for k, t in value["elements"].items()}
    return {"type": name, "value": to_view(value)}


def batch_frames(b):
    (count,) = struct.unpack_from(">I", b, 0)
    off, out = 4, []
    for _ in range(count):
        (size,) = struct.unpack_from(">I", b, off)
        off += 4
        out.append(b[off:off + size])
        off += size
    assert off == len(b)
    return out


# ─── corpus builder ─────────────────────────────────────────────────────────

class Corpus:
    def __init__(self):
        self.files = {}   # relative path -> bytes
        self.cases = []
        self.names = set()

    def _add_file(self, rel, data):
        assert rel not in self.files, rel
        self.files[rel] = bytes(data)
        return rel

    def _case(self, case):
        assert case["name"] not in self.names, case["name"]
        self.names.add(case["name"])
        self.cases.append(case)
        return case

    # roundtrip: one object, one frame
    def rt(self, tname, case, obj, compress=False, note=None):
        b = wire.serialize(obj, compress=compress)
        assert wire.peek_type(b) == tname, (tname, wire.peek_type(b))
        if compress:
            assert b[7] & 1, f"{tname}/{case}: compression did not shrink the payload"
        rel = self._add_file(f"{tname}/{case}.crdt", b)
        c = {"name": f"{tname}/{case}", "kind": "roundtrip", "type": tname, "file": rel,
             "compressed": bool(b[7] & 1)}
        if note:
            c["note"] = note
        self._case(c)
        return b

    # merge: inputs are golden files, expected is the reference's merged object
    def merge(self, tname, case, a, b, law_safe=True, deviation=None, law=None, note=None):
        fa = wire.serialize(a)
        fb = wire.serialize(b) if b is not a else fa
        ra = self._add_file(f"{tname}/merge/{case}.a.crdt", fa)
        rb = ra if b is a else self._add_file(f"{tname}/merge/{case}.b.crdt", fb)
        # Merge what the files say (as a runner does), not the in-memory objects.
        da, db = wire.deserialize(fa), wire.deserialize(fb)
        ab = wire.serialize(da.merge(db))
        ba = wire.serialize(wire.deserialize(fb).merge(wire.deserialize(fa)))
        view_ab, view_ba = frame_view(ab), frame_view(ba)
        view_a = frame_view(fa)
        commutes = view_ab == view_ba
        idempotent = view_ab == view_a if b is a else True
        c = {"name": f"{tname}/merge/{case}", "kind": "merge", "type": tname,
             "inputs": [ra, rb], "expected": None, "compressed": False}
        c["expected"] = self._add_file(f"{tname}/merge/{case}.ab.crdt", ab)
        c["view"] = view_ab
        if deviation is None:
            assert law_safe, case
            assert commutes and idempotent, f"{tname}/{case}: declared law-safe but commutes={commutes} idempotent={idempotent}"
            c["law_safe"] = True
        else:
            c["law_safe"] = False
            c["deviation"] = deviation
            c["law"] = law
            c["expected_ba"] = self._add_file(f"{tname}/merge/{case}.ba.crdt", ba)
            c["view_ba"] = view_ba
            if law == "commutativity":
                assert not commutes, f"{case}: expected a.merge(b) != b.merge(a)"
            elif law == "idempotency":
                assert b is a and view_ab != view_a, f"{case}: expected a.merge(a) != a"
        if note:
            c["note"] = note
        return self._case(c)

    def batch(self, case, objs, compress=False):
        b = wire.serialize_batch(objs, compress=compress)
        rel = self._add_file(f"batch/{case}.crdtb", b)
        frames = batch_frames(b)
        self._case({"name": f"batch/{case}", "kind": "batch", "type": "batch", "file": rel,
                    "compressed": any(f[7] & 1 for f in frames),
                    "frame_types": [wire.peek_type(f) for f in frames]})

    def bad(self, case, data, errors, note=None, batch=False):
        rel = self._add_file(f"bad/{case}.{'crdtb' if batch else 'crdt'}", data)
        c = {"name": f"bad/{case}", "kind": "bad", "type": "batch" if batch else None,
             "file": rel, "errors": errors}
        if note:
            c["note"] = note
        self._case(c)


def orset(elements, element_types=None):
    d = {"type": "or_set", "elements": elements}
    if element_types:
        d["element_types"] = element_types
    return ORSet.from_dict(d)


def tag(i, salt=""):
    return hashlib.sha256(f"{salt}{i}".encode()).hexdigest()[:12]


def build():
    C = Corpus()
    T0 = 1700000000.0  # fixed base timestamp

    # ── g_counter ──
    g = GCounter(); g.increment("a", 5)
    C.rt("g_counter", "single", g)
    C.rt("g_counter", "empty", GCounter())
    g = GCounter()
    for n, v in [("node-b", 127), ("node-a", 128), ("node-c", 0), ("z\u00e9\u4e2d", 2**40), ("max", 2**63 - 1)]:
        g.increment(n, v)
    C.rt("g_counter", "boundaries", g, note="127 is a small int, 128 is int64; a zero slot is kept; insertion order is wire order")
    big = GCounter()
    for i in range(1000):
        big.increment(f"node-{(i * 7919) % 1000:04d}", (i * 31) % 300)
    C.rt("g_counter", "nodes-1000", big)
    C.rt("g_counter", "nodes-1000-z", big, compress=True)
    a = GCounter(); a.increment("x", 3); a.increment("y", 10)
    b = GCounter(); b.increment("y", 4); b.increment("z", 200)
    C.merge("g_counter", "overlap", a, b)
    C.merge("g_counter", "self", a, a)
    C.merge("g_counter", "with-empty", a, GCounter())

    # ── pn_counter ──
    p = PNCounter(); p.increment("a", 10); p.decrement("b", 3)
    C.rt("pn_counter", "basic", p)
    C.rt("pn_counter", "empty", PNCounter())
    p2 = PNCounter()
    for i in range(300):
        p2.increment(f"n{i}", i * 1000)
        p2.decrement(f"n{(i * 13) % 300}", i)
    C.rt("pn_counter", "nodes-300", p2)
    C.rt("pn_counter", "nodes-300-z", p2, compress=True)
    q = PNCounter(); q.increment("a", 7); q.increment("c", 1); q.decrement("b", 9); q.decrement("a", 2)
    C.merge("pn_counter", "overlap", p, q)
    C.merge("pn_counter", "self", p, p)

    # ── lww_register ──
    C.rt("lww_register", "str", LWWRegister("hello", T0 + 0.5, "node-a"))
    C.rt("lww_register", "none-default", LWWRegister())
    C.rt("lww_register", "int-timestamp", LWWRegister(42, 5, "n"),
         note="an int timestamp stays an int on the wire (the reference does not coerce)")
    C.rt("lww_register", "nested-value", LWWRegister({"k": [1, 2.5, None, {"x": b"\x00\xff"}]}, T0, "n\u00e9"))
    C.rt("lww_register", "long-text-z", LWWRegister("lorem ipsum " * 200, T0, "n1"), compress=True)
    C.merge("lww_register", "newer-wins", LWWRegister("old", T0, "a"), LWWRegister("new", T0 + 1, "a"))
    C.merge("lww_register", "equal-ts-node-tiebreak", LWWRegister("from-a", T0, "a"), LWWRegister("from-b", T0, "b"),
            note="equal timestamps: the higher node_id wins")
    C.merge("lww_register", "self", LWWRegister("v", T0, "a"), LWWRegister("v", T0, "a"))
    C.merge("lww_register", "equal-ts-equal-node", LWWRegister("left", T0, "n"), LWWRegister("right", T0, "n"),
            deviation="lww-equal-ts-equal-node", law="commutativity",
            note="equal timestamp and node_id, different values: the receiver (self) keeps its value")

    # ── or_set ──
    C.rt("or_set", "basic", orset({"apple": [tag(1)], "banana": [tag(2), tag(3)]}))
    C.rt("or_set", "empty", ORSet())
    C.rt("or_set", "removed", orset({"kept": [tag(4)], "gone": []}),
         note="a removed element stays with an empty tag list")
    C.rt("or_set", "non-str-elements",
         orset({"1": [tag(5)], "2.5": [tag(6)], "False": [tag(7)], "s": [tag(8)]},
               {"1": "int", "2.5": "float", "False": "bool"}),
         note="non-str elements are written as str(element) with element_types")
    big = orset({f"elem-{i:04d}": [tag(i, "big")] for i in range(1000)})
    C.rt("or_set", "elements-1000", big)
    C.rt("or_set", "elements-1000-z", big, compress=True)
    C.rt("or_set", "unicode", orset({"\u00e9t\u00e9 \"q\" \\": [tag(9)], "\U0001f600": [tag(10)]}))
    C.merge("or_set", "union", orset({"a": [tag(11)], "b": [tag(12)]}), orset({"b": [tag(13)], "c": [tag(14)]}))
    C.merge("or_set", "self", orset({"a": [tag(16), tag(17)]}), orset({"a": [tag(16), tag(17)]}))
    C.merge("or_set", "non-str", orset({"1": [tag(18)]}, {"1": "int"}), orset({"2": [tag(19)], "1": [tag(20)]}, {"2": "int", "1": "int"}))
    C.merge("or_set", "stale-resurrect", orset({"x": [], "y": [tag(22)]}), orset({"x": [tag(21)]}),
            deviation="orset-stale-resurrect", law="observed-remove",
            note="a removed x (tag observed, then removed) merged with a stale copy still holding that tag: x comes back")

    # ── lww_map ──
    m = LWWMap(); m.set("name", "alice", T0, "n1"); m.set("age", 30, T0 + 1, "n2")
    C.rt("lww_map", "basic", m)
    C.rt("lww_map", "empty", LWWMap())
    mt = LWWMap(); mt.set("a", 1, T0, "n1"); mt.set("b", 2, T0, "n1"); mt.delete("b", T0 + 5); mt.delete("never-set", T0 + 6)
    C.rt("lww_map", "tombstones", mt, note="tombstones map key -> deletion timestamp; a tombstone may exist without a register")
    mb = LWWMap()
    for i in range(500):
        mb.set(f"k{i:03d}", {"i": i, "s": "v" * (i % 7)}, T0 + i, f"node-{i % 5}")
    for i in range(0, 500, 10):
        mb.delete(f"k{i:03d}", T0 + 1000 + i)
    C.rt("lww_map", "keys-500-z", mb, compress=True)
    x = LWWMap(); x.set("a", "x1", T0, "n1"); x.set("b", "x2", T0 + 2, "n1"); x.delete("c", T0 + 3)
    y = LWWMap(); y.set("a", "y1", T0 + 1, "n2"); y.set("b", "y2", T0 + 1, "n2"); y.set("c", "y3", T0 + 1, "n2")
    C.merge("lww_map", "per-key", x, y)
    C.merge("lww_map", "self", x, x)
    e1 = LWWMap(); e1.set("k", "left", T0, "n")
    e2 = LWWMap(); e2.set("k", "right", T0, "n")
    C.merge("lww_map", "equal-ts-equal-node", e1, e2,
            deviation="lww-equal-ts-equal-node", law="commutativity",
            note="per-key LWW inherits the register tie: the receiver keeps its value")

    # ── delta ──
    C.rt("delta", "basic", Delta(added=[{"id": 1, "name": "a"}], modified=[{"id": 2, "name": "b2"}],
                                 removed=["3"], version=7, timestamp=T0 + 0.25, source_node="node-a"))
    C.rt("delta", "empty", Delta(timestamp=T0))
    rows = [{"id": i, "v": i * 1.5, "tag": f"t{i % 3}", "ok": i % 2 == 0} for i in range(400)]
    C.rt("delta", "rows-400-z", Delta(added=rows, modified=rows[:50], removed=[str(i) for i in range(400, 450)],
                                      version=123456, timestamp=T0, source_node="n"), compress=True)

    # ── generic ──
    C.rt("generic", "nested", {"a": [1, 2.5, None, True]})
    C.rt("generic", "list-top", [1, "two", [3, [4]], {}, []])
    C.rt("generic", "empty-dict", {})
    C.rt("generic", "every-kind", {
        "none": None, "t": True, "f": False,
        "ints": [0, 1, -1, 127, 128, -128, -129, 255, 2**31, -2**31 - 1, 2**63 - 1, -2**63],
        "floats": [0.0, -0.0, 1.5, -2.25, 1e16, 1e-7, 1e300, 5e-324, float("nan"), float("inf"), float("-inf"), 0.1],
        "str": ["", "plain", "quote \" and 'single' \\ back", "\u00e9\u4e2d\U0001f600", "\x00\x1f\x7f", "line\nbreak\ttab"],
        "bytes": [b"", b"\x00\x01\xff", bytearray(b"ba")],
        "set": {3, 1, 2},
        "strset": {"b", "a", "c"},
        "tuple": (1, "t"),
        "nested": {"deep": {"deeper": [{"x": [[]]}]}},
        1: "int key", -5: "neg key", 2.5: "float key", None: "none key", False: "bool key", b"k": "bytes key",
    }, note="tuples encode as lists; non-str keys; floats incl. -0.0, nan, inf")
    C.rt("generic", "dollar-key", {"$set": [1, 2]}, note="a single $-key dict takes the $map view")
    C.rt("generic", "set-mixed", {"s": {10, 9, "x"}}, note="sets are written sorted by str(item): 10 before 9")
    C.rt("generic", "str-fallback", {"d": Decimal("1.10"), "fs": frozenset()},
         note="values the codec does not know are written as str(value)")
    C.rt("generic", "big-list-z", {"xs": list(range(-2000, 2000)), "s": ["abc"] * 500}, compress=True)
    C.rt("generic", "list-key", {(1, 2): "tuple key"},
         note="a tuple key is written as a list; the reference cannot read it back (unhashable)")

    # ── hll ──
    h = MergeableHLL(4); h.add_all(["a", "b", "c", 1, 1.0, True])
    C.rt("hll", "p4", h, note="1, 1.0 and True hash differently (repr)")
    C.rt("hll", "p4-empty", MergeableHLL(4))
    h12 = MergeableHLL(12); h12.add_all(f"user-{i}" for i in range(3000))
    C.rt("hll", "p12-3000", h12)
    h14 = MergeableHLL(14); h14.add_all(f"item-{i}" for i in range(10000))
    C.rt("hll", "p14-10000", h14)
    C.rt("hll", "p14-10000-z", h14, compress=True)
    ha = MergeableHLL(10); ha.add_all(range(0, 2000))
    hb = MergeableHLL(10); hb.add_all(range(1000, 3000))
    C.merge("hll", "overlap", ha, hb)
    C.merge("hll", "self", ha, ha)

    # ── bloom ──
    bl = MergeableBloom(100, 0.01); bl.add_all(["a", "b", "c", 1, 2.0, None])
    C.rt("bloom", "small", bl)
    C.rt("bloom", "empty", MergeableBloom(50, 0.05))
    bb = MergeableBloom(10000, 0.01); bb.add_all(f"k{i}" for i in range(5000))
    C.rt("bloom", "cap10000", bb)
    C.rt("bloom", "cap10000-z", bb, compress=True)
    b1 = MergeableBloom(200, 0.01); b1.add_all(f"a{i}" for i in range(50))
    b2 = MergeableBloom(200, 0.01); b2.add_all(f"b{i}" for i in range(60))
    C.merge("bloom", "union", b1, b2, note="count of the result is re-estimated from the fill ratio")
    C.merge("bloom", "count-idempotency", b1, b1, deviation="bloom-count-idempotency", law="idempotency",
            note="merge(a, a) keeps the bits but replaces a's additive count by the fill-ratio estimate")

    # ── cms ──
    cm = MergeableCMS(16, 3)
    for it, n in [("a", 5), ("b", 1), (1, 2), ("\u00e9", 3)]:
        cm.add(it, n)
    C.rt("cms", "small", cm)
    C.rt("cms", "empty", MergeableCMS(4, 2))
    cb = MergeableCMS(2000, 7)
    for i in range(3000):
        cb.add(f"w{i % 700}", 1 + i % 3)
    C.rt("cms", "w2000-d7", cb)
    C.rt("cms", "w2000-d7-z", cb, compress=True)
    c1 = MergeableCMS(32, 4); c1.add("x", 3); c1.add("y", 1)
    c2 = MergeableCMS(32, 4); c2.add("x", 1); c2.add("z", 7)
    C.merge("cms", "cellwise-max", c1, c2, note="cells and total take the max (not the sum)")
    C.merge("cms", "self", c1, c1)

    # ── vector_clock ──
    C.rt("vector_clock", "basic", VectorClock({"a": 3, "b": 1}))
    C.rt("vector_clock", "empty", VectorClock())
    vbig = VectorClock({f"node-{i:04d}": i + 1 for i in range(600)})
    C.rt("vector_clock", "nodes-600-z", vbig, compress=True)
    C.rt("vector_clock", "unicode", VectorClock({"\u00e9\u4e2d": 1, "q\"": 2}))
    C.merge("vector_clock", "concurrent", VectorClock({"a": 3, "b": 1}), VectorClock({"b": 4, "c": 2}))
    C.merge("vector_clock", "self", VectorClock({"a": 3}), VectorClock({"a": 3}))

    # ── dotted_version_vector ──
    C.rt("dotted_version_vector", "no-dot", DottedVersionVector(VectorClock({"a": 2})))
    C.rt("dotted_version_vector", "with-dot", DottedVersionVector(VectorClock({"a": 2, "b": 1}), ("a", 3)))
    C.rt("dotted_version_vector", "empty", DottedVersionVector())
    C.merge("dotted_version_vector", "dots-folded",
            DottedVersionVector(VectorClock({"a": 2}), ("a", 3)), DottedVersionVector(VectorClock({"b": 1}), ("b", 2)))
    C.merge("dotted_version_vector", "no-dots", DottedVersionVector(VectorClock({"a": 2})), DottedVersionVector(VectorClock({"a": 1, "b": 5})))
    dv = DottedVersionVector(VectorClock({"a": 2}), ("a", 3))
    C.merge("dotted_version_vector", "self-with-dot", dv, dv, deviation="dvv-merge-folds-dot", law="idempotency",
            note="merge always folds dots into the base, so merge(a, a) differs from a in its dict (same effective value)")

    # ── merkle_tree ──
    recs = [{"id": i, "name": f"row{i}", "score": i * 0.5} for i in range(20)]
    C.rt("merkle_tree", "rows-20", MerkleTree.from_records(recs, "id", branching_factor=4))
    C.rt("merkle_tree", "empty", MerkleTree())
    bigrecs = [{"id": f"r{i:04d}", "v": i, "s": "x" * (i % 5)} for i in range(400)]
    C.rt("merkle_tree", "rows-400-z", MerkleTree.from_records(bigrecs, "id"), compress=True)
    ta = MerkleTree.from_records([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}], "id")
    tb = MerkleTree.from_records([{"id": 2, "v": "B"}, {"id": 3, "v": "c"}], "id")
    C.merge("merkle_tree", "union-higher-hash", ta, tb, note="for a key on both sides the higher content hash wins")
    C.merge("merkle_tree", "self", ta, ta)
    tk1 = MerkleTree.from_records([{"id": 1, "v": "same"}], "id")
    tk2 = MerkleTree.from_records([{"id": "1", "v": "same"}], "id")
    C.merge("merkle_tree", "equal-hash-different-record", tk1, tk2,
            deviation="merkle-equal-hash-receiver", law="commutativity",
            note="equal content hash (the key field is excluded) but different record_data: the receiver keeps its record")

    # ── merkle_diff ──
    d1 = merkle_diff(ta, tb)
    C.rt("merkle_diff", "basic", d1)
    C.rt("merkle_diff", "identical", merkle_diff(ta, ta))
    C.rt("merkle_diff", "manual", MerkleDiff({"k1", "k2", "k3"}, {"k1"}, {"k2"}, {"k3"}, 7))

    # ── gossip_entry ──
    C.rt("gossip_entry", "basic", GossipEntry("sensor:temp", 22.5, VectorClock({"n1": 2})))
    C.rt("gossip_entry", "tombstone", GossipEntry("k", None, VectorClock({"n1": 1, "n2": 3}), tombstone=True))
    C.rt("gossip_entry", "nested-value", GossipEntry("cfg", {"a": [1, "x", None], "b": {"c": False}}, VectorClock()))

    # ── gossip_state ──
    gs = GossipState("node-1", fanout=2)
    gs.update("a", 1); gs.update("b", "two"); gs.delete("a")
    C.rt("gossip_state", "basic", gs)
    C.rt("gossip_state", "empty", GossipState("n"))
    gbig = GossipState("big", fanout=5)
    for i in range(300):
        gbig.update(f"key-{i:03d}", {"i": i, "txt": "lorem" * (i % 4)})
    C.rt("gossip_state", "entries-300-z", gbig, compress=True)
    g1 = GossipState("node-1", 3); g1.update("x", "apple"); g1.update("y", 1)
    g2 = GossipState("node-1", 3); g2.update("x", "banana"); g2.update("z", [1, 2])
    C.merge("gossip_state", "same-node", g1, g2, note="same node_id and fanout; per key the larger (str(value), tombstone) wins")
    C.merge("gossip_state", "self", g1, g1)
    g3 = GossipState("node-2", 4); g3.update("x", "cherry")
    C.merge("gossip_state", "different-nodes", g1, g3, deviation="gossip-receiver-node-id", law="commutativity",
            note="the result takes node_id and fanout from the receiver (self)")
    s1 = GossipState("n", 3); s1.update("k", "zzz-old")
    s2 = GossipState.from_dict(s1.to_dict()); s2.update("k", "aaa-new")
    C.merge("gossip_state", "stale-value-wins", s1, s2, deviation="gossip-stale-value-wins", law="causality",
            note="b's entry causally follows a's (clock {n:2} > {n:1}) but the merge keeps the larger str(value): the stale one")

    # ── schema_change ──
    C.rt("schema_change", "added", SchemaChange("email", "added", None, "str", "str", ""))
    C.rt("schema_change", "type-changed", SchemaChange("age", "type_changed", "int", "float", "float", 0.0))
    res = evolve_schema({"id": "int", "name": "str", "age": "int"}, {"id": "int", "age": "float", "email": "str"},
                        policy=SchemaPolicy.UNION)
    C.rt("schema_evolution_result", "union", res)
    C.rt("schema_evolution_result", "manual", SchemaEvolutionResult(
        {"a": "int"}, [SchemaChange("a", "unchanged", "int", "int", "int")], {"a": 0},
        SchemaPolicy.LEFT_PRIORITY, True, ["w\u00e9"]))

    # ── mergeql ──
    C.rt("mergeql_query", "basic", MergeAST(sources=["users_a", "users_b"], on_key="id",
                                            strategies={"name": "lww", "score": "max"}, where_clause="score > 5",
                                            explain=False, schema_mapping=None, limit=10))
    C.rt("mergeql_query", "minimal", MergeAST(sources=["t"], on_key="k"))
    plan = MergePlan(sources=["a", "b"], source_sizes={"a": 10, "b": 12}, merge_key="id",
                     strategies={"v": "lww"}, estimated_output_rows=15, schema_evolution_needed=False,
                     arrow_backend=False, steps=["load a", "load b", "merge on id"])
    C.rt("merge_plan", "basic", plan)
    C.rt("merge_plan", "empty", MergePlan([], {}, "k", {}, 0, True, True, []))
    C.rt("mergeql_result", "basic", MergeQLResult(data=[{"id": 1, "v": "x"}, {"id": 2, "v": None}], plan=plan,
                                                  conflicts=1, provenance=[{"key": 1, "field": "v"}],
                                                  merge_time_ms=1.25, sources_merged=2))
    C.rt("mergeql_result", "no-provenance", MergeQLResult(data=[], plan=plan, conflicts=0))

    # ── parquet_merge_metadata ──
    C.rt("parquet_merge_metadata", "basic", ParquetMergeMetadata("id", {"name": "lww", "n": "max"}, True, "1.0",
                                                                 "2026-01-01T00:00:00Z", 2, 5))
    C.rt("parquet_merge_metadata", "defaults", ParquetMergeMetadata("key", {}))

    # ── provenance ──
    dec = [MergeDecision("name", "conflict_resolved", "LWW", "bob", "alice"),
           MergeDecision("age", "a", "", 30), MergeDecision("tags", "b_only", "", {"x", "y"})]
    rec = MergeRecord(key=7, origin="merged", decisions=dec)
    C.rt("conflict_record", "basic", rec, note="values go through _safe_repr: sets become sorted lists")
    C.rt("conflict_record", "unique", MergeRecord(key="k\u00e9", origin="unique_a"))
    log = ProvenanceLog(records=[rec, MergeRecord(key=8, origin="unique_b")], total_rows=2, merged_rows=1,
                        unique_a_rows=0, unique_b_rows=1, total_conflicts=1, duration_ms=3.5)
    C.rt("conflict_topology", "basic", log)
    C.rt("conflict_topology", "empty", ProvenanceLog())

    # ── batches ──
    g = GCounter(); g.increment("a", 5)
    C.batch("mixed", [g, LWWRegister("v", T0, "n"), {"a": 1}, VectorClock({"a": 1}),
                      MergeAST(sources=["t"], on_key="k")])
    C.batch("mixed-z", [big, h14, {"a": 1}], compress=True)
    C.batch("empty", [])

    # ── bad inputs ──
    good = wire.serialize(g)  # small g_counter frame
    vc = wire.serialize(VectorClock({"a": 1}))

    def frame(tag_, payload, version=1, flags=0, length=None, magic=b"CRDT"):
        return HEADER.pack(magic, version, tag_, flags, len(payload) if length is None else length) + payload

    C.bad("empty-input", b"", ["truncated"])
    C.bad("truncated-header", good[:7], ["truncated"])
    C.bad("truncated-payload", good[:-5], ["truncated", "length_mismatch"],
          note="header length says more bytes than present")
    C.bad("bad-magic", b"CRDX" + good[4:], ["bad_magic"])
    C.bad("version-2", good[:4] + b"\x00\x02" + good[6:], ["unsupported_version"])
    C.bad("version-0", good[:4] + b"\x00\x00" + good[6:], ["unsupported_version"],
          note="the reference accepts version 0; the spec rejects it")
    C.bad("unknown-type-tag-7f", good[:6] + b"\x7f" + good[7:], ["unknown_type_tag"])
    C.bad("unknown-flags", good[:7] + b"\x02" + good[8:], ["unknown_flags"],
          note="the reference ignores unknown flag bits; the spec rejects them")
    C.bad("length-longer", good[:8] + struct.pack(">I", len(good) - 12 + 3) + good[12:], ["length_mismatch", "truncated"])
    C.bad("length-shorter", good[:8] + struct.pack(">I", len(good) - 12 - 2) + good[12:], ["length_mismatch", "trailing_bytes"],
          note="bytes after the declared payload")
    C.bad("trailing-after-frame", good + b"\x00", ["length_mismatch", "trailing_bytes"],
          note="the reference ignores bytes after the payload; the spec rejects them")
    C.bad("trailing-in-payload", frame(0x20, b"\x00\x00"), ["trailing_bytes"],
          note="payload holds one value (None) and one extra byte; the reference ignores it")
    # zlib bomb: > 256 MiB of zeros, compressed (~260 KB file)
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(257)]
    parts.append(comp.flush())
    bomb = b"".join(parts)
    C.bad("zlib-bomb", frame(0x20, bomb, flags=1), ["limit_exceeded"],
          note="inflates to 257 MiB (> the 256 MiB default cap)")
    C.bad("invalid-zlib", frame(0x01, b"\x78\x9c\xde\xad\xbe\xef\x00\x01", flags=1), ["decompress"])
    C.bad("zlib-truncated", frame(0x01, zlib.compress(good[12:] * 4)[:-6], flags=1), ["decompress"])
    C.bad("bad-utf8-str", frame(0x20, b"\x05\x00\x00\x00\x02\xff\xfe"), ["invalid_utf8"])
    C.bad("bad-utf8-json", frame(0x40, b'{"type": "vector_clock", "clocks": {"\xff": 1}}'), ["invalid_utf8", "json"])
    C.bad("unknown-value-tag", frame(0x20, b"\x07\x00\x00\x00\x01\x0b"), ["unknown_value_tag"])
    C.bad("count-too-large-list", frame(0x20, b"\x07\xff\xff\xff\xff\x09\x01"), ["truncated", "limit_exceeded"])
    C.bad("count-too-large-dict", frame(0x20, b"\x08\x00\x01\x00\x00\x05\x00\x00\x00\x01a"), ["truncated", "limit_exceeded"])
    C.bad("str-length-too-large", frame(0x20, b"\x05\x00\x00\x10\x00abc"), ["truncated", "limit_exceeded"])
    C.bad("int64-truncated", frame(0x20, b"\x03\x00\x00\x00"), ["truncated"])
    C.bad("empty-payload", frame(0x20, b""), ["truncated"])
    C.bad("bad-json", frame(0x40, b'{"type": "vector_clock", "clocks": '), ["json"])
    C.bad("deep-nesting", frame(0x20, b"\x07\x00\x00\x00\x01" * 10000 + b"\x00"), ["limit_exceeded"],
          note="10000 nested lists (> the 256 nesting cap); the reference hits Python's recursion limit")
    C.bad("batch-count-too-large", struct.pack(">II", 5, len(good)) + good, ["truncated", "batch"], batch=True)
    C.bad("batch-trailing", struct.pack(">II", 1, len(good)) + good + b"\x00\x00", ["trailing_bytes", "batch"], batch=True,
          note="the reference ignores bytes after the last frame")
    C.bad("batch-bad-frame", struct.pack(">II", 1, len(vc)) + b"CRDX" + vc[4:], ["bad_magic", "batch"], batch=True)
    C.bad("batch-size-too-large", struct.pack(">II", 1, len(good) + 10) + good, ["truncated", "length_mismatch", "batch"], batch=True)
    return C


# ─── reference API results, probes, manifest ────────────────────────────────

def ref_result(fn, *args):
    try:
        return True, fn(*args)
    except BaseException as e:  # noqa: BLE001 - we record whatever the reference raises
        return False, f"{type(e).__name__}: {e}"


PROBE_ITEMS = ["a", "b", "x", "a1", "b1", "k1", "w5", "item-7", "zzz-absent", 1, 2.0, None]


def ref_queries(data):
    """Read-side results of the reference on the decoded object (views)."""
    ok, obj = ref_result(wire.deserialize, data)
    if not ok:
        return None
    name = wire.peek_type(data)
    q = {}
    if name in ("g_counter", "pn_counter"):
        q["value"] = obj.value
    elif name in ("lww_register", "lww_map", "vector_clock", "dotted_version_vector"):
        q["value"] = to_view(obj.value)
    elif name == "or_set":
        q["value"] = to_view(set(obj.value))
    elif name == "hll":
        q["cardinality"] = obj.cardinality()
    elif name == "bloom":
        q["contains"] = [[to_view(i), obj.contains(i)] for i in PROBE_ITEMS]
    elif name == "cms":
        q["estimate"] = [[to_view(i), obj.estimate(i)] for i in PROBE_ITEMS]
        q["total"] = obj.total
    elif name == "gossip_state":
        q["size"] = obj.size
    elif name == "merkle_tree":
        q["root_hash"] = obj.root_hash
        q["size"] = obj.size
    return q or None


def reserialize(data, compressed):
    """What the reference writes back after reading a frame (None if it cannot read it)."""
    ok, obj = ref_result(wire.deserialize, data)
    if not ok:
        return None
    ok, out = ref_result(lambda o: wire.serialize(o, compress=compressed), obj)
    return out if ok else None


def probe(corpus):
    """Hashes of what this process (under its own hash seed) produces."""
    out = {"files": {}, "reser": {}}
    for rel, data in corpus.files.items():
        out["files"][rel] = hashlib.sha256(data).hexdigest()
    for c in corpus.cases:
        if c["kind"] == "roundtrip":
            with open(os.path.join(GOLDEN, c["file"]), "rb") as f:
                r = reserialize(f.read(), c["compressed"])
            out["reser"][c["file"]] = None if r is None else hashlib.sha256(r).hexdigest()
    return out


def _int64_safe(v):
    """Ints outside int64 (a Python counter's sum can exceed it) become decimal
    strings, so every runner can read the manifest with a plain int64 JSON reader."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and not -2**63 <= v < 2**63:
        return str(v)
    if isinstance(v, dict):
        return {k: _int64_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_int64_safe(x) for x in v]
    return v


def write_manifest(cases):
    head = {"reference": "crdt-merge==0.8.3", "pythonhashseed": 0,
            "golden_dir": "golden", "manifest_version": 1}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"{json.dumps(k)}: {json.dumps(v)},")
    lines.append('"cases": [')
    for i, c in enumerate(cases):
        s = json.dumps(_int64_safe(c), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        lines.append(s + ("," if i + 1 < len(cases) else ""))
    lines.append("]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)
    with open(MANIFEST, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    if "--probe" in sys.argv:
        json.dump(probe(build()), sys.stdout)
        return
    assert os.environ.get("PYTHONHASHSEED") == "0", "run through generate.sh (PYTHONHASHSEED=0)"
    random.seed(0)
    corpus = build()

    if os.path.isdir(GOLDEN):
        shutil.rmtree(GOLDEN)
    for rel, data in corpus.files.items():
        path = os.path.join(GOLDEN, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    probes = []
    for seed in PROBE_SEEDS:
        env = dict(os.environ, PYTHONHASHSEED=seed)
        res = subprocess.run([sys.executable, os.path.abspath(__file__), "--probe"], env=env,
                             check=True, capture_output=True)
        probes.append(json.loads(res.stdout))
    base = probe(corpus)

    def stable(rel):
        return all(p["files"][rel] == base["files"][rel] for p in probes)

    for c in corpus.cases:
        kind = c["kind"]
        if kind == "roundtrip":
            data = corpus.files[c["file"]]
            rs = reserialize(data, c["compressed"])
            ok_d, err = ref_result(wire.deserialize, data)
            c["bytes_exact"] = (stable(c["file"]) and rs == data
                                and all(p["reser"][c["file"]] == base["reser"][c["file"]] for p in probes))
            c["view"] = frame_view(data)
            ws = wire.wire_size(data)
            c["ref_api"] = {"peek_type": wire.peek_type(data), "wire_size": ws,
                            "reserialize_identical": rs == data}
            if not ok_d:
                c["ref_api"]["deserialize_error"] = err
            rq = ref_queries(data)
            if rq:
                c["ref_api"]["queries"] = rq
        elif kind == "merge":
            outs = [c["expected"]] + ([c["expected_ba"]] if "expected_ba" in c else [])
            c["bytes_exact"] = all(stable(r) for r in outs + c["inputs"])
            rq = ref_queries(corpus.files[c["expected"]])
            if rq:
                c["ref_api"] = {"queries": rq}
                if "expected_ba" in c:
                    c["ref_api"]["queries_ba"] = ref_queries(corpus.files[c["expected_ba"]])
        elif kind == "batch":
            data = corpus.files[c["file"]]
            c["bytes_exact"] = stable(c["file"])
            c["view"] = [frame_view(f) for f in batch_frames(data)]
            ok_b, res = ref_result(wire.deserialize_batch, data)
            c["ref_api"] = {"deserialize_batch_ok": ok_b}
        elif kind == "bad":
            data = corpus.files[c["file"]]
            if c["type"] == "batch":
                ok_b, res = ref_result(wire.deserialize_batch, data)
            else:
                ok_b, res = ref_result(wire.deserialize, data)
                if len(data) >= 12:
                    c["type"] = ref_result(wire.peek_type, data)[1] if data[:4] == b"CRDT" else None
            c["ref_api"] = {"reference_rejects": not ok_b}
            if not ok_b:
                c["ref_api"]["reference_error"] = res[:200]

    # stable key order inside each case
    order = ["name", "kind", "type", "file", "inputs", "expected", "expected_ba", "compressed", "bytes_exact",
             "law_safe", "deviation", "law", "errors", "frame_types", "note", "ref_api", "view", "view_ba"]
    cases = [{k: c[k] for k in order if k in c} for c in corpus.cases]
    for c, orig in zip(cases, corpus.cases):
        assert set(c) == set(orig), set(orig) - set(c)
    write_manifest(cases)

    counts = {}
    for c in cases:
        counts[c["kind"]] = counts.get(c["kind"], 0) + 1
    total = sum(len(d) for d in corpus.files.values())
    print(f"wrote {len(corpus.files)} golden files ({total} bytes), {len(cases)} cases: {counts}")
    print(f"manifest: {os.path.getsize(MANIFEST)} bytes")
    for c in cases:
        if c["kind"] in ("roundtrip", "merge", "batch") and not c["bytes_exact"]:
            print(f"  hash-seed dependent: {c['name']}")


if __name__ == "__main__":
    main()

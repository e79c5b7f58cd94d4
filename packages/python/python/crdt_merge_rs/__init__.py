"""crdt_merge_rs: the crdt-merge Rust core from Python.

The public names and call signatures follow the top-level API of the Python
package ``crdt-merge`` 0.8.3, so code written for it switches by changing one
import. Every type's state lives in the Rust core; values cross the boundary
as canonical-view JSON text (wire-spec/SPEC.md section 4) and frames as bytes.
This module only converts arguments and picks clocks and random tags where the
reference does (``time.time()`` for missing timestamps, ``uuid4`` ORSet tags).
"""

from __future__ import annotations

import json as _json
import math as _math
import time as _time
import uuid as _uuid
from enum import Enum as _Enum
from typing import Any, Dict, Iterable, List, Optional

from ._native import crdt_merge_uniffi as _n

__version__ = "0.1.0"

__all__ = [
    "GCounter", "PNCounter", "LWWRegister", "ORSet", "LWWMap", "VectorClock", "Ordering",
    "MergeableHLL", "MergeableBloom", "MergeableCMS",
    "serialize", "deserialize", "peek_type", "wire_size", "serialize_batch", "deserialize_batch",
    "ContextMerge", "MergeResult", "ContextManifest", "AgentState", "SharedKnowledge", "Fact",
    "Frame", "CrdtError", "WireError", "MergeError", "ArgumentError", "to_view_json", "from_view_json",
]


# ----------------------------------------------------------------- errors

class CrdtError(Exception):
    """Any error from the core; ``code`` is the core's category code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class WireError(CrdtError):
    """Bytes or JSON could not be read (the reference's ``WireError``)."""


class MergeError(CrdtError, ValueError):
    """A merge that is not defined for its inputs."""


class ArgumentError(CrdtError, ValueError):
    """An argument out of range."""


def _call(f, *args):
    try:
        return f(*args)
    except _n.CrdtError as e:  # one of the generated variants
        cls = {"Decode": WireError, "Merge": MergeError, "Argument": ArgumentError}.get(type(e).__name__, CrdtError)
        raise cls(e.code, e.detail) from None


# ----------------------------------------------------------------- values <-> view JSON

def _enc(v: Any) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v != v:
            return {"$float": "nan"}
        if _math.isinf(v):
            return {"$float": "inf" if v > 0 else "-inf"}
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"$bytes": bytes(v).hex()}
    if isinstance(v, (set, frozenset)):
        return {"$set": [_enc(x) for x in v]}
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    if isinstance(v, dict):
        plain = all(isinstance(k, str) for k in v) and not (len(v) == 1 and next(iter(v)).startswith("$"))
        if plain:
            return {k: _enc(x) for k, x in v.items()}
        return {"$map": [[_enc(k), _enc(x)] for k, x in v.items()]}
    if hasattr(v, "to_dict"):
        return _enc(v.to_dict())
    raise TypeError(f"cannot carry a {type(v).__name__} across the wire")


def _hashable(x: Any) -> Any:
    if isinstance(x, list):
        return tuple(_hashable(i) for i in x)
    if isinstance(x, dict):
        return tuple((k, _hashable(v)) for k, v in x.items())
    if isinstance(x, set):
        return frozenset(x)
    return x


_FLOATS = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def _hook(d: dict) -> Any:
    if len(d) == 1:
        (k, body), = d.items()
        if k == "$bytes":
            return bytes.fromhex(body)
        if k == "$set":
            try:
                return set(body)
            except TypeError:
                return {_hashable(x) for x in body}
        if k == "$float":
            return _FLOATS[body]
        if k == "$map":
            return {_hashable(a): b for a, b in body}
    return d


def to_view_json(v: Any) -> str:
    """A Python value as canonical-view JSON text (the boundary format)."""
    return _json.dumps(_enc(v), ensure_ascii=False, allow_nan=False)


def from_view_json(text: str) -> Any:
    """Canonical-view JSON text back to a Python value."""
    return _json.loads(text, object_hook=_hook)


def _stamp(ts: Any):
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        raise TypeError(f"timestamp must be int or float, got {type(ts).__name__}")
    if isinstance(ts, int):
        return _n.Stamp.INT(ts)
    return _n.Stamp.FLOAT(ts)


def _unstamp(s) -> Any:
    return s.v


# ----------------------------------------------------------------- common base

class _Crdt:
    """Common surface of every typed wrapper over a native object."""

    _native: Any = None
    __slots__ = ("_o",)

    @classmethod
    def _wrap(cls, o):
        obj = cls.__new__(cls)
        obj._o = o
        return obj

    def merge(self, other):
        if not isinstance(other, type(self)):
            raise TypeError(f"cannot merge {type(self).__name__} with {type(other).__name__}")
        return self._wrap(_call(self._o.merge, other._o))

    def to_dict(self) -> dict:
        return from_view_json(_call(self._o.to_payload_json))

    @classmethod
    def from_dict(cls, d: dict):
        return cls._wrap(_call(cls._native.from_payload, to_view_json(d)))

    def to_view(self) -> dict:
        """The canonical JSON view ``{"type": ..., "value": ...}`` (plain JSON)."""
        return _json.loads(_call(self._o.to_json_view))

    def _frame(self, compress: bool = False) -> bytes:
        return _call(self._o.encode, compress)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._o.equals(other._o)

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}({self.to_view()['value']!r})"


def _check_amount(amount: Any, what: str) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"{what} increment amount must be int, got {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"{what} only supports non-negative increments")
    return amount


class GCounter(_Crdt):
    """Grow-only counter."""

    _native = _n.GCounter
    __slots__ = ()

    def __init__(self, node_id: Optional[str] = None, initial: int = 0):
        self._o = _n.GCounter()
        if node_id and initial > 0:
            self.increment(node_id, initial)

    @property
    def value(self) -> int:
        return _call(self._o.value)

    def increment(self, node_id: str, amount: int = 1) -> None:
        _call(self._o.increment, node_id, _check_amount(amount, "GCounter"))


class PNCounter(_Crdt):
    """Counter that goes up and down."""

    _native = _n.PnCounter
    __slots__ = ()

    def __init__(self):
        self._o = _n.PnCounter()

    @property
    def value(self) -> int:
        return _call(self._o.value)

    def increment(self, node_id: str, amount: int = 1) -> None:
        _call(self._o.increment, node_id, _check_amount(amount, "GCounter"))

    def decrement(self, node_id: str, amount: int = 1) -> None:
        _call(self._o.decrement, node_id, _check_amount(amount, "GCounter"))


class LWWRegister(_Crdt):
    """Last-writer-wins register."""

    _native = _n.LwwRegister
    __slots__ = ()

    def __init__(self, value: Any = None, timestamp: Optional[float] = None, node_id: str = ""):
        self._o = _call(_n.LwwRegister, to_view_json(value), _stamp(timestamp or 0.0), node_id)

    @property
    def value(self) -> Any:
        return from_view_json(_call(self._o.value_json))

    @property
    def timestamp(self) -> float:
        return _unstamp(_call(self._o.timestamp))

    @property
    def node_id(self) -> str:
        return _call(self._o.node_id)

    def set(self, value: Any, timestamp: Optional[float] = None, node_id: str = "") -> None:
        ts = timestamp if timestamp is not None else _time.time()
        _call(self._o.set, to_view_json(value), _stamp(ts), node_id)


class ORSet(_Crdt):
    """Observed-remove set (add wins)."""

    _native = _n.OrSet
    __slots__ = ()

    def __init__(self):
        self._o = _n.OrSet()

    @property
    def value(self) -> set:
        return set(_hashable(x) for x in from_view_json(_call(self._o.value_json)))

    def add(self, element: Any) -> str:
        tag = _uuid.uuid4().hex[:12]
        _call(self._o.add, to_view_json(element), tag)
        return tag

    def remove(self, element: Any) -> None:
        _call(self._o.remove, to_view_json(element))

    def contains(self, element: Any) -> bool:
        return _call(self._o.contains, to_view_json(element))

    def __contains__(self, element: Any) -> bool:
        return self.contains(element)


class LWWMap(_Crdt):
    """Map of last-writer-wins registers with tombstones."""

    _native = _n.LwwMap
    __slots__ = ()

    def __init__(self):
        self._o = _n.LwwMap()

    def set(self, key: str, value: Any, timestamp: Optional[float] = None, node_id: str = "") -> None:
        ts = timestamp if timestamp is not None else _time.time()
        _call(self._o.set, key, to_view_json(value), _stamp(ts), node_id)

    def get(self, key: str, default: Any = None) -> Any:
        v = _call(self._o.get_json, key)
        return default if v is None else from_view_json(v)

    def delete(self, key: str, timestamp: Optional[float] = None) -> None:
        ts = timestamp if timestamp is not None else _time.time()
        _call(self._o.delete, key, _stamp(ts))

    @property
    def value(self) -> dict:
        return from_view_json(_call(self._o.value_json))


class Ordering(_Enum):
    """Causal order of two vector clocks."""

    BEFORE = "before"
    AFTER = "after"
    CONCURRENT = "concurrent"
    EQUAL = "equal"


class VectorClock(_Crdt):
    """Vector clock; mutations return new clocks, as in the reference."""

    _native = _n.VectorClock
    __slots__ = ()

    def __init__(self, clocks: Optional[Dict[str, int]] = None):
        if clocks:
            self._o = _call(_n.VectorClock.from_payload, to_view_json({"type": "vector_clock", "clocks": dict(clocks)}))
        else:
            self._o = _n.VectorClock()

    def get(self, node_id: str) -> int:
        return _call(self._o.get, node_id)

    @property
    def value(self) -> Dict[str, int]:
        return dict(self.to_dict()["clocks"])

    def increment(self, node_id: str) -> "VectorClock":
        c = self._wrap(self._o.copy())
        _call(c._o.increment, node_id)
        return c

    def compare(self, other: "VectorClock") -> Ordering:
        return Ordering(_call(self._o.compare, other._o))


class MergeableHLL(_Crdt):
    """HyperLogLog distinct-count sketch."""

    _native = _n.Hll
    __slots__ = ()

    def __init__(self, precision: int = 14):
        if not 4 <= precision <= 18:
            raise ValueError(f"Precision must be 4-18, got {precision}")
        self._o = _call(_n.Hll, precision)

    @property
    def precision(self) -> int:
        return _call(self._o.precision)

    def add(self, item: Any) -> None:
        _call(self._o.add, to_view_json(item))

    def add_all(self, items: Iterable[Any]) -> None:
        items = list(items)
        if all(type(i) is str for i in items):
            _call(self._o.add_strs, items)
        else:
            _call(self._o.add_all, to_view_json(items))

    def cardinality(self) -> float:
        return _call(self._o.cardinality)

    def standard_error(self) -> float:
        return _call(self._o.standard_error)


class MergeableBloom(_Crdt):
    """Bloom filter (merge = bitwise OR)."""

    _native = _n.Bloom
    __slots__ = ()

    def __init__(self, capacity: int = 10000, fp_rate: float = 0.01):
        self._o = _call(_n.Bloom, capacity, float(fp_rate))

    capacity = property(lambda self: _call(self._o.capacity))
    fp_rate = property(lambda self: _call(self._o.fp_rate))
    size = property(lambda self: _call(self._o.size))
    num_hashes = property(lambda self: _call(self._o.num_hashes))

    def add(self, item: Any) -> None:
        _call(self._o.add, to_view_json(item))

    def add_all(self, items: Iterable[Any]) -> None:
        items = list(items)
        if all(type(i) is str for i in items):
            _call(self._o.add_strs, items)
        else:
            _call(self._o.add_all, to_view_json(items))

    def contains(self, item: Any) -> bool:
        return _call(self._o.contains, to_view_json(item))

    def __contains__(self, item: Any) -> bool:
        return self.contains(item)

    def estimated_fp_rate(self) -> float:
        return _call(self._o.estimated_fp_rate)


class MergeableCMS(_Crdt):
    """Count-Min sketch (merge = cell-wise sum)."""

    _native = _n.Cms
    __slots__ = ()

    def __init__(self, width: int = 2000, depth: int = 7):
        if width < 1 or depth < 1:
            raise ValueError(f"Width and depth must be >= 1, got ({width}, {depth})")
        self._o = _call(_n.Cms, width, depth)

    width = property(lambda self: _call(self._o.width))
    depth = property(lambda self: _call(self._o.depth))

    def add(self, item: Any, count: int = 1) -> None:
        _call(self._o.add, to_view_json(item), count)

    def add_all(self, items: Iterable[Any]) -> None:
        items = list(items)
        if all(type(i) is str for i in items):
            _call(self._o.add_strs, items)
        else:
            _call(self._o.add_all, to_view_json(items))

    def estimate(self, item: Any) -> int:
        return _call(self._o.estimate, to_view_json(item))

    @property
    def total(self) -> int:
        return _call(self._o.total)


class Frame(_Crdt):
    """A decoded frame of a type without a typed class here (records, deltas, clocks...)."""

    _native = _n.Frame
    __slots__ = ()

    @property
    def type_name(self) -> str:
        return self._o.type_name()

    @classmethod
    def from_bytes(cls, data: bytes) -> "Frame":
        """Decode any frame (generic ones included) as a ``Frame``."""
        return cls._wrap(_call(_n.Frame.decode, _bytes(data)))

    @classmethod
    def from_dict(cls, d: dict, type_name: Optional[str] = None):
        name = type_name or d.get("type")
        return cls._wrap(_call(_n.Frame.from_payload, name, to_view_json(d)))

    def __repr__(self):
        return f"Frame({self.type_name})"


# ----------------------------------------------------------------- agent memory

class Fact:
    """A fact of an agent: value, confidence, source agent, timestamp."""

    __slots__ = ("value", "confidence", "source_agent", "timestamp")

    def __init__(self, value: Any, confidence: float = 1.0, source_agent: str = "", timestamp: float = 0.0):
        self.value = value
        self.confidence = confidence
        self.source_agent = source_agent
        self.timestamp = timestamp

    def to_dict(self) -> dict:
        return {"value": self.value, "confidence": self.confidence, "source_agent": self.source_agent, "timestamp": self.timestamp}

    @classmethod
    def from_dict(cls, d: dict) -> "Fact":
        return cls(d["value"], d.get("confidence", 1.0), d.get("source_agent", ""), d.get("timestamp", 0.0))

    def __eq__(self, other):
        return isinstance(other, Fact) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"Fact(value={self.value!r}, confidence={self.confidence}, source_agent={self.source_agent!r})"


class AgentState(_Crdt):
    """CRDT state of one agent: facts (LWW), tags (OR-set), counters, messages."""

    _native = _n.AgentState
    __slots__ = ()

    def __init__(self, agent_id: str = "") -> None:
        self._o = _call(_n.AgentState, agent_id, _time.time())

    @property
    def agent_id(self) -> str:
        return _call(self._o.agent_id)

    def add_fact(self, key: str, value: Any, confidence: float = 1.0, timestamp: Optional[float] = None) -> None:
        ts = timestamp if timestamp is not None else _time.time()
        _call(self._o.add_fact, key, to_view_json(value), float(confidence), float(ts))

    def get_fact(self, key: str, default: Any = None) -> Optional[Fact]:
        f = _call(self._o.get_fact_json, key)
        return default if f is None else Fact.from_dict(from_view_json(f))

    def list_facts(self) -> Dict[str, Fact]:
        return {k: Fact.from_dict(v) for k, v in from_view_json(_call(self._o.list_facts_json)).items()}

    def add_tag(self, tag: str) -> None:
        _call(self._o.add_tag, tag)

    def remove_tag(self, tag: str) -> None:
        _call(self._o.remove_tag, tag)

    def has_tag(self, tag: str) -> bool:
        return _call(self._o.has_tag, tag)

    @property
    def tags(self) -> set:
        return set(_call(self._o.tags))

    def increment(self, counter_name: str, amount: int = 1) -> None:
        _call(self._o.increment, counter_name, _check_amount(amount, "counter"))

    def decrement(self, counter_name: str, amount: int = 1) -> None:
        _call(self._o.decrement, counter_name, _check_amount(amount, "counter"))

    def counter_value(self, counter_name: str) -> int:
        return _call(self._o.counter_value, counter_name)

    def append_message(self, message: str, role: str = "agent", metadata: Optional[dict] = None) -> None:
        _call(self._o.append_message, to_view_json(message), role, to_view_json(metadata or {}), _time.time())

    @property
    def messages(self) -> List[dict]:
        return from_view_json(_call(self._o.messages_json))


class SharedKnowledge(_Crdt):
    """The merged knowledge of several agents."""

    _native = _n.SharedKnowledge
    __slots__ = ()

    def __init__(self, state: AgentState, contributing_agents: List[str]) -> None:
        d = {"type": "shared_knowledge", "state": state.to_dict(), "contributing_agents": list(contributing_agents)}
        self._o = _call(_n.SharedKnowledge.from_payload, to_view_json(d))

    @classmethod
    def merge(cls, *agents: AgentState) -> "SharedKnowledge":  # type: ignore[override]
        if len(agents) == 1 and isinstance(agents[0], SharedKnowledge):
            raise TypeError("use SharedKnowledge.merge(*agents); to join two SharedKnowledge use .join(other)")
        return cls._wrap(_call(_n.SharedKnowledge.merge_agents, [a._o for a in agents]))

    def join(self, other: "SharedKnowledge") -> "SharedKnowledge":
        return self._wrap(_call(self._o.merge, other._o))

    @property
    def state(self) -> AgentState:
        return AgentState._wrap(_call(self._o.state))

    @property
    def contributing_agents(self) -> List[str]:
        return _call(self._o.contributing_agents)

    @property
    def facts(self) -> Dict[str, Fact]:
        return self.state.list_facts()

    @property
    def tags(self) -> set:
        return self.state.tags

    @property
    def messages(self) -> List[dict]:
        return self.state.messages

    def get_fact(self, key: str, default: Any = None) -> Optional[Fact]:
        return self.state.get_fact(key, default)

    def counter_value(self, counter_name: str) -> int:
        return self.state.counter_value(counter_name)


class ContextManifest(_Crdt):
    """The manifest that describes one context merge."""

    _native = _n.ContextManifest
    __slots__ = ()

    def summary(self) -> str:
        return _call(self._o.summary)

    def __getattr__(self, name):
        d = self.to_dict()
        if name in d:
            return d[name]
        raise AttributeError(name)


class MergeResult:
    """Result of :meth:`ContextMerge.merge`: ``memories`` (memory dicts, sorted by fact) and ``manifest``."""

    __slots__ = ("memories", "manifest")

    def __init__(self, memories: List[dict], manifest: ContextManifest):
        self.memories = memories
        self.manifest = manifest

    def __repr__(self):
        return f"MergeResult(memories={len(self.memories)})"


class ContextMerge:
    """Merge agent memory lists (dicts with at least ``fact``)."""

    STRATEGIES = {"lww", "max_confidence", "priority", "union"}

    def __init__(self, bloom: Any = None, strategy: str = "lww", budget: Optional[int] = None,
                 min_confidence: float = 0.0, agent_priority: Optional[Dict[str, int]] = None) -> None:
        if strategy not in self.STRATEGIES:
            raise ValueError(f"Unknown strategy {strategy!r}. Choose from {sorted(self.STRATEGIES)}")
        self.bloom = bloom
        self.strategy = strategy
        self.budget = budget
        self.min_confidence = min_confidence
        self.agent_priority = agent_priority or {}

    def _opts(self):
        return _n.ContextMergeOptions(strategy=self.strategy, budget=self.budget, min_confidence=float(self.min_confidence), now=_time.time())

    def merge(self, memories_a: List[dict], memories_b: List[dict]) -> MergeResult:
        return self.merge_multi(memories_a, memories_b)

    def merge_multi(self, *memory_sets: List[dict]) -> MergeResult:
        r = _call(_n.context_merge, self._opts(), [to_view_json(list(m)) for m in memory_sets])
        return MergeResult(from_view_json(r.memories_json), ContextManifest._wrap(r.manifest))


# ----------------------------------------------------------------- wire

_CLASSES = {
    "g_counter": GCounter, "pn_counter": PNCounter, "lww_register": LWWRegister, "or_set": ORSet,
    "lww_map": LWWMap, "vector_clock": VectorClock, "hll": MergeableHLL, "bloom": MergeableBloom,
    "cms": MergeableCMS, "agent_state": AgentState, "shared_knowledge": SharedKnowledge,
    "context_manifest": ContextManifest,
}


def _bytes(data: Any) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes, got {type(data).__name__}")
    return bytes(data)


_GENERIC_AS_DICT = ()  # filled below: classes the reference writes as generic frames of to_dict()


def serialize(obj: Any, *, compress: bool = False) -> bytes:
    """Encode an object as a wire frame (the reference's choice of tag)."""
    if isinstance(obj, _GENERIC_AS_DICT):
        # the reference has no tag for these: it writes to_dict() as a generic frame
        return Frame.from_dict(obj.to_dict(), "generic")._frame(compress)
    if isinstance(obj, _Crdt):
        return obj._frame(compress)
    if isinstance(obj, (dict, list)):
        return Frame.from_dict(obj, "generic")._frame(compress)
    if callable(getattr(obj, "to_dict", None)):
        d = obj.to_dict()
        name = d.get("type") if isinstance(d, dict) else None
        cls = _CLASSES.get(name)
        if cls is not None and cls not in _GENERIC_AS_DICT:
            return cls.from_dict(d)._frame(compress)
        return Frame.from_dict(d, "generic")._frame(compress)
    raise WireError("unsupported", f"Cannot serialize type: {type(obj).__name__}")


def deserialize(data: bytes) -> Any:
    """Decode a frame: the matching class; a plain dict/list for generic
    frames (as the reference); ``Frame`` for record types without a class here."""
    f = _call(_n.Frame.decode, _bytes(data))
    name = f.type_name()
    if name == "generic":
        return from_view_json(_call(f.to_payload_json))
    cls = _CLASSES.get(name, Frame)
    if cls is Frame:
        return Frame._wrap(f)
    return cls._wrap(_call(cls._native.from_frame, f))


_GENERIC_AS_DICT = (AgentState, SharedKnowledge, ContextManifest)


def peek_type(data: bytes) -> str:
    """The type name of a frame from its header."""
    return _call(_n.peek_type, _bytes(data))


def wire_size(data: bytes) -> dict:
    """Size facts of a frame, the reference's dict."""
    w = _call(_n.wire_size, _bytes(data))
    return {"total_bytes": w.total_bytes, "header_bytes": w.header_bytes, "payload_bytes": w.payload_bytes,
            "compressed": w.compressed, "protocol_version": w.protocol_version, "type_name": w.type_name}


def serialize_batch(objects: list, *, compress: bool = False) -> bytes:
    """Encode objects as a batch."""
    return _call(_n.encode_batch, [serialize(o, compress=compress) for o in objects])


def deserialize_batch(data: bytes) -> list:
    """Decode a batch into objects."""
    return [deserialize(f) for f in _call(_n.split_batch, _bytes(data))]


# ----------------------------------------------------------------- data and model layers

from .tables import (  # noqa: E402  (they use _call above)
    merge, merge_with_provenance, merge_stream, merge_sorted_stream, merge_dicts, merge_json_lines,
    export_provenance, ProvenanceLog, StreamStats, MergeSchema, MergeStrategy, LWW, MaxWins, MinWins,
    UnionSet, Concat, Priority, LongestWins, Custom,
)
from .model import CRDTMergeState, ConflictResolution, merge_tensors, merge_methods  # noqa: E402

__all__ += [
    "merge", "merge_with_provenance", "merge_stream", "merge_sorted_stream", "merge_dicts",
    "merge_json_lines", "export_provenance", "ProvenanceLog", "StreamStats", "MergeSchema",
    "MergeStrategy", "LWW", "MaxWins", "MinWins", "UnionSet", "Concat", "Priority", "LongestWins",
    "Custom", "CRDTMergeState", "ConflictResolution", "merge_tensors", "merge_methods",
]

"""Model weights with the reference's call signatures: ``CRDTMergeState``
(``crdt_merge.model.crdt_state``) and ``merge_tensors`` over every
registered strategy (the reference's 26 and mergekit's methods).

Tensors cross into the Rust core as one little-endian buffer each (numpy
arrays in, numpy arrays out; numpy is required for this module).
"""

from __future__ import annotations

import json as _json
import time as _time
from enum import Enum as _Enum
from typing import Any, Dict, List, Optional, Sequence

from ._native import crdt_merge_uniffi as _n

__all__ = ["CRDTMergeState", "ConflictResolution", "merge_tensors", "merge_methods"]


class ConflictResolution(str, _Enum):
    """Which contribution wins when one model id is added twice."""

    FIRST_WRITE_WINS = "first_write_wins"
    LAST_WRITE_WINS = "last_write_wins"
    HIGHEST_VERSION = "highest_version"


def _call(f, *args):
    from . import _call as call
    return call(f, *args)


def _np():
    try:
        import numpy
    except ImportError:  # pragma: no cover - the extra "model" installs it
        raise ImportError("crdt_merge_rs.model needs numpy (pip install 'crdt-merge-rs[model]')") from None
    return numpy


def _f32(x: Any) -> "Any":
    np = _np()
    return np.ascontiguousarray(np.asarray(x, dtype="<f4"))


def merge_methods(family: str = "reference") -> List[str]:
    """Registered method names: ``"reference"`` or ``"mergekit"``."""
    return _call(_n.merge_methods, family)


def merge_tensors(method: str, tensors: Sequence[Any], base: Any = None,
                  weights: Optional[Sequence[float]] = None, family: str = "reference",
                  model_params: Optional[Sequence[Dict[str, Any]]] = None, seed: int = 0,
                  tensor_name: str = "tensor", **params: Any) -> Any:
    """Merge one tensor of several models with ``method``; float32 in, float32 out.

    ``weights`` fills each model's ``weight`` parameter; ``model_params``
    gives other per-model parameters (``density``, ``epsilon``, ...);
    keyword arguments are method-wide parameters (``t``, ``lambda``, ...).
    """
    np = _np()
    arrs = [_f32(t) for t in tensors]
    if not arrs:
        raise ValueError("merge_tensors needs at least one tensor")
    shape = arrs[0].shape
    for i, a in enumerate(arrs):
        if a.shape != shape:
            raise ValueError(f"tensor {i} has shape {a.shape}, tensor 0 has {shape}")
    mp = [dict(p) for p in (model_params or [{} for _ in arrs])]
    if weights is not None:
        if len(weights) != len(arrs):
            raise ValueError(f"{len(weights)} weights for {len(arrs)} tensors")
        while len(mp) < len(arrs):
            mp.append({})
        for p, w in zip(mp, weights):
            p["weight"] = float(w)
    b = None if base is None else _f32(base).tobytes()
    out = _call(_n.merge_tensors, family, method, tensor_name, [int(d) for d in shape],
                [a.tobytes() for a in arrs], b, _json.dumps(mp), _json.dumps(params), int(seed))
    return np.frombuffer(out, dtype="<f4").reshape(shape).copy()


class CRDTMergeState:
    """An add-wins set of model contributions (content-hashed as the
    reference does); ``merge`` in any order, ``resolve()`` with the strategy."""

    def __init__(self, strategy_name: str, base: Any = None,
                 conflict_resolution: ConflictResolution = ConflictResolution.HIGHEST_VERSION,
                 seed: Optional[int] = None):
        np = _np()
        cr = getattr(conflict_resolution, "value", conflict_resolution)
        d = {"type": "CRDTMergeState", "version": 1, "strategy_name": strategy_name,
             "base": None if base is None else np.asarray(base, dtype=float).tolist(),
             "conflict_resolution": cr, "seed": 42 if seed is None else int(seed),
             "contributions": {}, "tombstones": []}
        self._s = _call(_n.ModelMergeState.from_dict_json, _json.dumps(d))

    @classmethod
    def _wrap(cls, s) -> "CRDTMergeState":
        o = cls.__new__(cls)
        o._s = s
        return o

    def add(self, tensor: Any, model_id: Optional[str] = None, weight: float = 1.0,
            version: int = 1, metadata: Optional[Dict[str, Any]] = None) -> "CRDTMergeState":
        np = _np()
        if metadata:
            raise NotImplementedError("contribution metadata is not supported by crdt_merge_rs yet")
        a = np.ascontiguousarray(np.asarray(tensor, dtype="<f8"))
        _call(self._s.add, model_id, [int(d) for d in a.shape], a.tobytes(), float(weight),
              isinstance(weight, int) and not isinstance(weight, bool), int(version), _time.time())
        return self

    def add_batch(self, items: Sequence[Any]) -> "CRDTMergeState":
        for it in items:
            if isinstance(it, dict):
                self.add(**it)
            else:
                self.add(*it)
        return self

    def remove(self, model_id: str) -> "CRDTMergeState":
        self._s.remove(model_id)
        return self

    def merge(self, other: "CRDTMergeState") -> "CRDTMergeState":
        return CRDTMergeState._wrap(_call(self._s.merge, other._s))

    @classmethod
    def merge_many(cls, states: List["CRDTMergeState"]) -> "CRDTMergeState":
        if not states:
            raise ValueError("merge_many needs at least one state")
        acc = states[0]
        for s in states[1:]:
            acc = acc.merge(s)
        return acc

    def resolve(self) -> Any:
        """The merged tensor (float64 numpy array, computed in float32)."""
        return self.resolve_with()

    def resolve_with(self, **params: Any) -> Any:
        """``resolve`` with strategy parameters (``density=0.5``, ...)."""
        np = _np()
        r = _call(self._s.resolve, _json.dumps(params))
        return np.frombuffer(r.data, dtype="<f4").reshape([int(d) for d in r.shape]).astype(np.float64)

    @property
    def model_ids(self) -> List[str]:
        return self._s.model_ids()

    @property
    def size(self) -> int:
        return self._s.size()

    @property
    def is_empty(self) -> bool:
        return self._s.size() == 0

    @property
    def strategy_name(self) -> str:
        return self._s.strategy_name()

    def to_dict(self) -> dict:
        return _json.loads(_call(self._s.to_dict_json))

    @classmethod
    def from_dict(cls, d: dict) -> "CRDTMergeState":
        return cls._wrap(_call(_n.ModelMergeState.from_dict_json, _json.dumps(d)))

    def to_bytes(self, compress: bool = False) -> bytes:
        return _call(self._s.encode, compress)

    @classmethod
    def from_bytes(cls, data: bytes) -> "CRDTMergeState":
        return cls._wrap(_call(_n.ModelMergeState.decode, bytes(data)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CRDTMergeState) and self._s.equals(other._s)

    def __repr__(self) -> str:
        return f"CRDTMergeState({self.strategy_name!r}, size={self.size})"

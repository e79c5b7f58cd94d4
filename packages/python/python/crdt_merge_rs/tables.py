"""Keyed record merge with the reference's call signatures: ``merge``,
``merge_with_provenance``, ``merge_stream``, ``merge_sorted_stream``,
``merge_dicts``, ``merge_json_lines``, ``MergeSchema`` and its strategies.

Rows cross into the Rust core in one piece: lists of dicts as one JSON text,
data frames (pandas, Polars, pyarrow) as one Parquet buffer, never one call
per row. ``Custom`` strategies are Python callables the core calls back.
"""

from __future__ import annotations

import io as _io
import json as _json
import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from ._native import crdt_merge_uniffi as _n


def _call(f, *args):
    from . import _call as call  # the package's error mapping (defined before this module loads)
    return call(f, *args)

__all__ = [
    "merge", "merge_with_provenance", "merge_stream", "merge_sorted_stream", "merge_dicts",
    "merge_json_lines", "export_provenance", "ProvenanceLog", "StreamStats",
    "MergeSchema", "MergeStrategy", "LWW", "MaxWins", "MinWins", "UnionSet", "Concat", "Priority",
    "LongestWins", "Custom",
]


# ----------------------------------------------------------------- strategies

class MergeStrategy:
    """Base of the per-column strategies; ``to_dict`` gives the reference's entry."""

    def name(self) -> str:
        return self.__class__.__name__

    def to_dict(self) -> dict:
        return {"strategy": self.__class__.__name__}

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"

    def __eq__(self, other: Any) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()


class LWW(MergeStrategy):
    """Later timestamp wins (ties: the larger ``str(value)``)."""


class MaxWins(MergeStrategy):
    """The larger value wins."""


class MinWins(MergeStrategy):
    """The smaller value wins."""


class LongestWins(MergeStrategy):
    """The longer ``str(value)`` wins."""


class UnionSet(MergeStrategy):
    """Union of ``separator``-separated parts."""

    def __init__(self, separator: str = ","):
        self.separator = separator

    def to_dict(self) -> dict:
        return {"strategy": "UnionSet", "separator": self.separator}


class Concat(MergeStrategy):
    """Both sides' parts joined by ``separator``."""

    def __init__(self, separator: str = " | ", dedup: bool = True):
        self.separator = separator
        self.dedup = dedup

    def to_dict(self) -> dict:
        return {"strategy": "Concat", "separator": self.separator, "dedup": self.dedup}


class Priority(MergeStrategy):
    """The value ranked higher in ``levels`` (lowest first) wins."""

    def __init__(self, levels: List[str]):
        self.levels = list(levels)

    def to_dict(self) -> dict:
        return {"strategy": "Priority", "levels": list(self.levels)}


class Custom(MergeStrategy):
    """A Python function ``fn(val_a, val_b, ts_a, ts_b) -> winner`` (called by the core)."""

    def __init__(self, fn: Callable, name: Optional[str] = None):
        self.fn = fn
        self.custom_name = name or getattr(fn, "__name__", "custom")

    def to_dict(self) -> dict:
        return {"strategy": "Custom", "name": self.custom_name}


_STRATEGIES = {c.__name__: c for c in (LWW, MaxWins, MinWins, LongestWins, UnionSet, Concat, Priority)}


def _strategy_from_dict(d: dict, customs: Optional[Dict[str, Callable]] = None) -> MergeStrategy:
    kind = d.get("strategy", "LWW")
    if kind == "UnionSet":
        return UnionSet(d.get("separator", ","))
    if kind == "Concat":
        return Concat(d.get("separator", " | "), d.get("dedup", True))
    if kind == "Priority":
        return Priority(d.get("levels", []))
    if kind == "Custom":
        name = d.get("name", "")
        if customs and name in customs:
            return Custom(customs[name], name)
        return LWW()  # as the reference: a Custom function cannot travel
    return _STRATEGIES[kind]()


class MergeSchema:
    """Per-column strategies: ``MergeSchema(default=LWW(), price=MaxWins(), ...)``."""

    def __init__(self, default: Optional[MergeStrategy] = None, **field_strategies: MergeStrategy):
        self._default = default or LWW()
        self._strategies: Dict[str, MergeStrategy] = dict(field_strategies)

    def strategy_for(self, field: str) -> MergeStrategy:
        return self._strategies.get(field, self._default)

    def set_strategy(self, field: str, strategy: MergeStrategy) -> None:
        self._strategies[field] = strategy

    @property
    def default(self) -> MergeStrategy:
        return self._default

    @property
    def fields(self) -> Dict[str, MergeStrategy]:
        return dict(self._strategies)

    def to_dict(self) -> dict:
        d = {f: s.to_dict() for f, s in self._strategies.items()}
        d["__default__"] = self._default.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict, customs: Optional[Dict[str, Callable]] = None) -> "MergeSchema":
        """The reference's dict form; validated by the core (unknown strategies are errors)."""
        norm = _json.loads(_call(_n.merge_schema_normalize, _json.dumps(d)))
        default = _strategy_from_dict(norm.pop("__default__", {"strategy": "LWW"}), customs)
        s = cls(default)
        for f, info in norm.items():
            s.set_strategy(f, _strategy_from_dict(info, customs))
        return s

    def _customs(self) -> Dict[str, Any]:
        out = {}
        for s in list(self._strategies.values()) + [self._default]:
            if isinstance(s, Custom):
                out[s.custom_name] = _Resolver(s.fn)
        return out

    def __repr__(self) -> str:
        return f"MergeSchema({self.to_dict()!r})"


class _Resolver(_n.CustomResolver):
    """Adapts a Python callable to the core's callback (values as JSON text)."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def resolve(self, value_a: str, value_b: str, ts_a: float, ts_b: float) -> str:
        try:
            return _json.dumps(self.fn(_json.loads(value_a), _json.loads(value_b), ts_a, ts_b))
        except Exception:  # a failing callback keeps A's value (the core cannot raise through it)
            return value_a


# ----------------------------------------------------------------- rows in and out

def _frame_kind(x: Any) -> Optional[str]:
    mod = type(x).__module__.split(".")[0]
    if mod in ("pandas", "polars", "pyarrow"):
        return mod
    return None


def _to_parquet(x: Any, kind: str) -> bytes:
    buf = _io.BytesIO()
    if kind == "pandas":
        x.to_parquet(buf, index=False, compression=None)
    elif kind == "polars":
        x.write_parquet(buf, compression="uncompressed")
    else:
        import pyarrow.parquet as pq
        pq.write_table(x, buf, compression="none")
    return buf.getvalue()


def _from_parquet(data: bytes, kind: str) -> Any:
    buf = _io.BytesIO(data)
    if kind == "pandas":
        import pandas as pd
        return pd.read_parquet(buf)
    if kind == "polars":
        import polars as pl
        return pl.read_parquet(buf)
    import pyarrow.parquet as pq
    return pq.read_table(buf)


def _rows(x: Any, side: str) -> list:
    if isinstance(x, list):
        return x
    if isinstance(x, tuple):
        return list(x)
    kind = _frame_kind(x)
    if kind == "pandas":
        return x.to_dict("records")
    if kind == "polars":
        return x.to_dicts()
    if kind == "pyarrow":
        return x.to_pylist()
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{side} must be a list of dicts or a pandas/Polars/pyarrow table") from None


def _options(key, timestamp_col, prefer, dedup, fuzzy_dedup, fuzzy_threshold, schema) -> Any:
    if key is None:
        keys: List[str] = []
    elif isinstance(key, str):
        keys = [key]
    else:
        keys = list(key)
    if schema is not None and not isinstance(schema, MergeSchema):
        schema = MergeSchema.from_dict(schema)
    return _n.RecordMergeOptions(
        key=keys, prefer=prefer, timestamp_col=timestamp_col,
        schema_json=_json.dumps(schema.to_dict()) if schema is not None else None,
        custom=schema._customs() if schema is not None else {},
        dedup=dedup, fuzzy_dedup=fuzzy_dedup, fuzzy_threshold=float(fuzzy_threshold),
    )


def merge(df_a: Any, df_b: Any, key: Optional[Union[str, List[str]]] = None,
          timestamp_col: Optional[str] = None, prefer: str = "latest", dedup: bool = True,
          fuzzy_dedup: bool = False, fuzzy_threshold: float = 0.85,
          schema: Optional[MergeSchema] = None) -> Any:
    """Keyed merge of two tables; returns the same kind as ``df_a``."""
    opts = _options(key, timestamp_col, prefer, dedup, fuzzy_dedup, fuzzy_threshold, schema)
    ka, kb = _frame_kind(df_a), _frame_kind(df_b)
    if ka is not None and ka == kb:
        out = _call(_n.merge_tables_parquet, _to_parquet(df_a, ka), _to_parquet(df_b, kb), opts)
        return _from_parquet(out, ka)
    text = _call(_n.merge_records_json, _json.dumps(_rows(df_a, "df_a")), _json.dumps(_rows(df_b, "df_b")), opts)
    rows = _json.loads(text)
    if ka is not None:
        return _from_rows(rows, ka)
    return rows


def _from_rows(rows: list, kind: str) -> Any:
    if kind == "pandas":
        import pandas as pd
        return pd.DataFrame(rows)
    if kind == "polars":
        import polars as pl
        return pl.DataFrame(rows)
    import pyarrow as pa
    return pa.Table.from_pylist(rows)


# ----------------------------------------------------------------- provenance

@dataclass
class ProvenanceLog:
    """What a merge decided: counts, every conflict, exports."""

    total_rows: int = 0
    merged_rows: int = 0
    unique_a_rows: int = 0
    unique_b_rows: int = 0
    total_conflicts: int = 0
    duration_ms: float = 0.0
    conflicts: List[dict] = field(default_factory=list)
    _summary: str = field(default="", repr=False)
    _json: str = field(default="", repr=False)
    _csv: str = field(default="", repr=False)

    def summary(self) -> str:
        return self._summary

    def to_dict(self) -> dict:
        d = _json.loads(self._json)
        d.setdefault("duration_ms", self.duration_ms)
        return d


def merge_with_provenance(df_a: Any, df_b: Any, key: Union[str, List[str]] = "id",
                          schema: Optional[MergeSchema] = None,
                          timestamp_col: Optional[str] = None) -> Tuple[Any, ProvenanceLog]:
    """``merge`` plus a per-field conflict log; returns ``(merged, log)``."""
    opts = _options(key, timestamp_col, "latest", True, False, 0.85, schema)
    t = _time.perf_counter()
    r = _call(_n.merge_records_with_provenance_json, _json.dumps(_rows(df_a, "df_a")),
              _json.dumps(_rows(df_b, "df_b")), opts)
    ms = (_time.perf_counter() - t) * 1e3
    d = _json.loads(r.log_json)
    log = ProvenanceLog(
        total_rows=d.get("total_rows", 0), merged_rows=d.get("merged_rows", 0),
        unique_a_rows=d.get("unique_a_rows", 0), unique_b_rows=d.get("unique_b_rows", 0),
        total_conflicts=d.get("total_conflicts", 0), duration_ms=ms,
        conflicts=d.get("conflicts", []), _summary=r.summary, _json=r.log_json, _csv=r.log_csv)
    rows = _json.loads(r.rows_json)
    kind = _frame_kind(df_a)
    return (_from_rows(rows, kind) if kind else rows), log


def export_provenance(log: ProvenanceLog, format: str = "json") -> str:
    """The log as ``"json"`` or ``"csv"`` text."""
    if format == "json":
        return log._json
    if format == "csv":
        return log._csv
    raise ValueError(f"unknown provenance format {format!r} (json or csv)")


# ----------------------------------------------------------------- JSON

def merge_dicts(a: dict, b: dict, timestamps_a: Optional[Dict[str, float]] = None,
                timestamps_b: Optional[Dict[str, float]] = None, path: str = "") -> dict:
    """Deep merge: B wins, a ``None`` in B keeps A, nested dicts merge, lists union."""
    if timestamps_a or timestamps_b:
        raise NotImplementedError("per-key timestamps are not supported by crdt_merge_rs.merge_dicts yet")
    return _json.loads(_call(_n.merge_dicts_json, _json.dumps(a), _json.dumps(b)))


def merge_json_lines(lines_a: List[dict], lines_b: List[dict], key: Optional[str] = None) -> List[dict]:
    """Keyed merge of two lists of JSON records (deep merge per key), or union without a key."""
    text = _call(_n.merge_json_lines_text, "\n".join(_json.dumps(r) for r in lines_a),
                 "\n".join(_json.dumps(r) for r in lines_b), key)
    return [_json.loads(line) for line in text.splitlines() if line.strip()]


# ----------------------------------------------------------------- streaming

@dataclass
class StreamStats:
    """Progress of a streaming merge (the reference's fields)."""

    rows_processed: int = 0
    rows_merged: int = 0
    rows_unique_a: int = 0
    rows_unique_b: int = 0
    batches_processed: int = 0
    duration_ms: float = 0.0
    peak_batch_size: int = 0

    @property
    def rows_per_sec(self) -> float:
        return 0.0 if self.duration_ms == 0 else self.rows_processed / (self.duration_ms / 1000)


def _batches(it: Iterable[dict], n: int) -> Iterator[List[dict]]:
    buf: List[dict] = []
    for row in it:
        buf.append(row)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


def _emit(rows: List[dict], n: int, stats: Optional[StreamStats], t0: float) -> Iterator[List[dict]]:
    for i in range(0, len(rows), n):
        chunk = rows[i:i + n]
        if stats is not None:
            stats.rows_processed += len(chunk)
            stats.batches_processed += 1
            stats.peak_batch_size = max(stats.peak_batch_size, len(chunk))
            stats.duration_ms = (_time.perf_counter() - t0) * 1e3
        yield chunk


def merge_stream(source_a: Iterable[dict], source_b: Iterable[dict], key: str = "id",
                 batch_size: int = 5000, schema: Optional[MergeSchema] = None,
                 timestamp_col: Optional[str] = None,
                 stats: Optional[StreamStats] = None) -> Iterator[List[dict]]:
    """Streams A against B held in memory (O(|B| + batch)); yields lists of rows.
    Each A batch is merged in the core with the B rows of the same keys; B's
    unmatched rows come last."""
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    t0 = _time.perf_counter()
    opts = _options(key, timestamp_col, "latest", False, False, 0.85, schema)
    b_rows = list(source_b)
    by_key: Dict[Any, List[int]] = {}
    for i, r in enumerate(b_rows):
        by_key.setdefault(_hkey(r.get(key)), []).append(i)
    used = bytearray(len(b_rows))
    for batch in _batches(source_a, batch_size):
        idx = sorted({i for r in batch for i in by_key.get(_hkey(r.get(key)), ())})
        for i in idx:
            used[i] = 1
        matched = [b_rows[i] for i in idx]
        out = _json.loads(_call(_n.merge_records_json, _json.dumps(batch), _json.dumps(matched), opts))
        if stats is not None:
            stats.rows_merged += len(matched)
            stats.rows_unique_a += len(out) - len(matched)
        yield from _emit(out, batch_size, stats, t0)
    rest = [r for i, r in enumerate(b_rows) if not used[i]]
    if stats is not None:
        stats.rows_unique_b += len(rest)
    yield from _emit(rest, batch_size, stats, t0)


def _hkey(v: Any) -> Any:
    try:
        hash(v)
        return v
    except TypeError:
        return repr(v)


def merge_sorted_stream(source_a: Iterable[dict], source_b: Iterable[dict], key: str = "id",
                        batch_size: int = 5000, schema: Optional[MergeSchema] = None,
                        timestamp_col: Optional[str] = None,
                        stats: Optional[StreamStats] = None) -> Iterator[List[dict]]:
    """Merge-join of two sources sorted by ``key`` (ascending), memory O(batch).
    Raises ``ValueError`` when either source is not sorted."""
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    t0 = _time.perf_counter()
    opts = _options(key, timestamp_col, "latest", False, False, 0.85, schema)
    it_b = iter(source_b)
    pending: List[dict] = []
    last = {"a": None, "b": None}

    def check(side: str, row: dict) -> Any:
        k = row.get(key)
        if k is None:
            raise ValueError(f"source_{side}: row without key {key!r}")
        if last[side] is not None and k < last[side]:
            raise ValueError(f"source_{side} is not sorted by {key!r}: {k!r} after {last[side]!r}")
        last[side] = k
        return k

    b_done = False
    for batch in _batches(source_a, batch_size):
        for r in batch:
            check("a", r)
        kmax = last["a"]
        while not b_done and (not pending or pending[-1].get(key) <= kmax):
            nxt = next(it_b, None)
            if nxt is None:
                b_done = True
                break
            check("b", nxt)
            pending.append(nxt)
        take = [r for r in pending if r.get(key) <= kmax]
        pending = [r for r in pending if r.get(key) > kmax]
        out = _json.loads(_call(_n.merge_records_json, _json.dumps(batch), _json.dumps(take), opts))
        out.sort(key=lambda r: r.get(key))
        yield from _emit(out, batch_size, stats, t0)
    rest = list(pending)
    for r in it_b:
        check("b", r)
        rest.append(r)
    yield from _emit(rest, batch_size, stats, t0)

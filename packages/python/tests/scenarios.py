"""Operations written once against the reference's API and run on both
implementations: `M` is either `crdt_merge` (the reference) or `crdt_merge_rs`.
Every scenario is deterministic (explicit timestamps, fixed ORSet tags)."""


def g_counter(M):
    g = M.GCounter()
    g.increment("a", 5)
    g.increment("b")
    g.increment("a", 2)
    return g


def g_counter_initial(M):
    return M.GCounter("n1", 7)


def pn_counter(M):
    p = M.PNCounter()
    p.increment("a", 10)
    p.decrement("b", 3)
    p.decrement("a")
    return p


def lww_str(M):
    return M.LWWRegister("hello", 1700000000.5, "node-1")


def lww_int_ts(M):
    r = M.LWWRegister()
    r.set(42, 17, "n")
    return r


def lww_nested(M):
    r = M.LWWRegister()
    r.set({"name": "ada", "tags": ["x", "y"], "score": 1.5, "none": None, "ok": True}, 1.0, "z")
    return r


def lww_unicode_bytes(M):
    return M.LWWRegister(["é", "日本", b"\x00\xff", -7, 2**40, 1e-300], 3.25, "ü")


def lww_map(M):
    m = M.LWWMap()
    m.set("a", 1, 1.0, "n1")
    m.set("b", "two", 2.0, "n2")
    m.set("c", [3], 3.0, "n1")
    m.delete("b", 5.0)
    return m


def or_set_fixed(M):
    return M.ORSet.from_dict({"type": "or_set", "elements": {"x": ["aaaaaaaaaaaa"], "y": ["bbbbbbbbbbbb", "cccccccccccc"]}})


def hll_strs(M):
    h = M.MergeableHLL(precision=10)
    h.add_all([f"user-{i}" for i in range(300)])
    return h


def hll_mixed(M):
    h = M.MergeableHLL(precision=8)
    for x in [1, 2, 3, "a", 2.5, None, True]:
        h.add(x)
    return h


def bloom(M):
    b = M.MergeableBloom(capacity=500, fp_rate=0.02)
    b.add_all([f"k{i}" for i in range(100)])
    b.add(12345)
    return b


def cms(M):
    c = M.MergeableCMS(width=64, depth=4)
    for i in range(50):
        c.add(f"w{i % 7}")
    c.add("heavy", 40)
    c.add(99, 3)
    return c


def vector_clock(M):
    return M.VectorClock({"a": 3, "b": 1}).increment("c")


SCENARIOS = {f.__name__: f for f in [
    g_counter, g_counter_initial, pn_counter, lww_str, lww_int_ts, lww_nested, lww_unicode_bytes,
    lww_map, or_set_fixed, hll_strs, hll_mixed, bloom, cms, vector_clock,
]}

# pairs merged on both sides: (left scenario, right builder)
def _g2(M):
    g = M.GCounter()
    g.increment("a", 1)
    g.increment("c", 9)
    return g


def _lww2(M):
    return M.LWWRegister("newer", 1800000000.0, "node-0")


def _map2(M):
    m = M.LWWMap()
    m.set("b", "again", 6.0, "n3")
    m.set("d", {"k": 1}, 1.0, "n1")
    return m


def _hll2(M):
    h = M.MergeableHLL(precision=10)
    h.add_all([f"user-{i}" for i in range(200, 500)])
    return h


def _bloom2(M):
    b = M.MergeableBloom(capacity=500, fp_rate=0.02)
    b.add_all([f"z{i}" for i in range(50)])
    return b


def _cms2(M):
    c = M.MergeableCMS(width=64, depth=4)
    c.add("heavy", 2)
    c.add("new", 5)
    return c


def _vc2(M):
    return M.VectorClock({"a": 1, "b": 4})


MERGES = {
    "g_counter": (g_counter, _g2),
    "lww": (lww_str, _lww2),
    "lww_map": (lww_map, _map2),
    "hll": (hll_strs, _hll2),
    "bloom": (bloom, _bloom2),
    "cms": (cms, _cms2),
    "vector_clock": (vector_clock, _vc2),
}


# ---- agent memory (timestamps explicit; the agents' created_at comes from the clock on both sides)
def agents(M):
    a = M.AgentState("alice")
    a.add_fact("capital", "Paris", confidence=0.9, timestamp=1.0)
    a.add_fact("pop", 67, confidence=0.5, timestamp=1.5)
    a.add_tag("geo")
    a.increment("queries", 2)
    b = M.AgentState("bob")
    b.add_fact("capital", "Paris, FR", confidence=0.95, timestamp=2.0)
    b.decrement("queries")
    return a, b


MEMORIES_A = [{"fact": "x", "confidence": 0.4, "ts": 1.0, "source": "a"}, {"fact": "y", "confidence": 0.2, "ts": 1.0}]
MEMORIES_B = [{"fact": "x", "confidence": 0.8, "ts": 2.0, "source": "b"}, {"fact": "z", "ts": 3.0, "confidence": 0.6}]
MANIFEST_KEYS = ["total_memories", "unique_memories", "duplicates_removed", "strategy_used"]


def context_merge(M, strategy, budget, min_confidence):
    r = M.ContextMerge(strategy=strategy, budget=budget, min_confidence=min_confidence).merge(MEMORIES_A, MEMORIES_B)
    facts = [(m["fact"], m["confidence"]) if isinstance(m, dict) else (m.fact, m.sidecar.confidence) for m in r.memories]
    man = r.manifest.to_dict()
    return {"memories": facts, "manifest": {k: man[k] for k in MANIFEST_KEYS}}


CONTEXT_CASES = [("lww", None, 0.0), ("max_confidence", 2, 0.0), ("union", None, 0.3)]

#!/usr/bin/env python3
"""Generate core/tests/fixtures/memory_cases.json from the reference
(crdt-merge==0.8.3): inputs and the reference's outputs for ContextMerge,
MemorySidecar, ContextManifest, AgentState and SharedKnowledge, plus the
counterexamples where the reference breaks a merge law.

Deterministic: run with PYTHONHASHSEED=0; the clock and uuid4 are replaced by
counters, every memory has a fixed non-zero ts (except the cases about a
missing ts).

    PYTHONHASHSEED=0 /tmp/refvenv/bin/python core/tests/memory_gen.py
"""

import itertools
import json
import os
import random
import sys
import uuid

import crdt_merge.agentic as agentic
import crdt_merge.core as crdt_core
from crdt_merge.context import ContextConsolidator, ContextManifest, ContextMerge, MemorySidecar

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "memory_cases.json")


class FakeClock:
    """Stands in for the `time` module inside the reference."""

    def __init__(self):
        self.t = 1_700_000_000.0

    def time(self):
        self.t += 1.0
        return self.t


_uuid_rng = random.Random(7)


def fake_uuid4():
    return uuid.UUID(int=_uuid_rng.getrandbits(128))


crdt_core.uuid.uuid4 = fake_uuid4
agentic.time = FakeClock()

FACTS = ["sky is blue", "grass is green", "water is wet", "fire is hot", "ice is cold", "sun is bright", "\u00e9t\u00e9 chaud", "a", "b"]
SOURCES = ["", "alice", "bob", "carol"]
TOPICS = ["", "science", "weather", "misc"]
TAGS = ["t1", "t2", "t3", "x"]
META_VALUES = [1, 2, 30, "x", "yy", True, None, [1, 2], {"k": 1}]
CONFS = [0.1, 0.5, 0.5, 0.9, 1.0, 0.75]


def rand_memory(rng, force_ts=True):
    m = {"fact": rng.choice(FACTS)}
    if rng.random() < 0.8:
        m["confidence"] = rng.choice(CONFS)
    if rng.random() < 0.7:
        m["source"] = rng.choice(SOURCES)
    m["ts"] = float(rng.randint(1, 50)) if force_ts else None
    if rng.random() < 0.6:
        m["topic"] = rng.choice(TOPICS)
    if rng.random() < 0.6:
        m["tags"] = rng.sample(TAGS, rng.randint(0, 3))
    for key in rng.sample(["note", "lang", "score"], rng.randint(0, 2)):
        m[key] = rng.choice(META_VALUES)
    return m


def chunk_to_dict(mc):
    d = {
        "fact": mc.fact,
        "confidence": mc.sidecar.confidence,
        "source": mc.sidecar.source_agent,
        "ts": mc.sidecar.timestamp,
        "topic": mc.sidecar.topic,
        "tags": list(mc.sidecar.tags),
    }
    for k, v in mc.sidecar.metadata.items():
        d[k] = v
    return d


def manifest_fields(m):
    d = m.to_dict()
    return {k: d[k] for k in ("source_agents", "total_memories", "unique_memories", "duplicates_removed", "conflicts_resolved", "strategy_used", "quality_score")}


def run_merge(a, b, strategy, budget, min_conf, priority):
    cm = ContextMerge(strategy=strategy, budget=budget, min_confidence=min_conf, agent_priority=priority)
    r = cm.merge(a, b)
    return [chunk_to_dict(mc) for mc in r.memories], manifest_fields(r.manifest)


def canon(mems):
    return sorted(json.dumps(m, sort_keys=True) for m in mems)


def context_cases(rng):
    cases = []
    configs = [("lww", None, 0.0), ("max_confidence", None, 0.0), ("priority", None, 0.0), ("union", None, 0.0), ("lww", 2, 0.0), ("max_confidence", None, 0.5), ("union", 3, 0.6)]
    priority = {"alice": 3, "bob": 1}
    for i in range(40):
        a = [rand_memory(rng) for _ in range(rng.randint(0, 6))]
        b = [rand_memory(rng) for _ in range(rng.randint(0, 6))]
        runs = []
        for strategy, budget, min_conf in configs:
            mems, manifest = run_merge(a, b, strategy, budget, min_conf, priority)
            rev, _ = run_merge(b, a, strategy, budget, min_conf, priority)
            # A budget cut between equal confidences depends on input order in the reference.
            full, _ = run_merge(a, b, strategy, None, min_conf, priority)
            confs = sorted((m["confidence"] for m in full), reverse=True)
            tie = budget is not None and len(confs) > budget and budget > 0 and confs[budget - 1] == confs[budget]
            runs.append({
                "strategy": strategy,
                "budget": budget,
                "min_confidence": min_conf,
                "memories": mems,
                "manifest": manifest,
                "order_dependent": tie or canon(mems) != canon(rev),
            })
        cases.append({"a": a, "b": b, "agent_priority": priority, "runs": runs})
    return cases


def sidecar_cases(rng):
    out = []
    for _ in range(20):
        scs = []
        for _ in range(2):
            m = rand_memory(rng)
            sc = MemorySidecar.from_fact(m["fact"], source_agent=m.get("source", ""), topic=m.get("topic", ""), confidence=m.get("confidence", 1.0), tags=m.get("tags", []), metadata={"note": rng.choice([1, 5, "z", "q"])})
            sc.timestamp = m["ts"]
            sc.access_count = rng.randint(0, 3)
            sc.ttl = rng.choice([None, 10.0, 20.0])
            scs.append(sc)
        out.append({"a": scs[0].to_dict(), "b": scs[1].to_dict(), "merged": scs[0].merge(scs[1]).to_dict()})
    return out


def manifest_cases(rng):
    out = []
    for _ in range(10):
        ms = []
        for _ in range(2):
            ms.append(ContextManifest(
                manifest_id=rng.choice(["m1", "m2", "abc"]), created_at=float(rng.randint(1, 9)),
                source_agents=rng.sample(SOURCES[1:], rng.randint(0, 3)), total_memories=rng.randint(0, 9),
                unique_memories=rng.randint(0, 9), duplicates_removed=rng.randint(0, 4), conflicts_resolved=rng.randint(0, 2),
                strategy_used=rng.choice(["", "lww", "union"]), quality_score=rng.choice([0.0, 0.5, 0.875]),
                provenance_chain=[{"operation": "merge", "timestamp": float(rng.randint(1, 3)), "n": rng.randint(0, 2)} for _ in range(rng.randint(0, 3))],
            ))
        out.append({"a": ms[0].to_dict(), "b": ms[1].to_dict(), "merged": ms[0].merge(ms[1]).to_dict(), "summary_a": ms[0].summary()})
    return out


def make_agent(rng, name, n_facts, ts_base):
    st = agentic.AgentState(agent_id=name)
    for _ in range(n_facts):
        key = rng.choice(["k1", "k2", "k3", "k4"])
        ts = float(ts_base + rng.randint(1, 40))
        # confidence grows with ts, so "higher confidence" and "later timestamp" agree
        st.add_fact(key, rng.choice([1, "v", [1, 2], {"x": 1.5}]), confidence=round(ts / 100.0, 2), timestamp=ts)
    for _ in range(rng.randint(0, 3)):
        st.add_tag(rng.choice(TAGS))
    if rng.random() < 0.3:
        st._facts.delete(rng.choice(["k1", "k2", "k3", "k4"]), timestamp=float(ts_base + rng.randint(1, 40)))
    if rng.random() < 0.3 and st.tags:
        st.remove_tag(sorted(st.tags)[0])
    for _ in range(rng.randint(0, 3)):
        name_c = rng.choice(["queries", "errors"])
        if rng.random() < 0.7:
            st.increment(name_c, rng.randint(1, 5))
        else:
            st.decrement(name_c, rng.randint(1, 5))
    for _ in range(rng.randint(0, 3)):
        st.append_message(rng.choice(["hello", "done", "hi"]), role=rng.choice(["agent", "user"]), metadata=rng.choice([None, {"m": 1}]))
    return st


def agent_summary(st):
    return {
        "facts": {k: f.to_dict() for k, f in sorted(st.list_facts().items())},
        "tags": sorted(st.tags),
        "counters": {k: st.counter_value(k) for k in sorted(st._counters)},
        "messages": [[m["content"], m["agent_id"], m["timestamp"]] for m in st.messages],
        "agent_id": st.agent_id,
    }


def agent_cases(rng):
    out = []
    for i in range(20):
        n = rng.randint(2, 3)
        names = rng.sample(["researcher", "analyst", "reviewer", "writer"], n)
        agents = [make_agent(rng, nm, rng.randint(0, 4), 0) for nm in names]
        shared = agentic.SharedKnowledge.merge(*agents)
        out.append({
            "agents": [a.to_dict() for a in agents],
            "shared": shared.to_dict(),
            "summary": agent_summary(shared.state),
            "contributing_agents": shared.contributing_agents,
        })
    return out


def consolidator_cases(rng):
    out = []
    for _ in range(10):
        mems = [rand_memory(rng) for _ in range(rng.randint(0, 9))]
        chunks = [ContextMerge._dict_to_chunk(m) for m in mems]
        size = rng.randint(1, 4)
        con = ContextConsolidator(block_size=size)
        blocks = con.consolidate(chunks)
        other = [ContextMerge._dict_to_chunk(rand_memory(rng)) for _ in range(rng.randint(0, 5))]
        merged = con.merge_blocks(blocks, con.consolidate(other))
        out.append({
            "memories": mems,
            "other": [m.to_dict() for m in other],
            "block_size": size,
            "blocks": [b.to_dict() for b in blocks],
            "merged_memories": [m.to_dict() for b in merged for m in b.memories],
        })
    return out


def law_breaks():
    """Counterexamples where the reference is not commutative, associative or idempotent."""
    br = {}

    # 1. ContextMerge budget ties depend on input order.
    a = [{"fact": "x", "confidence": 0.5, "ts": 1.0}]
    b = [{"fact": "y", "confidence": 0.5, "ts": 1.0}]
    ab, _ = run_merge(a, b, "lww", 1, 0.0, {})
    ba, _ = run_merge(b, a, "lww", 1, 0.0, {})
    br["budget_tie"] = {"a": a, "b": b, "budget": 1, "ref_ab": ab, "ref_ba": ba}

    # 2. Metadata values with equal str() keep the left one.
    a = [{"fact": "x", "ts": 1.0, "note": 1}]
    b = [{"fact": "x", "ts": 1.0, "note": "1"}]
    ab, _ = run_merge(a, b, "lww", None, 0.0, {})
    ba, _ = run_merge(b, a, "lww", None, 0.0, {})
    br["metadata_str_tie"] = {"a": a, "b": b, "ref_ab": ab, "ref_ba": ba}

    # 3. Duplicate tags survive alone but collapse when merged with itself.
    a = [{"fact": "x", "ts": 1.0, "tags": ["t", "t"]}]
    alone, _ = run_merge(a, [], "lww", None, 0.0, {})
    twice, _ = run_merge(a, a, "lww", None, 0.0, {})
    br["duplicate_tags"] = {"a": a, "ref_a_empty": alone, "ref_a_a": twice}

    # 4. merge_multi is not associative: the budget is applied at every step
    #    and intermediate results lose their metadata.
    a = [{"fact": "x", "confidence": 0.2, "ts": 1.0, "note": "n"}, {"fact": "y", "confidence": 0.9, "ts": 1.0}]
    b = [{"fact": "z", "confidence": 0.8, "ts": 1.0}]
    c = [{"fact": "x", "confidence": 0.95, "ts": 2.0}]
    cm = ContextMerge(strategy="lww", budget=2)
    abc = [chunk_to_dict(m) for m in cm.merge_multi(a, b, c).memories]
    cba = [chunk_to_dict(m) for m in cm.merge_multi(c, b, a).memories]
    br["merge_multi"] = {"inputs": [a, b, c], "budget": 2, "ref_abc": abc, "ref_cba": cba}
    cm2 = ContextMerge(strategy="lww")
    kept = [chunk_to_dict(m) for m in cm2.merge_multi([{"fact": "x", "ts": 1.0, "note": "n"}], [], []).memories]
    br["merge_multi_metadata"] = {"inputs": [[{"fact": "x", "ts": 1.0, "note": "n"}], [], []], "ref": kept}

    # 5. A missing ts reads the clock.
    a = [{"fact": "x"}]
    r, _ = run_merge(a, [], "lww", None, 0.0, {})
    br["missing_ts"] = {"a": a, "ref_ts_is_clock": r[0]["ts"] > 1e9}

    # 6. AgentState facts: the reference keeps the later timestamp, not the higher confidence.
    p = agentic.AgentState("p")
    p.add_fact("k", "old-but-sure", confidence=0.9, timestamp=1.0)
    q = agentic.AgentState("q")
    q.add_fact("k", "new-but-unsure", confidence=0.2, timestamp=2.0)
    br["fact_confidence"] = {"p": p.to_dict(), "q": q.to_dict(), "ref_value": p.merge(q).get_fact("k").value}

    # 7. Same timestamp and node id: the left register wins (not commutative).
    p = agentic.AgentState("n")
    p.add_fact("k", "left", confidence=0.5, timestamp=1.0)
    q = agentic.AgentState("n")
    q.add_fact("k", "right", confidence=0.5, timestamp=1.0)
    br["fact_tie"] = {"p": p.to_dict(), "q": q.to_dict(), "ref_pq": p.merge(q).get_fact("k").value, "ref_qp": q.merge(p).get_fact("k").value}

    # 8. Merged agent ids are not associative.
    x, y, z = agentic.AgentState("x"), agentic.AgentState("y"), agentic.AgentState("z")
    br["agent_id"] = {"ids": ["x", "z", "y"], "ref_left": x.merge(z).merge(y).agent_id, "ref_right": x.merge(z.merge(y)).agent_id}

    # 9. Messages with the same (content, agent, timestamp) keep the first one seen.
    p = agentic.AgentState("a")
    p._messages = [{"content": "hi", "role": "agent", "agent_id": "a", "timestamp": 5.0, "metadata": {}}]
    q = agentic.AgentState("a")
    q._messages = [{"content": "hi", "role": "user", "agent_id": "a", "timestamp": 5.0, "metadata": {}}]
    br["message_dedup"] = {"p": p.to_dict(), "q": q.to_dict(), "ref_pq_role": p.merge(q).messages[0]["role"], "ref_qp_role": q.merge(p).messages[0]["role"]}
    return br


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        sys.exit("run with PYTHONHASHSEED=0")
    rng = random.Random(20260401)
    fixture = {
        "generator": "core/tests/memory_gen.py against crdt-merge==0.8.3",
        "context": context_cases(rng),
        "sidecar": sidecar_cases(rng),
        "manifest": manifest_cases(rng),
        "agents": agent_cases(rng),
        "consolidator": consolidator_cases(rng),
        "law_breaks": law_breaks(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

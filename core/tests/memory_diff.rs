//! Differential tests against the reference (crdt-merge 0.8.3): the fixture
//! `fixtures/memory_cases.json` is written by `memory_gen.py` from the
//! reference's own outputs. Where the reference is law-abiding we must give
//! the same result (order-free); where it is not, we assert our documented
//! rule (wire-spec/memory.md).

use std::collections::BTreeMap;

use crdt_merge_core::memory::{
    AgentState, ConsolidatedBlock, ContextConsolidator, ContextManifest, ContextMerge, Memory,
    MemoryChunk, MemorySidecar, SharedKnowledge, Strategy,
};
use crdt_merge_core::{json, Merge, Value, WireType};

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/memory_cases.json"
    ))
    .unwrap();
    json::parse(&text).unwrap()
}

fn list(v: &Value) -> &[Value] {
    v.as_list().unwrap_or_else(|| panic!("not a list: {v:?}"))
}

fn memories(v: &Value) -> Vec<Memory> {
    list(v)
        .iter()
        .map(|m| Memory::from_value(m).unwrap())
        .collect()
}

/// Order-free form of a memory list.
fn memset(ms: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut v: Vec<Value> = ms.into_iter().map(|m| m.sorted()).collect();
    v.sort();
    v
}

fn ours(ms: &[Memory]) -> Vec<Value> {
    memset(ms.iter().map(Memory::to_value))
}

fn opts(run: &Value, prio: &Value) -> ContextMerge {
    let mut cm =
        ContextMerge::new(Strategy::parse(run.get("strategy").unwrap().as_str().unwrap()).unwrap());
    cm.budget = run
        .get("budget")
        .and_then(Value::as_int)
        .map(|b| b as usize);
    cm.min_confidence = run.get("min_confidence").unwrap().as_f64().unwrap();
    cm.agent_priority = prio
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v.as_int().unwrap()))
        .collect();
    cm
}

#[test]
fn context_merge_matches_reference() {
    let fx = fixture();
    let (mut checked, mut ruled) = (0, 0);
    for (ci, case) in list(fx.get("context").unwrap()).iter().enumerate() {
        let a = memories(case.get("a").unwrap());
        let b = memories(case.get("b").unwrap());
        for m in a.iter().chain(&b) {
            let line = m.to_json_line().unwrap();
            assert_eq!(
                &crdt_merge_core::memory::parse_memory_line(&line).unwrap(),
                m,
                "{line}"
            );
        }
        for run in list(case.get("runs").unwrap()) {
            let cm = opts(run, case.get("agent_priority").unwrap());
            let out = cm.merge(&a, &b);
            let rev = cm.merge(&b, &a);
            assert_eq!(out.memories, rev.memories, "case {ci}: not order-free");
            // Sorted by fact.
            assert!(out.memories.windows(2).all(|w| w[0].fact < w[1].fact));
            let man = run.get("manifest").unwrap();
            let n = |k: &str| man.get(k).unwrap().as_int().unwrap();
            assert_eq!(
                out.manifest.total_memories,
                n("total_memories"),
                "case {ci}"
            );
            assert_eq!(
                out.manifest.duplicates_removed,
                n("duplicates_removed"),
                "case {ci}"
            );
            assert_eq!(
                out.manifest.conflicts_resolved,
                n("conflicts_resolved"),
                "case {ci}"
            );
            assert_eq!(
                out.manifest.unique_memories,
                n("unique_memories"),
                "case {ci}"
            );
            assert_eq!(
                out.manifest.strategy_used,
                man.get("strategy_used").unwrap().as_str().unwrap()
            );
            let srcs: Vec<&str> = list(man.get("source_agents").unwrap())
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            assert_eq!(out.manifest.source_agents, srcs, "case {ci}");
            if run.get("order_dependent") == Some(&Value::Bool(true)) {
                // The reference's budget cut depends on input order; ours keeps
                // the highest confidence, ties by smaller fact.
                let mut all = cm.clone();
                all.budget = None;
                let full = all.merge(&a, &b).memories;
                let budget = cm.budget.unwrap();
                let mut ranked = full.clone();
                ranked.sort_by(|x, y| {
                    y.confidence
                        .total_cmp(&x.confidence)
                        .then(x.fact.cmp(&y.fact))
                });
                ranked.truncate(budget);
                ranked.sort_by(|x, y| x.fact.cmp(&y.fact));
                assert_eq!(out.memories, ranked, "case {ci}");
                assert_eq!(out.memories.len(), list(run.get("memories").unwrap()).len());
                ruled += 1;
            } else {
                assert_eq!(
                    ours(&out.memories),
                    memset(list(run.get("memories").unwrap()).iter().cloned()),
                    "case {ci} run {run:?}"
                );
                let q = man.get("quality_score").unwrap().as_f64().unwrap();
                assert_eq!(
                    out.manifest.quality_score.to_bits(),
                    q.to_bits(),
                    "case {ci}"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 200 && ruled > 0,
        "checked {checked}, ruled {ruled}"
    );
}

#[test]
fn sidecar_merge_matches_reference() {
    let fx = fixture();
    for case in list(fx.get("sidecar").unwrap()) {
        let a = MemorySidecar::from_value(case.get("a").unwrap()).unwrap();
        let b = MemorySidecar::from_value(case.get("b").unwrap()).unwrap();
        assert_eq!(a.to_value().sorted(), case.get("a").unwrap().sorted());
        let m = a.merge(&b).unwrap();
        assert_eq!(m, b.merge(&a).unwrap());
        assert_eq!(m.to_value().sorted(), case.get("merged").unwrap().sorted());
    }
}

#[test]
fn manifest_merge_matches_reference() {
    let fx = fixture();
    for case in list(fx.get("manifest").unwrap()) {
        let a = ContextManifest::from_value(case.get("a").unwrap()).unwrap();
        let b = ContextManifest::from_value(case.get("b").unwrap()).unwrap();
        assert_eq!(a.to_value().sorted(), case.get("a").unwrap().sorted());
        let m = a.merge(&b).unwrap();
        assert_eq!(m, b.merge(&a).unwrap());
        assert_eq!(m.to_value().sorted(), case.get("merged").unwrap().sorted());
        assert_eq!(
            a.summary(),
            case.get("summary_a").unwrap().as_str().unwrap()
        );
    }
}

fn without_key(v: Value, key: &str) -> Value {
    match v {
        Value::Map(m) => Value::Map(
            m.into_iter()
                .filter(|(k, _)| k.as_str() != Some(key))
                .collect(),
        ),
        v => v,
    }
}

#[test]
fn consolidator_matches_reference() {
    let fx = fixture();
    for (ci, case) in list(fx.get("consolidator").unwrap()).iter().enumerate() {
        let mems = memories(case.get("memories").unwrap());
        let chunks: Vec<MemoryChunk> = mems
            .iter()
            .map(|m| MemoryChunk::from_memory(m, 0.0))
            .collect();
        let con =
            ContextConsolidator::new(case.get("block_size").unwrap().as_int().unwrap() as usize);
        let blocks = con.consolidate(&chunks, 0.0);
        let ref_blocks = list(case.get("blocks").unwrap());
        assert_eq!(blocks.len(), ref_blocks.len(), "case {ci}");
        for (b, r) in blocks.iter().zip(ref_blocks) {
            assert_eq!(
                without_key(b.to_value(), "created_at").sorted(),
                without_key(r.clone(), "created_at").sorted(),
                "case {ci}"
            );
            let back = ConsolidatedBlock::from_value(r).unwrap();
            assert_eq!(back.block_id, b.block_id);
        }
        let other: Vec<MemoryChunk> = list(case.get("other").unwrap())
            .iter()
            .map(|c| MemoryChunk::from_value(c).unwrap())
            .collect();
        let merged = con.merge_blocks(&blocks, &con.consolidate(&other, 0.0), 0.0);
        let ours: Vec<Value> = memset(
            ContextConsolidator::unconsolidate(&merged)
                .iter()
                .map(MemoryChunk::to_value),
        );
        assert_eq!(
            ours,
            memset(list(case.get("merged_memories").unwrap()).iter().cloned()),
            "case {ci}"
        );
    }
}

/// Canonical form of an AgentState dict: maps sorted, tag-id lists and messages sorted.
fn norm_agent(v: &Value) -> Value {
    let Value::Map(entries) = v.sorted() else {
        panic!("not a dict")
    };
    Value::Map(
        entries
            .into_iter()
            .map(|(k, val)| {
                let val = match (k.as_str(), val) {
                    (Some("tags"), Value::Map(t)) => Value::Map(
                        t.into_iter()
                            .map(|(tk, tv)| match (tk.as_str(), tv) {
                                (Some("elements"), Value::Map(els)) => (
                                    tk,
                                    Value::Map(
                                        els.into_iter()
                                            .map(|(e, ids)| {
                                                let mut l = ids.as_list().unwrap().to_vec();
                                                l.sort();
                                                (e, Value::List(l))
                                            })
                                            .collect(),
                                    ),
                                ),
                                (_, tv) => (tk, tv),
                            })
                            .collect(),
                    ),
                    (Some("messages"), Value::List(mut l)) => {
                        l.sort();
                        Value::List(l)
                    }
                    (_, val) => val,
                };
                (k, val)
            })
            .collect(),
    )
}

fn without_agent_id(v: Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(
            m.into_iter()
                .filter(|(k, _)| k.as_str() != Some("agent_id"))
                .collect(),
        ),
        v => v,
    }
}

#[test]
fn agent_state_matches_reference() {
    let fx = fixture();
    for (ci, case) in list(fx.get("agents").unwrap()).iter().enumerate() {
        let dicts = list(case.get("agents").unwrap());
        let agents: Vec<AgentState> = dicts
            .iter()
            .map(|d| AgentState::from_value(d).unwrap())
            .collect();
        for (a, d) in agents.iter().zip(dicts) {
            assert_eq!(
                norm_agent(&a.to_value()),
                norm_agent(d),
                "case {ci}: to_dict round trip"
            );
            let back = AgentState::from_value(&a.to_value()).unwrap();
            assert_eq!(&back, a);
        }
        let shared = SharedKnowledge::merge(&agents).unwrap();
        let mut rev = agents.clone();
        rev.reverse();
        assert_eq!(
            shared,
            SharedKnowledge::merge(&rev).unwrap(),
            "case {ci}: order-free"
        );
        let ref_shared = case.get("shared").unwrap();
        let ref_state = ref_shared.get("state").unwrap();
        // Whole state equal except the merged agent id (the reference's is not associative).
        assert_eq!(
            without_agent_id(norm_agent(&shared.state.to_value())),
            without_agent_id(norm_agent(ref_state)),
            "case {ci}"
        );
        let summary = case.get("summary").unwrap();
        let facts: BTreeMap<String, Value> = shared
            .state
            .list_facts()
            .into_iter()
            .map(|(k, f)| (k.to_string(), f.to_value().sorted()))
            .collect();
        let ref_facts: BTreeMap<String, Value> = summary
            .get("facts")
            .unwrap()
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), v.sorted()))
            .collect();
        assert_eq!(facts, ref_facts, "case {ci}");
        let tags: Vec<Value> = shared.state.tags().into_iter().map(Value::str).collect();
        assert_eq!(tags, list(summary.get("tags").unwrap()), "case {ci}");
        for (name, n) in summary.get("counters").unwrap().as_map().unwrap() {
            assert_eq!(
                shared.state.counter_value(name.as_str().unwrap()),
                n.as_int().unwrap() as i128
            );
        }
        let msgs: Vec<Value> = shared
            .state
            .messages()
            .into_iter()
            .map(|m| {
                Value::List(vec![
                    m.get("content").unwrap().clone(),
                    m.get("agent_id").unwrap().clone(),
                    m.get("timestamp").unwrap().clone(),
                ])
            })
            .collect();
        assert_eq!(msgs, list(summary.get("messages").unwrap()), "case {ci}");
        let ref_id = summary.get("agent_id").unwrap().as_str().unwrap();
        let mut names: Vec<&str> = ref_id.split('+').collect();
        names.sort();
        assert_eq!(shared.state.agent_id, names.join("+"), "case {ci}");
        if agents.len() == 2 {
            assert_eq!(shared.state.agent_id, ref_id);
        }
        let contrib: Vec<Value> = shared
            .contributing_agents
            .iter()
            .map(|s| Value::str(s.as_str()))
            .collect();
        assert_eq!(contrib, list(case.get("contributing_agents").unwrap()));
        // SharedKnowledge frame round trip.
        let back = SharedKnowledge::from_value(&shared.to_value()).unwrap();
        assert_eq!(back, shared);
    }
}

#[test]
fn reference_law_breaks_follow_our_rules() {
    let fx = fixture();
    let br = fx.get("law_breaks").unwrap();
    let cm = ContextMerge::default();

    // Budget ties: the reference keeps whichever came first; we keep the smaller fact.
    let c = br.get("budget_tie").unwrap();
    assert_ne!(
        c.get("ref_ab"),
        c.get("ref_ba"),
        "reference is order-dependent here"
    );
    let (a, b) = (memories(c.get("a").unwrap()), memories(c.get("b").unwrap()));
    let mut bud = cm.clone();
    bud.budget = Some(1);
    let out = bud.merge(&a, &b).memories;
    assert_eq!(out, bud.merge(&b, &a).memories);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].fact, "x");

    // Metadata with equal str(): the reference keeps the left value; we order by value ("1" > 1).
    let c = br.get("metadata_str_tie").unwrap();
    assert_ne!(
        c.get("ref_ab").unwrap().sorted(),
        c.get("ref_ba").unwrap().sorted()
    );
    let (a, b) = (memories(c.get("a").unwrap()), memories(c.get("b").unwrap()));
    let out = cm.merge(&a, &b).memories;
    assert_eq!(out, cm.merge(&b, &a).memories);
    assert_eq!(out[0].metadata["note"], Value::str("1"));

    // Duplicate tags: the reference keeps them unless merged with itself; we dedup always.
    let c = br.get("duplicate_tags").unwrap();
    assert_ne!(
        c.get("ref_a_empty").unwrap().sorted(),
        c.get("ref_a_a").unwrap().sorted()
    );
    let a = memories(c.get("a").unwrap());
    let out = cm.merge(&a, &[]).memories;
    assert_eq!(out, cm.merge(&a, &a).memories);
    assert_eq!(out[0].tags, vec!["t".to_string()]);
    assert_eq!(
        ours(&out),
        memset(list(c.get("ref_a_a").unwrap()).iter().cloned())
    );

    // merge_multi: the reference's result depends on order (budget per step, metadata dropped).
    let c = br.get("merge_multi").unwrap();
    assert_ne!(
        c.get("ref_abc").unwrap().sorted(),
        c.get("ref_cba").unwrap().sorted()
    );
    let inputs: Vec<Vec<Memory>> = list(c.get("inputs").unwrap())
        .iter()
        .map(memories)
        .collect();
    let mut bud = cm.clone();
    bud.budget = Some(2);
    let out = bud.merge_many(&inputs);
    let mut rev = inputs.clone();
    rev.reverse();
    assert_eq!(out.memories, bud.merge_many(&rev).memories);
    // Ours: merge everything, then cut once — equals the reference's order that keeps metadata.
    assert_eq!(
        ours(&out.memories),
        memset(list(c.get("ref_cba").unwrap()).iter().cloned())
    );
    let c = br.get("merge_multi_metadata").unwrap();
    let inputs: Vec<Vec<Memory>> = list(c.get("inputs").unwrap())
        .iter()
        .map(memories)
        .collect();
    let out = cm.merge_many(&inputs);
    assert_eq!(out.memories[0].metadata["note"], Value::str("n"));
    assert!(
        list(c.get("ref").unwrap())[0].get("note").is_none(),
        "reference drops metadata in merge_multi"
    );

    // Missing ts: the reference reads the clock; we use `now` (default 0.0).
    let c = br.get("missing_ts").unwrap();
    assert_eq!(c.get("ref_ts_is_clock"), Some(&Value::Bool(true)));
    let a = memories(c.get("a").unwrap());
    assert_eq!(cm.merge(&a, &[]).memories[0].ts, Some(0.0));
    let mut clock = cm.clone();
    clock.now = 1234.5;
    assert_eq!(clock.merge(&a, &[]).memories[0].ts, Some(1234.5));

    // Facts: the reference keeps the later timestamp; we keep the higher confidence.
    let c = br.get("fact_confidence").unwrap();
    assert_eq!(c.get("ref_value").unwrap().as_str(), Some("new-but-unsure"));
    let p = AgentState::from_value(c.get("p").unwrap()).unwrap();
    let q = AgentState::from_value(c.get("q").unwrap()).unwrap();
    assert_eq!(
        p.merge(&q).unwrap().get_fact("k").unwrap().value,
        Value::str("old-but-sure")
    );
    assert_eq!(p.merge(&q).unwrap(), q.merge(&p).unwrap());

    // Full tie on timestamp and node: the reference keeps the left value; we the larger value.
    let c = br.get("fact_tie").unwrap();
    assert_ne!(c.get("ref_pq"), c.get("ref_qp"));
    let p = AgentState::from_value(c.get("p").unwrap()).unwrap();
    let q = AgentState::from_value(c.get("q").unwrap()).unwrap();
    assert_eq!(
        p.merge(&q).unwrap().get_fact("k").unwrap().value,
        Value::str("right")
    );
    assert_eq!(p.merge(&q).unwrap(), q.merge(&p).unwrap());

    // Agent ids: the reference's join is not associative; ours joins name sets.
    let c = br.get("agent_id").unwrap();
    assert_ne!(c.get("ref_left"), c.get("ref_right"));
    let (x, y, z) = (
        AgentState::new("x"),
        AgentState::new("y"),
        AgentState::new("z"),
    );
    let left = x.merge(&z).unwrap().merge(&y).unwrap();
    let right = x.merge(&z.merge(&y).unwrap()).unwrap();
    assert_eq!(left.agent_id, "x+y+z");
    assert_eq!(right.agent_id, "x+y+z");

    // Messages with the same (content, agent, timestamp): reference keeps the first; we the larger.
    let c = br.get("message_dedup").unwrap();
    assert_ne!(c.get("ref_pq_role"), c.get("ref_qp_role"));
    let p = AgentState::from_value(c.get("p").unwrap()).unwrap();
    let q = AgentState::from_value(c.get("q").unwrap()).unwrap();
    let m = p.merge(&q).unwrap();
    assert_eq!(m, q.merge(&p).unwrap());
    assert_eq!(m.messages().len(), 1);
    assert_eq!(m.messages()[0].get("role"), Some(&Value::str("user")));
}

//! Merge laws (commutativity, associativity, idempotency) of every mergeable
//! memory type, on random states, plus wire round trips and order-freedom of
//! `ContextMerge::merge_many`.

use crdt_merge_core::laws::check_laws;
use crdt_merge_core::memory::{
    AgentState, ContextBloom, ContextManifest, ContextMerge, FactPartitioner, Memory, MemorySet,
    MemorySidecar, SharedKnowledge, Strategy as MergeStrategy,
};
use crdt_merge_core::wire::{self, Limits};
use crdt_merge_core::{Merge, Value, WireType};
use proptest::prelude::*;

fn f64s() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-0.0),
        Just(0.5),
        Just(0.9),
        Just(1.0),
        Just(f64::NAN),
        Just(2.5),
        Just(-1.0)
    ]
}

fn values() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        Just(Value::Int(1)),
        Just(Value::str("1")),
        Just(Value::Bool(true)),
        Just(Value::str("True")),
        Just(Value::Float(1.0)),
        Just(Value::str("1.0")),
        Just(Value::List(vec![Value::Int(1)])),
        Just(Value::str("[1]")),
        "[a-c]{0,2}".prop_map(Value::Str),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Fact(u8, Value, f64, f64),
    Delete(u8, f64),
    Tag(u8, u8),
    Untag(u8),
    Inc(u8, u32),
    Dec(u8, u32),
    Msg(u8, u8, f64),
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4, values(), f64s(), f64s()).prop_map(|(k, v, c, t)| Op::Fact(k, v, c, t)),
        (0u8..4, f64s()).prop_map(|(k, t)| Op::Delete(k, t)),
        (0u8..3, 0u8..4).prop_map(|(t, i)| Op::Tag(t, i)),
        (0u8..3).prop_map(Op::Untag),
        (0u8..2, 0u32..5).prop_map(|(n, a)| Op::Inc(n, a)),
        (0u8..2, 0u32..5).prop_map(|(n, a)| Op::Dec(n, a)),
        (0u8..3, 0u8..2, f64s()).prop_map(|(c, r, t)| Op::Msg(c, r, t)),
    ]
}

fn agent() -> impl Strategy<Value = AgentState> {
    (
        prop::sample::select(vec!["a", "b", "a+b", "", "c+a", "b++a"]),
        prop::collection::vec(ops(), 0..8),
    )
        .prop_map(|(id, ops)| {
            let mut s = AgentState::new(id);
            for op in ops {
                match op {
                    Op::Fact(k, v, c, t) => s.add_fact(format!("k{k}"), v, c, t),
                    Op::Delete(k, t) => s.delete_fact(format!("k{k}"), t),
                    Op::Tag(t, i) => s.add_tag_with_id(format!("t{t}"), format!("id{i}")),
                    Op::Untag(t) => s.remove_tag(&format!("t{t}")),
                    Op::Inc(n, a) => s.increment(format!("c{n}"), a),
                    Op::Dec(n, a) => s.decrement(format!("c{n}"), a),
                    Op::Msg(c, r, t) => s.append_message(
                        ["hi", "yo", "ok"][c as usize],
                        ["agent", "user"][r as usize],
                        Value::None,
                        t,
                    ),
                }
            }
            s
        })
}

fn memory() -> impl Strategy<Value = Memory> {
    (
        prop::sample::select(vec!["x", "y", "z", "w"]),
        f64s(),
        prop::sample::select(vec!["", "alice", "bob"]),
        prop::option::of(f64s()),
        prop::sample::select(vec!["", "t", "u"]),
        prop::collection::vec(prop::sample::select(vec!["p", "q", "r"]), 0..3),
        prop::collection::btree_map(
            prop::sample::select(vec!["note", "lang"]).prop_map(String::from),
            values(),
            0..2,
        ),
    )
        .prop_map(|(f, c, s, ts, t, mut tags, metadata)| {
            tags.sort();
            tags.dedup();
            Memory {
                fact: f.into(),
                confidence: c,
                source: s.into(),
                ts,
                topic: t.into(),
                tags: tags.into_iter().map(String::from).collect(),
                metadata,
            }
        })
}

fn memories() -> impl Strategy<Value = Vec<Memory>> {
    prop::collection::vec(memory(), 0..6)
}

fn bloom() -> impl Strategy<Value = ContextBloom> {
    prop::collection::vec("[a-e]{0,6}", 0..20)
        .prop_map(|facts| ContextBloom::from_facts(facts.iter().map(String::as_str), 200, 0.01, 4))
}

fn sidecar() -> impl Strategy<Value = MemorySidecar> {
    (memory(), 0i64..3, prop::option::of(f64s())).prop_map(|(m, n, ttl)| {
        let mut s = MemorySidecar::from_memory(&m, 7.0);
        s.access_count = n;
        s.ttl = ttl;
        s
    })
}

fn manifest() -> impl Strategy<Value = ContextManifest> {
    (
        memories(),
        memories(),
        prop::sample::select(vec!["lww", "union", "priority"]),
        f64s(),
    )
        .prop_map(|(a, b, st, now)| {
            let mut cm = ContextMerge::new(MergeStrategy::parse(st).unwrap());
            cm.now = now;
            cm.merge(&a, &b).manifest
        })
}

fn roundtrip<T: WireType + PartialEq + std::fmt::Debug>(x: &T) {
    let bytes = wire::encode_typed(x, false).unwrap();
    let back: T = wire::decode_typed(&bytes, &Limits::default()).unwrap();
    assert_eq!(&back, x);
    let z = wire::encode_typed(x, true).unwrap();
    let back: T = wire::decode_typed(&z, &Limits::default()).unwrap();
    assert_eq!(&back, x);
    let view = T::from_view(&x.to_view()).unwrap();
    assert_eq!(&view, x);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn agent_state_laws(a in agent(), b in agent(), c in agent()) {
        check_laws(&a, &b, &c).unwrap();
    }

    #[test]
    fn shared_knowledge_laws(a in agent(), b in agent(), c in agent()) {
        let sa = SharedKnowledge::merge(std::slice::from_ref(&a)).unwrap();
        let sb = SharedKnowledge::merge(&[b.clone(), a]).unwrap();
        let sc = SharedKnowledge::merge(&[c]).unwrap();
        check_laws(&sa, &sb, &sc).unwrap();
    }

    #[test]
    fn memory_set_laws(a in memories(), b in memories(), c in memories(), now in f64s()) {
        let (a, b, c) = (MemorySet::from_memories(&a, now), MemorySet::from_memories(&b, now), MemorySet::from_memories(&c, now));
        check_laws(&a, &b, &c).unwrap();
    }

    #[test]
    fn partitioned_merge_equals_one_pass(a in memories(), b in memories(), c in memories(), budget in prop::option::of(0usize..4), minc in f64s(), parts in 1usize..5, sample_from in 0usize..3) {
        let cm = ContextMerge { budget, min_confidence: minc, ..Default::default() };
        let inputs = vec![a, b, c];
        let whole = cm.merge_many(&inputs);
        // Splitters from any sample (even a single input) give the same result.
        let p = FactPartitioner::sample(&inputs[sample_from..], parts);
        let mut by_part: Vec<Vec<Vec<Memory>>> = vec![Vec::new(); p.parts()];
        for l in &inputs {
            for (i, piece) in p.split(l.clone()).into_iter().enumerate() {
                by_part[i].push(piece);
            }
        }
        let merged: Vec<_> = by_part.into_iter().map(|lists| cm.merge_part(lists)).collect();
        let sizes: Vec<usize> = inputs.iter().map(Vec::len).collect();
        let out = cm.finish_parts(merged, ContextMerge::sources(&inputs), &sizes);
        let flat: Vec<Memory> = out.parts.into_iter().flatten().collect();
        prop_assert_eq!(&flat, &whole.memories);
        prop_assert_eq!(out.manifest, whole.manifest);
    }

    #[test]
    fn merge_many_is_order_free(a in memories(), b in memories(), c in memories(), budget in prop::option::of(0usize..4), minc in f64s()) {
        let cm = ContextMerge { budget, min_confidence: minc, ..Default::default() };
        let abc = cm.merge_many(&[a.clone(), b.clone(), c.clone()]);
        let cba = cm.merge_many(&[c.clone(), b.clone(), a.clone()]);
        let bac = cm.merge_many(&[b.clone(), a.clone(), c.clone()]);
        prop_assert_eq!(&abc.memories, &cba.memories);
        prop_assert_eq!(&abc.memories, &bac.memories);
        // One pass equals the lattice merge of the per-input sets, filtered once.
        let set = MemorySet::from_memories(&a, 0.0).merge(&MemorySet::from_memories(&b, 0.0)).unwrap().merge(&MemorySet::from_memories(&c, 0.0)).unwrap();
        prop_assert_eq!(&abc.memories, &cm.select(&set));
        prop_assert_eq!(abc.manifest.content_hash.clone(), cba.manifest.content_hash.clone());
        // Merging a result again with its inputs changes nothing (when the filters dropped nothing).
        let again = cm.merge_many(&[abc.memories.clone(), a.clone()]);
        if abc.memories.len() == set.len() {
            prop_assert_eq!(&again.memories, &abc.memories);
        }
        // Lines round-trip.
        for m in &abc.memories {
            let line = m.to_json_line().unwrap();
            let back = crdt_merge_core::memory::parse_memory_line(&line).unwrap();
            prop_assert_eq!(Some(back.to_value()), Some(m.to_value()));
        }
    }

    #[test]
    fn context_bloom_laws(a in bloom(), b in bloom(), c in bloom()) {
        check_laws(&a, &b, &c).unwrap();
        roundtrip(&a);
    }

    #[test]
    fn bloom_has_no_false_negatives(facts in prop::collection::vec(".{0,40}", 0..50)) {
        let b = ContextBloom::from_facts(facts.iter().map(String::as_str), 100, 0.01, 8);
        for f in &facts {
            prop_assert!(b.contains(f));
        }
    }

    #[test]
    fn sidecar_laws(a in sidecar(), b in sidecar(), c in sidecar()) {
        check_laws(&a, &b, &c).unwrap();
        prop_assert_eq!(MemorySidecar::from_value(&a.to_value()).unwrap(), a);
    }

    #[test]
    fn manifest_laws(a in manifest(), b in manifest(), c in manifest()) {
        check_laws(&a, &b, &c).unwrap();
        roundtrip(&a);
    }

    #[test]
    fn agent_wire_roundtrip(a in agent(), b in agent()) {
        roundtrip(&a);
        let s = SharedKnowledge::merge(&[a, b]).unwrap();
        roundtrip(&s);
    }
}

fn json_token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1",
            "-0",
            "0.5",
            "1.5e3",
            "1E-2",
            "01",
            "1.",
            ".5",
            "-",
            "NaN",
            "Infinity",
            "-Infinity",
            "true",
            "false",
            "null",
            "nul",
            "9223372036854775808",
            "[]",
            "[\"a\", \"b\"]",
            "[\"b\",\"a\",\"b\"]",
            "[1]",
            "[\"a\" \"b\"]",
            "{}",
            "{\"k\": [1, {\"x\": null}]}",
            "\"x\"",
            "\"caf\u{e9}\"",
            "\"a\\\"b\"",
            "\"tab\\t\"",
            "\"\\u00e9\"",
            "\"high\"",
            "\" 0.5 \"",
            "\"nan\"",
        ])
        .prop_map(String::from),
        "[a-z ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        (-1000i64..1000).prop_map(|i| i.to_string()),
    ]
}

fn json_line() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "fact",
                    "confidence",
                    "source",
                    "ts",
                    "topic",
                    "tags",
                    "note",
                    "lang",
                    "fa\\u0063t",
                ]),
                json_token(),
                prop::sample::select(vec!["", " ", "\t"]),
            ),
            0..7,
        ),
        prop::sample::select(vec!["", " ", "x", ",", "}"]),
    )
        .prop_map(|(fields, tail)| {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}"))
                .collect();
            format!("{{{}}}{tail}", body.join(", "))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn fast_line_parser_equals_full_parser(line in json_line()) {
        let fast = crdt_merge_core::memory::parse_memory_line(&line);
        let slow = crdt_merge_core::memory::parse_memory_line_slow(&line);
        prop_assert_eq!(fast, slow, "{}", line);
    }
}

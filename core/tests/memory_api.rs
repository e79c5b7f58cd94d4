//! The memory API a CLI sits on: line parsing with precise errors, output
//! lines, merge outcomes, manifests, sidecar filters, consolidation, and the
//! ContextBloom throughput check (`--ignored`, release mode).

use crdt_merge_core::memory::sidecar::SidecarFilter;
use crdt_merge_core::memory::{
    parse_memory_line, AgentState, ContextBloom, ContextConsolidator, ContextMerge, MemoryChunk,
    MemoryError, SharedKnowledge, Strategy,
};
use crdt_merge_core::wire::{self, Limits, TypeTag};
use crdt_merge_core::{Merge, Value};

#[test]
fn parse_errors_are_precise() {
    assert_eq!(
        parse_memory_line(r#"{"confidence": 1}"#),
        Err(MemoryError::MissingFact)
    );
    assert_eq!(
        parse_memory_line(r#"{"fact": 3}"#),
        Err(MemoryError::NotString {
            field: "fact",
            found: "int"
        })
    );
    assert_eq!(
        parse_memory_line(r#"{"fact": "x", "confidence": "high"}"#),
        Err(MemoryError::NotNumeric {
            field: "confidence",
            found: "'high'".into()
        })
    );
    assert_eq!(
        parse_memory_line(r#"{"fact": "x", "confidence": null}"#),
        Err(MemoryError::NotNumeric {
            field: "confidence",
            found: "NoneType".into()
        })
    );
    assert_eq!(
        parse_memory_line(r#"{"fact": "x", "ts": [1]}"#),
        Err(MemoryError::NotNumeric {
            field: "ts",
            found: "list".into()
        })
    );
    assert_eq!(
        parse_memory_line(r#"{"fact": "x", "tags": "abc"}"#),
        Err(MemoryError::TagsNotList("str"))
    );
    assert_eq!(
        parse_memory_line(r#"{"fact": "x", "tags": ["a", 1]}"#),
        Err(MemoryError::TagNotString {
            index: 1,
            found: "int"
        })
    );
    assert_eq!(
        parse_memory_line(r#"{"fact": "x", "source": 5}"#),
        Err(MemoryError::NotString {
            field: "source",
            found: "int"
        })
    );
    assert_eq!(
        parse_memory_line("[1]"),
        Err(MemoryError::NotAnObject("list"))
    );
    assert!(matches!(parse_memory_line("{"), Err(MemoryError::Json(_))));
    assert_eq!(
        parse_memory_line(r#"{"fact": "x"}"#).unwrap_err_or_ok(),
        "ok"
    );
    let e = parse_memory_line(r#"{"fact": "x", "confidence": "high"}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "\"confidence\" must be a number, found 'high'"
    );
}

trait Okish {
    fn unwrap_err_or_ok(self) -> &'static str;
}
impl<T, E> Okish for Result<T, E> {
    fn unwrap_err_or_ok(self) -> &'static str {
        if self.is_ok() {
            "ok"
        } else {
            "err"
        }
    }
}

#[test]
fn parse_accepts_what_python_float_accepts() {
    let m = parse_memory_line(r#"{"fact": "x", "confidence": " 0.25 ", "ts": true, "source": null, "tags": ["b", "a", "b"], "z": 1, "a": {"k": [1]}}"#).unwrap();
    assert_eq!(m.confidence, 0.25);
    assert_eq!(m.ts, Some(1.0));
    assert_eq!(m.source, "");
    assert_eq!(m.tags, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(m.metadata.keys().collect::<Vec<_>>(), vec!["a", "z"]);
    assert_eq!(
        m.to_json_line().unwrap(),
        r#"{"fact": "x", "confidence": 0.25, "source": "", "ts": 1.0, "topic": "", "tags": ["a", "b"], "a": {"k": [1]}, "z": 1}"#
    );
    assert_eq!(m.fact_id(), "2d711642b726b044");
}

#[test]
fn merge_outcome_and_manifest() {
    let a: Vec<_> = [
        r#"{"fact": "sky is blue", "confidence": 0.9, "source": "alice", "ts": 10, "tags": ["sci"]}"#,
        r#"{"fact": "grass is green", "confidence": 0.4, "source": "alice", "ts": 11}"#,
    ]
    .iter()
    .map(|l| parse_memory_line(l).unwrap())
    .collect();
    let b: Vec<_> = [r#"{"fact": "sky is blue", "confidence": 0.7, "source": "bob", "ts": 12, "tags": ["color"]}"#, r#"{"fact": "fire is hot", "source": "bob"}"#]
        .iter()
        .map(|l| parse_memory_line(l).unwrap())
        .collect();
    let mut cm = ContextMerge::new(Strategy::MaxConfidence);
    cm.now = 100.0;
    let out = cm.merge_many(&[a.clone(), b.clone()]);
    let facts: Vec<&str> = out.memories.iter().map(|m| m.fact.as_str()).collect();
    assert_eq!(facts, ["fire is hot", "grass is green", "sky is blue"]);
    let sky = &out.memories[2];
    assert_eq!(
        (sky.confidence, sky.ts, sky.source.as_str()),
        (0.9, Some(12.0), "bob")
    );
    assert_eq!(sky.tags, ["color", "sci"]);
    assert_eq!(out.memories[0].ts, Some(100.0), "missing ts takes `now`");
    let m = &out.manifest;
    assert_eq!(
        (m.total_memories, m.unique_memories, m.duplicates_removed),
        (4, 3, 1)
    );
    assert_eq!(m.short_summary(), "3 unique memories from 2 agents");
    assert!(
        m.summary().contains(
            "4 memories \u{2192} 3 unique (1 dups, 0 conflicts) via max_confidence [quality=0.77]"
        ),
        "{}",
        m.summary()
    );
    assert_eq!(m.content_hash.len(), 64);
    // Budget and min_confidence.
    cm.budget = Some(1);
    cm.min_confidence = 0.5;
    let out = cm.merge(&a, &b);
    assert_eq!(out.memories.len(), 1);
    assert_eq!(out.memories[0].fact, "fire is hot");
    // The manifest is a JSON frame.
    let bytes = wire::encode_typed(&out.manifest, false).unwrap();
    assert_eq!(wire::peek_type(&bytes).unwrap(), "context_manifest");
    assert_eq!(
        wire::decode_typed::<crdt_merge_core::memory::ContextManifest>(&bytes, &Limits::default())
            .unwrap(),
        out.manifest
    );
    assert!(out
        .manifest
        .to_json_pretty()
        .unwrap()
        .starts_with("{\n  \"manifest_id\": "));
    assert_eq!(
        Strategy::parse("nope").unwrap_err(),
        "unknown strategy \"nope\"; choose from lww, max_confidence, priority, union"
    );
}

#[test]
fn new_tags_are_registered() {
    for (tag, b, name) in [
        (TypeTag::AgentState, 0x64, "agent_state"),
        (TypeTag::SharedKnowledge, 0x65, "shared_knowledge"),
        (TypeTag::ContextBloom, 0x66, "context_bloom"),
        (TypeTag::ContextManifest, 0x67, "context_manifest"),
    ] {
        assert_eq!(tag as u8, b);
        assert_eq!(TypeTag::from_u8(b), Some(tag));
        assert_eq!(tag.name(), name);
        assert_eq!(TypeTag::from_name(name), Some(tag));
    }
}

#[test]
fn agent_state_api() {
    let mut r = AgentState::new("researcher");
    r.add_fact("revenue_q1", 4_200_000i64, 0.9, 10.0);
    r.add_tag("finance");
    r.increment("queries_made", 1);
    r.append_message("hello", "agent", Value::None, 5.0);
    r.append_message("hello", "agent", Value::None, 5.0);
    let mut a = AgentState::new("analyst");
    a.add_fact("revenue_q1", 4_250_000i64, 0.95, 9.0);
    a.decrement("queries_made", 3);
    let s = SharedKnowledge::merge(&[r.clone(), a.clone()]).unwrap();
    assert_eq!(s.state.get_fact("revenue_q1").unwrap().confidence, 0.95);
    assert_eq!(s.state.counter_value("queries_made"), -2);
    assert_eq!(s.state.tags(), ["finance"]);
    assert_eq!(
        s.state.messages().len(),
        2,
        "seq keeps equal messages apart"
    );
    assert_eq!(s.state.agent_id, "analyst+researcher");
    assert_eq!(s.contributing_agents, ["analyst", "researcher"]);
    let mut removed = r.clone();
    removed.remove_tag("finance");
    assert!(!removed.has_tag("finance"));
    assert!(
        removed.merge(&r).unwrap().has_tag("finance"),
        "add wins over a concurrent remove"
    );
    let mut del = r.clone();
    del.delete_fact("revenue_q1", 11.0);
    assert!(del.get_fact("revenue_q1").is_none());
    let frame = wire::encode_typed(&s, true).unwrap();
    assert_eq!(wire::peek_type(&frame).unwrap(), "shared_knowledge");
    assert_eq!(
        wire::decode_typed::<SharedKnowledge>(&frame, &Limits::default()).unwrap(),
        s
    );
}

#[test]
fn sidecars_and_consolidation() {
    let mems: Vec<_> = (0..25)
        .map(|i| {
            parse_memory_line(&format!(
                r#"{{"fact": "f{}", "confidence": {}, "source": "a{}", "ts": {}, "topic": "t{}"}}"#,
                i % 20,
                (i % 10) as f64 / 10.0,
                i % 3,
                i + 1,
                i % 2
            ))
            .unwrap()
        })
        .collect();
    let chunks: Vec<MemoryChunk> = mems
        .iter()
        .map(|m| MemoryChunk::from_memory(m, 0.0))
        .collect();
    let con = ContextConsolidator::new(10);
    let blocks = con.consolidate(&chunks, 1.0);
    assert_eq!(
        blocks.iter().map(|b| b.size()).collect::<Vec<_>>(),
        [10, 10, 5]
    );
    assert_eq!(ContextConsolidator::unconsolidate(&blocks), chunks);
    let back: Vec<_> = blocks
        .iter()
        .map(|b| crdt_merge_core::memory::ConsolidatedBlock::from_value(&b.to_value()).unwrap())
        .collect();
    assert_eq!(back, blocks);
    let f = SidecarFilter {
        topic: Some("t1".into()),
        min_confidence: 0.5,
        source_agent: None,
        tags: None,
        since: Some(10.0),
        until: None,
    };
    let hits = ContextConsolidator::query(&blocks, &f);
    assert!(hits.iter().all(|m| m.sidecar.topic == "t1"
        && m.sidecar.confidence >= 0.5
        && m.sidecar.timestamp >= 10.0));
    assert!(!hits.is_empty());
    let merged = con.merge_blocks(&blocks[..1], &blocks[1..], 2.0);
    let merged_rev = con.merge_blocks(&blocks[1..], &blocks[..1], 2.0);
    assert_eq!(merged, merged_rev);
    assert_eq!(ContextConsolidator::unconsolidate(&merged).len(), 20);
}

#[test]
fn bloom_basics() {
    let mut b = ContextBloom::default();
    assert!(!b.add("the sky is blue"));
    assert!(b.add("the sky is blue"));
    assert!(b.contains("the sky is blue"));
    assert!(!b.contains("the sky is green"));
    assert_eq!(
        (b.num_shards(), b.shard_size(), b.num_hashes()),
        (64, 22458, 10),
        "reference sizing (verified with the reference)"
    );
    let other = ContextBloom::new(10, 0.01, 64);
    assert!(b.merge(&other).is_err());
    assert_eq!((other.shard_size(), other.num_hashes()), (154, 7));
    let frame = wire::encode_typed(&b, true).unwrap();
    assert!(
        frame.len() < 2000,
        "compressed sparse filter is small: {}",
        frame.len()
    );
    assert_eq!(
        wire::decode_typed::<ContextBloom>(&frame, &Limits::default()).unwrap(),
        b
    );
}

/// `cargo test --release -p crdt-merge-core --test memory_api -- --ignored --nocapture`
#[test]
#[ignore]
fn bloom_contains_throughput() {
    let n = 100_000;
    let facts: Vec<String> = (0..n)
        .map(|i| format!("memory fact number {i} about the world"))
        .collect();
    let probes: Vec<String> = (0..n)
        .map(|i| format!("memory fact number {} about the world", i * 7 + 3))
        .collect();
    let b = ContextBloom::from_facts(facts.iter().map(String::as_str), n as u64, 0.001, 64);
    let rounds = 50;
    let start = std::time::Instant::now();
    let mut hits = 0usize;
    for _ in 0..rounds {
        for p in &probes {
            hits += b.contains(std::hint::black_box(p)) as usize;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let rate = (rounds * n) as f64 / secs;
    println!(
        "ContextBloom.contains (mixed): {:.1} M checks/s ({hits} hits), fp estimate {:.5}",
        rate / 1e6,
        b.false_positive_rate()
    );
    assert!(rate > 10e6, "{rate}");
    // Worst case: every probe is present, so all hashes are checked.
    let start = std::time::Instant::now();
    let mut hits = 0usize;
    for _ in 0..rounds {
        for p in &facts {
            hits += b.contains(std::hint::black_box(p)) as usize;
        }
    }
    let rate = (rounds * n) as f64 / start.elapsed().as_secs_f64();
    assert_eq!(hits, rounds * n);
    println!(
        "ContextBloom.contains (all present): {:.1} M checks/s",
        rate / 1e6
    );
    assert!(rate > 10e6, "{rate}");
}

/// `cargo test --release -p crdt-merge-core --test memory_api -- --ignored --nocapture`
#[test]
#[ignore]
fn merge_many_throughput() {
    let n = 1_000_000;
    let line = |i: usize, src: &str| {
        format!(
            r#"{{"fact": "fact number {i} about something", "confidence": 0.{}, "source": "{src}", "ts": {}, "topic": "t{}", "tags": ["a{}"]}}"#,
            i % 10,
            i + 1,
            i % 7,
            i % 3
        )
    };
    let a_lines: Vec<String> = (0..n).map(|i| line(i, "alice")).collect();
    let b_lines: Vec<String> = (n / 2..n + n / 2).map(|i| line(i, "bob")).collect();
    let t = std::time::Instant::now();
    let a: Vec<_> = a_lines
        .iter()
        .map(|l| parse_memory_line(l).unwrap())
        .collect();
    let b: Vec<_> = b_lines
        .iter()
        .map(|l| parse_memory_line(l).unwrap())
        .collect();
    let parse = t.elapsed();
    let inputs = vec![a.clone(), b.clone()];
    let t = std::time::Instant::now();
    let fast = ContextMerge {
        hash_content: false,
        ..Default::default()
    }
    .merge_owned(inputs);
    let merge_nohash = t.elapsed();
    let t = std::time::Instant::now();
    let out = ContextMerge::default().merge_owned(vec![a, b]);
    let merge = t.elapsed();
    assert_eq!(fast.memories, out.memories);
    println!("merge_owned without content hash {merge_nohash:?}");
    let t = std::time::Instant::now();
    let bytes: usize = out
        .memories
        .iter()
        .map(|m| m.to_json_line().unwrap().len() + 1)
        .sum();
    let write = t.elapsed();
    println!("2x{n} memories: parse {parse:?}, merge+manifest {merge:?}, write {write:?} ({bytes} bytes, {} unique)", out.memories.len());
    assert_eq!(out.memories.len(), n + n / 2);
}

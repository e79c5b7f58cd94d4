//! Merge laws of the record types that merge (proptest over small domains so
//! collisions and ties are frequent), the reference's law breaks fixed, and
//! the types without a merge answering `Unsupported`.

use crdt_merge_core::laws::check_laws;
use crdt_merge_core::ordered_map::OrderedMap;
use crdt_merge_core::records::*;
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Merge, MergeError, Value, WireType};
use proptest::prelude::*;

fn small_value() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        Value::None,
        Value::Int(1),
        Value::str("1"),
        Value::Float(1.0),
        Value::Bool(true),
        Value::str("a"),
        Value::List(vec![Value::Int(1), Value::str("x")]),
        Value::map([("b", Value::Int(2)), ("a", Value::Int(1))]),
        Value::map([("a", Value::Int(1)), ("b", Value::Int(2))]),
    ])
}

fn extra() -> impl Strategy<Value = Extra> {
    prop::collection::vec((prop::sample::select(vec!["x", "y"]), small_value()), 0..2)
        .prop_map(|v| v.into_iter().map(|(k, v)| (Value::str(k), v)).collect())
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c"]).prop_map(String::from)
}

fn merkle() -> impl Strategy<Value = MerkleTree> {
    let entry = (
        key(),
        prop::option::of(prop::sample::select(vec!["00", "11", "22"])),
        prop::option::of(small_value()),
    );
    (2i64..5, prop::collection::vec(entry, 0..4), extra()).prop_map(|(bf, es, extra)| {
        let mut t = MerkleTree {
            branching_factor: bf,
            extra,
            ..MerkleTree::default()
        };
        for (k, h, d) in es {
            if let Some(h) = h {
                t.records.insert(k.clone(), h.to_string());
            }
            if let Some(d) = d {
                t.record_data.insert(
                    k.clone(),
                    Value::map([("id", Value::str(k.as_str())), ("v", d)]),
                );
            }
        }
        t
    })
}

fn clock() -> impl Strategy<Value = VectorClockState> {
    prop::collection::vec(
        (prop::sample::select(vec!["n1", "n2", "n3"]), 0i64..3),
        0..3,
    )
    .prop_map(|v| VectorClockState {
        clocks: v.into_iter().map(|(n, c)| (n.to_string(), c)).collect(),
        extra: Extra::new(),
    })
}

fn entry_for(k: String) -> impl Strategy<Value = GossipEntry> {
    (small_value(), clock(), any::<bool>(), extra()).prop_map(
        move |(value, clock, tombstone, extra)| GossipEntry {
            key: k.clone(),
            value,
            clock,
            tombstone,
            extra,
        },
    )
}

fn gossip() -> impl Strategy<Value = GossipState> {
    let entries = prop::collection::vec(
        key().prop_flat_map(|k| (Just(k.clone()), entry_for(k))),
        0..4,
    );
    (
        prop::sample::select(vec!["n1", "n2"]),
        1i64..4,
        entries,
        clock(),
        extra(),
    )
        .prop_map(|(n, fanout, es, clock, extra)| GossipState {
            node_id: n.to_string(),
            fanout,
            entries: es.into_iter().collect::<OrderedMap<_, _>>(),
            clock,
            extra,
        })
}

fn decision() -> impl Strategy<Value = MergeDecision> {
    (
        prop::sample::select(vec!["id", "name"]),
        prop::sample::select(vec!["a_only", "conflict_resolved", "both_equal"]),
        small_value(),
        small_value(),
    )
        .prop_map(|(f, s, value, alternative)| MergeDecision {
            field: f.into(),
            source: s.into(),
            strategy: if s == "conflict_resolved" {
                "LWW".into()
            } else {
                String::new()
            },
            value,
            alternative,
            extra: Extra::new(),
        })
}

fn record_of(key: Value, origin: &'static str) -> impl Strategy<Value = ConflictRecord> {
    (prop::collection::vec(decision(), 0..3), extra()).prop_map(move |(decisions, extra)| {
        ConflictRecord {
            key: key.clone(),
            origin: origin.into(),
            decisions,
            extra,
        }
    })
}

fn record() -> impl Strategy<Value = ConflictRecord> {
    (
        prop::sample::select(vec![Value::Int(1), Value::Int(2), Value::str("1")]),
        prop::sample::select(vec!["merged", "unique_a"]),
    )
        .prop_flat_map(|(k, o)| record_of(k, o))
}

fn topology() -> impl Strategy<Value = ConflictTopology> {
    (
        prop::collection::vec(record(), 0..3),
        prop::collection::vec(0i64..4, 5),
        prop::sample::select(vec![
            Value::Float(0.0),
            Value::Int(1),
            Value::Float(1.0),
            Value::Float(2.5),
        ]),
        extra(),
    )
        .prop_map(|(records, c, duration_ms, extra)| ConflictTopology {
            records,
            total_rows: c[0],
            merged_rows: c[1],
            unique_a_rows: c[2],
            unique_b_rows: c[3],
            total_conflicts: c[4],
            duration_ms,
            extra,
        })
}

/// Merge results survive the wire: encode → decode gives an equal state.
fn wire_stable<T: WireType + PartialEq + std::fmt::Debug>(t: &T) {
    let b = encode_typed(t, false).unwrap();
    assert_eq!(&decode_typed::<T>(&b, &Limits::DEFAULT).unwrap(), t);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn merkle_tree_laws(a in merkle(), b in merkle(), c in merkle()) {
        check_laws(&a, &b, &c).unwrap();
        wire_stable(&a.merge(&b).unwrap());
    }

    #[test]
    fn gossip_state_laws(a in gossip(), b in gossip(), c in gossip()) {
        check_laws(&a, &b, &c).unwrap();
        wire_stable(&a.merge(&b).unwrap());
    }

    #[test]
    fn gossip_entry_laws(a in entry_for("k".into()), b in entry_for("k".into()), c in entry_for("k".into())) {
        check_laws(&a, &b, &c).unwrap();
        wire_stable(&a.merge(&b).unwrap());
    }

    #[test]
    fn conflict_record_laws(a in record_of(Value::Int(1), "merged"), b in record_of(Value::Int(1), "merged"), c in record_of(Value::Int(1), "merged")) {
        check_laws(&a, &b, &c).unwrap();
        wire_stable(&a.merge(&b).unwrap());
    }

    #[test]
    fn conflict_topology_laws(a in topology(), b in topology(), c in topology()) {
        check_laws(&a, &b, &c).unwrap();
        wire_stable(&a.merge(&b).unwrap());
    }
}

#[test]
fn merkle_equal_hash_tie_is_commutative() {
    // The reference keeps the receiver's record here (a.merge(b) has id 1, b.merge(a) has id "1").
    let h = "9ab2253fc38981f5be9c25cf0a34b62cdf334652344bdef16b3d5dbc0b74f2f1";
    let mk = |id: Value, bf| {
        let mut t = MerkleTree {
            branching_factor: bf,
            ..MerkleTree::default()
        };
        t.records.insert("1".into(), h.into());
        t.record_data
            .insert("1".into(), Value::map([("id", id), ("v", Value::Int(1))]));
        t
    };
    let (a, b) = (mk(Value::Int(1), 2), mk(Value::str("1"), 4));
    let ab = a.merge(&b).unwrap();
    assert_eq!(ab, b.merge(&a).unwrap());
    assert_eq!(ab.branching_factor, 4);
    assert_eq!(
        ab.record_data.get(&"1".to_string()).unwrap().get("id"),
        Some(&Value::str("1"))
    );
}

#[test]
fn gossip_str_tie_is_commutative() {
    // str(1) == str("1"): the reference keeps the receiver's value and node id.
    let mk = |n: &str, fanout, v: Value| {
        let mut clock = VectorClockState::default();
        clock.clocks.insert(n.to_string(), 1);
        let e = GossipEntry {
            key: "k".into(),
            value: v,
            clock: clock.clone(),
            tombstone: false,
            extra: Extra::new(),
        };
        GossipState {
            node_id: n.into(),
            fanout,
            entries: [("k".to_string(), e)].into_iter().collect(),
            clock,
            extra: Extra::new(),
        }
    };
    let (a, b) = (mk("n1", 3, Value::Int(1)), mk("n2", 5, Value::str("1")));
    let ab = a.merge(&b).unwrap();
    assert_eq!(ab, b.merge(&a).unwrap());
    assert_eq!((ab.node_id.as_str(), ab.fanout), ("n1", 5));
    assert_eq!(
        ab.entries.get(&"k".to_string()).unwrap().value,
        Value::str("1")
    );
    assert_eq!(ab.clock.clocks.len(), 2);
}

#[test]
fn gossip_merge_follows_content_not_causality() {
    // As in the reference: "b" wins over a causally newer "a" (content key).
    let mut c1 = VectorClockState::default();
    c1.clocks.insert("n1".into(), 1);
    let mut c2 = VectorClockState::default();
    c2.clocks.insert("n1".into(), 2);
    let old = GossipEntry {
        key: "k".into(),
        value: Value::str("b"),
        clock: c1,
        tombstone: false,
        extra: Extra::new(),
    };
    let new = GossipEntry {
        key: "k".into(),
        value: Value::str("a"),
        clock: c2,
        tombstone: false,
        extra: Extra::new(),
    };
    let m = old.merge(&new).unwrap();
    assert_eq!(m.value, Value::str("b"));
    assert_eq!(m.clock.clocks.get(&"n1".to_string()), Some(&2));
    let other = GossipEntry {
        key: "j".into(),
        ..new
    };
    assert!(matches!(old.merge(&other), Err(MergeError::Invalid { .. })));
}

#[test]
fn records_of_different_rows_do_not_merge() {
    let a = ConflictRecord {
        key: Value::Int(1),
        origin: "merged".into(),
        decisions: vec![],
        extra: Extra::new(),
    };
    let b = ConflictRecord {
        key: Value::Int(2),
        ..a.clone()
    };
    assert!(matches!(a.merge(&b), Err(MergeError::Invalid { .. })));
    let c = ConflictRecord {
        origin: "unique_a".into(),
        ..a.clone()
    };
    assert!(matches!(a.merge(&c), Err(MergeError::Invalid { .. })));
}

fn fixture<T: WireType>(name: &str) -> T {
    let b = std::fs::read(format!(
        "{}/tests/fixtures/records/{name}.crdt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    decode_typed(&b, &Limits::DEFAULT).unwrap()
}

#[test]
fn types_without_a_merge_say_unsupported() {
    fn unsupported<T: Merge>(t: &T, name: &str) {
        assert!(
            matches!(t.merge(t), Err(MergeError::Unsupported(n)) if n == name),
            "{name}"
        );
    }
    unsupported(&fixture::<MerkleDiff>("merkle_diff"), "merkle_diff");
    unsupported(
        &fixture::<SchemaEvolutionResult>("schema_evolution_result"),
        "schema_evolution_result",
    );
    unsupported(&fixture::<SchemaChange>("schema_change"), "schema_change");
    unsupported(&fixture::<MergeqlQuery>("mergeql_query"), "mergeql_query");
    unsupported(&fixture::<MergePlan>("merge_plan"), "merge_plan");
    unsupported(
        &fixture::<MergeqlResult>("mergeql_result"),
        "mergeql_result",
    );
    unsupported(
        &fixture::<ParquetMergeMetadata>("parquet_merge_metadata"),
        "parquet_merge_metadata",
    );
}

#[test]
fn golden_log_merges_with_itself_and_its_records() {
    let log: ConflictTopology = fixture("conflict_topology");
    assert_eq!(log.merge(&log).unwrap(), log);
    let rec: ConflictRecord = fixture("conflict_record");
    assert_eq!(rec.conflict_count(), 2);
    assert_eq!(rec.merge(&rec).unwrap(), rec);
    let tree: MerkleTree = fixture("merkle_tree");
    assert_eq!(tree.merge(&tree).unwrap(), tree);
    let g: GossipState = fixture("gossip_state");
    assert_eq!(g.merge(&g).unwrap(), g);
}

/// `fixtures/records/merge/`: `a.merge(b)` computed by the reference (inputs
/// without its tie cases). Ours, in both argument orders, has the same
/// canonical view (the reference's key order follows Python set iteration).
#[test]
fn merges_agree_with_the_reference() {
    fn check<T: WireType + Merge + PartialEq + std::fmt::Debug>(case: &str) {
        let a: T = fixture(&format!("merge/{case}.a"));
        let b: T = fixture(&format!("merge/{case}.b"));
        let out: T = fixture(&format!("merge/{case}.out"));
        let ab = a.merge(&b).unwrap();
        assert_eq!(ab.to_view(), out.to_view(), "{case}");
        assert_eq!(
            b.merge(&a).unwrap().to_view(),
            out.to_view(),
            "{case} (reversed)"
        );
        assert_eq!(ab, out);
    }
    check::<MerkleTree>("merkle");
    check::<GossipState>("gossip");
}

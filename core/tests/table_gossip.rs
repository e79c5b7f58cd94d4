//! Gossip anti-entropy against the reference (fixtures from
//! `table_extras_gen.py`): replaying the reference's updates, deletes and
//! push exchanges gives the same push sets, applied counts, digests,
//! entries and clocks; reference frames decode and re-encode; and random
//! replicas converge under repeated push-pull exchanges.

use crdt_merge_core::records::{GossipState, VectorClockState};
use crdt_merge_core::table::gossip::{
    anti_entropy, apply_entries, compare_clocks, delete, digest, entries_for, exchange, get,
    live_size, new_state, pull_keys, push_keys, should_update, update, Digest,
};
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Merge, Value, WireType};
use proptest::prelude::*;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/table_extras_gossip.json"
    ))
    .unwrap();
    crdt_merge_core::json::parse(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn digest_value(d: &Digest) -> Value {
    Value::Map(
        d.iter()
            .map(|(k, h)| (Value::str(k.as_str()), Value::str(h.as_str())))
            .collect(),
    )
    .sorted()
}

fn idx(v: &Value) -> usize {
    v.as_int().unwrap() as usize
}

#[test]
fn replay_matches_reference() {
    let fx = fixture();
    let scenarios = fx.get("scenarios").unwrap().as_list().unwrap();
    assert_eq!(scenarios.len(), 25);
    for (si, s) in scenarios.iter().enumerate() {
        let n = s.get("digests").unwrap().as_list().unwrap().len();
        let mut nodes: Vec<GossipState> = (0..n).map(|i| new_state(&format!("n{i}"), 3)).collect();
        for op in s.get("ops").unwrap().as_list().unwrap() {
            let op = op.as_list().unwrap();
            match op[0].as_str().unwrap() {
                "update" => {
                    update(
                        &mut nodes[idx(&op[1])],
                        op[2].as_str().unwrap(),
                        op[3].clone(),
                        None,
                    );
                }
                "delete" => {
                    delete(&mut nodes[idx(&op[1])], op[2].as_str().unwrap());
                }
                "send" => {
                    let (x, y) = (idx(&op[1]), idx(&op[2]));
                    let keys = push_keys(&nodes[x], &digest(&nodes[y]));
                    let want: Vec<String> = op[3]
                        .as_list()
                        .unwrap()
                        .iter()
                        .map(|k| k.as_str().unwrap().to_string())
                        .collect();
                    assert_eq!(
                        keys.iter().cloned().collect::<Vec<_>>(),
                        want,
                        "scenario {si}"
                    );
                    assert_eq!(pull_keys(&nodes[y], &digest(&nodes[x])), keys);
                    let ents = entries_for(&nodes[x], &keys);
                    let applied = apply_entries(&mut nodes[y], &ents);
                    assert_eq!(Value::Int(applied as i64), op[4], "scenario {si}");
                }
                other => panic!("unknown op {other}"),
            }
        }
        for (i, node) in nodes.iter().enumerate() {
            assert_eq!(
                digest_value(&digest(node)),
                s.get("digests").unwrap().as_list().unwrap()[i].sorted(),
                "scenario {si} node {i} digest"
            );
            let entries = Value::Map(
                node.entries
                    .iter()
                    .map(|(k, e)| (Value::str(k.as_str()), e.to_value()))
                    .collect(),
            );
            assert_eq!(
                entries.sorted(),
                s.get("entries").unwrap().as_list().unwrap()[i].sorted(),
                "scenario {si} node {i} entries"
            );
            let clocks = Value::Map(
                node.clock
                    .clocks
                    .iter()
                    .map(|(k, c)| (Value::str(k.as_str()), Value::Int(*c)))
                    .collect(),
            );
            assert_eq!(
                clocks.sorted(),
                s.get("clocks").unwrap().as_list().unwrap()[i].sorted()
            );
        }
        let ae = anti_entropy(&digest(&nodes[0]), &digest(&nodes[1]));
        let want = s.get("anti_entropy_01").unwrap();
        let l = |k: &str| -> Vec<String> {
            want.get(k)
                .unwrap()
                .as_list()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ae.missing_local, l("missing_local"));
        assert_eq!(ae.missing_remote, l("missing_remote"));
        assert_eq!(ae.different, l("different"));
        // The reference's frame of node 0 decodes to the same state and re-encodes.
        let bytes = unhex(s.get("wire_0").unwrap().as_str().unwrap());
        let decoded: GossipState = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
        assert_eq!(
            digest_value(&digest(&decoded)),
            digest_value(&digest(&nodes[0]))
        );
        assert_eq!(decoded.to_value().sorted(), nodes[0].to_value().sorted());
        assert_eq!(encode_typed(&decoded, false).unwrap(), bytes);
    }
}

#[test]
fn local_reads_and_clock_order() {
    let mut s = new_state("a", 3);
    update(&mut s, "k", Value::Int(1), None);
    assert_eq!(get(&s, "k"), Some(&Value::Int(1)));
    delete(&mut s, "k");
    assert_eq!(get(&s, "k"), None);
    assert_eq!(live_size(&s), 0);
    assert_eq!(s.entries.len(), 1);
    let c = |p: &[(&str, i64)]| VectorClockState {
        clocks: p.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
        extra: Default::default(),
    };
    assert_eq!(
        compare_clocks(&c(&[("a", 1)]), &c(&[("a", 2)])),
        Some(std::cmp::Ordering::Less)
    );
    assert_eq!(compare_clocks(&c(&[("a", 1)]), &c(&[("b", 1)])), None);
    // Concurrent: the larger str(sorted(items)) wins, and exactly one side does.
    assert!(should_update(&c(&[("a", 1)]), &c(&[("b", 1)])));
    assert!(!should_update(&c(&[("b", 1)]), &c(&[("a", 1)])));
}

#[derive(Debug, Clone)]
enum Op {
    Update(usize, u8, i64),
    Delete(usize, u8),
    Exchange(usize, usize),
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..3, 0u8..4, 0i64..5).prop_map(|(n, k, v)| Op::Update(n, k, v)),
        (0usize..3, 0u8..4).prop_map(|(n, k)| Op::Delete(n, k)),
        (0usize..3, 0usize..3).prop_map(|(a, b)| Op::Exchange(a, b)),
    ]
}

fn run(ops: &[Op]) -> Vec<GossipState> {
    let mut nodes: Vec<GossipState> = (0..3).map(|i| new_state(&format!("n{i}"), 3)).collect();
    for op in ops {
        match *op {
            Op::Update(n, k, v) => {
                update(&mut nodes[n], &format!("k{k}"), Value::Int(v), None);
            }
            Op::Delete(n, k) => {
                delete(&mut nodes[n], &format!("k{k}"));
            }
            Op::Exchange(a, b) if a != b => {
                let (lo, hi) = (a.min(b), a.max(b));
                let (left, right) = nodes.split_at_mut(hi);
                exchange(&mut left[lo], &mut right[0]);
            }
            Op::Exchange(..) => {}
        }
    }
    nodes
}

proptest! {
    #[test]
    fn push_pull_rounds_converge(ops in prop::collection::vec(op_strategy(), 0..25)) {
        let mut nodes = run(&ops);
        // Two full rounds over every pair reach a fixed point.
        for _ in 0..2 {
            for (a, b) in [(0, 1), (1, 2), (0, 2)] {
                let (left, right) = nodes.split_at_mut(b);
                exchange(&mut left[a], &mut right[0]);
            }
        }
        let d0 = digest_value(&digest(&nodes[0]));
        for n in &nodes[1..] {
            prop_assert_eq!(digest_value(&digest(n)), d0.clone());
            prop_assert!(anti_entropy(&digest(n), &digest(&nodes[0])).different.is_empty());
        }
        // A further exchange changes nothing.
        let (left, right) = nodes.split_at_mut(1);
        prop_assert_eq!(exchange(&mut left[0], &mut right[0]), (0, 0));
    }

    #[test]
    fn state_merge_is_lawful_on_replicas(ops in prop::collection::vec(op_strategy(), 0..20)) {
        let n = run(&ops);
        let (a, b, c) = (&n[0], &n[1], &n[2]);
        let ab = a.merge(b).unwrap();
        prop_assert_eq!(&ab, &b.merge(a).unwrap());
        prop_assert_eq!(ab.merge(c).unwrap(), a.merge(&b.merge(c).unwrap()).unwrap());
        prop_assert_eq!(a.merge(a).unwrap().to_value().sorted(), {
            let mut s = a.clone();
            s.entries.sort_keys();
            s.clock.clocks.sort_keys();
            s.to_value().sorted()
        });
    }
}

//! Merkle trees against the reference (fixtures from `table_extras_gen.py`):
//! leaf hashes, root hashes, height and diffs on generated tables, reference
//! frames decoding to the trees we build; the tree-walking diff agrees with
//! a brute-force diff; merge laws on the record set.

use std::collections::BTreeSet;

use crdt_merge_core::records::MerkleTree;
use crdt_merge_core::table::merkle::{
    build, compare_datasets, delete, diff, empty_hash, from_records, height, insert, record_hash,
    root_hash,
};
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Merge, Value};
use proptest::prelude::*;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/table_extras_merkle.json"
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

fn strs(v: &Value) -> BTreeSet<String> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn hashes_roots_and_diffs_match_reference() {
    let fx = fixture();
    let cases = fx.get("cases").unwrap().as_list().unwrap();
    assert_eq!(cases.len(), 40);
    for (i, c) in cases.iter().enumerate() {
        let bf = c.get("branching_factor").unwrap().as_int().unwrap();
        let rows = |n: &str| c.get(n).unwrap().as_list().unwrap().to_vec();
        let ta = from_records(&rows("a"), "id", bf).unwrap();
        let tb = from_records(&rows("b"), "id", bf).unwrap();
        for (k, h) in c.get("hashes_a").unwrap().as_map().unwrap() {
            assert_eq!(
                ta.records.get(&k.as_str().unwrap().to_string()),
                Some(&h.as_str().unwrap().to_string()),
                "case {i} leaf {k:?}"
            );
        }
        assert_eq!(
            root_hash(&ta),
            c.get("root_a").unwrap().as_str().unwrap(),
            "case {i}"
        );
        assert_eq!(
            root_hash(&tb),
            c.get("root_b").unwrap().as_str().unwrap(),
            "case {i}"
        );
        assert_eq!(
            Value::Int(height(&ta) as i64),
            *c.get("height_a").unwrap(),
            "case {i}"
        );
        let d = diff(&ta, &tb);
        let want = c.get("diff").unwrap();
        assert_eq!(
            d.only_in_left,
            strs(want.get("only_in_left").unwrap()),
            "case {i}"
        );
        assert_eq!(
            d.only_in_right,
            strs(want.get("only_in_right").unwrap()),
            "case {i}"
        );
        assert_eq!(
            d.common_different,
            strs(want.get("common_different").unwrap()),
            "case {i}"
        );
        assert_eq!(d.differing_keys, strs(want.get("differing_keys").unwrap()));
        let ref_cmp = want.get("comparisons_made").unwrap().as_int().unwrap();
        assert!(d.comparisons_made >= 1);
        if d.is_identical() {
            assert_eq!(ref_cmp, 1);
        }
        assert_eq!(
            compare_datasets(&rows("a"), &rows("b"), "id", bf).unwrap(),
            d
        );
        // The reference's frame decodes to the tree we built and re-encodes.
        let bytes = unhex(c.get("wire_a").unwrap().as_str().unwrap());
        let decoded: MerkleTree = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
        assert_eq!(decoded, ta, "case {i} frame");
        assert_eq!(encode_typed(&ta, false).unwrap(), bytes, "case {i} encode");
    }
}

#[test]
fn insert_guesses_the_key_column_as_the_reference() {
    let fx = fixture();
    let ins = fx.get("insert").unwrap();
    let mut t = MerkleTree::default();
    for s in ins.get("steps").unwrap().as_list().unwrap() {
        let key = s.get("key").unwrap().as_str().unwrap();
        insert(&mut t, key, s.get("record").unwrap()).unwrap();
        assert_eq!(
            t.records.get(&key.to_string()).unwrap(),
            s.get("hash").unwrap().as_str().unwrap()
        );
    }
    assert_eq!(root_hash(&t), ins.get("root").unwrap().as_str().unwrap());
    assert!(delete(&mut t, "1"));
    assert!(!delete(&mut t, "1"));
}

#[test]
fn empty_and_same_content_different_keys() {
    let empty = MerkleTree::default();
    assert_eq!(root_hash(&empty), empty_hash());
    assert_eq!(height(&empty), 0);
    assert!(build(&empty).is_none());
    // Same content under different keys: the reference's root hashes agree
    // (they leave keys out) and it would call the trees identical; we do not.
    let a = from_records(
        &[Value::map([("id", Value::Int(1)), ("v", Value::Int(0))])],
        "id",
        16,
    )
    .unwrap();
    let b = from_records(
        &[Value::map([("id", Value::Int(2)), ("v", Value::Int(0))])],
        "id",
        16,
    )
    .unwrap();
    assert_eq!(root_hash(&a), root_hash(&b));
    let d = diff(&a, &b);
    assert_eq!(d.only_in_left.len(), 1);
    assert_eq!(d.only_in_right.len(), 1);
}

#[test]
fn bytes_are_hashed_by_str_and_bad_rows_are_errors() {
    let r = Value::map([("id", Value::Int(1)), ("b", Value::Bytes(vec![0, 65]))]);
    // json.dumps({"b": b"\x00A"}, sort_keys=True, default=str)
    let want = Value::map([("b", Value::str("b'\\x00A'"))]);
    let via_str = Value::map([("id", Value::Int(1)), ("b", want.get("b").unwrap().clone())]);
    assert_eq!(
        record_hash(&r, "id").unwrap(),
        record_hash(&via_str, "id").unwrap()
    );
    assert!(from_records(&[Value::Int(1)], "id", 16).is_err());
}

fn brute_diff(
    a: &MerkleTree,
    b: &MerkleTree,
) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let ka: BTreeSet<String> = a.records.keys().cloned().collect();
    let kb: BTreeSet<String> = b.records.keys().cloned().collect();
    let common = ka
        .intersection(&kb)
        .filter(|k| a.records.get(k) != b.records.get(k))
        .cloned()
        .collect();
    (
        ka.difference(&kb).cloned().collect(),
        kb.difference(&ka).cloned().collect(),
        common,
    )
}

fn rows_strategy() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec((0i64..40, 0i64..3), 0..30).prop_map(|v| {
        v.into_iter()
            .map(|(k, x)| Value::map([("id", Value::Int(k)), ("x", Value::Int(x))]))
            .collect()
    })
}

proptest! {
    #[test]
    fn tree_walk_diff_equals_brute_force(a in rows_strategy(), b in rows_strategy(), bf in 2i64..5) {
        let ta = from_records(&a, "id", bf).unwrap();
        let tb = from_records(&b, "id", bf).unwrap();
        let d = diff(&ta, &tb);
        let (l, r, c) = brute_diff(&ta, &tb);
        prop_assert_eq!(&d.only_in_left, &l);
        prop_assert_eq!(&d.only_in_right, &r);
        prop_assert_eq!(&d.common_different, &c);
        prop_assert_eq!(d.is_identical(), root_hash(&ta) == root_hash(&tb) && l.is_empty() && r.is_empty());
    }

    #[test]
    fn merged_tree_laws(a in rows_strategy(), b in rows_strategy(), c in rows_strategy()) {
        let (ta, tb, tc) = (
            from_records(&a, "id", 4).unwrap(),
            from_records(&b, "id", 4).unwrap(),
            from_records(&c, "id", 4).unwrap(),
        );
        let ab = ta.merge(&tb).unwrap();
        prop_assert_eq!(root_hash(&ab), root_hash(&tb.merge(&ta).unwrap()));
        prop_assert_eq!(
            root_hash(&ab.merge(&tc).unwrap()),
            root_hash(&ta.merge(&tb.merge(&tc).unwrap()).unwrap())
        );
        prop_assert_eq!(root_hash(&ta.merge(&ta).unwrap()), root_hash(&ta));
        // A merged tree differs from neither side on keys both hold equally.
        let d = diff(&ab, &ta);
        prop_assert!(d.only_in_left.iter().all(|k| tb.records.contains_key(k)));
        prop_assert!(d.only_in_right.is_empty());
    }
}

//! Delta sync against the reference (fixtures from `table_extras_gen.py`):
//! compute / apply / compose give the reference's results, reference wire
//! frames decode, apply and re-encode byte for byte; and the laws (compose
//! is associative; applying a composition = applying in sequence).

use crdt_merge_core::crdt::{Delta, Timestamp};
use crdt_merge_core::table::delta::{apply_delta, compose, compute_delta, DeltaStore};
use crdt_merge_core::table::extras_error::ExtrasError;
use crdt_merge_core::table::MergeSchema;
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Value, WireType};
use proptest::prelude::*;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/table_extras_delta.json"
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

fn list(v: &Value) -> Vec<Value> {
    v.as_list().unwrap().to_vec()
}

fn ts(f: f64) -> Timestamp {
    Timestamp::from_f64(f).unwrap()
}

fn check_parts(d: &Delta, want: &Value) {
    assert_eq!(d.added, list(want.get("added").unwrap()), "added");
    assert_eq!(d.modified, list(want.get("modified").unwrap()), "modified");
    assert_eq!(d.removed, list(want.get("removed").unwrap()), "removed");
    assert_eq!(Value::Int(d.version), *want.get("version").unwrap());
}

#[test]
fn compute_apply_compose_match_reference() {
    let fx = fixture();
    let cases = fx.get("cases").unwrap().as_list().unwrap();
    assert_eq!(cases.len(), 40);
    for (i, c) in cases.iter().enumerate() {
        let v = |n: &str| list(c.get(n).unwrap());
        let t0 = 1_700_000_000.5 + i as f64;
        let d1 = compute_delta(&v("v0"), &v("v1"), "id", 1, ts(t0), "n1").unwrap();
        let d2 = compute_delta(&v("v1"), &v("v2"), "id", 2, ts(t0 + 1.0), "n1").unwrap();
        let d3 = compute_delta(&v("v2"), &v("v3"), "id", 3, ts(t0 + 2.0), "n1").unwrap();
        check_parts(&d1, c.get("d1").unwrap());

        // Reference frame → our decode equals our computed delta → re-encode identical.
        for wkey in ["d1_wire", "d1_wire_z"] {
            let bytes = unhex(c.get(wkey).unwrap().as_str().unwrap());
            let decoded: Delta = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
            assert_eq!(decoded, d1, "case {i} {wkey}");
            assert_eq!(decoded.added, d1.added);
            assert_eq!(
                encode_typed(&decoded, wkey.ends_with('z')).unwrap(),
                bytes,
                "case {i} {wkey} re-encode"
            );
            let applied = apply_delta(&v("v0"), &decoded, "id", None).unwrap();
            assert_eq!(applied, v("apply_d1"), "case {i} apply");
        }

        let comp = compose(&[d1.clone(), d2.clone(), d3.clone()], "id").unwrap();
        check_parts(&comp, c.get("compose").unwrap());
        let applied = apply_delta(&v("v0"), &comp, "id", None).unwrap();
        assert_eq!(applied, v("apply_compose"), "case {i} apply compose");
        // The composition reaches v3 (as a keyed set).
        let seq = [&d1, &d2, &d3].iter().fold(v("v0"), |rows, d| {
            apply_delta(&rows, d, "id", None).unwrap()
        });
        assert_eq!(sorted_by_id(applied), sorted_by_id(seq.clone()));
        assert_eq!(sorted_by_id(seq), sorted_by_id(v("v3")));
    }
}

#[test]
fn apply_with_merge_schema_matches_reference() {
    let fx = fixture();
    let schema = MergeSchema::from_dict(fx.get("schema").unwrap()).unwrap();
    for (i, c) in fx
        .get("cases")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .enumerate()
    {
        let d1 = Delta::from_value(&{
            let mut m = c.get("d1").unwrap().clone();
            if let Value::Map(e) = &mut m {
                e.push((Value::str("timestamp"), Value::Float(1.0)));
                e.push((Value::str("source_node"), Value::str("n1")));
            }
            m
        })
        .unwrap();
        let got = apply_delta(&list(c.get("v0").unwrap()), &d1, "id", Some(&schema)).unwrap();
        assert_eq!(got, list(c.get("apply_d1_schema").unwrap()), "case {i}");
    }
}

#[test]
fn delta_store_matches_reference() {
    let fx = fixture();
    let st = fx.get("store").unwrap();
    let mut store = DeltaStore::new("id", "store");
    let inputs = st.get("inputs").unwrap().as_list().unwrap();
    let want = st.get("deltas").unwrap().as_list().unwrap();
    for (i, (rows, w)) in inputs.iter().zip(want).enumerate() {
        let got = store.ingest(&list(rows), ts(1.0 + i as f64)).unwrap();
        match (got, w) {
            (None, Value::None) => {}
            (Some(d), w) => check_parts(&d, w),
            (None, w) => panic!("step {i}: no delta, reference {w:?}"),
        }
    }
    assert_eq!(Value::Int(store.version()), *st.get("version").unwrap());
    // A peer at version 1 catches up with one composed delta.
    let mut peer = DeltaStore::new("id", "peer");
    peer.ingest(&list(&inputs[0]), ts(0.0)).unwrap();
    let first = store.delta_since(0).unwrap().unwrap();
    peer.apply(&first, None).unwrap();
    assert_eq!(
        sorted_by_id(peer.records()),
        sorted_by_id(list(inputs.last().unwrap()))
    );
    assert!(store.delta_since(store.version()).unwrap().is_none());
}

#[test]
fn bad_input_is_a_typed_error() {
    let row = Value::map([("id", Value::Int(1))]);
    let e = compute_delta(
        &[Value::Int(3)],
        std::slice::from_ref(&row),
        "id",
        0,
        ts(0.0),
        "",
    )
    .unwrap_err();
    assert!(matches!(e, ExtrasError::NotARecord { .. }), "{e}");
    let e = compute_delta(
        &[Value::map([("id", Value::List(vec![]))])],
        &[],
        "id",
        0,
        ts(0.0),
        "",
    )
    .unwrap_err();
    assert!(matches!(e, ExtrasError::UnhashableKey { .. }), "{e}");
    let d = Delta::new(
        vec![Value::map([("x", Value::Int(1))])],
        vec![],
        vec![],
        0,
        ts(0.0),
        "",
    );
    let e = apply_delta(&[row], &d, "id", None).unwrap_err();
    assert!(matches!(e, ExtrasError::MissingKey { .. }), "{e}");
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn keyless_rows_survive_apply_and_float_keys_are_removed() {
    let rows = vec![
        Value::map([("id", Value::Float(1.5)), ("v", Value::Int(1))]),
        Value::map([("v", Value::Int(2))]),
    ];
    let d = Delta::new(vec![], vec![], vec![Value::str("1.5")], 1, ts(0.0), "");
    let out = apply_delta(&rows, &d, "id", None).unwrap();
    assert_eq!(out, vec![rows[1].clone()]);
}

#[test]
fn resolver_combines_modified_rows() {
    let old = vec![Value::map([
        ("id", Value::Int(1)),
        ("n", Value::Int(5)),
        ("s", Value::str("a")),
    ])];
    let m = Value::map([
        ("id", Value::Int(1)),
        ("n", Value::Int(3)),
        ("t", Value::Int(9)),
    ]);
    let d = Delta::new(vec![], vec![m], vec![], 1, ts(0.0), "");
    let max = |_: &str, a: &Value, b: &Value| if a >= b { a.clone() } else { b.clone() };
    let out = apply_delta(&old, &d, "id", Some(&max)).unwrap();
    assert_eq!(
        out,
        vec![Value::map([
            ("id", Value::Int(1)),
            ("n", Value::Int(5)),
            ("s", Value::str("a")),
            ("t", Value::Int(9)),
        ])]
    );
}

fn sorted_by_id(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by(|a, b| a.get("id").cmp(&b.get("id")));
    rows
}

fn row_strategy() -> impl Strategy<Value = Value> {
    (
        0i64..6,
        prop::option::of(0i64..4),
        prop::option::of("[ab]{0,2}"),
    )
        .prop_map(|(k, n, s)| {
            let mut e = vec![("id", Value::Int(k))];
            if let Some(n) = n {
                e.push(("n", Value::Int(n)));
            }
            if let Some(s) = s {
                e.push(("s", Value::Str(s)));
            }
            Value::map(e)
        })
}

fn table_strategy() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(row_strategy(), 0..7)
}

fn delta_strategy() -> impl Strategy<Value = Delta> {
    (
        prop::collection::vec(row_strategy(), 0..4),
        prop::collection::vec(row_strategy(), 0..4),
        prop::collection::vec((0i64..6).prop_map(|k| Value::Str(k.to_string())), 0..3),
        0i64..5,
    )
        .prop_map(|(a, m, r, v)| Delta::new(a, m, r, v, Timestamp::from_int(v), ""))
}

proptest! {
    #[test]
    fn compose_is_associative(a in delta_strategy(), b in delta_strategy(), c in delta_strategy()) {
        let ab_c = compose(&[compose(&[a.clone(), b.clone()], "id").unwrap(), c.clone()], "id").unwrap();
        let a_bc = compose(&[a.clone(), compose(&[b.clone(), c.clone()], "id").unwrap()], "id").unwrap();
        let abc = compose(&[a, b, c], "id").unwrap();
        prop_assert_eq!(&ab_c, &a_bc);
        prop_assert_eq!(&ab_c, &abc);
    }

    #[test]
    fn apply_of_compose_is_sequential_apply(base in table_strategy(), d1 in delta_strategy(), d2 in delta_strategy()) {
        let seq = apply_delta(&apply_delta(&base, &d1, "id", None).unwrap(), &d2, "id", None).unwrap();
        let comp = compose(&[d1, d2], "id").unwrap();
        let once = apply_delta(&base, &comp, "id", None).unwrap();
        prop_assert_eq!(sorted_by_id(once), sorted_by_id(seq));
    }

    #[test]
    fn computed_deltas_reach_the_target(v0 in table_strategy(), v1 in table_strategy(), v2 in table_strategy()) {
        let d1 = compute_delta(&v0, &v1, "id", 1, Timestamp::from_int(1), "n").unwrap();
        let d2 = compute_delta(&v1, &v2, "id", 2, Timestamp::from_int(2), "n").unwrap();
        let comp = compose(&[d1, d2], "id").unwrap();
        let got = apply_delta(&v0, &comp, "id", None).unwrap();
        // Later rows with a repeated key win, as in a Python dict.
        let want = apply_delta(&[], &Delta::new(v2.clone(), vec![], vec![], 0, Timestamp::from_int(0), ""), "id", None).unwrap();
        prop_assert_eq!(sorted_by_id(got), sorted_by_id(want));
    }
}

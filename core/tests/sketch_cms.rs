use crdt_merge_core::laws::check_laws;
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{DecodeError, Merge, MergeError, Value, WireType};
use proptest::prelude::*;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn is_shape_err<T: std::fmt::Debug>(r: Result<T, DecodeError>, field: &str) {
    match r {
        Err(DecodeError::Shape { msg, .. }) => {
            assert!(msg.contains(field), "error {msg:?} should name {field:?}")
        }
        other => panic!("expected a shape error naming {field:?}, got {other:?}"),
    }
}
use crdt_merge_core::sketch::MergeableCms;

fn sample() -> MergeableCms {
    let mut s = MergeableCms::new(8, 3).unwrap();
    for it in [
        Value::str("a"),
        Value::str("b"),
        Value::str("a"),
        Value::Int(1),
        Value::Int(2),
        Value::Int(3),
        Value::str("a"),
        Value::None,
    ] {
        s.add(&it, 1);
    }
    s.add_str("heavy", 10);
    s
}

#[test]
fn golden_matches_reference() {
    let s = sample();
    let want = "43524454000132000000008808000000050500000004747970650500000003636d7305000000057769647468090805000000056465707468090305000000057461626c650700000003070000000809040900090109010900090b090109000700000008090009010900090a090009020900090507000000080900090b0901090009020900090309010500000005746f74616c0912";
    assert_eq!(hex(&encode_typed(&s, false).unwrap()), want);
    assert_eq!(hex(&s.to_bytes(false).unwrap()), want);
    for (item, want) in [
        (Value::str("a"), 3),
        (Value::str("b"), 1),
        (Value::Int(1), 5),
        (Value::Int(2), 1),
        (Value::Int(3), 1),
        (Value::None, 1),
        (Value::str("heavy"), 10),
        (Value::str("nope"), 0),
        (Value::Int(99), 0),
    ] {
        assert_eq!(s.estimate(&item), want, "estimate({item:?})");
    }
    let back: MergeableCms = decode_typed(&unhex(want), &Limits::DEFAULT).unwrap();
    assert_eq!(back.to_bytes(false).unwrap(), unhex(want));
    let mut t = MergeableCms::new(8, 3).unwrap();
    t.add_str("a", 5);
    t.add_str("z", 300);
    let m = s.merge(&t).unwrap();
    assert_eq!(hex(&m.to_bytes(false).unwrap()), "4352445400013200000000a408000000050500000004747970650500000003636d7305000000057769647468090805000000056465707468090305000000057461626c65070000000307000000080905090003000000000000012c09010900090b0901090007000000080900090103000000000000012c090a090009020900090507000000080900090b03000000000000012c090009020900090509010500000005746f74616c030000000000000131");
    assert_eq!(m.total(), 305);
}

#[test]
fn dimensions_are_validated() {
    assert!(MergeableCms::new(0, 3).is_err());
    assert!(MergeableCms::new(3, 0).is_err());
    assert!(MergeableCms::new(1_000_000, 1_000_000).is_err());
    assert!(MergeableCms::new(i64::MAX, 2).is_err());
    let a = MergeableCms::new(8, 3).unwrap();
    let b = MergeableCms::new(8, 4).unwrap();
    assert!(matches!(
        a.merge(&b),
        Err(MergeError::ParameterMismatch { .. })
    ));
}

fn payload(w: i64, d: i64, table: Value) -> Value {
    Value::map([
        ("type", Value::str("cms")),
        ("width", Value::Int(w)),
        ("depth", Value::Int(d)),
        ("table", table),
        ("total", Value::Int(0)),
    ])
}

fn rows(w: usize, d: usize) -> Vec<Value> {
    vec![Value::List(vec![Value::Int(0); w]); d]
}

#[test]
fn bad_payloads_are_typed_errors() {
    assert!(MergeableCms::from_value(&payload(4, 2, Value::List(rows(4, 2)))).is_ok());
    is_shape_err(
        MergeableCms::from_value(&payload(1_000_000, 1_000_000, Value::List(rows(4, 2)))),
        "width",
    );
    is_shape_err(
        MergeableCms::from_value(&payload(0, 2, Value::List(vec![]))),
        "width",
    );
    is_shape_err(
        MergeableCms::from_value(&payload(4, 3, Value::List(rows(4, 2)))),
        "table",
    );
    is_shape_err(
        MergeableCms::from_value(&payload(5, 2, Value::List(rows(4, 2)))),
        "table",
    );
    let mut r = rows(4, 2);
    r[1] = Value::List(vec![
        Value::Int(0),
        Value::Float(1.0),
        Value::Int(0),
        Value::Int(0),
    ]);
    is_shape_err(
        MergeableCms::from_value(&payload(4, 2, Value::List(r))),
        "table'[1][1]",
    );
    let mut r = rows(4, 2);
    r[0] = Value::Int(3);
    is_shape_err(
        MergeableCms::from_value(&payload(4, 2, Value::List(r))),
        "table'[0]",
    );
    is_shape_err(
        MergeableCms::from_value(&payload(4, 2, Value::Int(1))),
        "table",
    );
    is_shape_err(
        MergeableCms::from_value(&Value::map([("width", Value::Int(4))])),
        "depth",
    );
}

fn arb_cms() -> impl Strategy<Value = MergeableCms> {
    proptest::collection::vec((any::<i64>(), 1i64..5), 0..40).prop_map(|items| {
        let mut s = MergeableCms::new(16, 4).unwrap();
        items.iter().for_each(|&(i, n)| s.add_int(i, n));
        s
    })
}

proptest! {
    #[test]
    fn laws_hold(a in arb_cms(), b in arb_cms(), c in arb_cms()) {
        prop_assert_eq!(check_laws(&a, &b, &c), Ok(()));
        let ab = a.merge(&b).unwrap();
        prop_assert_eq!(ab.to_value(), b.merge(&a).unwrap().to_value());
        prop_assert_eq!(a.merge(&a).unwrap().to_value(), a.to_value());
    }

    #[test]
    fn roundtrip_and_never_undercounts(items in proptest::collection::vec(0i64..30, 0..100)) {
        let mut s = MergeableCms::new(8, 3).unwrap();
        items.iter().for_each(|&i| s.add_int(i, 1));
        for i in 0..30 {
            let n = items.iter().filter(|&&x| x == i).count() as i64;
            prop_assert!(s.estimate_int(i) >= n);
            prop_assert_eq!(s.estimate_int(i), s.estimate(&Value::Int(i)));
        }
        let bytes = encode_typed(&s, false).unwrap();
        prop_assert_eq!(&bytes, &s.to_bytes(false).unwrap());
        let back: MergeableCms = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
        prop_assert_eq!(back.to_value(), s.to_value());
        prop_assert_eq!(MergeableCms::from_view(&s.to_view()).unwrap().to_value(), s.to_value());
    }
}

#[test]
fn batch_adds_equal_single_adds() {
    let ints: Vec<i64> = (-500..503).collect();
    let strs: Vec<String> = (0..203)
        .map(|i| {
            if i % 7 == 0 {
                format!("{}'\u{200b}", "long".repeat(i % 30))
            } else {
                format!("s{i}")
            }
        })
        .collect();
    let (mut a, mut b) = (
        MergeableCms::new(64, 5).unwrap(),
        MergeableCms::new(64, 5).unwrap(),
    );
    ints.iter().for_each(|&i| a.add_int(i, 1));
    strs.iter().for_each(|s| a.add_str(s, 1));
    b.add_ints(&ints);
    b.add_strs(&strs);
    assert_eq!(a.to_value(), b.to_value());
}

/// Large enough to take the multi-threaded batch path (with `std`).
#[test]
fn large_batch_equals_single_adds() {
    let ints: Vec<i64> = (0..60_007).map(|i| i % 5000).collect();
    let (mut a, mut b) = (
        MergeableCms::new(500, 5).unwrap(),
        MergeableCms::new(500, 5).unwrap(),
    );
    ints.iter().for_each(|&i| a.add_int(i, 1));
    b.add_ints(&ints);
    assert_eq!(a.to_bytes(false).unwrap(), b.to_bytes(false).unwrap());
    assert_eq!(b.total(), 60_007);
}

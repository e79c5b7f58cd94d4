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
use crdt_merge_core::sketch::MergeableHll;

fn items_1_20_ab() -> Vec<Value> {
    let mut v: Vec<Value> = (1..=20).map(Value::Int).collect();
    v.push(Value::str("a"));
    v.push(Value::str("b"));
    v
}

#[test]
fn golden_p4_matches_reference() {
    let mut h = MergeableHll::new(4).unwrap();
    h.add_all(&items_1_20_ab());
    assert_eq!(
        h.registers(),
        &[9, 1, 4, 6, 0, 0, 1, 11, 2, 0, 1, 6, 2, 0, 1, 1]
    );
    let want = "43524454000130000000005908000000030500000004747970650500000003686c6c0500000009707265636973696f6e0904050000000972656769737465727307000000100909090109040906090009000901090b09020900090109060902090009010901";
    assert_eq!(hex(&encode_typed(&h, false).unwrap()), want);
    assert_eq!(hex(&h.to_bytes(false).unwrap()), want);
    assert_eq!(h.cardinality(), 22.18070977791825);
    let back: MergeableHll = decode_typed(&unhex(want), &Limits::DEFAULT).unwrap();
    assert_eq!(back, h);
}

#[test]
fn fast_paths_match_value_path() {
    let mut a = MergeableHll::new(6).unwrap();
    let mut b = MergeableHll::new(6).unwrap();
    for i in 0..500 {
        a.add(&Value::Int(i));
        b.add_int(i);
        a.add(&Value::str(format!("s{i}'\u{e9}")));
        b.add_str(&format!("s{i}'\u{e9}"));
    }
    assert_eq!(a, b);
}

#[test]
fn other_goldens_match_reference() {
    let mut e = MergeableHll::new(5).unwrap();
    for i in 0..300 {
        e.add_str(&format!("x{i}"));
    }
    assert_eq!(hex(&e.to_bytes(false).unwrap()), "43524454000130000000007908000000030500000004747970650500000003686c6c0500000009707265636973696f6e09050500000009726567697374657273070000002009040903090809040903090409030904090409080903090409050903090109040902090609030902090409040904090509030905090409030904090309030902");
    assert_eq!(e.cardinality(), 211.96562412993038);
    let mut f = MergeableHll::new(6).unwrap();
    f.add_all(&[
        Value::Float(1.5),
        Value::None,
        Value::Bool(true),
        Value::Bytes(b"zz".to_vec()),
        Value::str("\u{e9}"),
    ]);
    assert_eq!(hex(&encode_typed(&f, false).unwrap()), "4352445400013000000000b908000000030500000004747970650500000003686c6c0500000009707265636973696f6e0906050000000972656769737465727307000000400900090009000900090009000900090009000900090009000900090009030900090109000901090009000900090009000900090009000900090009000900090009000900090009000900090009000900090009000900090209000900090009000900090009000900090009000900090009000900090009010900090009000900");
    let empty = MergeableHll::new(4).unwrap();
    assert_eq!(hex(&empty.to_bytes(false).unwrap()), "43524454000130000000005908000000030500000004747970650500000003686c6c0500000009707265636973696f6e0904050000000972656769737465727307000000100900090009000900090009000900090009000900090009000900090009000900");
    assert_eq!(empty.cardinality(), 0.0);
}

#[test]
fn cardinality_matches_reference() {
    let mut b = MergeableHll::new(10).unwrap();
    (0..5000).for_each(|i| b.add_int(i));
    assert_eq!(b.cardinality(), 4884.957905448652);
    let mut c = MergeableHll::new(14).unwrap();
    (0..100_000).for_each(|i| c.add_int(i));
    assert_eq!(c.cardinality(), 98541.0971707579);
    let mut d = MergeableHll::new(4).unwrap();
    (0..100_000).for_each(|i| d.add_int(i));
    assert_eq!(
        d.registers(),
        &[15, 14, 11, 15, 13, 15, 13, 14, 18, 21, 16, 14, 15, 15, 13, 15]
    );
    assert_eq!(d.cardinality(), 138913.54239753942);
}

#[test]
fn merge_rules() {
    let a = MergeableHll::new(4).unwrap();
    let b = MergeableHll::new(5).unwrap();
    assert!(matches!(
        a.merge(&b),
        Err(MergeError::ParameterMismatch { .. })
    ));
    assert!(MergeableHll::new(3).is_err() && MergeableHll::new(19).is_err());
}

fn payload(p: Value, regs: Value) -> Value {
    Value::map([
        ("type", Value::str("hll")),
        ("precision", p),
        ("registers", regs),
    ])
}

#[test]
fn bad_payloads_are_typed_errors() {
    let regs16 = Value::List(vec![Value::Int(0); 16]);
    assert!(MergeableHll::from_value(&payload(Value::Int(4), regs16.clone())).is_ok());
    is_shape_err(
        MergeableHll::from_value(&payload(Value::Int(99), regs16.clone())),
        "precision",
    );
    is_shape_err(
        MergeableHll::from_value(&payload(Value::Int(60), regs16.clone())),
        "precision",
    );
    is_shape_err(
        MergeableHll::from_value(&payload(Value::Int(-1), regs16.clone())),
        "precision",
    );
    is_shape_err(
        MergeableHll::from_value(&payload(Value::str("4"), regs16.clone())),
        "precision",
    );
    is_shape_err(
        MergeableHll::from_value(&payload(Value::Int(5), regs16.clone())),
        "registers",
    );
    is_shape_err(
        MergeableHll::from_value(&payload(
            Value::Int(4),
            Value::List(vec![Value::Int(0); 15]),
        )),
        "registers",
    );
    let mut bad = vec![Value::Int(0); 16];
    bad[3] = Value::str("x");
    is_shape_err(
        MergeableHll::from_value(&payload(Value::Int(4), Value::List(bad.clone()))),
        "registers",
    );
    bad[3] = Value::Int(256);
    is_shape_err(
        MergeableHll::from_value(&payload(Value::Int(4), Value::List(bad))),
        "registers",
    );
    is_shape_err(MergeableHll::from_value(&Value::List(vec![])), "dict");
    is_shape_err(
        MergeableHll::from_value(&Value::map([("precision", Value::Int(4))])),
        "registers",
    );
}

fn arb_hll() -> impl Strategy<Value = MergeableHll> {
    proptest::collection::vec(any::<i64>(), 0..60).prop_map(|items| {
        let mut h = MergeableHll::new(4).unwrap();
        items.iter().for_each(|&i| h.add_int(i));
        h
    })
}

proptest! {
    #[test]
    fn laws_hold(a in arb_hll(), b in arb_hll(), c in arb_hll()) {
        prop_assert_eq!(check_laws(&a, &b, &c), Ok(()));
    }

    #[test]
    fn roundtrip(a in arb_hll()) {
        let bytes = encode_typed(&a, false).unwrap();
        prop_assert_eq!(&bytes, &a.to_bytes(false).unwrap());
        let back: MergeableHll = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
        prop_assert_eq!(&back, &a);
        prop_assert_eq!(MergeableHll::from_view(&a.to_view()).unwrap(), a);
    }

    #[test]
    fn decoded_random_registers_are_accepted(regs in proptest::collection::vec(any::<u8>(), 32)) {
        let v = payload(Value::Int(5), Value::List(regs.iter().map(|&r| Value::Int(r as i64)).collect()));
        let h = MergeableHll::from_value(&v).unwrap();
        prop_assert!(h.cardinality().is_finite());
        prop_assert_eq!(h.to_value(), v);
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
    let (mut a, mut b) = (MergeableHll::new(8).unwrap(), MergeableHll::new(8).unwrap());
    ints.iter().for_each(|&i| a.add_int(i));
    strs.iter().for_each(|s| a.add_str(s));
    b.add_ints(&ints);
    b.add_strs(&strs);
    assert_eq!(a, b);
}

/// Large enough to take the multi-threaded batch path (with `std`).
#[test]
fn large_batch_equals_single_adds() {
    let ints: Vec<i64> = (0..70_001).map(|i| i * 7919 - 3).collect();
    let (mut a, mut b) = (
        MergeableHll::new(12).unwrap(),
        MergeableHll::new(12).unwrap(),
    );
    ints.iter().for_each(|&i| a.add_int(i));
    b.add_ints(&ints);
    assert_eq!(a, b);
    let vals: Vec<Value> = ints.iter().map(|&i| Value::Float(i as f64 / 3.0)).collect();
    a.add_all(&vals);
    b.add_values(&vals);
    assert_eq!(a, b);
}

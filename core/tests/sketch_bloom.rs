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
use crdt_merge_core::sketch::MergeableBloom;

fn items() -> Vec<Value> {
    vec![
        Value::str("alice"),
        Value::str("bob"),
        Value::Int(42),
        Value::Float(3.5),
        Value::None,
        Value::str("x'y"),
    ]
}

#[test]
fn golden_matches_reference() {
    let mut f = MergeableBloom::new(20, 0.1).unwrap();
    f.add_all(&items());
    assert_eq!((f.size(), f.num_hashes()), (96, 4));
    let want = "43524454000131000000009108000000070500000004747970650500000005626c6f6f6d050000000863617061636974790914050000000766705f72617465043fb999999999999a050000000473697a650960050000000a6e756d5f6861736865730904050000000462697473070000000c090c090009040912094209510905091509500902030000000000000081094c0500000005636f756e740906";
    assert_eq!(hex(&encode_typed(&f, false).unwrap()), want);
    assert_eq!(hex(&f.to_bytes(false).unwrap()), want);
    for (item, want) in [
        (Value::str("alice"), true),
        (Value::str("bob"), true),
        (Value::Int(42), true),
        (Value::Float(3.5), true),
        (Value::None, true),
        (Value::str("x'y"), true),
        (Value::str("carol"), false),
        (Value::Int(43), false),
        (Value::str("zz"), false),
        (Value::Int(7), false),
        (Value::str("q"), false),
    ] {
        assert_eq!(f.contains(&item), want, "contains({item:?})");
    }
    let back: MergeableBloom = decode_typed(&unhex(want), &Limits::DEFAULT).unwrap();
    assert_eq!(back.to_bytes(false).unwrap(), unhex(want));

    let mut g = MergeableBloom::new(20, 0.1).unwrap();
    g.add_str("carol");
    g.add_int(43);
    let m = f.merge(&g).unwrap();
    assert_eq!(m.count(), 8);
    assert_eq!(hex(&m.to_bytes(false).unwrap()), "43524454000131000000009f08000000070500000004747970650500000005626c6f6f6d050000000863617061636974790914050000000766705f72617465043fb999999999999a050000000473697a650960050000000a6e756d5f6861736865730904050000000462697473070000000c03000000000000008e09000904030000000000000096095209530915091509500902030000000000000081094c0500000005636f756e740908");
}

#[test]
fn sizing_matches_reference() {
    for (n, p, m, k) in [
        (1, 0.5, 64, 45),
        (0, 0.01, 64, 45),
        (10000, 0.01, 95851, 7),
        (1000000, 0.001, 14377588, 10),
        (7, 0.3, 64, 7),
        (123457, 1e-09, 5325042, 30),
        (5, 1e-300, 7189, 997),
        (100, 0.99, 64, 1),
        (100, 1.5, 64, 1),
    ] {
        let f = MergeableBloom::new(n, p).unwrap();
        assert_eq!(
            (f.size(), f.num_hashes()),
            (m, k),
            "capacity {n} fp_rate {p}"
        );
    }
    assert!(MergeableBloom::new(10, 0.0).is_err());
    assert!(MergeableBloom::new(10, -0.5).is_err());
    assert!(MergeableBloom::new(10, f64::NAN).is_err());
    assert!(MergeableBloom::new(i64::MAX, 1e-300).is_err());
}

/// The reference's own counterexample (see DEVIATIONS.md): 0..20 added to a
/// fresh filter gives count 20, merge(a, a) re-estimates 18. Bits equal.
#[test]
fn self_merge_count_reestimate() {
    let mut a = MergeableBloom::new(20, 0.1).unwrap();
    (0..20).for_each(|i| a.add_int(i));
    assert_eq!(hex(&a.to_bytes(false).unwrap()), "4352445400013100000000b408000000070500000004747970650500000005626c6f6f6d050000000863617061636974790914050000000766705f72617465043fb999999999999a050000000473697a650960050000000a6e756d5f6861736865730904050000000462697473070000000c09110300000000000000c509050300000000000000f50300000000000000ea095f0300000000000000fd095209660300000000000000e8030000000000000094096d0500000005636f756e740914");
    let aa = a.merge(&a).unwrap();
    assert_eq!(aa, a);
    assert_eq!((a.count(), aa.count()), (20, 18));
    assert_eq!(hex(&aa.to_bytes(false).unwrap()), "4352445400013100000000b408000000070500000004747970650500000005626c6f6f6d050000000863617061636974790914050000000766705f72617465043fb999999999999a050000000473697a650960050000000a6e756d5f6861736865730904050000000462697473070000000c09110300000000000000c509050300000000000000f50300000000000000ea095f0300000000000000fd095209660300000000000000e8030000000000000094096d0500000005636f756e740912");
    let aaa = aa.merge(&aa).unwrap();
    assert_eq!(aaa.to_bytes(false).unwrap(), aa.to_bytes(false).unwrap());
}

/// A full filter: the reference keeps max(count); we re-estimate with the 1e-10 floor.
#[test]
fn full_filter_count_is_a_function_of_bits() {
    let mut f = MergeableBloom::new(20, 0.1).unwrap();
    (0..2000).for_each(|i| f.add_int(i));
    assert_eq!(hex(&f.to_bytes(false).unwrap()), "4352445400013100000000e508000000070500000004747970650500000005626c6f6f6d050000000863617061636974790914050000000766705f72617465043fb999999999999a050000000473697a650960050000000a6e756d5f6861736865730904050000000462697473070000000c0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0300000000000000ff0500000005636f756e740300000000000007d0");
    let mut g = MergeableBloom::new(20, 0.1).unwrap();
    (0..3000).for_each(|i| g.add_int(i));
    let (fg, gf, ff) = (
        f.merge(&g).unwrap(),
        g.merge(&f).unwrap(),
        f.merge(&f).unwrap(),
    );
    assert_eq!(fg.count(), 552);
    assert_eq!((gf.count(), ff.count()), (552, 552));
}

#[test]
fn merge_parameter_mismatch() {
    let a = MergeableBloom::new(20, 0.1).unwrap();
    let b = MergeableBloom::new(2000, 0.1).unwrap();
    assert!(matches!(
        a.merge(&b),
        Err(MergeError::ParameterMismatch { .. })
    ));
}

fn payload(size: i64, k: i64, bits: Vec<Value>) -> Value {
    Value::map([
        ("type", Value::str("bloom")),
        ("capacity", Value::Int(20)),
        ("fp_rate", Value::Float(0.1)),
        ("size", Value::Int(size)),
        ("num_hashes", Value::Int(k)),
        ("bits", Value::List(bits)),
        ("count", Value::Int(0)),
    ])
}

#[test]
fn bad_payloads_are_typed_errors() {
    let ok = vec![Value::Int(0); 12];
    assert!(MergeableBloom::from_value(&payload(96, 4, ok.clone())).is_ok());
    is_shape_err(
        MergeableBloom::from_value(&payload(96, 4, vec![Value::Int(0); 11])),
        "bits",
    );
    is_shape_err(
        MergeableBloom::from_value(&payload(97, 4, ok.clone())),
        "bits",
    );
    is_shape_err(MergeableBloom::from_value(&payload(0, 4, vec![])), "size");
    is_shape_err(MergeableBloom::from_value(&payload(-8, 4, vec![])), "size");
    is_shape_err(
        MergeableBloom::from_value(&payload(1_000_000_000_000, 4, ok.clone())),
        "size",
    );
    is_shape_err(
        MergeableBloom::from_value(&payload(96, 0, ok.clone())),
        "num_hashes",
    );
    is_shape_err(
        MergeableBloom::from_value(&payload(96, 1_000_000_000_000, ok.clone())),
        "num_hashes",
    );
    let mut bad = ok.clone();
    bad[2] = Value::str("x");
    is_shape_err(
        MergeableBloom::from_value(&payload(96, 4, bad.clone())),
        "bits",
    );
    bad[2] = Value::Int(300);
    is_shape_err(MergeableBloom::from_value(&payload(96, 4, bad)), "bits");
    let mut v = payload(96, 4, ok.clone());
    if let Value::Map(m) = &mut v {
        m[2].1 = Value::str("0.1");
    }
    is_shape_err(MergeableBloom::from_value(&v), "fp_rate");
    is_shape_err(
        MergeableBloom::from_value(&Value::map([("size", Value::Int(96))])),
        "capacity",
    );
}

fn arb_bloom() -> impl Strategy<Value = MergeableBloom> {
    proptest::collection::vec(any::<i64>(), 0..40).prop_map(|items| {
        let mut f = MergeableBloom::new(20, 0.1).unwrap();
        items.iter().for_each(|&i| f.add_int(i));
        f
    })
}

proptest! {
    #[test]
    fn laws_hold(a in arb_bloom(), b in arb_bloom(), c in arb_bloom()) {
        prop_assert_eq!(check_laws(&a, &b, &c), Ok(()));
        // Merged states obey the laws byte for byte (count included).
        let (ab, bc) = (a.merge(&b).unwrap(), b.merge(&c).unwrap());
        prop_assert_eq!(ab.to_value(), b.merge(&a).unwrap().to_value());
        prop_assert_eq!(ab.merge(&c).unwrap().to_value(), a.merge(&bc).unwrap().to_value());
        prop_assert_eq!(ab.merge(&ab).unwrap().to_value(), ab.to_value());
    }

    #[test]
    fn roundtrip_and_no_false_negatives(items in proptest::collection::vec(".*", 0..30)) {
        let mut f = MergeableBloom::new(50, 0.05).unwrap();
        items.iter().for_each(|s| f.add_str(s));
        for s in &items {
            prop_assert!(f.contains_str(s) && f.contains(&Value::str(s.clone())));
        }
        let bytes = encode_typed(&f, false).unwrap();
        prop_assert_eq!(&bytes, &f.to_bytes(false).unwrap());
        let back: MergeableBloom = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
        prop_assert_eq!(back.to_value(), f.to_value());
        prop_assert_eq!(MergeableBloom::from_view(&f.to_view()).unwrap().to_value(), f.to_value());
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
        MergeableBloom::new(2000, 0.01).unwrap(),
        MergeableBloom::new(2000, 0.01).unwrap(),
    );
    ints.iter().for_each(|&i| a.add_int(i));
    strs.iter().for_each(|s| a.add_str(s));
    b.add_ints(&ints);
    b.add_strs(&strs);
    assert_eq!(a.to_value(), b.to_value());
}

/// Large enough to take the multi-threaded batch path (with `std`).
#[test]
fn large_batch_equals_single_adds() {
    let strs: Vec<String> = (0..50_003).map(|i| format!("item-{i}")).collect();
    let (mut a, mut b) = (
        MergeableBloom::new(40_000, 0.01).unwrap(),
        MergeableBloom::new(40_000, 0.01).unwrap(),
    );
    strs.iter().for_each(|s| a.add_str(s));
    b.add_strs(&strs);
    assert_eq!(a.to_bytes(false).unwrap(), b.to_bytes(false).unwrap());
}

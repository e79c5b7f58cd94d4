//! Law tests (commutativity, associativity, idempotency) on random states of
//! every CRDT type, with small domains so equal timestamps, equal node ids and
//! equal tags are frequent; plus encode → decode and view roundtrips.

use crdt_merge_core::crdt::*;
use crdt_merge_core::laws::check_laws;
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Merge, Value, WireType};
use proptest::prelude::*;

fn node() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just("c"), Just("")]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        (-2i64..3).prop_map(Value::Int),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(2.5)].prop_map(Value::Float),
        prop_oneof![Just("x"), Just("y"), Just("1")].prop_map(Value::str),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::List),
            prop::collection::vec((prop_oneof![Just("k"), Just("l"), Just("m")], inner), 0..3)
                .prop_map(Value::map),
        ]
    })
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (0i64..3).prop_map(Timestamp::from_int),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.0), Just(1.5), Just(2.0)]
            .prop_map(|f| Timestamp::from_f64(f).unwrap()),
    ]
}

/// Laws, then encode → decode and view → state roundtrips for each sample.
fn check_all<T: Merge + WireType + PartialEq + std::fmt::Debug + Clone>(a: &T, b: &T, c: &T) {
    if let Err(e) = check_laws(a, b, c) {
        panic!("{e:?}");
    }
    let ab = a.merge(b).unwrap();
    // merges produce canonical order, so the bytes do not depend on the side
    assert_eq!(
        encode_typed(&ab, false).unwrap(),
        encode_typed(&b.merge(a).unwrap(), false).unwrap(),
        "a⊔b and b⊔a encode identically"
    );
    for x in [a, b, c, &ab] {
        let f = encode_typed(x, false).unwrap();
        let y: T = decode_typed(&f, &Limits::DEFAULT).unwrap();
        assert_eq!(&y, x, "wire roundtrip");
        assert_eq!(
            encode_typed(&y, false).unwrap(),
            f,
            "re-encode is byte-identical"
        );
        let v: T = T::from_view(&x.to_view()).unwrap();
        assert_eq!(&v, x, "view roundtrip");
        assert_eq!(v.to_view(), x.to_view());
    }
}

fn gcounter() -> impl Strategy<Value = GCounter> {
    prop::collection::vec((node(), 0u64..4), 0..5).prop_map(|ops| {
        let mut g = GCounter::new();
        for (n, k) in ops {
            g.increment(n, k);
        }
        g
    })
}

fn pncounter() -> impl Strategy<Value = PNCounter> {
    (gcounter(), gcounter()).prop_map(|(pos, neg)| PNCounter { pos, neg })
}

fn lww() -> impl Strategy<Value = LwwRegister> {
    (value(), timestamp(), node()).prop_map(|(v, t, n)| LwwRegister::new(v, t, n))
}

#[derive(Debug, Clone)]
enum SetOp {
    Add(Value, u8),
    Remove(Value),
}

fn orset() -> impl Strategy<Value = OrSet> {
    let elem = prop_oneof![
        Just(Value::str("x")),
        Just(Value::str("1")),
        Just(Value::Int(1)),
        Just(Value::Int(2)),
        Just(Value::Bool(true)),
        Just(Value::None)
    ];
    let op = prop_oneof![
        (elem.clone(), 0u8..4).prop_map(|(e, t)| SetOp::Add(e, t)),
        elem.prop_map(SetOp::Remove)
    ];
    prop::collection::vec(op, 0..8).prop_map(|ops| {
        let mut s = OrSet::new();
        for op in ops {
            match op {
                SetOp::Add(e, t) => s.add(&e, derive_tag("n", t as u64)),
                SetOp::Remove(e) => s.remove(&e),
            }
        }
        s
    })
}

fn lwwmap() -> impl Strategy<Value = LwwMap> {
    let key = prop_oneof![Just("p"), Just("q"), Just("r")];
    let op = prop_oneof![
        (key.clone(), value(), timestamp(), node()).prop_map(|(k, v, t, n)| (k, Some((v, n)), t)),
        (key, timestamp()).prop_map(|(k, t)| (k, None, t)),
    ];
    prop::collection::vec(op, 0..6).prop_map(|ops| {
        let mut m = LwwMap::new();
        for (k, w, t) in ops {
            match w {
                Some((v, n)) => m.set(k, v, t, n),
                None => m.delete(k, t),
            }
        }
        m
    })
}

fn vclock() -> impl Strategy<Value = VectorClock> {
    prop::collection::vec((node(), 0u64..4), 0..4).prop_map(VectorClock::from_pairs)
}

fn dvv() -> impl Strategy<Value = DottedVersionVector> {
    (vclock(), prop::option::of((node(), 0u64..5)))
        .prop_map(|(b, d)| DottedVersionVector::new(b, d.map(|(n, c)| (n.to_string(), c))))
}

fn hlc() -> impl Strategy<Value = HybridLogicalClock> {
    (0i64..3, 0i64..3, node()).prop_map(|(w, l, n)| HybridLogicalClock::new(w, l, n))
}

/// Arbitrary valid MV-register states (dots within the version vector,
/// possibly with the same dot carrying different values on different replicas).
fn mvreg() -> impl Strategy<Value = MvRegister> {
    (
        prop::collection::vec((node(), 0i64..4), 0..4),
        prop::collection::vec((node(), 1i64..4, scalar()), 0..4),
    )
        .prop_map(|(vv, entries)| {
            let vv: Vec<(Value, Value)> = {
                let mut m: std::collections::BTreeMap<&str, i64> = Default::default();
                for (n, c) in vv {
                    m.insert(n, c);
                }
                for (n, c, _) in &entries {
                    let e = m.entry(n).or_insert(0);
                    *e = (*e).max(*c);
                }
                m.into_iter()
                    .filter(|(_, c)| *c > 0)
                    .map(|(n, c)| (Value::str(n), Value::Int(c)))
                    .collect()
            };
            let mut seen = std::collections::BTreeSet::new();
            let entries: Vec<Value> = entries
                .into_iter()
                .filter(|(n, c, _)| seen.insert((*n, *c)))
                .map(|(n, c, v)| Value::List(vec![Value::str(n), Value::Int(c), v]))
                .collect();
            let v = Value::map([
                ("type", Value::str("mv_register")),
                ("entries", Value::List(entries)),
                ("vv", Value::Map(vv)),
            ]);
            MvRegister::from_value(&v).unwrap()
        })
}

fn delta() -> impl Strategy<Value = Delta> {
    let rec = (0i64..3, scalar())
        .prop_map(|(id, v)| Value::map([("id", Value::Int(id)), ("v", v)]))
        .boxed();
    let recs = || prop::collection::vec(rec.clone(), 0..3);
    (
        recs(),
        recs(),
        prop::collection::vec(scalar(), 0..3),
        0i64..3,
        timestamp(),
        node(),
    )
        .prop_map(|(a, m, r, ver, t, n)| Delta::new(a, m, r, ver, t, n))
}

fn generic() -> impl Strategy<Value = Generic> {
    let top = prop_oneof![
        prop::collection::vec(value(), 0..3).prop_map(Value::List),
        prop::collection::vec((prop_oneof![Just("k"), Just("l")], value()), 0..3)
            .prop_map(Value::map),
    ];
    top.prop_map(|v| Generic::new(v).unwrap())
}

macro_rules! law_test {
    ($name:ident, $strat:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            #[test]
            fn $name(a in $strat, b in $strat, c in $strat) {
                check_all(&a, &b, &c);
            }
        }
    };
}

law_test!(laws_gcounter, gcounter());
law_test!(laws_pncounter, pncounter());
law_test!(laws_lww_register, lww());
law_test!(laws_or_set, orset());
law_test!(laws_lww_map, lwwmap());
law_test!(laws_vector_clock, vclock());
law_test!(laws_dotted_version_vector, dvv());
law_test!(laws_hybrid_logical_clock, hlc());
law_test!(laws_mv_register, mvreg());
law_test!(laws_delta, delta());
law_test!(laws_generic, generic());

#[test]
fn lww_ties_are_commutative() {
    let ts = Timestamp::from_f64(1.0).unwrap();
    let a = LwwRegister::new(Value::str("x"), ts, "n");
    let b = LwwRegister::new(Value::str("y"), ts, "n");
    assert_eq!(a.merge(&b).unwrap(), b.merge(&a).unwrap());
    assert_eq!(a.merge(&b).unwrap().value(), &Value::str("y"));
    let c = LwwRegister::new(Value::str("z"), ts, "m");
    assert_eq!(
        c.merge(&a).unwrap().value(),
        &Value::str("x"),
        "node id before value"
    );
}

#[test]
fn orset_remove_is_not_undone_by_a_stale_replica() {
    let mut a = OrSet::new();
    a.add(&Value::str("x"), "0123456789ab");
    let stale = a.clone();
    a.remove(&Value::str("x"));
    let m = a.merge(&stale).unwrap();
    assert!(!m.contains(&Value::str("x")));
    // a concurrent add with a new tag still wins
    let mut b = stale.clone();
    b.add(&Value::str("x"), "ba9876543210");
    assert!(a.merge(&b).unwrap().contains(&Value::str("x")));
}

#[test]
fn lwwmap_keeps_zero_tombstones() {
    let mut m = LwwMap::new();
    m.set("k", Value::Int(1), Timestamp::from_int(0), "n");
    m.delete("k", Timestamp::ZERO);
    let mm = m.merge(&m).unwrap();
    assert_eq!(mm, m);
    assert_eq!(mm.get("k"), None);
}

#[test]
fn mv_register_concurrent_writes() {
    let mut a = MvRegister::new();
    a.write("a", Value::Int(1));
    let mut b = a.clone();
    a.write("a", Value::Int(2));
    b.write("b", Value::Int(3));
    let m = a.merge(&b).unwrap();
    assert_eq!(m.values(), vec![Value::Int(2), Value::Int(3)]);
    let mut c = m.clone();
    c.write("c", Value::Int(4));
    assert_eq!(m.merge(&c).unwrap().values(), vec![Value::Int(4)]);
}

#[test]
fn hlc_send_recv() {
    let mut a = HybridLogicalClock::new(0, 0, "a");
    let t1 = a.now(100);
    assert_eq!((t1.wall_ms, t1.logical), (100, 0));
    let t2 = a.now(90);
    assert_eq!((t2.wall_ms, t2.logical), (100, 1));
    let mut b = HybridLogicalClock::new(0, 0, "b");
    let r = b.recv(&t2, 50);
    assert_eq!((r.wall_ms, r.logical), (100, 2));
    assert!(r > t2);
    let r2 = b.recv(&t1, 200);
    assert_eq!((r2.wall_ms, r2.logical), (200, 0));
}

#[test]
fn dvv_keeps_a_shared_dot_and_folds_different_ones() {
    let base = VectorClock::from_pairs([("a", 1)]);
    let x = DottedVersionVector::new(base.clone(), Some(("b".into(), 1)));
    assert_eq!(x.merge(&x).unwrap(), x);
    let y = x.advance("a");
    let m = x.merge(&y).unwrap();
    assert_eq!(m.dot(), None);
    assert_eq!(m.value(), VectorClock::from_pairs([("a", 2), ("b", 1)]));
}

#[test]
fn generic_merge_is_keywise() {
    let a = Generic::new(Value::map([
        ("k", Value::map([("x", Value::Int(1))])),
        ("l", Value::Int(5)),
    ]))
    .unwrap();
    let b = Generic::new(Value::map([
        ("k", Value::map([("y", Value::Int(2))])),
        ("l", Value::str("s")),
    ]))
    .unwrap();
    let m = a.merge(&b).unwrap();
    let want = Generic::new(Value::map([
        (
            "k",
            Value::map([("x", Value::Int(1)), ("y", Value::Int(2))]),
        ),
        ("l", Value::str("s")),
    ]))
    .unwrap();
    assert_eq!(m, want);
}

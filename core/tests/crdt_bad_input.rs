//! Bad payloads: wrong shapes, missing fields, NaN timestamps, forged
//! states. Every one is a typed `DecodeError::Shape` naming the type and the
//! field; arbitrary values and bytes never panic.

use crdt_merge_core::crdt::*;
use crdt_merge_core::wire::{decode_typed, encode_frame, Limits, PayloadEncoding};
use crdt_merge_core::{DecodeError, Value, WireType};
use proptest::prelude::*;

fn shape_err<T: WireType + std::fmt::Debug>(v: Value, needle: &str) {
    match T::from_value(&v) {
        Err(DecodeError::Shape { msg, .. }) => assert!(
            msg.contains(needle),
            "message {msg:?} should name {needle:?}"
        ),
        other => panic!("expected a shape error naming {needle:?}, got {other:?}"),
    }
}

fn s(x: &str) -> Value {
    Value::str(x)
}

#[test]
fn counters() {
    shape_err::<GCounter>(Value::List(vec![]), "payload");
    shape_err::<GCounter>(Value::map([("type", s("g_counter"))]), "counts");
    shape_err::<GCounter>(
        Value::map([
            ("type", s("pn_counter")),
            ("counts", Value::map::<&str>([])),
        ]),
        "type",
    );
    shape_err::<GCounter>(
        Value::map([
            ("type", s("g_counter")),
            ("counts", Value::map([("a", Value::Float(1.0))])),
        ]),
        "counts['a']",
    );
    shape_err::<PNCounter>(
        Value::map([
            ("type", s("pn_counter")),
            (
                "pos",
                Value::map([("type", s("g_counter")), ("counts", Value::map::<&str>([]))]),
            ),
        ]),
        "neg",
    );
    shape_err::<PNCounter>(
        Value::map([
            ("type", s("pn_counter")),
            ("pos", Value::Int(1)),
            ("neg", Value::Int(1)),
        ]),
        "pos",
    );
}

fn lww_payload(ts: Value) -> Value {
    Value::map([
        ("type", s("lww_register")),
        ("value", Value::Int(1)),
        ("timestamp", ts),
        ("node_id", s("n")),
    ])
}

#[test]
fn lww_register() {
    shape_err::<LwwRegister>(lww_payload(Value::Float(f64::NAN)), "NaN");
    shape_err::<LwwRegister>(lww_payload(s("1.0")), "timestamp");
    shape_err::<LwwRegister>(
        Value::map([
            ("type", s("lww_register")),
            ("timestamp", Value::Float(1.0)),
            ("node_id", s("n")),
        ]),
        "value",
    );
    shape_err::<LwwRegister>(
        Value::map([
            ("type", s("lww_register")),
            ("value", Value::None),
            ("timestamp", Value::Float(1.0)),
            ("node_id", Value::Int(3)),
        ]),
        "node_id",
    );
    // NaN in a real frame
    let f = encode_frame(
        LwwRegister::TAG,
        &lww_payload(Value::Float(f64::NAN)),
        PayloadEncoding::Codec,
        false,
    )
    .unwrap();
    assert!(matches!(
        decode_typed::<LwwRegister>(&f, &Limits::DEFAULT),
        Err(DecodeError::Shape { .. })
    ));
    // and a frame of another type
    assert!(matches!(
        decode_typed::<GCounter>(&f, &Limits::DEFAULT),
        Err(DecodeError::WrongType { .. })
    ));
    // infinities are timestamps
    assert!(LwwRegister::from_value(&lww_payload(Value::Float(f64::INFINITY))).is_ok());
}

#[test]
fn lww_map() {
    let reg = lww_payload(Value::Float(f64::NAN));
    shape_err::<LwwMap>(
        Value::map([
            ("type", s("lww_map")),
            ("registers", Value::map([("k", reg)])),
            ("tombstones", Value::map::<&str>([])),
        ]),
        "registers['k']: field `timestamp` is NaN",
    );
    shape_err::<LwwMap>(
        Value::map([
            ("type", s("lww_map")),
            ("registers", Value::map::<&str>([])),
            ("tombstones", Value::map([("k", Value::Float(f64::NAN))])),
        ]),
        "tombstones['k']",
    );
    shape_err::<LwwMap>(
        Value::map([
            ("type", s("lww_map")),
            ("registers", Value::map::<&str>([])),
        ]),
        "tombstones",
    );
}

#[test]
fn or_set() {
    let els = |e: Value| Value::map([("type", s("or_set")), ("elements", e)]);
    shape_err::<OrSet>(els(Value::List(vec![])), "elements");
    shape_err::<OrSet>(els(Value::map([("x", s("tag"))])), "elements[\"x\"]");
    shape_err::<OrSet>(
        els(Value::map([("x", Value::List(vec![Value::Int(1)]))])),
        "tags must be str",
    );
    let typed = Value::map([
        ("type", s("or_set")),
        ("elements", Value::map([("abc", Value::List(vec![]))])),
        ("element_types", Value::map([("abc", s("int"))])),
    ]);
    shape_err::<OrSet>(typed, "element_types");
    let removed = |r: Value| {
        Value::map([
            ("type", s("or_set")),
            ("elements", Value::map([("x", Value::List(vec![s("t1")]))])),
            ("removed", r),
        ])
    };
    shape_err::<OrSet>(
        removed(Value::map([("y", Value::List(vec![s("t2")]))])),
        "not in elements",
    );
    shape_err::<OrSet>(
        removed(Value::map([("x", Value::List(vec![s("t1")]))])),
        "also live",
    );
    assert!(OrSet::from_value(&removed(Value::map([("x", Value::List(vec![s("t0")]))]))).is_ok());
}

#[test]
fn clocks() {
    let vc = |c: Value| Value::map([("type", s("vector_clock")), ("clocks", c)]);
    shape_err::<VectorClock>(vc(Value::map([("a", Value::Int(-1))])), "clocks[\"a\"]");
    shape_err::<VectorClock>(
        vc(Value::map([("a", Value::Float(1.0))])),
        "non-negative int",
    );
    shape_err::<VectorClock>(Value::map([("type", s("vector_clock"))]), "clocks");
    let dvv = |dot: Value| {
        Value::map([
            ("type", s("dotted_version_vector")),
            ("base", vc(Value::map::<&str>([]))),
            ("dot", dot),
        ])
    };
    shape_err::<DottedVersionVector>(dvv(Value::List(vec![s("a")])), "dot");
    shape_err::<DottedVersionVector>(dvv(Value::List(vec![s("a"), Value::Int(-2)])), "dot");
    assert_eq!(
        DottedVersionVector::from_value(&dvv(Value::None))
            .unwrap()
            .dot(),
        None
    );
    shape_err::<DottedVersionVector>(Value::map([("type", s("dotted_version_vector"))]), "base");
    shape_err::<HybridLogicalClock>(
        Value::map([
            ("type", s("hybrid_logical_clock")),
            ("wall_ms", Value::Int(1)),
            ("logical", Value::Float(0.0)),
            ("node_id", s("a")),
        ]),
        "logical",
    );
}

#[test]
fn mv_register() {
    let mv = |entries: Vec<Value>, vv: Value| {
        Value::map([
            ("type", s("mv_register")),
            ("entries", Value::List(entries)),
            ("vv", vv),
        ])
    };
    let e = |n: &str, c: i64| Value::List(vec![s(n), Value::Int(c), Value::Int(7)]);
    shape_err::<MvRegister>(
        mv(vec![e("a", 2)], Value::map([("a", Value::Int(1))])),
        "exceeds vv",
    );
    shape_err::<MvRegister>(
        mv(vec![e("a", 0)], Value::map([("a", Value::Int(1))])),
        "entries[0]",
    );
    shape_err::<MvRegister>(
        mv(
            vec![e("a", 1), e("a", 1)],
            Value::map([("a", Value::Int(1))]),
        ),
        "duplicate dot",
    );
    shape_err::<MvRegister>(mv(vec![], Value::map([("a", Value::Int(-1))])), "vv");
}

#[test]
fn delta_and_generic() {
    let d = |added: Value, ts: Value| {
        Value::map([
            ("added", added),
            ("modified", Value::List(vec![])),
            ("removed", Value::List(vec![])),
            ("version", Value::Int(0)),
            ("timestamp", ts),
            ("source_node", s("")),
        ])
    };
    shape_err::<Delta>(
        d(Value::List(vec![Value::Int(1)]), Value::Float(1.0)),
        "added[0]",
    );
    shape_err::<Delta>(d(Value::List(vec![]), Value::Float(f64::NAN)), "timestamp");
    shape_err::<Delta>(Value::map([("added", Value::List(vec![]))]), "modified");
    shape_err::<Generic>(Value::Int(1), "dict or list");
}

fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>().prop_map(Value::Float),
        prop_oneof![
            Just("type"),
            Just("g_counter"),
            Just("or_set"),
            Just("a"),
            Just("int"),
            Just("1"),
            Just("mv_register"),
            Just("clocks"),
            Just("elements"),
            Just("removed")
        ]
        .prop_map(Value::str),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::vec((inner.clone(), inner), 0..4).prop_map(Value::Map),
        ]
    })
}

fn no_panic<T: WireType + PartialEq + std::fmt::Debug>(v: &Value) {
    if let Ok(x) = T::from_value(v) {
        let y =
            T::from_value(&x.to_value()).expect("a decoded state re-encodes to a valid payload");
        assert_eq!(x, y);
    }
    let _ = T::from_view(v);
}

proptest! {
    #[test]
    fn arbitrary_payloads_never_panic(v in any_value()) {
        no_panic::<GCounter>(&v);
        no_panic::<PNCounter>(&v);
        no_panic::<LwwRegister>(&v);
        no_panic::<OrSet>(&v);
        no_panic::<LwwMap>(&v);
        no_panic::<VectorClock>(&v);
        no_panic::<DottedVersionVector>(&v);
        no_panic::<HybridLogicalClock>(&v);
        no_panic::<MvRegister>(&v);
        no_panic::<Delta>(&v);
        no_panic::<Generic>(&v);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..64), tag in prop_oneof![Just(1u8), Just(2), Just(3), Just(4), Just(5), Just(0x10), Just(0x20), Just(0x40), Just(0x41), Just(0x60), Just(0x61)]) {
        let mut f = b"CRDT\x00\x01".to_vec();
        f.push(tag);
        f.push(0);
        f.extend_from_slice(&(body.len() as u32).to_be_bytes());
        f.extend_from_slice(&body);
        let l = Limits::DEFAULT;
        let _ = decode_typed::<GCounter>(&f, &l);
        let _ = decode_typed::<OrSet>(&f, &l);
        let _ = decode_typed::<VectorClock>(&f, &l);
        let _ = decode_typed::<MvRegister>(&f, &l);
        let _ = decode_typed::<Generic>(&f, &l);
    }
}

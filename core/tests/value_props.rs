//! Property tests of the value layer on random values of every kind: the
//! compact codec, msgpack and JSON payloads, the canonical view and Python
//! float repr all round-trip.

use crdt_merge_core::json;
use crdt_merge_core::pyrepr::float_repr;
use crdt_merge_core::wire::{codec, frame, json_payload, Limits, PayloadEncoding, TypeTag};
use crdt_merge_core::Value;
use proptest::prelude::*;

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
        Just(1e16),
        Just(1e-5),
        -1e6..1e6f64
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-200i64..200).prop_map(Value::Int),
        float().prop_map(Value::Float),
        ".{0,12}".prop_map(Value::Str),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
    ]
}

/// Any value the codec carries, nested.
fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Set),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..6).prop_map(Value::Map),
            proptest::collection::vec((".{0,6}".prop_map(Value::Str), inner), 0..6)
                .prop_map(Value::Map),
        ]
    })
}

/// Values JSON can carry: str keys, finite floats, no bytes or sets.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        ".{0,12}".prop_map(Value::Str),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::vec((".{0,6}".prop_map(Value::Str), inner), 0..6)
                .prop_map(Value::Map),
        ]
    })
}

fn bits_equal(a: &Value, b: &Value) -> bool {
    codec::encode_to_vec(a) == codec::encode_to_vec(b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn codec_roundtrip_is_lossless(v in value()) {
        let bytes = codec::encode_to_vec(&v);
        let back = codec::decode_value(&bytes, &Limits::DEFAULT).unwrap();
        prop_assert_eq!(codec::encode_to_vec(&back), bytes);
        prop_assert_eq!(back, v);
    }

    #[test]
    fn generic_frames_roundtrip_compressed_or_not(v in value(), compress in any::<bool>()) {
        let f = frame::encode_frame(TypeTag::Generic, &v, PayloadEncoding::Codec, compress).unwrap();
        let d = frame::decode_frame(&f, &Limits::DEFAULT).unwrap();
        prop_assert!(bits_equal(&d.value, &v));
    }

    #[test]
    fn every_truncation_is_an_error(v in value()) {
        let bytes = codec::encode_to_vec(&v);
        for cut in 0..bytes.len() {
            prop_assert!(codec::decode_value(&bytes[..cut], &Limits::DEFAULT).is_err());
        }
    }

    #[test]
    fn canonical_view_is_lossless(v in value()) {
        let view = json::to_view(&v);
        // the view is plain JSON: it writes and parses back
        let text = json::to_string(&view).unwrap();
        let parsed = json::parse(&text).unwrap();
        let back = json::from_view(&parsed).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn json_and_msgpack_payloads_roundtrip(entries in proptest::collection::vec((".{0,6}", json_value()), 0..6)) {
        let v = Value::Map(entries.into_iter().map(|(k, x)| (Value::Str(k), x)).collect());
        for enc in [json_payload::JsonEncoding::Json, json_payload::JsonEncoding::Msgpack] {
            let bytes = json_payload::encode(&v, enc).unwrap();
            let (back, got) = json_payload::decode(&bytes, &Limits::DEFAULT, "generic").unwrap();
            prop_assert_eq!(got, enc);
            prop_assert!(bits_equal(&back, &v));
            prop_assert_eq!(json_payload::encode(&back, enc).unwrap(), bytes);
        }
    }

    #[test]
    fn float_repr_roundtrips(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let r = float_repr(f);
        prop_assert_eq!(r.parse::<f64>().unwrap().to_bits(), f.to_bits());
        prop_assert!(r.contains('.') || r.contains('e'), "python always marks floats: {}", r);
    }
}

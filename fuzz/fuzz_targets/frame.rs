//! Any bytes as a frame: decoding never panics; whatever decodes re-encodes
//! (same payload encoding and compression flag) and decodes again to an
//! equal object, and re-encoding that is stable byte for byte; the JSON
//! view goes through text and back.
#![no_main]

use crdt_merge_core::wire::{Header, Limits};
use crdt_merge_core::{json, AnyCrdt, Value};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits { max_payload_bytes: 1 << 20, max_decompressed_bytes: 4 << 20, max_depth: 256, max_batch_items: 1 << 16 };

fuzz_target!(|data: &[u8]| {
    let Ok((obj, enc)) = AnyCrdt::decode(data, &LIMITS) else { return };
    let compressed = Header::parse(data).expect("decoded frame has a valid header").compressed();
    let again = obj.encode_with(enc, compressed).expect("a decoded object re-encodes");
    let (obj2, enc2) = AnyCrdt::decode(&again, &Limits::DEFAULT).expect("a re-encoded frame decodes");
    assert_eq!(obj, obj2);
    assert_eq!(enc, enc2);
    assert_eq!(obj2.encode_with(enc2, compressed).expect("re-encodes"), again);
    // The canonical JSON view maps back to the same object, also through
    // text as the CLI's to-json / from-json write and read it. Known
    // limitation: the view writes every NaN as {"$float": "nan"}, losing the
    // sign and payload bits, which also decide where a NaN map key or set
    // item sorts; such values are not a fixpoint of the view, so skip them.
    if has_odd_nan(&obj.to_value()) {
        return;
    }
    let view = obj.to_json_view();
    let back = AnyCrdt::from_json_view(&view).expect("view maps back");
    assert_eq!(back.to_json_view(), view);
    let text = json::to_string_pretty(&view).expect("a view is plain JSON");
    let parsed = json::parse_with_max_depth(&text, LIMITS.max_depth * 3 + 2).expect("view text parses");
    assert_eq!(parsed, view);
    let back = AnyCrdt::from_json_view(&parsed).expect("parsed view maps back");
    assert_eq!(back.to_json_view(), view);
});

/// Whether `v` holds a NaN other than the canonical quiet NaN (`f64::NAN`).
fn has_odd_nan(v: &Value) -> bool {
    match v {
        Value::Float(f) => f.is_nan() && f.to_bits() != f64::NAN.to_bits(),
        Value::List(l) | Value::Set(l) => l.iter().any(has_odd_nan),
        Value::Map(m) => m.iter().any(|(k, x)| has_odd_nan(k) || has_odd_nan(x)),
        _ => false,
    }
}

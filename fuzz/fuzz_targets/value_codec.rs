//! Any bytes as a codec payload: decoding never panics, and what decodes
//! re-encodes to bytes that decode to the same value.
#![no_main]

use crdt_merge_core::wire::{codec, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = codec::decode_value(data, &Limits::DEFAULT) else { return };
    let bytes = codec::encode_to_vec(&v);
    let v2 = codec::decode_value(&bytes, &Limits::DEFAULT).expect("re-encoded value decodes");
    assert_eq!(v, v2);
    assert_eq!(codec::encode_to_vec(&v2), bytes);
});

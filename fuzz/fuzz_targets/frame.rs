//! Any bytes as a frame: decoding never panics; whatever decodes re-encodes
//! (same payload encoding and compression flag) and decodes again to an
//! equal object, and re-encoding that is stable byte for byte.
#![no_main]

use crdt_merge_core::wire::{Header, Limits};
use crdt_merge_core::AnyCrdt;
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
    // The canonical JSON view maps back to the same object.
    let view = obj.to_json_view();
    let back = AnyCrdt::from_json_view(&view).expect("view maps back");
    assert_eq!(back.to_json_view(), view);
});

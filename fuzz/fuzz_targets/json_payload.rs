//! Any bytes as a JSON-type payload: JSON text and msgpack parsing never
//! panic; what parses writes back and parses to the same value.
#![no_main]

use crdt_merge_core::json;
use crdt_merge_core::wire::json_payload::{self, msgpack, JsonEncoding};
use crdt_merge_core::wire::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = json::parse(text) {
            let out = json::to_string(&v).expect("parsed JSON writes back");
            let v2 = json::parse(&out).expect("written JSON parses");
            assert_eq!(v, v2);
            assert_eq!(json::to_string(&v2).unwrap(), out);
            let pretty = json::to_string_pretty(&v).expect("pretty writes");
            assert_eq!(json::parse(&pretty).expect("pretty parses"), v);
            assert_eq!(json::from_view(&json::to_view(&v)).expect("view maps back"), v);
        }
    }
    if let Ok(v) = msgpack::decode(data, &Limits::DEFAULT) {
        let mut out = Vec::new();
        msgpack::encode(&v, &mut out);
        assert_eq!(msgpack::decode(&out, &Limits::DEFAULT).expect("written msgpack decodes"), v);
    }
    if let Ok((v, enc)) = json_payload::decode(data, &Limits::DEFAULT, "fuzz") {
        let out = json_payload::encode(&v, enc).expect("a decoded payload re-encodes");
        let (v2, enc2) = json_payload::decode(&out, &Limits::DEFAULT, "fuzz").expect("re-encoded payload decodes");
        assert_eq!(v, v2);
        assert_eq!(enc, enc2);
        assert!(matches!(enc, JsonEncoding::Json | JsonEncoding::Msgpack));
    }
});

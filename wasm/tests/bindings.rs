//! wasm-bindgen-test tests of the bindings (run under Node by
//! wasm-bindgen-test-runner; see packages/npm/test.sh).
#![cfg(target_arch = "wasm32")]

use crdt_merge_wasm::{join_batch, peek_type, split_batch, wire_size, ContextMergeHandle, Crdt};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

const G: &[u8] = include_bytes!("../../conformance/golden/g_counter/single.crdt");

fn code(e: JsValue) -> String {
    let s = e.as_string().expect("errors are strings");
    s.split('\u{1f}').next().unwrap().to_string()
}

#[wasm_bindgen_test]
fn golden_frame_roundtrips() {
    let c = Crdt::decode(G).unwrap();
    assert_eq!(c.type_name(), "g_counter");
    assert_eq!(c.encode(false).unwrap(), G);
    assert_eq!(c.json_view().unwrap(), r#"{"type": "g_counter", "value": {"counts": {"a": 5}, "type": "g_counter"}}"#);
    assert_eq!(peek_type(G).unwrap(), "g_counter");
    assert!(wire_size(G).unwrap().contains("\"total_bytes\": 64"));
}

#[wasm_bindgen_test]
fn typed_calls_and_merge() {
    let mut a = Crdt::create("g_counter", "[]").unwrap();
    a.call("increment", r#"["x", 2]"#).unwrap();
    let b = Crdt::decode(G).unwrap();
    let mut m = a.merge(&b).unwrap();
    assert_eq!(m.call("value", "[]").unwrap(), "7");
    assert_eq!(code(m.call("nope", "[]").err().unwrap()), "invalid_argument");
    assert_eq!(code(m.call("increment", r#"["x", -1]"#).err().unwrap()), "invalid_argument");
    let mut s = Crdt::create("or_set", "[]").unwrap();
    s.call("add", r#"[{"$bytes": "00ff"}, "0123456789ab"]"#).unwrap();
    assert_eq!(s.call("contains", r#"[{"$bytes": "00ff"}]"#).unwrap(), "true");
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_not_a_panic() {
    assert_eq!(code(Crdt::decode(&[]).err().unwrap()), "truncated");
    assert_eq!(code(Crdt::decode(&G[..20]).err().unwrap()), "length_mismatch");
    assert_eq!(code(Crdt::create("hll", "[99]").err().unwrap()), "shape");
    assert_eq!(code(Crdt::create("hll", "[999]").err().unwrap()), "invalid_argument");
    assert_eq!(code(Crdt::create("bloom", "[10, 0]").err().unwrap()), "shape");
    assert_eq!(code(Crdt::create("g_counter", "{").err().unwrap()), "json");
    assert_eq!(code(Crdt::from_json_view(r#"{"type": "zzz"}"#).err().unwrap()), "shape");
    let a = Crdt::create("g_counter", "[]").unwrap();
    let b = Crdt::create("pn_counter", "[]").unwrap();
    assert_eq!(code(a.merge(&b).err().unwrap()), "type_mismatch");
    assert_eq!(code(split_batch(&[0, 0, 0, 9]).err().unwrap()), "batch");
    assert_eq!(code(join_batch(&[1, 2], &[3]).err().unwrap()), "invalid_argument");
    assert_eq!(code(ContextMergeHandle::new("best", -1.0, 0.0, 0.0, "").err().unwrap()), "invalid_argument");
    // every truncation and single-byte corruption of a frame is a clean error
    for n in 0..G.len() {
        let _ = Crdt::decode(&G[..n]);
        let mut g = G.to_vec();
        g[n] ^= 0xa5;
        let _ = Crdt::decode(&g);
    }
}

#[wasm_bindgen_test]
fn context_merge() {
    let cm = ContextMergeHandle::new("lww", -1.0, 0.0, 0.0, "").unwrap();
    let out = cm.merge_many(r#"[[{"fact": "a", "confidence": 0.5}], [{"fact": "a", "confidence": 0.9}, {"fact": "b"}]]"#).unwrap();
    assert!(out.contains("\"unique_memories\": 2"), "{out}");
    assert_eq!(code(cm.merge_many(r#"[[{"confidence": 1}]]"#).err().unwrap()), "memory");
}

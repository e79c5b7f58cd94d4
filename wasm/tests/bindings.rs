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
    assert_eq!(
        c.json_view().unwrap(),
        r#"{"type": "g_counter", "value": {"counts": {"a": 5}, "type": "g_counter"}}"#
    );
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
    assert_eq!(
        code(m.call("nope", "[]").err().unwrap()),
        "invalid_argument"
    );
    assert_eq!(
        code(m.call("increment", r#"["x", -1]"#).err().unwrap()),
        "invalid_argument"
    );
    let mut s = Crdt::create("or_set", "[]").unwrap();
    s.call("add", r#"[{"$bytes": "00ff"}, "0123456789ab"]"#)
        .unwrap();
    assert_eq!(
        s.call("contains", r#"[{"$bytes": "00ff"}]"#).unwrap(),
        "true"
    );
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_not_a_panic() {
    assert_eq!(code(Crdt::decode(&[]).err().unwrap()), "truncated");
    assert_eq!(
        code(Crdt::decode(&G[..20]).err().unwrap()),
        "length_mismatch"
    );
    assert_eq!(code(Crdt::create("hll", "[99]").err().unwrap()), "shape");
    assert_eq!(
        code(Crdt::create("hll", "[999]").err().unwrap()),
        "invalid_argument"
    );
    assert_eq!(
        code(Crdt::create("bloom", "[10, 0]").err().unwrap()),
        "shape"
    );
    assert_eq!(code(Crdt::create("g_counter", "{").err().unwrap()), "json");
    assert_eq!(
        code(Crdt::from_json_view(r#"{"type": "zzz"}"#).err().unwrap()),
        "shape"
    );
    let a = Crdt::create("g_counter", "[]").unwrap();
    let b = Crdt::create("pn_counter", "[]").unwrap();
    assert_eq!(code(a.merge(&b).err().unwrap()), "type_mismatch");
    assert_eq!(code(split_batch(&[0, 0, 0, 9]).err().unwrap()), "batch");
    assert_eq!(
        code(join_batch(&[1, 2], &[3]).err().unwrap()),
        "invalid_argument"
    );
    assert_eq!(
        code(
            ContextMergeHandle::new("best", -1.0, 0.0, 0.0, "")
                .err()
                .unwrap()
        ),
        "invalid_argument"
    );
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
    assert_eq!(
        code(cm.merge_many(r#"[[{"confidence": 1}]]"#).err().unwrap()),
        "memory"
    );
}

/// Every small golden frame (uncompressed roundtrip cases), for the corruption sweep.
const FRAMES: &[&[u8]] = &[
    include_bytes!("../../conformance/golden/g_counter/single.crdt"),
    include_bytes!("../../conformance/golden/g_counter/empty.crdt"),
    include_bytes!("../../conformance/golden/g_counter/boundaries.crdt"),
    include_bytes!("../../conformance/golden/pn_counter/basic.crdt"),
    include_bytes!("../../conformance/golden/pn_counter/empty.crdt"),
    include_bytes!("../../conformance/golden/lww_register/str.crdt"),
    include_bytes!("../../conformance/golden/lww_register/none-default.crdt"),
    include_bytes!("../../conformance/golden/lww_register/int-timestamp.crdt"),
    include_bytes!("../../conformance/golden/lww_register/nested-value.crdt"),
    include_bytes!("../../conformance/golden/or_set/basic.crdt"),
    include_bytes!("../../conformance/golden/or_set/empty.crdt"),
    include_bytes!("../../conformance/golden/or_set/removed.crdt"),
    include_bytes!("../../conformance/golden/or_set/non-str-elements.crdt"),
    include_bytes!("../../conformance/golden/or_set/unicode.crdt"),
    include_bytes!("../../conformance/golden/lww_map/basic.crdt"),
    include_bytes!("../../conformance/golden/lww_map/empty.crdt"),
    include_bytes!("../../conformance/golden/lww_map/tombstones.crdt"),
    include_bytes!("../../conformance/golden/delta/basic.crdt"),
    include_bytes!("../../conformance/golden/delta/empty.crdt"),
    include_bytes!("../../conformance/golden/generic/nested.crdt"),
    include_bytes!("../../conformance/golden/generic/list-top.crdt"),
    include_bytes!("../../conformance/golden/generic/empty-dict.crdt"),
    include_bytes!("../../conformance/golden/generic/every-kind.crdt"),
    include_bytes!("../../conformance/golden/generic/dollar-key.crdt"),
    include_bytes!("../../conformance/golden/generic/set-mixed.crdt"),
    include_bytes!("../../conformance/golden/generic/str-fallback.crdt"),
    include_bytes!("../../conformance/golden/generic/list-key.crdt"),
    include_bytes!("../../conformance/golden/hll/p4.crdt"),
    include_bytes!("../../conformance/golden/hll/p4-empty.crdt"),
    include_bytes!("../../conformance/golden/bloom/small.crdt"),
    include_bytes!("../../conformance/golden/bloom/empty.crdt"),
    include_bytes!("../../conformance/golden/cms/small.crdt"),
    include_bytes!("../../conformance/golden/cms/empty.crdt"),
    include_bytes!("../../conformance/golden/vector_clock/basic.crdt"),
    include_bytes!("../../conformance/golden/vector_clock/empty.crdt"),
    include_bytes!("../../conformance/golden/vector_clock/unicode.crdt"),
    include_bytes!("../../conformance/golden/dotted_version_vector/no-dot.crdt"),
    include_bytes!("../../conformance/golden/dotted_version_vector/with-dot.crdt"),
    include_bytes!("../../conformance/golden/dotted_version_vector/empty.crdt"),
    include_bytes!("../../conformance/golden/merkle_tree/rows-20.crdt"),
    include_bytes!("../../conformance/golden/merkle_tree/empty.crdt"),
    include_bytes!("../../conformance/golden/merkle_diff/basic.crdt"),
    include_bytes!("../../conformance/golden/merkle_diff/identical.crdt"),
    include_bytes!("../../conformance/golden/merkle_diff/manual.crdt"),
    include_bytes!("../../conformance/golden/gossip_entry/basic.crdt"),
    include_bytes!("../../conformance/golden/gossip_entry/tombstone.crdt"),
    include_bytes!("../../conformance/golden/gossip_entry/nested-value.crdt"),
    include_bytes!("../../conformance/golden/gossip_state/basic.crdt"),
    include_bytes!("../../conformance/golden/gossip_state/empty.crdt"),
    include_bytes!("../../conformance/golden/schema_change/added.crdt"),
    include_bytes!("../../conformance/golden/schema_change/type-changed.crdt"),
    include_bytes!("../../conformance/golden/schema_evolution_result/union.crdt"),
    include_bytes!("../../conformance/golden/schema_evolution_result/manual.crdt"),
    include_bytes!("../../conformance/golden/mergeql_query/basic.crdt"),
    include_bytes!("../../conformance/golden/mergeql_query/minimal.crdt"),
    include_bytes!("../../conformance/golden/merge_plan/basic.crdt"),
    include_bytes!("../../conformance/golden/merge_plan/empty.crdt"),
    include_bytes!("../../conformance/golden/mergeql_result/basic.crdt"),
    include_bytes!("../../conformance/golden/mergeql_result/no-provenance.crdt"),
    include_bytes!("../../conformance/golden/parquet_merge_metadata/basic.crdt"),
    include_bytes!("../../conformance/golden/parquet_merge_metadata/defaults.crdt"),
    include_bytes!("../../conformance/golden/conflict_record/basic.crdt"),
    include_bytes!("../../conformance/golden/conflict_record/unique.crdt"),
    include_bytes!("../../conformance/golden/conflict_topology/basic.crdt"),
    include_bytes!("../../conformance/golden/conflict_topology/empty.crdt"),
];

/// The debug build has overflow checks: any arithmetic slip on the 32-bit
/// target panics here. Truncate every frame at every length and flip every
/// byte with a few masks; each must decode or fail with a categorized error.
#[wasm_bindgen_test]
fn corruption_sweep_never_panics() {
    for f in FRAMES {
        let ok = Crdt::decode(f).unwrap();
        let _ = ok.json_view().unwrap();
        for n in 0..f.len() {
            let _ = Crdt::decode(&f[..n]);
        }
        for i in 0..f.len() {
            for mask in [0x01u8, 0x80, 0xff, 0x7f] {
                let mut g = f.to_vec();
                g[i] ^= mask;
                if let Ok(c) = Crdt::decode(&g) {
                    let _ = c.json_view();
                    let _ = c.encode(true);
                    let _ = c.merge(&c);
                }
            }
        }
    }
}

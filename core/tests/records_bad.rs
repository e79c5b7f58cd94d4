//! Bad input to the record types: wrong shapes give typed errors naming the
//! field, truncated or corrupted payloads never panic, unknown fields survive.

use crdt_merge_core::records::*;
use crdt_merge_core::wire::frame::build;
use crdt_merge_core::wire::{decode_frame, decode_typed, encode_typed, Limits, TypeTag};
use crdt_merge_core::{json, DecodeError, Value, WireType};

fn frame(tag: TypeTag, text: &str) -> Vec<u8> {
    build(tag, text.as_bytes().to_vec(), false).unwrap()
}

fn shape_err<T: WireType + std::fmt::Debug>(text: &str) -> String {
    match decode_typed::<T>(&frame(T::TAG, text), &Limits::DEFAULT) {
        Err(DecodeError::Shape { type_name, msg }) => {
            assert_eq!(type_name, T::TAG.name());
            msg
        }
        other => panic!("{text}: expected a shape error, got {other:?}"),
    }
}

#[test]
fn wrong_shapes_name_the_field() {
    assert!(shape_err::<MerkleTree>("[1, 2]").contains("dict"));
    assert!(shape_err::<MerkleTree>(r#"{"records": {"a": 5}}"#).contains("records[\"a\"]"));
    assert!(
        shape_err::<MerkleTree>(r#"{"record_data": {"a": [1]}}"#).contains("record_data[\"a\"]")
    );
    assert!(shape_err::<MerkleTree>(r#"{"branching_factor": "16"}"#).contains("branching_factor"));
    assert!(shape_err::<MerkleDiff>(r#"{"differing_keys": [1]}"#).contains("differing_keys"));
    assert!(shape_err::<MerkleDiff>(r#"{"is_identical": 1}"#).contains("is_identical"));
    assert!(shape_err::<GossipState>(r#"{"fanout": 3}"#).contains("node_id"));
    assert!(shape_err::<GossipState>(
        r#"{"node_id": "n", "entries": {"k": {"key": "k", "value": 1}}}"#
    )
    .contains("entries[\"k\"]"));
    assert!(
        shape_err::<GossipState>(r#"{"node_id": "n", "clock": {"clocks": {"a": 1.5}}}"#)
            .contains("clock")
    );
    assert!(shape_err::<GossipEntry>(r#"{"key": "k", "value": 1, "clock": 7}"#).contains("clock"));
    assert!(shape_err::<GossipEntry>(r#"{"key": "k", "clock": {}}"#).contains("value"));
    assert!(
        shape_err::<GossipEntry>(r#"{"key": "k", "value": 1, "clock": {}, "tombstone": 0}"#)
            .contains("tombstone")
    );
    assert!(shape_err::<SchemaChange>(r#"{"column": "a"}"#).contains("change_type"));
    assert!(
        shape_err::<SchemaChange>(r#"{"column": "a", "change_type": "added", "old_type": 3}"#)
            .contains("old_type")
    );
    let base = r#""resolved_schema": {}, "changes": [], "is_compatible": true"#;
    assert!(shape_err::<SchemaEvolutionResult>(&format!(
        r#"{{{base}, "policy_used": "sideways"}}"#
    ))
    .contains("policy_used"));
    assert!(shape_err::<SchemaEvolutionResult>(
        r#"{"resolved_schema": {}, "changes": [{}], "policy_used": "union", "is_compatible": true}"#
    )
    .contains("changes[0]"));
    assert!(shape_err::<MergeqlQuery>(r#"{"sources": ["a"]}"#).contains("on_key"));
    assert!(shape_err::<MergeqlQuery>(r#"{"sources": "a", "on_key": "id"}"#).contains("sources"));
    assert!(
        shape_err::<MergeqlQuery>(r#"{"sources": [], "on_key": "id", "limit": "10"}"#)
            .contains("limit")
    );
    assert!(shape_err::<MergePlan>(r#"{"sources": []}"#).contains("source_sizes"));
    assert!(
        shape_err::<MergeqlResult>(r#"{"data": [], "plan": {}, "conflicts": 0}"#).contains("plan")
    );
    assert!(shape_err::<MergeqlResult>(r#"{"data": [], "conflicts": 0}"#).contains("plan"));
    assert!(shape_err::<ParquetMergeMetadata>(r#"{"strategies": {}}"#).contains("key_column"));
    assert!(
        shape_err::<ParquetMergeMetadata>(r#"{"key_column": "id", "source_count": 1.0}"#)
            .contains("source_count")
    );
    assert!(shape_err::<ConflictRecord>(r#"{"key": 1}"#).contains("origin"));
    assert!(shape_err::<ConflictRecord>(
        r#"{"key": 1, "origin": "merged", "decisions": [{"field": "a"}]}"#
    )
    .contains("decisions[0]"));
    assert!(shape_err::<ConflictTopology>(r#"{"records": [5]}"#).contains("records[0]"));
    assert!(shape_err::<ConflictTopology>(r#"{"duration_ms": "1"}"#).contains("duration_ms"));
}

#[test]
fn defaults_fill_in_as_the_reference_does() {
    let t =
        decode_typed::<MerkleTree>(&frame(TypeTag::MerkleTree, "{}"), &Limits::DEFAULT).unwrap();
    assert_eq!(
        json::to_string(&t.to_value()).unwrap(),
        r#"{"type": "merkle_tree", "branching_factor": 16, "records": {}, "record_data": {}}"#
    );
    // The reference clamps the branching factor to at least 2.
    let t = decode_typed::<MerkleTree>(
        &frame(TypeTag::MerkleTree, r#"{"branching_factor": 1}"#),
        &Limits::DEFAULT,
    )
    .unwrap();
    assert_eq!(t.branching_factor, 2);
    let l =
        decode_typed::<ConflictTopology>(&frame(TypeTag::ConflictTopology, "{}"), &Limits::DEFAULT)
            .unwrap();
    assert_eq!(
        json::to_string(&l.to_value()).unwrap(),
        r#"{"total_rows": 0, "merged_rows": 0, "unique_a_rows": 0, "unique_b_rows": 0, "total_conflicts": 0, "duration_ms": 0.0, "records": [], "__type": "conflict_topology"}"#
    );
    // conflict_count is recomputed, is_identical derived.
    let r = decode_typed::<ConflictRecord>(
        &frame(
            TypeTag::ConflictRecord,
            r#"{"key": 1, "origin": "merged", "conflict_count": 9}"#,
        ),
        &Limits::DEFAULT,
    )
    .unwrap();
    assert_eq!(r.conflict_count(), 0);
    let d = decode_typed::<MerkleDiff>(
        &frame(
            TypeTag::MerkleDiff,
            r#"{"differing_keys": ["b", "a", "a"], "is_identical": true}"#,
        ),
        &Limits::DEFAULT,
    )
    .unwrap();
    assert_eq!(
        json::to_string(&d.to_value()).unwrap(),
        r#"{"differing_keys": ["a", "b"], "only_in_left": [], "only_in_right": [], "common_different": [], "comparisons_made": 0, "is_identical": false}"#
    );
}

#[test]
fn unknown_fields_survive_a_roundtrip() {
    let text = r#"{"key_column": "id", "strategies": {}, "provenance_enabled": true, "schema_version": "1.0", "created_at": null, "source_count": 0, "merge_count": 0, "future": [1, 2], "__type": "parquet_merge_metadata"}"#;
    let m = decode_typed::<ParquetMergeMetadata>(
        &frame(TypeTag::ParquetMergeMetadata, text),
        &Limits::DEFAULT,
    )
    .unwrap();
    assert_eq!(
        m.extra.get(&Value::str("future")),
        Some(&Value::List(vec![Value::Int(1), Value::Int(2)]))
    );
    assert_eq!(
        encode_typed(&m, false).unwrap(),
        frame(TypeTag::ParquetMergeMetadata, text)
    );
    let text = r#"{"key": "k", "value": 1, "clock": {"type": "vector_clock", "clocks": {"n": 1}, "wall": 5}, "tombstone": false, "ttl": 3}"#;
    let e =
        decode_typed::<GossipEntry>(&frame(TypeTag::GossipEntry, text), &Limits::DEFAULT).unwrap();
    assert_eq!(
        encode_typed(&e, false).unwrap(),
        frame(TypeTag::GossipEntry, text)
    );
}

#[test]
fn truncated_and_corrupted_payloads_never_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/records");
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if !p.to_string_lossy().ends_with(".crdt") || p.to_string_lossy().ends_with(".z.crdt") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        let tag = TypeTag::from_u8(bytes[6]).unwrap();
        let payload = &bytes[12..];
        // Every truncation of the JSON text is an error, never a panic.
        for cut in 0..payload.len() {
            let f = build(tag, payload[..cut].to_vec(), false).unwrap();
            assert!(decode_any(tag, &f).is_err(), "{p:?} cut at {cut}");
        }
        // Byte corruption: any result but a panic.
        for i in (0..payload.len()).step_by(3) {
            for b in [b'"', b'{', b'1', b'x', 0xff, b']'] {
                let mut q = payload.to_vec();
                q[i] = b;
                let _ = decode_any(tag, &build(tag, q, false).unwrap());
            }
        }
    }
}

fn decode_any(tag: TypeTag, f: &[u8]) -> Result<Value, DecodeError> {
    fn go<T: WireType>(f: &[u8]) -> Result<Value, DecodeError> {
        decode_typed::<T>(f, &Limits::DEFAULT).map(|t| t.to_value())
    }
    decode_frame(f, &Limits::DEFAULT)?;
    match tag {
        TypeTag::MerkleTree => go::<MerkleTree>(f),
        TypeTag::MerkleDiff => go::<MerkleDiff>(f),
        TypeTag::GossipState => go::<GossipState>(f),
        TypeTag::GossipEntry => go::<GossipEntry>(f),
        TypeTag::SchemaEvolutionResult => go::<SchemaEvolutionResult>(f),
        TypeTag::SchemaChange => go::<SchemaChange>(f),
        TypeTag::MergeqlQuery => go::<MergeqlQuery>(f),
        TypeTag::MergePlan => go::<MergePlan>(f),
        TypeTag::MergeqlResult => go::<MergeqlResult>(f),
        TypeTag::ParquetMergeMetadata => go::<ParquetMergeMetadata>(f),
        TypeTag::ConflictRecord => go::<ConflictRecord>(f),
        TypeTag::ConflictTopology => go::<ConflictTopology>(f),
        _ => unreachable!(),
    }
}

#[test]
fn wrong_frame_type_is_rejected() {
    let f = frame(TypeTag::MerkleDiff, "{}");
    assert!(matches!(
        decode_typed::<MerkleTree>(&f, &Limits::DEFAULT),
        Err(DecodeError::WrongType { .. })
    ));
    let f = frame(TypeTag::MerkleTree, "{\"records\": {\"a\": \"00\"}");
    assert!(matches!(
        decode_typed::<MerkleTree>(&f, &Limits::DEFAULT),
        Err(DecodeError::Json { .. })
    ));
}

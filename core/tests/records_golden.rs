//! Golden frames of the record types (0x42–0x47, 0x50–0x55), written once by
//! the reference crdt-merge 0.8.3 (`fixtures/records/generate.py`): decode →
//! typed value → encode must give the same bytes, plain and compressed, and
//! a msgpack payload of the same dict must decode to the same object.

use crdt_merge_core::records::*;
use crdt_merge_core::wire::{
    decode_frame, encode_frame, json_payload, Limits, PayloadEncoding, TypeTag,
};
use crdt_merge_core::{json, Value, WireType};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/records");

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "crdt"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Typed roundtrip of a payload value: from_value → to_value, and the
/// canonical view → from_view → to_value gives the same dict.
fn typed<T: WireType + PartialEq + std::fmt::Debug>(v: &Value) -> Value {
    let t = T::from_value(v).unwrap_or_else(|e| panic!("{}: {e}", T::TAG.name()));
    let back = T::from_view(&t.to_view()).unwrap();
    assert_eq!(
        back.to_view(),
        t.to_view(),
        "view roundtrip of {}",
        T::TAG.name()
    );
    // The JSON view text parses back to the same object.
    let text = json::to_string(&json::to_view(&t.to_view())).unwrap();
    let reparsed = T::from_view(&json::from_view(&json::parse(&text).unwrap()).unwrap()).unwrap();
    assert_eq!(reparsed.to_view(), t.to_view());
    t.to_value()
}

fn roundtrip(tag: TypeTag, v: &Value) -> Value {
    match tag {
        TypeTag::MerkleTree => typed::<MerkleTree>(v),
        TypeTag::MerkleDiff => typed::<MerkleDiff>(v),
        TypeTag::GossipState => typed::<GossipState>(v),
        TypeTag::GossipEntry => typed::<GossipEntry>(v),
        TypeTag::SchemaEvolutionResult => typed::<SchemaEvolutionResult>(v),
        TypeTag::SchemaChange => typed::<SchemaChange>(v),
        TypeTag::MergeqlQuery => typed::<MergeqlQuery>(v),
        TypeTag::MergePlan => typed::<MergePlan>(v),
        TypeTag::MergeqlResult => typed::<MergeqlResult>(v),
        TypeTag::ParquetMergeMetadata => typed::<ParquetMergeMetadata>(v),
        TypeTag::ConflictRecord => typed::<ConflictRecord>(v),
        TypeTag::ConflictTopology => typed::<ConflictTopology>(v),
        other => panic!("unexpected tag {other}"),
    }
}

#[test]
fn every_record_type_has_a_golden_frame() {
    let tags: std::collections::BTreeSet<u8> = fixtures().iter().map(|(_, b)| b[6]).collect();
    for t in [
        0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55,
    ] {
        assert!(tags.contains(&t), "no fixture for tag 0x{t:02x}");
    }
    assert!(fixtures().len() >= 24);
}

#[test]
fn golden_frames_reencode_byte_identical() {
    for (name, bytes) in fixtures() {
        let frame =
            decode_frame(&bytes, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(frame.encoding, PayloadEncoding::Json, "{name}");
        let v = roundtrip(frame.header.tag, &frame.value);
        assert_eq!(v, frame.value, "{name}: payload value differs");
        let compressed = frame.header.compressed();
        let again = encode_frame(frame.header.tag, &v, PayloadEncoding::Json, compressed).unwrap();
        #[cfg(feature = "zlib")]
        assert_eq!(again, bytes, "{name}: re-encoded frame differs");
        #[cfg(not(feature = "zlib"))]
        if !compressed {
            assert_eq!(again, bytes, "{name}: re-encoded frame differs");
        }
        assert_eq!(
            decode_frame(&again, &Limits::DEFAULT).unwrap().value,
            frame.value,
            "{name}"
        );
    }
}

#[test]
fn compressed_fixtures_match_plain_ones() {
    let all = fixtures();
    let mut n = 0;
    for (name, bytes) in &all {
        if let Some(base) = name.strip_suffix(".z.crdt") {
            let plain = &all
                .iter()
                .find(|(n, _)| n == &format!("{base}.crdt"))
                .unwrap()
                .1;
            let a = decode_frame(bytes, &Limits::DEFAULT).unwrap();
            let b = decode_frame(plain, &Limits::DEFAULT).unwrap();
            assert_eq!(a.value, b.value, "{name}");
            n += usize::from(a.header.compressed());
        }
    }
    assert!(
        n >= 10,
        "expected most compressed fixtures to be compressed, got {n}"
    );
}

#[test]
fn msgpack_payload_decodes_to_the_same_object() {
    for (name, bytes) in fixtures() {
        let frame = decode_frame(&bytes, &Limits::DEFAULT).unwrap();
        let mp = json_payload::encode(&frame.value, json_payload::JsonEncoding::Msgpack).unwrap();
        let mframe = crdt_merge_core::wire::frame::build(frame.header.tag, mp, false).unwrap();
        let m = decode_frame(&mframe, &Limits::DEFAULT).unwrap();
        assert_eq!(m.encoding, PayloadEncoding::Msgpack, "{name}");
        assert_eq!(roundtrip(m.header.tag, &m.value), frame.value, "{name}");
        // Re-encoding with the encoding it came in gives the same msgpack frame.
        assert_eq!(
            encode_frame(m.header.tag, &m.value, PayloadEncoding::Msgpack, false).unwrap(),
            mframe,
            "{name}"
        );
    }
}

#[test]
fn known_payload_hex() {
    // merkle_diff_small.crdt, spelled out.
    let b = std::fs::read(format!("{DIR}/merkle_diff_small.crdt")).unwrap();
    let text = r#"{"differing_keys": [], "only_in_left": [], "only_in_right": [], "common_different": [], "comparisons_made": 1, "is_identical": true}"#;
    assert_eq!(&b[..8], &[0x43, 0x52, 0x44, 0x54, 0x00, 0x01, 0x47, 0x00]);
    assert_eq!(
        u32::from_be_bytes(b[8..12].try_into().unwrap()) as usize,
        text.len()
    );
    assert_eq!(&b[12..], text.as_bytes());
    let d = crdt_merge_core::wire::decode_typed::<MerkleDiff>(&b, &Limits::DEFAULT).unwrap();
    assert!(d.is_identical());
    assert_eq!(crdt_merge_core::wire::encode_typed(&d, false).unwrap(), b);
}

/// `reencode.tsv` (written once by `fixtures/records/reencode.py`): minimal
/// and unusual payloads, and what the reference's deserialize → serialize
/// writes for them. Our decode → encode must write the same bytes.
#[test]
fn reencode_matches_the_reference() {
    let table = std::fs::read_to_string(format!("{DIR}/reencode.tsv")).unwrap();
    let mut n = 0;
    for line in table.lines() {
        let mut cols = line.split('\t');
        let (tag, input, expected) = (
            cols.next().unwrap(),
            cols.next().unwrap(),
            cols.next().unwrap(),
        );
        let tag = TypeTag::from_u8(u8::from_str_radix(tag, 16).unwrap()).unwrap();
        let frame =
            crdt_merge_core::wire::frame::build(tag, input.as_bytes().to_vec(), false).unwrap();
        let v = decode_frame(&frame, &Limits::DEFAULT).unwrap().value;
        let out = roundtrip(tag, &v);
        assert_eq!(json::to_string(&out).unwrap(), expected, "{tag}: {input}");
        n += 1;
    }
    assert!(n >= 19);
}

/// Every `example` block of SPEC section 7: decoding `hex` gives `json`
/// (the envelope of the canonical view) and encoding `json` gives `hex`.
#[test]
fn spec_section_7_examples() {
    let spec =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wire-spec/SPEC.md"))
            .unwrap();
    let start = spec.find("## 7. JSON-payload record types").unwrap();
    let end = spec[start..]
        .find("\n## 8.")
        .map_or(spec.len(), |e| start + e);
    let mut n = 0;
    for block in spec[start..end].split("```example\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        let field = |k: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(k))
                .unwrap()
                .trim()
                .to_string()
        };
        let (name, text, hex) = (field("name: "), field("json: "), field("hex: "));
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let envelope = json::parse(&text).unwrap();
        let tag = TypeTag::from_name(envelope.get("type").unwrap().as_str().unwrap()).unwrap();
        let view = json::from_view(envelope.get("value").unwrap()).unwrap();
        let frame = decode_frame(&bytes, &Limits::DEFAULT).unwrap();
        assert_eq!(frame.header.tag, tag, "{name}");
        let (got_view, encoded) = view_and_encode(tag, &frame.value, &view);
        assert_eq!(
            json::to_string(&json::to_view(&got_view)).unwrap(),
            json::to_string(envelope.get("value").unwrap()).unwrap(),
            "{name}: view"
        );
        assert_eq!(encoded, bytes, "{name}: encoding the view");
        n += 1;
    }
    assert!(n >= 3, "section 7 needs at least 3 examples, found {n}");
}

fn view_and_encode(tag: TypeTag, payload: &Value, view: &Value) -> (Value, Vec<u8>) {
    fn go<T: WireType>(payload: &Value, view: &Value) -> (Value, Vec<u8>) {
        let t = T::from_value(payload).unwrap();
        let from_view = T::from_view(view).unwrap();
        (
            t.to_view(),
            crdt_merge_core::wire::encode_typed(&from_view, false).unwrap(),
        )
    }
    match tag {
        TypeTag::MerkleTree => go::<MerkleTree>(payload, view),
        TypeTag::MerkleDiff => go::<MerkleDiff>(payload, view),
        TypeTag::GossipState => go::<GossipState>(payload, view),
        TypeTag::GossipEntry => go::<GossipEntry>(payload, view),
        TypeTag::SchemaEvolutionResult => go::<SchemaEvolutionResult>(payload, view),
        TypeTag::SchemaChange => go::<SchemaChange>(payload, view),
        TypeTag::MergeqlQuery => go::<MergeqlQuery>(payload, view),
        TypeTag::MergePlan => go::<MergePlan>(payload, view),
        TypeTag::MergeqlResult => go::<MergeqlResult>(payload, view),
        TypeTag::ParquetMergeMetadata => go::<ParquetMergeMetadata>(payload, view),
        TypeTag::ConflictRecord => go::<ConflictRecord>(payload, view),
        TypeTag::ConflictTopology => go::<ConflictTopology>(payload, view),
        other => panic!("not a record type: {other}"),
    }
}

/// `fixtures/records/msgpack/`: the same objects serialized by the reference
/// with the optional `msgpack` module present (msgpack payloads). They decode
/// to the same payload as the JSON frames and re-encode (as msgpack) byte for byte.
#[test]
fn reference_msgpack_frames() {
    let mut n = 0;
    for (name, json_bytes) in fixtures() {
        if name.ends_with(".z.crdt") {
            continue;
        }
        let mp_bytes = std::fs::read(format!("{DIR}/msgpack/{name}")).unwrap();
        let mp =
            decode_frame(&mp_bytes, &Limits::DEFAULT).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(mp.encoding, PayloadEncoding::Msgpack, "{name}");
        let js = decode_frame(&json_bytes, &Limits::DEFAULT).unwrap();
        assert_eq!(
            mp.value, js.value,
            "{name}: msgpack and JSON payloads differ"
        );
        let v = roundtrip(mp.header.tag, &mp.value);
        assert_eq!(
            encode_frame(mp.header.tag, &v, PayloadEncoding::Msgpack, false).unwrap(),
            mp_bytes,
            "{name}"
        );
        n += 1;
    }
    assert_eq!(n, 23);
}

//! Checks the worked examples of SPEC.md section 6 (bytes and canonical JSON
//! view both ways) and the HLL index/rank window against the reference.

use crdt_merge_core::sketch::hll::index_rank;
use crdt_merge_core::sketch::{MergeableBloom, MergeableCms, MergeableHll};
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{json, Value, WireType};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn check<T: WireType>(name: &str, json_text: &str, frame: &[u8]) {
    let obj: T = decode_typed(frame, &Limits::DEFAULT).unwrap();
    assert_eq!(encode_typed(&obj, false).unwrap(), frame, "{name}: re-encoding");
    let env = Value::map([("type", Value::str(T::TAG.name())), ("value", obj.to_view())]);
    assert_eq!(json::to_string(&json::to_view(&env)).unwrap(), json_text, "{name}: view");
    let parsed = json::from_view(&json::parse(json_text).unwrap()).unwrap();
    let from_json = T::from_view(parsed.get("value").unwrap()).unwrap();
    assert_eq!(encode_typed(&from_json, false).unwrap(), frame, "{name}: from json");
}

#[test]
fn spec_section_6_examples() {
    let spec = include_str!("../../wire-spec/SPEC.md");
    let start = spec.find("## 6. Sketches").unwrap();
    let end = spec[start..].find("\n## 7.").unwrap() + start;
    let mut seen = 0;
    for block in spec[start..end].split("```example\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        let field = |k: &str| block.lines().find_map(|l| l.strip_prefix(k)).unwrap().trim().to_string();
        let (name, json_text, frame) = (field("name:"), field("json:"), unhex(&field("hex:")));
        match frame[6] {
            0x30 => check::<MergeableHll>(&name, &json_text, &frame),
            0x31 => check::<MergeableBloom>(&name, &json_text, &frame),
            0x32 => check::<MergeableCms>(&name, &json_text, &frame),
            t => panic!("{name}: unexpected tag {t:#x}"),
        }
        seen += 1;
    }
    assert!(seen >= 3);
}

#[test]
fn spec_examples_rebuild_from_items() {
    let mut b = MergeableBloom::new(20, 0.1).unwrap();
    b.add_all(&[Value::str("alice"), Value::str("bob"), Value::Int(42)]);
    let mut c = MergeableCms::new(4, 2).unwrap();
    c.add_all(&[Value::str("a"), Value::str("a"), Value::str("b"), Value::Int(1)]);
    c.add_str("z", 200);
    let spec = include_str!("../../wire-spec/SPEC.md");
    for bytes in [b.to_bytes(false).unwrap(), c.to_bytes(false).unwrap()] {
        let hex: String = bytes.iter().map(|x| format!("{x:02x}")).collect();
        assert!(spec.contains(&format!("hex: {hex}\n")));
    }
}

/// (h, p, idx, rank) computed with the reference's own index/rank code.
#[test]
fn hll_index_rank_window_matches_reference() {
    for (h, p, idx, rank) in [
        (0x0, 4, 0, 61),
        (0x0, 9, 0, 56),
        (0x0, 14, 0, 51),
        (0x0, 18, 0, 47),
        (0xffffffffffffffff, 4, 15, 1),
        (0xffffffffffffffff, 9, 511, 1),
        (0xffffffffffffffff, 14, 16383, 1),
        (0xffffffffffffffff, 18, 262143, 1),
        (0x800000000000000, 4, 0, 61),
        (0x800000000000000, 9, 16, 56),
        (0x800000000000000, 14, 512, 51),
        (0x800000000000000, 18, 8192, 47),
        (0x1040000000000000, 4, 1, 2),
        (0x1040000000000000, 9, 32, 56),
        (0x1040000000000000, 14, 1040, 51),
        (0x1040000000000000, 18, 16640, 47),
        (0x1, 4, 0, 56),
        (0x1, 9, 0, 46),
        (0x1, 14, 0, 36),
        (0x1, 18, 0, 28),
        (0x4000, 4, 0, 42),
        (0x4000, 9, 0, 32),
        (0x4000, 14, 0, 22),
        (0x4000, 18, 0, 14),
        (0x3fff, 4, 0, 43),
        (0x3fff, 9, 0, 33),
        (0x3fff, 14, 0, 23),
        (0x3fff, 18, 0, 15),
        (0x20b26, 4, 0, 39),
        (0x20b26, 9, 0, 29),
        (0x20b26, 14, 0, 19),
        (0x20b26, 18, 0, 11),
        (0x161823fbd97239c6, 4, 1, 4),
        (0x161823fbd97239c6, 9, 44, 1),
        (0x161823fbd97239c6, 14, 1414, 1),
        (0x161823fbd97239c6, 18, 22624, 1),
        (0xee6617b7, 4, 0, 25),
        (0xee6617b7, 9, 0, 15),
        (0xee6617b7, 14, 0, 5),
        (0xee6617b7, 18, 0, 1),
        (0xd464138a62, 4, 0, 17),
        (0xd464138a62, 9, 0, 7),
        (0xd464138a62, 14, 0, 2),
        (0xd464138a62, 18, 0, 2),
        (0x5, 4, 0, 54),
        (0x5, 9, 0, 44),
        (0x5, 14, 0, 34),
        (0x5, 18, 0, 26),
        (0x3f1f, 4, 0, 43),
        (0x3f1f, 9, 0, 33),
        (0x3f1f, 14, 0, 23),
        (0x3f1f, 18, 0, 15),
        (0x3435fd0f, 4, 0, 27),
        (0x3435fd0f, 9, 0, 17),
        (0x3435fd0f, 14, 0, 7),
        (0x3435fd0f, 18, 0, 2),
        (0x1765db6400, 4, 0, 20),
        (0x1765db6400, 9, 0, 10),
        (0x1765db6400, 14, 0, 2),
        (0x1765db6400, 18, 0, 2),
        (0x8f18503ad0, 4, 0, 17),
        (0x8f18503ad0, 9, 0, 7),
        (0x8f18503ad0, 14, 0, 1),
        (0x8f18503ad0, 18, 0, 1),
        (0x6f08, 4, 0, 42),
        (0x6f08, 9, 0, 32),
        (0x6f08, 14, 0, 22),
        (0x6f08, 18, 0, 14),
        (0x6186c5bb146de9, 4, 0, 2),
        (0x6186c5bb146de9, 9, 0, 4),
        (0x6186c5bb146de9, 14, 24, 2),
        (0x6186c5bb146de9, 18, 390, 1),
        (0x9e, 4, 0, 49),
        (0x9e, 9, 0, 39),
        (0x9e, 14, 0, 29),
        (0x9e, 18, 0, 21),
        (0x21da8978206f5c66, 4, 2, 1),
        (0x21da8978206f5c66, 9, 67, 3),
        (0x21da8978206f5c66, 14, 2166, 1),
        (0x21da8978206f5c66, 18, 34666, 6),
        (0xdf1461aaf8eb18b9, 4, 13, 4),
        (0xdf1461aaf8eb18b9, 9, 446, 1),
        (0xdf1461aaf8eb18b9, 14, 14277, 1),
        (0xdf1461aaf8eb18b9, 18, 228433, 1),
        (0x18c1479566, 4, 0, 20),
        (0x18c1479566, 9, 0, 10),
        (0x18c1479566, 14, 0, 1),
        (0x18c1479566, 18, 0, 4),
        (0x7dbff99bfae, 4, 0, 14),
        (0x7dbff99bfae, 9, 0, 4),
        (0x7dbff99bfae, 14, 0, 1),
        (0x7dbff99bfae, 18, 0, 1),
        (0x154f5d0, 4, 0, 32),
        (0x154f5d0, 9, 0, 22),
        (0x154f5d0, 14, 0, 12),
        (0x154f5d0, 18, 0, 4),
        (0x7b11b5f928, 4, 0, 18),
        (0x7b11b5f928, 9, 0, 8),
        (0x7b11b5f928, 14, 0, 1),
        (0x7b11b5f928, 18, 0, 4),
        (0x38125523a2, 4, 0, 19),
        (0x38125523a2, 9, 0, 9),
        (0x38125523a2, 14, 0, 1),
        (0x38125523a2, 18, 0, 3),
        (0x7871e6cb97, 4, 0, 18),
        (0x7871e6cb97, 9, 0, 8),
        (0x7871e6cb97, 14, 0, 1),
        (0x7871e6cb97, 18, 0, 4),
        (0x7b88, 4, 0, 42),
        (0x7b88, 9, 0, 32),
        (0x7b88, 14, 0, 22),
        (0x7b88, 18, 0, 14),
        (0x1616, 4, 0, 44),
        (0x1616, 9, 0, 34),
        (0x1616, 14, 0, 24),
        (0x1616, 18, 0, 16),
        (0xa9f06201a8d, 4, 0, 13),
        (0xa9f06201a8d, 9, 0, 3),
        (0xa9f06201a8d, 14, 0, 1),
        (0xa9f06201a8d, 18, 0, 2),
        (0x42b3f, 4, 0, 38),
        (0x42b3f, 9, 0, 28),
        (0x42b3f, 14, 0, 18),
        (0x42b3f, 18, 0, 10),
        (0xd14125844d25deb3, 4, 13, 2),
        (0xd14125844d25deb3, 9, 418, 1),
        (0xd14125844d25deb3, 14, 13392, 2),
        (0xd14125844d25deb3, 18, 214276, 1),
        (0x15b1a3, 4, 0, 36),
        (0x15b1a3, 9, 0, 26),
        (0x15b1a3, 14, 0, 16),
        (0x15b1a3, 18, 0, 8),
        (0x27acb, 4, 0, 39),
        (0x27acb, 9, 0, 29),
        (0x27acb, 14, 0, 19),
        (0x27acb, 18, 0, 11),
        (0x2, 4, 0, 55),
        (0x2, 9, 0, 45),
        (0x2, 14, 0, 35),
        (0x2, 18, 0, 27),
        (0xa1afa27f64, 4, 0, 17),
        (0xa1afa27f64, 9, 0, 7),
        (0xa1afa27f64, 14, 0, 4),
        (0xa1afa27f64, 18, 0, 1),
        (0x1e3e117d5ec, 4, 0, 16),
        (0x1e3e117d5ec, 9, 0, 6),
        (0x1e3e117d5ec, 14, 0, 3),
        (0x1e3e117d5ec, 18, 0, 4),
        (0x1065487f83a5e73c, 4, 1, 2),
        (0x1065487f83a5e73c, 9, 32, 3),
        (0x1065487f83a5e73c, 14, 1049, 1),
        (0x1065487f83a5e73c, 18, 16789, 3),
        (0x5ff94, 4, 0, 38),
        (0x5ff94, 9, 0, 28),
        (0x5ff94, 14, 0, 18),
        (0x5ff94, 18, 0, 10),
        (0x19dff44e7612874e, 4, 1, 1),
        (0x19dff44e7612874e, 9, 51, 1),
        (0x19dff44e7612874e, 14, 1655, 1),
        (0x19dff44e7612874e, 18, 26495, 2),
        (0x64d, 4, 0, 46),
        (0x64d, 9, 0, 36),
        (0x64d, 14, 0, 26),
        (0x64d, 18, 0, 18),
        (0x302cbdee2edf2204, 4, 3, 3),
        (0x302cbdee2edf2204, 9, 96, 1),
        (0x302cbdee2edf2204, 14, 3083, 1),
        (0x302cbdee2edf2204, 18, 49330, 1),
        (0x17ec9deee7, 4, 0, 20),
        (0x17ec9deee7, 9, 0, 10),
        (0x17ec9deee7, 14, 0, 2),
        (0x17ec9deee7, 18, 0, 1),
        (0x7a4355b9cf, 4, 0, 18),
        (0x7a4355b9cf, 9, 0, 8),
        (0x7a4355b9cf, 14, 0, 1),
        (0x7a4355b9cf, 18, 0, 3),
        (0x182efe226, 4, 0, 24),
        (0x182efe226, 9, 0, 14),
        (0x182efe226, 14, 0, 4),
        (0x182efe226, 18, 0, 3),
        (0x1a, 4, 0, 52),
        (0x1a, 9, 0, 42),
        (0x1a, 14, 0, 32),
        (0x1a, 18, 0, 24),
        (0x41997, 4, 0, 38),
        (0x41997, 9, 0, 28),
        (0x41997, 14, 0, 18),
        (0x41997, 18, 0, 10),
    ] {
        assert_eq!(index_rank(h, p), (idx, rank), "h={h:#x} p={p}");
    }
}

//! Runs every `example` block of SPEC.md section 5 against the typed CRDTs:
//! decoding `hex` as the named type gives the `json` view, and rebuilding the
//! state from the `json` view and encoding it gives `hex` byte for byte.

use crdt_merge_core::crdt::*;
use crdt_merge_core::json;
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Value, WireType};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The envelope `{"type": name, "value": view}` as JSON text.
pub fn envelope<T: WireType>(x: &T) -> String {
    json::to_string(&Value::map([("type", Value::str(T::TAG.name())), ("value", json::to_view(&x.to_view()))])).unwrap()
}

fn run<T: WireType + PartialEq + std::fmt::Debug>(name: &str, json_text: &str, hex_text: &str) {
    let decoded: T = decode_typed(&unhex(hex_text), &Limits::DEFAULT).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(envelope(&decoded), json_text, "{name}: view of the decoded frame");
    let env = json::parse(json_text).unwrap();
    let view = json::from_view(env.get("value").unwrap()).unwrap();
    let built = T::from_view(&view).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(built, decoded, "{name}");
    assert_eq!(hex(&encode_typed(&built, false).unwrap()), hex_text, "{name}: encoding of the view");
}

fn section5() -> Vec<(String, String, String)> {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wire-spec/SPEC.md")).unwrap();
    let start = spec.find("\n## 5. ").expect("section 5");
    let end = spec[start + 1..].find("\n## ").map_or(spec.len(), |i| start + 1 + i);
    let mut out = Vec::new();
    for block in spec[start..end].split("```example\n").skip(1) {
        let body = &block[..block.find("```").unwrap()];
        let get = |k: &str| body.lines().find_map(|l| l.strip_prefix(k)).unwrap_or_else(|| panic!("missing {k}")).trim().to_string();
        out.push((get("name:"), get("json:"), get("hex:")));
    }
    out
}

#[test]
fn section5_examples() {
    let examples = section5();
    assert!(examples.len() >= 11, "one example per type at least");
    let mut seen = std::collections::BTreeSet::new();
    for (name, j, h) in &examples {
        let ty = json::parse(j).unwrap().get("type").and_then(Value::as_str).unwrap().to_string();
        match ty.as_str() {
            "g_counter" => run::<GCounter>(name, j, h),
            "pn_counter" => run::<PNCounter>(name, j, h),
            "lww_register" => run::<LwwRegister>(name, j, h),
            "or_set" => run::<OrSet>(name, j, h),
            "lww_map" => run::<LwwMap>(name, j, h),
            "delta" => run::<Delta>(name, j, h),
            "generic" => run::<Generic>(name, j, h),
            "vector_clock" => run::<VectorClock>(name, j, h),
            "dotted_version_vector" => run::<DottedVersionVector>(name, j, h),
            "mv_register" => run::<MvRegister>(name, j, h),
            "hybrid_logical_clock" => run::<HybridLogicalClock>(name, j, h),
            other => panic!("{name}: unexpected type {other}"),
        }
        seen.insert(ty);
    }
    assert_eq!(seen.len(), 11, "{seen:?}");
}

/// Prints the example blocks for our extension types (run with --ignored --nocapture).
#[test]
#[ignore]
fn print_extension_examples() {
    let mut m = MvRegister::new();
    m.write("a", Value::Int(1));
    let mut n = m.clone();
    m.write("a", Value::str("x"));
    n.write("b", Value::str("y"));
    let m = m.merge_ref(&n);
    let h = HybridLogicalClock::new(1_700_000_000_000, 2, "n1");
    let mut s = OrSet::new();
    s.add(&Value::str("x"), "0123456789ab");
    s.add(&Value::Int(1), "aaaaaaaaaaaa");
    s.remove(&Value::str("x"));
    let s = s.merge_ref(&OrSet::new());
    for (name, j, f) in [
        ("mvreg-concurrent", envelope(&m), encode_typed(&m, false).unwrap()),
        ("hlc", envelope(&h), encode_typed(&h, false).unwrap()),
        ("orset-removed", envelope(&s), encode_typed(&s, false).unwrap()),
    ] {
        println!("```example\nname: {name}\njson: {j}\nhex: {}\n```", hex(&f));
    }
}

trait MergeRef {
    fn merge_ref(&self, o: &Self) -> Self;
}
impl<T: crdt_merge_core::Merge> MergeRef for T {
    fn merge_ref(&self, o: &Self) -> Self {
        self.merge(o).unwrap()
    }
}

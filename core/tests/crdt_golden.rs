//! Golden frames produced once by the reference (crdt-merge 0.8.3,
//! `crdt_merge.wire.serialize`) with fixed timestamps and tags. Each frame
//! must decode to the state built with our API, and encoding that state (or
//! re-encoding the decoded one) must give the same bytes.

use crdt_merge_core::crdt::*;
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Value, WireType};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
fn ts(f: f64) -> Timestamp {
    Timestamp::from_f64(f).unwrap()
}

/// Decode, compare with `built`, re-encode both and compare bytes.
fn check<T: WireType + PartialEq + std::fmt::Debug>(golden: &str, built: &T) {
    let bytes = unhex(golden);
    let decoded: T = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
    assert_eq!(&decoded, built);
    assert_eq!(
        hex(&encode_typed(&decoded, false).unwrap()),
        golden,
        "re-encode of decoded"
    );
    assert_eq!(
        hex(&encode_typed(built, false).unwrap()),
        golden,
        "encode of built"
    );
}

/// Decode and re-encode only (for shapes our API does not build in that order).
fn roundtrip<T: WireType + std::fmt::Debug>(golden: &str) -> T {
    let decoded: T = decode_typed(&unhex(golden), &Limits::DEFAULT).unwrap();
    assert_eq!(hex(&encode_typed(&decoded, false).unwrap()), golden);
    decoded
}

#[test]
fn gcounter() {
    let mut g = GCounter::new();
    g.increment("a", 5);
    check("43524454000101000000003408000000020500000004747970650500000009675f636f756e7465720500000006636f756e747308000000010500000001610905", &g);
    let mut g = GCounter::new();
    g.increment("a", 3);
    g.increment("b", 200);
    g.increment("c", 0);
    check("43524454000101000000004b08000000020500000004747970650500000009675f636f756e7465720500000006636f756e7473080000000305000000016109030500000001620300000000000000c80500000001630900", &g);
    assert_eq!(g.value(), 203);
}

#[test]
fn pncounter() {
    let mut p = PNCounter::new();
    p.increment("a", 10);
    p.decrement("b", 3);
    check("4352445400010200000000950800000003050000000474797065050000000a706e5f636f756e7465720500000003706f7308000000020500000004747970650500000009675f636f756e7465720500000006636f756e74730800000001050000000161090a05000000036e656708000000020500000004747970650500000009675f636f756e7465720500000006636f756e747308000000010500000001620903", &p);
    assert_eq!(p.value(), 7);
}

#[test]
fn lww_register() {
    check("43524454000103000000005d0800000004050000000474797065050000000c6c77775f7265676973746572050000000576616c7565050000000568656c6c6f050000000974696d657374616d700441d954fc4020000005000000076e6f64655f696405000000026e31", &LwwRegister::new(Value::str("hello"), ts(1700000000.5), "n1"));
    // from_dict with an int timestamp keeps the int (codec 09 05)
    check("43524454000103000000004d0800000004050000000474797065050000000c6c77775f7265676973746572050000000576616c7565092a050000000974696d657374616d70090505000000076e6f64655f6964050000000162", &LwwRegister::new(Value::Int(42), Timestamp::from_int(5), "b"));
    // ... but an int 0 becomes 0.0 (`timestamp or 0.0`)
    check("4352445400010300000000520800000004050000000474797065050000000c6c77775f7265676973746572050000000576616c756500050000000974696d657374616d7004000000000000000005000000076e6f64655f69640500000000", &LwwRegister::new(Value::None, Timestamp::from_int(0), ""));
    let v = Value::List(vec![Value::Int(1), Value::map([("x", Value::Float(2.5))])]);
    check("43524454000103000000006d0800000004050000000474797065050000000c6c77775f7265676973746572050000000576616c7565070000000209010800000001050000000178044004000000000000050000000974696d657374616d7004400000000000000005000000076e6f64655f696405000000017a", &LwwRegister::new(v, ts(2.0), "z"));
}

#[test]
fn or_set() {
    let mut s = OrSet::new();
    s.add(&Value::str("apple"), "0123456789ab");
    s.add(&Value::str("pear"), "ffffffffffff");
    s.remove(&Value::str("pear"));
    // the reference's frame has no tombstones; ours for `s` adds `removed`
    let r: OrSet = roundtrip("435244540001040000000059080000000205000000047479706505000000066f725f7365740500000008656c656d656e7473080000000205000000056170706c650700000001050000000c3031323334353637383961620500000004706561720700000000");
    assert_eq!(r.value(), vec![Value::str("apple")]);
    assert_eq!(s.value(), r.value());
    let r: OrSet = roundtrip("435244540001040000000099080000000305000000047479706505000000066f725f7365740500000008656c656d656e747308000000020500000001310700000002050000000c626262626262626262626262050000000c6161616161616161616161610500000001780700000001050000000c636363636363636363636363050000000d656c656d656e745f747970657308000000010500000001310500000003696e74");
    assert_eq!(r.value(), vec![Value::Int(1), Value::str("x")]);
    let mut s = OrSet::new();
    s.add(&Value::Int(1), "bbbbbbbbbbbb");
    s.add(&Value::Int(1), "aaaaaaaaaaaa");
    s.add(&Value::str("x"), "cccccccccccc");
    assert_eq!(s, r);
}

#[test]
fn lww_map() {
    let mut m = LwwMap::new();
    m.set("a", Value::Int(1), ts(10.0), "n1");
    m.set("b", Value::str("x"), ts(11.0), "n2");
    m.delete("b", ts(12.0));
    check("43524454000105000000010a080000000305000000047479706505000000076c77775f6d6170050000000972656769737465727308000000020500000001610800000004050000000474797065050000000c6c77775f7265676973746572050000000576616c75650901050000000974696d657374616d7004402400000000000005000000076e6f64655f696405000000026e310500000001620800000004050000000474797065050000000c6c77775f7265676973746572050000000576616c7565050000000178050000000974696d657374616d7004402600000000000005000000076e6f64655f696405000000026e32050000000a746f6d6273746f6e65730800000001050000000162044028000000000000", &m);
    assert_eq!(m.value(), vec![(&Value::str("a"), &Value::Int(1))]);
}

#[test]
fn clocks() {
    check("4352445400014000000000347b2274797065223a2022766563746f725f636c6f636b222c2022636c6f636b73223a207b2261223a20332c202262223a20317d7d", &VectorClock::from_pairs([("a", 3), ("b", 1)]));
    let base = VectorClock::from_pairs([("a", 2)]);
    check("4352445400014100000000687b2274797065223a2022646f747465645f76657273696f6e5f766563746f72222c202262617365223a207b2274797065223a2022766563746f725f636c6f636b222c2022636c6f636b73223a207b2261223a20327d7d2c2022646f74223a205b2262222c20315d7d", &DottedVersionVector::new(base.clone(), Some(("b".into(), 1))));
    check("4352445400014100000000577b2274797065223a2022646f747465645f76657273696f6e5f766563746f72222c202262617365223a207b2274797065223a2022766563746f725f636c6f636b222c2022636c6f636b73223a207b2261223a20327d7d7d", &DottedVersionVector::new(base, None));
}

#[test]
fn delta() {
    let d = Delta::new(
        vec![Value::map([("id", Value::Int(1)), ("v", Value::str("x"))])],
        vec![Value::map([
            ("id", Value::Int(2)),
            ("v", Value::Float(2.5)),
        ])],
        vec![Value::str("3")],
        7,
        ts(1700000000.25),
        "n1",
    );
    check("4352445400011000000000b00800000006050000000561646465640700000001080000000205000000026964090105000000017605000000017805000000086d6f64696669656407000000010800000002050000000269640902050000000176044004000000000000050000000772656d6f7665640700000001050000000133050000000776657273696f6e0907050000000974696d657374616d700441d954fc40100000050000000b736f757263655f6e6f646505000000026e31", &d);
}

#[test]
fn generic() {
    let g = Generic::new(Value::List(vec![
        Value::Int(1),
        Value::str("a"),
        Value::None,
    ]))
    .unwrap();
    check("43524454000120000000000e0700000003090105000000016100", &g);
}

/// Our or_set frame with the `removed` extension key (SPEC 5.4). The
/// reference (0.8.3) decodes this frame, ignores `removed` and reports the
/// same visible value `{1}` (checked by running it).
#[test]
fn or_set_removed_extension() {
    let mut s = OrSet::new();
    s.add(&Value::str("x"), "0123456789ab");
    s.add(&Value::Int(1), "aaaaaaaaaaaa");
    s.remove(&Value::str("x"));
    let s = crdt_merge_core::Merge::merge(&s, &OrSet::new()).unwrap();
    check("4352445400010400000000a4080000000405000000047479706505000000066f725f7365740500000008656c656d656e747308000000020500000001310700000001050000000c6161616161616161616161610500000001780700000000050000000d656c656d656e745f747970657308000000010500000001310500000003696e74050000000772656d6f76656408000000010500000001780700000001050000000c303132333435363738396162", &s);
    assert_eq!(s.value(), vec![Value::Int(1)]);
    assert_eq!(s.removed_tags("x"), vec!["0123456789ab"]);
}

/// A slot missing on one side counts as 0 (reference behaviour for negative slots).
#[test]
fn gcounter_negative_slot() {
    let neg = GCounter::from_value(&Value::map([
        ("type", Value::str("g_counter")),
        ("counts", Value::map([("a", Value::Int(-5))])),
    ]))
    .unwrap();
    let m = crdt_merge_core::Merge::merge(&neg, &GCounter::new()).unwrap();
    assert_eq!(m.get("a"), 0);
    assert_eq!(crdt_merge_core::Merge::merge(&neg, &neg).unwrap(), neg);
}

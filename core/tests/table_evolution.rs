//! Schema evolution against the reference (fixtures from
//! `table_extras_gen.py`): widening table, compatibility reasons, every
//! policy's result (byte-identical frames); and the laws of `SchemaSet`.

use crdt_merge_core::ordered_map::OrderedMap;
use crdt_merge_core::records::{SchemaEvolutionResult, SchemaPolicy};
use crdt_merge_core::table::evolution::{
    check_compatibility, evolve_schema, widen_type, Schema, SchemaSet,
};
use crdt_merge_core::wire::{decode_typed, encode_typed, Limits};
use crdt_merge_core::{Merge, Value, WireType};
use proptest::prelude::*;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/table_extras_evolution.json"
    ))
    .unwrap();
    crdt_merge_core::json::parse(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn schema(v: &Value) -> Schema {
    v.as_map()
        .unwrap()
        .iter()
        .map(|(k, t)| {
            (
                k.as_str().unwrap().to_string(),
                t.as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn widening_table_matches_reference() {
    let fx = fixture();
    for w in fx.get("widen").unwrap().as_list().unwrap() {
        let w = w.as_list().unwrap();
        let got = widen_type(w[0].as_str().unwrap(), w[1].as_str().unwrap());
        assert_eq!(got, w[2].as_str(), "{w:?}");
    }
}

#[test]
fn evolve_and_compatibility_match_reference() {
    let fx = fixture();
    let cases = fx.get("cases").unwrap().as_list().unwrap();
    assert_eq!(cases.len(), 60);
    for (i, c) in cases.iter().enumerate() {
        let old = schema(c.get("old").unwrap());
        let new = schema(c.get("new").unwrap());
        let defaults: OrderedMap<String, Value> = c
            .get("defaults")
            .unwrap()
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), v.clone()))
            .collect();
        let policy = SchemaPolicy::from_wire(c.get("policy").unwrap().as_str().unwrap()).unwrap();
        let narrow = matches!(c.get("narrow"), Some(Value::Bool(true)));
        let r = evolve_schema(&old, &new, policy, &defaults, narrow);
        assert_eq!(r.to_value(), *c.get("result").unwrap(), "case {i}");
        let bytes = unhex(c.get("wire").unwrap().as_str().unwrap());
        assert_eq!(encode_typed(&r, false).unwrap(), bytes, "case {i} frame");
        let back: SchemaEvolutionResult = decode_typed(&bytes, &Limits::DEFAULT).unwrap();
        assert_eq!(back, r);
        let (ok, reasons) = check_compatibility(&old, &new);
        assert_eq!(Value::Bool(ok), *c.get("compatible").unwrap(), "case {i}");
        let want: Vec<Value> = c.get("reasons").unwrap().as_list().unwrap().to_vec();
        assert_eq!(
            reasons.into_iter().map(Value::Str).collect::<Vec<_>>(),
            want,
            "case {i}"
        );
    }
}

#[test]
fn schema_set_resolves_by_widening_and_reports_conflicts() {
    let s = |pairs: &[(&str, &str)]| -> Schema {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let a = SchemaSet::from_schema(&s(&[("x", "int32"), ("y", "int")]));
    let b = SchemaSet::from_schema(&s(&[("x", "float64"), ("z", "str")]));
    let c = SchemaSet::from_schema(&s(&[("y", "str")]));
    let m = a.merge(&b).unwrap().merge(&c).unwrap();
    let r = m.resolved();
    assert_eq!(r.get(&"x".to_string()).unwrap(), "float64");
    assert_eq!(r.get(&"y".to_string()).unwrap(), "str");
    assert_eq!(r.get(&"z".to_string()).unwrap(), "str");
    let conf = m.conflicts();
    assert_eq!(conf.len(), 1);
    assert_eq!(conf[0].column, "y");
    let res = m.evolve_from(&s(&[("x", "int32")]), &OrderedMap::new());
    assert!(!res.is_compatible);
    assert_eq!(res.warnings.len(), 1);
    // Pairwise it agrees with the reference's union evolution when compatible.
    let old = s(&[("x", "int32")]);
    let new = s(&[("x", "float32")]);
    let pair = SchemaSet::from_schema(&old)
        .merge(&SchemaSet::from_schema(&new))
        .unwrap();
    let refr = evolve_schema(&old, &new, SchemaPolicy::Union, &OrderedMap::new(), false);
    assert_eq!(
        refr.resolved_schema.get(&Value::str("x")),
        Some(&Value::str(
            pair.resolved().get(&"x".to_string()).unwrap().as_str()
        ))
    );
}

const TYPES: &[&str] = &[
    "int32", "int64", "float32", "float64", "int", "float", "str",
];

fn set_strategy() -> impl Strategy<Value = SchemaSet> {
    prop::collection::vec((0usize..4, 0usize..TYPES.len()), 0..6).prop_map(|v| {
        let mut s = SchemaSet::default();
        for (c, t) in v {
            let mut one = Schema::new();
            one.insert(format!("c{c}"), TYPES[t].to_string());
            s.observe(&one);
        }
        s
    })
}

proptest! {
    #[test]
    fn schema_set_merge_laws(a in set_strategy(), b in set_strategy(), c in set_strategy()) {
        let ab = a.merge(&b).unwrap();
        prop_assert_eq!(&ab, &b.merge(&a).unwrap());
        prop_assert_eq!(ab.merge(&c).unwrap(), a.merge(&b.merge(&c).unwrap()).unwrap());
        prop_assert_eq!(&a.merge(&a).unwrap(), &a);
        prop_assert_eq!(ab.resolved(), b.merge(&a).unwrap().resolved());
    }

    #[test]
    fn resolved_type_covers_every_observed_type(a in set_strategy()) {
        let r = a.resolved();
        for (col, types) in &a.columns {
            let rt = r.get(col).unwrap();
            if a.conflicts().iter().all(|c| &c.column != col) {
                for t in types {
                    prop_assert_eq!(widen_type(t, rt), Some(rt.as_str()));
                }
            } else {
                prop_assert_eq!(rt.as_str(), "str");
            }
        }
    }
}

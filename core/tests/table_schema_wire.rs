//! SchemaState (tag 0x62): lawful merge (per-field LWW by version), frame
//! round trip through AnyCrdt, bad payloads as typed errors.

use crdt_merge_core::laws::check_laws;
use crdt_merge_core::table::{MergeSchema, SchemaState, Strategy};
use crdt_merge_core::wire::{Limits, TypeTag};
use crdt_merge_core::{AnyCrdt, Merge, Value, WireType};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;

fn strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        Just(Strategy::Lww),
        Just(Strategy::MaxWins),
        Just(Strategy::MinWins),
        Just(Strategy::union_set()),
        Just(Strategy::UnionSet {
            delimiter: ";".into()
        }),
        Just(Strategy::concat()),
        Just(Strategy::Priority {
            order: vec!["a".into(), "b".into()]
        }),
        Just(Strategy::LongestWins),
    ]
}

fn state() -> impl proptest::strategy::Strategy<Value = SchemaState> {
    proptest::collection::vec(
        (
            prop::sample::select(vec!["x", "y", "z", "__default__"]),
            strategy(),
            0usize..3,
        ),
        0..6,
    )
    .prop_map(|edits| {
        let mut s = SchemaState::default();
        for (f, st, bumps) in edits {
            for _ in 0..=bumps {
                s.set(f, &st);
            }
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn schema_state_merge_is_lawful(a in state(), b in state(), c in state()) {
        check_laws(&a, &b, &c).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
    }

    #[test]
    fn frames_round_trip(a in state()) {
        let bytes = AnyCrdt::MergeSchema(a.clone()).encode(false).unwrap();
        prop_assert_eq!(bytes[6], 0x62);
        let (back, _) = AnyCrdt::decode(&bytes, &Limits::DEFAULT).unwrap();
        prop_assert_eq!(back, AnyCrdt::MergeSchema(a));
    }
}

#[test]
fn later_version_wins_and_schema_loads() {
    let base = SchemaState::new(&MergeSchema::new(Strategy::Lww).with("score", Strategy::MaxWins));
    let mut r1 = base.clone();
    r1.set("score", &Strategy::MinWins);
    let mut r2 = base.clone();
    r2.set("tags", &Strategy::union_set());
    let m = r1.merge(&r2).unwrap();
    assert_eq!(m, r2.merge(&r1).unwrap());
    let s = m.schema().unwrap();
    assert_eq!(s.strategy_for("score"), &Strategy::MinWins);
    assert_eq!(s.strategy_for("tags"), &Strategy::union_set());
    assert_eq!(m.version("score"), 2);
    assert_eq!(
        TypeTag::from_name("merge_schema"),
        Some(TypeTag::MergeSchema)
    );
}

#[test]
fn custom_entries_round_trip_and_resolve_by_name() {
    let mut s = SchemaState::default();
    s.set(
        "v",
        &Strategy::custom("sum", |a, b, _, _| match (a, b) {
            (Value::Int(x), Value::Int(y)) => Value::Int(x + y),
            (a, _) => a,
        }),
    );
    let back = SchemaState::from_value(&s.to_value()).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.schema().unwrap().strategy_for("v"), &Strategy::Lww);
    let lookup = |name: &str| {
        (name == "sum").then(|| {
            std::sync::Arc::new(|a: Value, _: Value, _: f64, _: f64| a)
                as crdt_merge_core::table::CustomFn
        })
    };
    assert_eq!(
        back.schema_with(&lookup).unwrap().strategy_for("v").name(),
        "Custom"
    );
}

#[test]
fn bad_payloads_are_typed_errors() {
    let bad = [
        r#"{"versions": {}}"#,
        r#"{"schema": {"x": {"strategy": "Bogus"}}}"#,
        r#"{"schema": {"x": {"strategy": "UnionSet", "separator": ""}}}"#,
        r#"{"schema": {"x": {"strategy": "LWW"}}, "versions": {"x": -1}}"#,
        r#"{"schema": {"x": 3}}"#,
    ];
    for b in bad {
        let v = crdt_merge_core::json::parse(b).unwrap();
        assert!(SchemaState::from_value(&v).is_err(), "{b}");
    }
}

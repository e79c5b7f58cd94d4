//! `RowMerger::choose_cell` and `choose_unequal` (which value a merged cell
//! is, without taking the values) agree with `merge_cell` for every rule:
//! prefer a / b / latest, LWW on a timestamp, and every schema strategy, on
//! random pairs of values (mixed types, equal-by-`==` values of different
//! types, zeros of both signs, NaN) and random timestamps (equal, NaN).

use crdt_merge_core::table::pycmp::py_eq;
use crdt_merge_core::table::{
    Choice, MergeOptions, MergeSchema, Prefer, RowMerger, Strategy as Strat,
};
use crdt_merge_core::Value;
use proptest::prelude::*;

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..4).prop_map(Value::Int),
        prop::sample::select(vec![0.0, -0.0, 1.0, 1.5, -2.0, f64::NAN, 1e16])
            .prop_map(Value::Float),
        prop::sample::select(vec!["a", "b", "1", "a,b", "b | c", "True", "zz"])
            .prop_map(Value::str),
    ]
}

fn timestamp() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![0.0, 1.0, 2.0, f64::NAN])
}

fn strategy() -> impl Strategy<Value = Strat> {
    prop_oneof![
        Just(Strat::Lww),
        Just(Strat::MaxWins),
        Just(Strat::MinWins),
        Just(Strat::union_set()),
        Just(Strat::concat()),
        Just(Strat::Priority {
            order: vec!["a".into(), "b".into(), "1".into()],
        }),
        Just(Strat::LongestWins),
    ]
}

/// Options for one column `v` (key `id`) and the timestamp column name.
fn options() -> impl Strategy<Value = (MergeOptions, Option<&'static str>)> {
    let prefer = prop::sample::select(vec![Prefer::A, Prefer::B, Prefer::Latest]);
    prop_oneof![
        prefer.prop_map(|p| (
            MergeOptions {
                key: vec!["id".into()],
                prefer: p,
                ..MergeOptions::default()
            },
            None
        )),
        Just((
            MergeOptions {
                key: vec!["id".into()],
                timestamp_col: Some("ts".into()),
                ..MergeOptions::default()
            },
            Some("ts")
        )),
        (strategy(), any::<bool>()).prop_map(|(s, ts)| {
            let mut schema = MergeSchema::default();
            schema.fields.push(("v".to_string(), s));
            (
                MergeOptions {
                    key: vec!["id".into()],
                    schema: Some(schema),
                    timestamp_col: ts.then(|| "ts".to_string()),
                    ..MergeOptions::default()
                },
                ts.then_some("ts"),
            )
        }),
    ]
}

/// Same value, NaN equal to NaN, floats by bits.
fn same(x: &Value, y: &Value) -> bool {
    format!("{x:?}") == format!("{y:?}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn choices_agree_with_merge_cell(
        (opts, ts) in options(),
        va in value(),
        vb in value(),
        ts_a in timestamp(),
        ts_b in timestamp(),
    ) {
        let cols = vec!["id".to_string(), "v".to_string()];
        let m = RowMerger::new(&cols, &cols, &opts, ts);
        let merged = m.merge_cell(1, va.clone(), vb.clone(), ts_a, ts_b);
        let chosen = m.choose_cell(1, &va, &vb, ts_a, ts_b).take(va.clone(), vb.clone());
        prop_assert!(same(&merged, &chosen), "merge_cell {merged:?}, choose_cell {chosen:?}");
        let unequal = !matches!(va, Value::None) && !matches!(vb, Value::None) && !py_eq(&va, &vb);
        if let (true, Some(c)) = (unequal, m.choose_unequal(1, ts_a, ts_b)) {
            let picked = match c {
                Choice::A => &va,
                Choice::B => &vb,
                Choice::New(_) => return Err(TestCaseError::fail("choose_unequal made a value")),
            };
            prop_assert!(same(&merged, picked), "merge_cell {merged:?}, choose_unequal {c:?}");
        }
    }
}

/// The shortcut is taken where it should be: prefer b and LWW on different
/// timestamps need no values; LWW on equal timestamps and MaxWins do.
#[test]
fn choose_unequal_needs_no_values_only_where_the_rule_says_so() {
    let cols = vec!["id".to_string(), "v".to_string()];
    let prefer_b = MergeOptions {
        key: vec!["id".into()],
        prefer: Prefer::B,
        ..MergeOptions::default()
    };
    let m = RowMerger::new(&cols, &cols, &prefer_b, None);
    assert_eq!(m.choose_unequal(1, 0.0, 0.0), Some(Choice::B));
    let lww = MergeOptions {
        key: vec!["id".into()],
        timestamp_col: Some("ts".into()),
        ..MergeOptions::default()
    };
    let m = RowMerger::new(&cols, &cols, &lww, Some("ts"));
    assert_eq!(m.choose_unequal(1, 1.0, 2.0), Some(Choice::B));
    assert_eq!(m.choose_unequal(1, 2.0, 1.0), Some(Choice::A));
    assert_eq!(m.choose_unequal(1, 1.0, 1.0), None);
    let mut schema = MergeSchema::default();
    schema.fields.push(("v".to_string(), Strat::MaxWins));
    let max = MergeOptions {
        key: vec!["id".into()],
        schema: Some(schema),
        ..MergeOptions::default()
    };
    let m = RowMerger::new(&cols, &cols, &max, None);
    assert_eq!(m.choose_unequal(1, 1.0, 2.0), None);
}

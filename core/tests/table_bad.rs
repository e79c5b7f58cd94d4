//! Bad input to every entry point of the table layer is a typed error with a
//! one-line message: never a panic.

use crdt_merge_core::table::{
    merge, merge_json_lines_text, merge_sorted_stream, merge_stream, merge_with_provenance,
    MergeOptions, MergeSchema, SchemaState, Strategy, Table, TableError,
};
use crdt_merge_core::{json, Value, WireType};
use proptest::prelude::*;
use proptest::strategy::Strategy as _;

fn one_line(e: &TableError) {
    let s = e.to_string();
    assert!(!s.is_empty() && !s.contains('\n'), "{s:?}");
}

#[test]
fn schema_errors() {
    for (text, what) in [
        ("[1]", "not a dict"),
        (r#"{"x": 1}"#, "entry not a dict"),
        (r#"{"x": {}}"#, "no strategy"),
        (r#"{"x": {"strategy": 3}}"#, "strategy not a str"),
        (r#"{"x": {"strategy": "Bogus"}}"#, "unknown"),
        (
            r#"{"x": {"strategy": "UnionSet", "separator": 1}}"#,
            "bad separator type",
        ),
        (
            r#"{"x": {"strategy": "UnionSet", "separator": ""}}"#,
            "empty separator",
        ),
        (
            r#"{"x": {"strategy": "Concat", "dedup": "yes"}}"#,
            "bad dedup",
        ),
        (
            r#"{"x": {"strategy": "Priority", "levels": "a,b"}}"#,
            "levels not a list",
        ),
        (
            r#"{"x": {"strategy": "Priority", "levels": [1]}}"#,
            "level not a str",
        ),
        (r#"{"x": {"strategy": "LWW"}"#, "truncated JSON"),
    ] {
        let e = MergeSchema::from_json(text).expect_err(what);
        one_line(&e);
    }
    let e = MergeSchema::from_dict_with(
        &json::parse(r#"{"x": {"strategy": "Custom", "name": "f"}}"#).unwrap(),
        Some(&|_: &str| None),
    )
    .unwrap_err();
    assert!(matches!(e, TableError::UnregisteredCustom { .. }));
}

#[test]
fn option_errors() {
    let t = Table {
        columns: vec!["id".into()],
        rows: vec![vec![Some(Value::Int(1))]],
    };
    let mut o = MergeOptions::keyed(["id"]);
    o.fuzzy_dedup = true;
    o.fuzzy_threshold = f64::NAN;
    assert!(matches!(
        merge(&t, &t, &o),
        Err(TableError::BadThreshold(_))
    ));
    o.fuzzy_threshold = 1.5;
    assert!(matches!(
        merge(&t, &t, &o),
        Err(TableError::BadThreshold(_))
    ));
    let mut o = MergeOptions::keyed(["id"]);
    o.schema = Some(MergeSchema::new(Strategy::UnionSet {
        delimiter: String::new(),
    }));
    assert!(matches!(
        merge(&t, &t, &o),
        Err(TableError::EmptySeparator(_))
    ));
    assert!(matches!(
        merge_with_provenance(&t, &t, &o),
        Err(TableError::EmptySeparator(_))
    ));
    assert!(matches!(
        merge_stream(vec![t.clone()], t.clone(), &o, 5),
        Err(TableError::EmptySeparator(_))
    ));
    let o = MergeOptions::default();
    assert!(matches!(
        merge_sorted_stream(vec![t.clone()], vec![t], &o, 5),
        Err(TableError::BadSchema(_))
    ));
}

#[test]
fn ragged_batches_in_streams() {
    let good = Table {
        columns: vec!["id".into()],
        rows: vec![vec![Some(Value::Int(1))]],
    };
    let bad = Table {
        columns: vec!["id".into()],
        rows: vec![vec![]],
    };
    let o = MergeOptions::keyed(["id"]);
    let r: Result<Vec<_>, _> = merge_stream(vec![bad.clone()], good.clone(), &o, 4)
        .unwrap()
        .collect();
    assert!(matches!(r, Err(TableError::RaggedRow { .. })));
    let r: Result<Vec<_>, _> = merge_sorted_stream(vec![good], vec![bad], &o, 4)
        .unwrap()
        .collect();
    assert!(matches!(r, Err(TableError::RaggedRow { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any JSON-lines text: a result or a typed error, never a panic.
    #[test]
    fn json_lines_never_panic(a in "[ -~\n]{0,80}", b in r#"(\{"id": ?[0-9a\[\]"]{0,3}(, "v": [0-9nul]{1,4})?\}\n?){0,4}"#) {
        match merge_json_lines_text(&a, &b, Some("id")) {
            Ok(_) => {}
            Err(e) => one_line(&e),
        }
    }

    /// Any schema payload value: a state or a typed error.
    #[test]
    fn schema_state_payloads_never_panic(text in r#"\{"schema": \{("[a-z_]{1,12}": \{"strategy": "(LWW|UnionSet|Priority|Custom|X)"(, "(separator|levels|name)": ("[,;]?"|\[\]|3))?\})?\}(, "versions": \{("[a-z]": -?[0-9])?\})?\}"#) {
        let v = json::parse(&text).unwrap();
        let _ = SchemaState::from_value(&v);
    }

    /// Random tables with random key choices: a table or a typed error.
    #[test]
    fn merge_never_panics(
        cells in proptest::collection::vec(proptest::collection::vec(proptest::option::of(prop_oneof![
            Just(Value::None), (0i64..3).prop_map(Value::Int), Just(Value::Float(f64::NAN)),
            Just(Value::List(vec![])), Just(Value::str("x")), Just(Value::Float(1.0)), Just(Value::Bool(true)),
        ]), 3), 0..6),
        split in 0usize..6,
        key in proptest::collection::vec(prop::sample::select(vec!["a", "b", "c", "zz"]), 0..3),
    ) {
        let cols: Vec<String> = vec!["a".into(), "b".into(), "c".into()];
        let split = split.min(cells.len());
        let ta = Table { columns: cols.clone(), rows: cells[..split].to_vec() };
        let tb = Table { columns: vec!["c".into(), "a".into(), "b".into()], rows: cells[split..].to_vec() };
        let o = MergeOptions::keyed(key);
        match merge(&ta, &tb, &o) {
            Ok(t) => prop_assert!(t.rows.iter().all(|r| r.len() == t.columns.len())),
            Err(e) => one_line(&e),
        }
        let _ = merge_with_provenance(&ta, &tb, &o);
        if let Ok(s) = merge_stream(vec![ta.clone()], tb.clone(), &o, 2) {
            for b in s { if let Err(e) = b { one_line(&e) } }
        }
        if let Ok(s) = merge_sorted_stream(vec![ta], vec![tb], &o, 2) {
            for b in s { if let Err(e) = b { one_line(&e) } }
        }
        // (ends the tail expression so the stream's borrow ends before `o`)
        let _done = ();
    }
}

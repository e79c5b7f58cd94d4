//! Hand-written checks of the record merge API: options, conventions the CLI
//! relies on, schema dict/JSON form, and bad input as typed errors.

use crdt_merge_core::table::{
    merge, MergeOptions, MergeSchema, Prefer, Strategy, Table, TableError,
};
use crdt_merge_core::Value;

fn t(cols: &[&str], rows: Vec<Vec<Option<Value>>>) -> Table {
    Table {
        columns: cols.iter().map(|c| c.to_string()).collect(),
        rows,
    }
}

fn i(v: i64) -> Option<Value> {
    Some(Value::Int(v))
}

fn s(v: &str) -> Option<Value> {
    Some(Value::str(v))
}

#[test]
fn keyed_merge_keeps_one_sided_rows_and_resolves_conflicts() {
    let a = t(
        &["id", "name"],
        vec![vec![i(1), s("x")], vec![i(2), s("b")]],
    );
    let b = t(
        &["id", "name", "z"],
        vec![vec![i(2), s("c"), i(9)], vec![i(3), s("d"), i(7)]],
    );
    let out = merge(&a, &b, &MergeOptions::keyed(["id"])).unwrap();
    assert_eq!(out.columns, vec!["id", "name", "z"]);
    assert_eq!(
        out.rows,
        vec![
            vec![i(1), s("x"), None],
            vec![i(2), s("c"), i(9)],
            vec![i(3), s("d"), i(7)],
        ]
    );
    let mut o = MergeOptions::keyed(["id"]);
    o.prefer = Prefer::A;
    let out = merge(&a, &b, &o).unwrap();
    assert_eq!(out.rows[1], vec![i(2), s("b"), i(9)]);
}

#[test]
fn duplicate_key_keeps_last_and_null_keys_are_kept() {
    let a = t(
        &["id", "v"],
        vec![
            vec![i(1), s("first")],
            vec![Some(Value::None), s("n")],
            vec![i(1), s("last")],
        ],
    );
    let b = t(&["id", "v"], vec![]);
    let out = merge(&a, &b, &MergeOptions::keyed(["id"])).unwrap();
    assert_eq!(
        out.rows,
        vec![vec![i(1), s("last")], vec![Some(Value::None), s("n")]]
    );
}

#[test]
fn int_and_float_keys_match_like_python() {
    let a = t(&["id", "v"], vec![vec![i(1), i(5)]]);
    let b = t(&["id", "v"], vec![vec![Some(Value::Float(1.0)), i(6)]]);
    let out = merge(&a, &b, &MergeOptions::keyed(["id"])).unwrap();
    assert_eq!(out.rows, vec![vec![i(1), i(6)]]);
}

#[test]
fn ts_column_is_detected() {
    let a = t(&["id", "v", "_ts"], vec![vec![i(1), s("zzz"), i(1)]]);
    let b = t(&["id", "v", "_ts"], vec![vec![i(1), s("aaa"), i(2)]]);
    let out = merge(&a, &b, &MergeOptions::keyed(["id"])).unwrap();
    assert_eq!(out.rows, vec![vec![i(1), s("aaa"), i(2)]]);
}

#[test]
fn bad_input_is_typed() {
    let a = t(&["x"], vec![vec![i(1)]]);
    let b = t(&["id"], vec![vec![i(1)]]);
    assert!(matches!(
        merge(&a, &b, &MergeOptions::keyed(["id"])),
        Err(TableError::MissingKeyColumn { side: "a", .. })
    ));
    let a = t(&["id"], vec![vec![Some(Value::List(vec![]))]]);
    assert!(matches!(
        merge(&a, &b, &MergeOptions::keyed(["id"])),
        Err(TableError::UnhashableKey { .. })
    ));
    let a = t(&["id"], vec![vec![i(1), i(2)]]);
    assert!(matches!(
        merge(&a, &b, &MergeOptions::keyed(["id"])),
        Err(TableError::RaggedRow { .. })
    ));
    assert!(matches!(
        Prefer::parse("c"),
        Err(TableError::InvalidPrefer(_))
    ));
}

#[test]
fn schema_dict_round_trip_and_unknown_strategy() {
    let schema = MergeSchema::new(Strategy::Lww)
        .with("score", Strategy::MaxWins)
        .with("tags", Strategy::union_set())
        .with(
            "status",
            Strategy::Priority {
                order: vec!["draft".into(), "done".into()],
            },
        )
        .with("notes", Strategy::concat());
    let json = schema.to_json();
    assert_eq!(
        json,
        r#"{"score": {"strategy": "MaxWins"}, "tags": {"strategy": "UnionSet", "separator": ","}, "status": {"strategy": "Priority", "levels": ["draft", "done"]}, "notes": {"strategy": "Concat", "separator": " | ", "dedup": true}, "__default__": {"strategy": "LWW"}}"#
    );
    assert_eq!(MergeSchema::from_json(&json).unwrap(), schema);
    assert!(matches!(
        MergeSchema::from_json(r#"{"x": {"strategy": "Nope"}}"#),
        Err(TableError::UnknownStrategy { .. })
    ));
}

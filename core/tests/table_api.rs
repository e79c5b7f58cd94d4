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

#[test]
fn nan_keys_never_match_but_identical_rows_dedup() {
    let nan = || Some(Value::Float(f64::NAN));
    let a = t(
        &["id", "v"],
        vec![vec![nan(), i(1)], vec![nan(), i(1)], vec![nan(), i(2)]],
    );
    let b = t(&["id", "v"], vec![vec![nan(), i(1)]]);
    let out = merge(&a, &b, &MergeOptions::keyed(["id"])).unwrap();
    assert_eq!(out.rows.len(), 2);
    let mut o = MergeOptions::keyed(["id"]);
    o.dedup = false;
    assert_eq!(merge(&a, &b, &o).unwrap().rows.len(), 4);
}

#[test]
fn stack_float_repr_matches_pyrepr() {
    use crdt_merge_core::table::pycmp::float_repr_bytes;
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let mut samples = vec![
        0.0,
        -0.0,
        1.0,
        -1.5,
        1e16,
        1e15,
        1e-4,
        1e-5,
        123456789.125,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::NAN,
        f64::INFINITY,
        -f64::INFINITY,
        0.1,
        2.5e-7,
    ];
    for _ in 0..20000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        samples.push(f64::from_bits(x));
        samples.push((x % 100000) as f64 / 64.0);
    }
    for f in samples {
        let mut buf = [0u8; 40];
        let ours = std::str::from_utf8(float_repr_bytes(f, &mut buf))
            .unwrap()
            .to_string();
        assert_eq!(ours, crdt_merge_core::pyrepr::float_repr(f), "{f:e}");
    }
}

#[test]
fn custom_strategy_closure_resolves_conflicts_with_timestamps() {
    let sum = Strategy::custom("sum", |a, b, ts_a, ts_b| match (a, b) {
        (Value::Int(x), Value::Int(y)) => Value::Int(x + y + (ts_a + ts_b) as i64),
        (a, _) => a,
    });
    let mut o = MergeOptions::keyed(["id"]);
    o.timestamp_col = Some("ts".into());
    o.schema = Some(MergeSchema::new(Strategy::Lww).with("n", sum));
    let a = t(&["id", "n", "ts"], vec![vec![i(1), i(2), i(10)]]);
    let b = t(&["id", "n", "ts"], vec![vec![i(1), i(3), i(20)]]);
    let out = merge(&a, &b, &o).unwrap();
    // n: custom (2 + 3 + 30); ts: LWW (20 is later)
    assert_eq!(out.rows, vec![vec![i(1), i(35), i(20)]]);
    let d = o.schema.as_ref().unwrap().to_dict();
    assert_eq!(
        d.get("n").unwrap().get("name"),
        Some(&Value::str("sum")),
        "custom entries carry their name"
    );
}

/// wire-spec/table.md §8, deviations 1 and 5.
#[test]
fn documented_deviations() {
    // 1. The reference's str()-based dedup loses the "1" row; ours keeps both.
    let a = t(&["id", "v"], vec![vec![i(1), s("x")]]);
    let b = t(&["id", "v"], vec![vec![s("1"), s("x")]]);
    assert_eq!(
        merge(&a, &b, &MergeOptions::keyed(["id"]))
            .unwrap()
            .rows
            .len(),
        2
    );
    let a = t(&["a"], vec![vec![s("1|b=2")]]);
    let b = t(&["a", "b"], vec![vec![s("1"), s("2")]]);
    assert_eq!(
        merge(&a, &b, &MergeOptions::default()).unwrap().rows.len(),
        2
    );
    // 5. The default's parameters are written and read back.
    let schema = MergeSchema::new(Strategy::UnionSet {
        delimiter: ";".into(),
    });
    let back = MergeSchema::from_json(&schema.to_json()).unwrap();
    assert_eq!(
        back.default,
        Strategy::UnionSet {
            delimiter: ";".into()
        }
    );
    let p = MergeSchema::from_json(r#"{"__default__": {"strategy": "Priority"}}"#).unwrap();
    assert_eq!(p.default, Strategy::Priority { order: vec![] });
}

#[test]
fn options_and_rows_from_values() {
    use crdt_merge_core::json::parse;
    use crdt_merge_core::table::{MergeOptions, Prefer, Table, TableError};
    let o = MergeOptions::from_value(
        &parse(r#"{"key": ["id", "r"], "prefer": "b", "timestampCol": "ts", "fuzzy_threshold": 0.5, "schema": {"x": {"strategy": "MaxWins"}}}"#).unwrap(),
    )
    .unwrap();
    assert_eq!(o.key, ["id", "r"]);
    assert_eq!(o.prefer, Prefer::B);
    assert_eq!(o.timestamp_col.as_deref(), Some("ts"));
    assert_eq!(o.fuzzy_threshold, 0.5);
    assert!(o.schema.is_some());
    for (bad, what) in [
        (r#"{"colour": 1}"#, "colour"),
        (r#"{"dedup": "yes"}"#, "dedup"),
        (r#"{"fuzzy_threshold": 2}"#, "threshold"),
        (r#"{"prefer": "x"}"#, "x"),
        (r#"{"schema": {"x": {"strategy": "Bogus"}}}"#, "Bogus"),
    ] {
        let e = MergeOptions::from_value(&parse(bad).unwrap()).unwrap_err();
        assert!(e.to_string().contains(what), "{bad}: {e}");
    }
    let t = Table::from_record_list(&parse(r#"[{"id": 1}, {"id": 2, "x": null}]"#).unwrap(), "a")
        .unwrap();
    assert_eq!(t.columns, ["id", "x"]);
    assert!(
        matches!(Table::from_record_list(&parse("[1]").unwrap(), "a"), Err(TableError::BadRows(m)) if m.contains("a[0]"))
    );
    assert!(Table::from_record_list(&parse("{}").unwrap(), "b").is_err());
}

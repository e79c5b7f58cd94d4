//! merge_with_provenance: same table as merge, every conflict logged, exports.

use crdt_merge_core::table::{
    merge, merge_with_provenance, MergeOptions, MergeSchema, Strategy, Table, Winner,
};
use crdt_merge_core::{json, Value};

fn rows(text: &str) -> Table {
    let v = json::parse(text).unwrap();
    Table::from_dict_rows(v.as_list().unwrap())
}

#[test]
fn conflicts_are_logged_and_no_column_is_dropped() {
    let a = rows(
        r#"[{"id": 1, "name": "x", "score": 3}, {"id": 2, "name": "b"}, {"id": null, "q": 1}]"#,
    );
    let b = rows(
        r#"[{"id": 2, "name": "c", "late": true}, {"id": 1, "name": "y", "score": 9, "tags": "p,q"}]"#,
    );
    let mut o = MergeOptions::keyed(["id"]);
    o.schema = Some(
        MergeSchema::new(Strategy::Lww)
            .with("score", Strategy::MaxWins)
            .with("tags", Strategy::union_set()),
    );
    let (t, log) = merge_with_provenance(&a, &b, &o).unwrap();
    assert_eq!(t, merge(&a, &b, &o).unwrap());
    assert_eq!(t.columns, vec!["id", "name", "score", "q", "late", "tags"]);
    assert_eq!(
        (
            log.merged_rows,
            log.unique_a_rows,
            log.unique_b_rows,
            log.null_key_rows
        ),
        (2, 0, 0, 1)
    );
    assert_eq!(log.total_conflicts(), 3);
    let score = log.conflicts.iter().find(|c| c.field == "score").unwrap();
    assert_eq!(
        (score.key.clone(), score.winner.clone(), score.source),
        (Value::Int(1), Value::Int(9), Winner::B)
    );
    assert_eq!(score.strategy, "MaxWins");
    let csv = log.to_csv().unwrap();
    assert!(csv.starts_with("key,field,value_a,value_b,winner,source,strategy\n"));
    assert!(
        csv.contains("1,name,\"\"\"x\"\"\",\"\"\"y\"\"\",\"\"\"y\"\"\",b,LWW\n"),
        "{csv}"
    );
    let j = json::parse(&log.to_json().unwrap()).unwrap();
    assert_eq!(j.get("total_conflicts"), Some(&Value::Int(3)));
    let s = log.summary();
    assert!(
        s.contains("Total conflicts: 3") && s.contains("'score': 9"),
        "{s}"
    );
}

#[test]
fn composite_keys_and_dedup_counts() {
    let a = rows(r#"[{"k1": 1, "k2": "a", "v": 1}, {"k1": null, "k2": "a", "v": 5}]"#);
    let b = rows(r#"[{"k1": 1, "k2": "a", "v": 2}, {"k1": null, "k2": "a", "v": 5}]"#);
    let (t, log) = merge_with_provenance(&a, &b, &MergeOptions::keyed(["k1", "k2"])).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(log.removed_duplicates, 1);
    assert_eq!(
        log.conflicts[0].key,
        Value::List(vec![Value::Int(1), Value::str("a")])
    );
    assert_eq!(log.conflicts[0].strategy, "latest");
}

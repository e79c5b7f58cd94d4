//! JSON merges: nulls keep the other side, null-key records kept, bad lines typed.

use crdt_merge_core::table::{merge_dicts, merge_json_lines, merge_json_lines_text, TableError};
use crdt_merge_core::{json, Value};

fn j(s: &str) -> Value {
    json::parse(s).unwrap()
}

#[test]
fn none_in_b_keeps_a_and_nested_dicts_merge() {
    let a = j(r#"{"x": 1, "n": {"p": 1, "q": [1, 2]}, "s": "a"}"#);
    let b = j(r#"{"x": null, "n": {"p": 2, "q": [2, 3]}, "s": "b", "t": true}"#);
    let ts_a = j(r#"{"s": 5}"#);
    let got = merge_dicts(&a, &b, Some(&ts_a), None);
    assert_eq!(
        got,
        j(r#"{"x": 1, "n": {"p": 2, "q": [1, 2, 3]}, "s": "a", "t": true}"#)
    );
}

#[test]
fn json_lines_keep_records_without_key() {
    let a = [j(r#"{"id": 1, "v": 1}"#), j(r#"{"v": 9}"#)];
    let b = [j(r#"{"id": 1.0, "w": 2}"#), j(r#"{"id": null, "v": 8}"#)];
    let got = merge_json_lines(&a, &b, Some("id")).unwrap();
    assert_eq!(
        got,
        vec![
            j(r#"{"id": 1, "v": 1, "w": 2}"#),
            j(r#"{"v": 9}"#),
            j(r#"{"id": null, "v": 8}"#)
        ]
    );
}

#[test]
fn bad_lines_are_typed_errors() {
    let e = merge_json_lines_text("{\"id\": 1}\n[1]\n", "", Some("id")).unwrap_err();
    assert!(matches!(e, TableError::BadLine { line: 2, .. }), "{e}");
    let e = merge_json_lines_text("{\"id\": 1}\n{\"id\": \n", "", Some("id")).unwrap_err();
    assert!(matches!(e, TableError::BadLine { line: 2, .. }), "{e}");
    let e = merge_json_lines_text("{\"id\": [1]}\n", "", Some("id")).unwrap_err();
    assert!(matches!(e, TableError::UnhashableKey { .. }), "{e}");
    let out =
        merge_json_lines_text("{\"id\": 1, \"v\": 1}\n\n", "{\"id\": 2}\n", Some("id")).unwrap();
    assert_eq!(out, "{\"id\": 1, \"v\": 1}\n{\"id\": 2}\n");
}

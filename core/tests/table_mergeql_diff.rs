//! MergeQL against the reference: every case of
//! `fixtures/table_mergeql_cases.json` (written by `table_mergeql_gen.py`
//! from crdt-merge 0.8.3) runs through our parser and executor; rows (in
//! order, each compared as a dict), conflict counts, provenance entries (as
//! a multiset: the reference logs a row's conflicts in set order), plans,
//! and the kind of each rejection must match.

use crdt_merge_core::json;
use crdt_merge_core::table::mergeql::{MergeQl, MergeqlError};
use crdt_merge_core::table::Table;
use crdt_merge_core::traits::WireType;
use crdt_merge_core::value::Value;

fn fixture() -> Value {
    let text = include_str!("fixtures/table_mergeql_cases.json");
    json::parse(text).expect("fixture parses")
}

fn sorted_list(items: &[Value]) -> Vec<Value> {
    let mut v: Vec<Value> = items.iter().map(Value::sorted).collect();
    v.sort();
    v
}

#[test]
fn every_case_matches_the_reference() {
    let fx = fixture();
    let cases = fx.get("cases").and_then(Value::as_list).expect("cases");
    assert!(cases.len() >= 200);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let query = case.get("query").and_then(Value::as_str).unwrap();
        let mut ql = MergeQl::new();
        for (name, rows) in case.get("sources").and_then(Value::as_map).unwrap() {
            let rows = rows.as_list().unwrap();
            ql.register(name.as_str().unwrap(), Table::from_dict_rows(rows));
        }
        let expect = case.get("expect").unwrap();
        let got = ql.execute(query);
        if let Some(kind) = expect.get("error").and_then(Value::as_str) {
            let ok = matches!(
                (&got, kind),
                (Err(MergeqlError::Syntax { .. }), "syntax")
                    | (Err(MergeqlError::Validation { .. }), "validation")
            );
            if !ok {
                failures.push(format!(
                    "case {i} {query:?}: want {kind} error, got {got:?}"
                ));
            }
            continue;
        }
        let out = match got {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("case {i} {query:?}: unexpected error {e}"));
                continue;
            }
        };
        let data: Vec<Value> = out.table.to_dict_rows().iter().map(Value::sorted).collect();
        let want: Vec<Value> = expect
            .get("data")
            .and_then(Value::as_list)
            .unwrap()
            .iter()
            .map(Value::sorted)
            .collect();
        if data != want {
            failures.push(format!(
                "case {i} {query:?}: rows\n got {data:?}\nwant {want:?}"
            ));
            continue;
        }
        if Some(out.conflicts) != expect.get("conflicts").and_then(Value::as_int) {
            failures.push(format!("case {i} {query:?}: conflicts {}", out.conflicts));
        }
        if Some(out.sources_merged) != expect.get("sources_merged").and_then(Value::as_int) {
            failures.push(format!("case {i} {query:?}: sources_merged"));
        }
        let prov_want = expect.get("provenance").unwrap();
        let explain = query
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("EXPLAIN");
        match (prov_want, &out.provenance) {
            (Value::List(w), Some(g)) if sorted_list(w) == sorted_list(g) => {}
            (Value::None, None) if explain => {}
            (w, g) => failures.push(format!(
                "case {i} {query:?}: provenance\n got {g:?}\nwant {w:?}"
            )),
        }
        // the plan, field by field, as the record type writes it
        let plan = out.plan.to_value().sorted();
        let want_plan = expect.get("plan").unwrap();
        for (k, v) in want_plan.as_map().unwrap() {
            let k = k.as_str().unwrap();
            if plan.get(k).map(Value::sorted) != Some(v.sorted()) {
                failures.push(format!(
                    "case {i} {query:?}: plan.{k} got {:?} want {v:?}",
                    plan.get(k)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

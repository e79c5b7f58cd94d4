//! Differential tests against the reference (crdt-merge 0.8.3): the fixture
//! `fixtures/table_cases.json` is written by `table_gen.py` from the
//! reference's own outputs (merges, strategy resolutions, timestamp parsing,
//! inputs on which it raises). Row order is compared exactly: the
//! reference's order (A's keys, B's new keys, null-key rows) is meaningful.

use crdt_merge_core::table::merge_with_provenance;
use crdt_merge_core::table::pycmp::parse_timestamp;
use crdt_merge_core::table::{
    merge, MergeOptions, MergeSchema, Prefer, Strategy, Table, TableError,
};
use crdt_merge_core::{json, Value};

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/table_cases.json"
    ))
    .unwrap();
    json::parse(&text).unwrap()
}

fn list(v: &Value) -> &[Value] {
    v.as_list().unwrap_or_else(|| panic!("not a list: {v:?}"))
}

fn strs(v: &Value) -> Vec<String> {
    list(v)
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn options(c: &Value) -> MergeOptions {
    MergeOptions {
        key: strs(c.get("key").unwrap()),
        prefer: c.get("prefer").map_or(Prefer::Latest, |p| {
            Prefer::parse(p.as_str().unwrap()).unwrap()
        }),
        timestamp_col: c
            .get("timestamp_col")
            .and_then(|t| t.as_str())
            .map(String::from),
        schema: match c.get("schema") {
            None | Some(Value::None) => None,
            Some(s) => Some(MergeSchema::from_dict(s).unwrap()),
        },
        dedup: c
            .get("dedup")
            .is_some_and(|d| matches!(d, Value::Bool(true))),
        fuzzy_dedup: c
            .get("fuzzy_dedup")
            .is_some_and(|d| matches!(d, Value::Bool(true))),
        fuzzy_threshold: c
            .get("fuzzy_threshold")
            .and_then(Value::as_f64)
            .unwrap_or(0.85),
        fuzzy: None,
    }
}

fn run(c: &Value) -> Result<Vec<Value>, TableError> {
    let a = Table::from_dict_rows(list(c.get("a").unwrap()));
    let b = Table::from_dict_rows(list(c.get("b").unwrap()));
    let o = options(c);
    let out = merge(&a, &b, &o);
    // merge_with_provenance gives the very same table.
    if let Ok(t) = &out {
        assert_eq!(&merge_with_provenance(&a, &b, &o).unwrap().0, t);
    }
    out.map(|t| t.to_dict_rows())
}

#[test]
fn merges_match_reference() {
    let f = fixture();
    let cases = list(f.get("merge").unwrap());
    assert!(cases.len() >= 500);
    let mut failures = Vec::new();
    for c in cases {
        let name = c.get("name").unwrap().as_str().unwrap();
        match (run(c), c.get("expected")) {
            (Ok(got), Some(exp)) => {
                if got.as_slice() != list(exp) {
                    failures.push(format!("{name}:\n  got {got:?}\n  exp {exp:?}"));
                }
            }
            (Err(e), Some(_)) => failures.push(format!("{name}: unexpected error {e}")),
            (r, None) => failures.push(format!("{name}: reference raised, we gave {r:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

#[test]
fn strategies_match_reference() {
    let f = fixture();
    let mut failures = Vec::new();
    for c in list(f.get("strategies").unwrap()) {
        let s = Strategy::from_dict("x", c.get("strategy").unwrap(), None).unwrap();
        let (a, b) = (c.get("a").unwrap().clone(), c.get("b").unwrap().clone());
        let ts_a = c.get("ts_a").unwrap().as_f64().unwrap();
        let ts_b = c.get("ts_b").unwrap().as_f64().unwrap();
        let got = s.resolve(a.clone(), b.clone(), ts_a, ts_b);
        let exp = c.get("expected").unwrap();
        if &got != exp {
            failures.push(format!(
                "{s:?}({a:?}, {b:?}, {ts_a}, {ts_b}) = {got:?}, reference {exp:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn timestamps_parse_like_reference() {
    let f = fixture();
    for c in list(f.get("timestamps").unwrap()) {
        let input = c.get("input").unwrap();
        let exp = c.get("expected").unwrap().as_f64().unwrap();
        let got = parse_timestamp(Some(input));
        assert!(
            got == exp || (got.is_nan() && exp.is_nan()),
            "{input:?}: {got} vs reference {exp}"
        );
    }
}

#[test]
fn reference_errors_are_typed_errors() {
    let f = fixture();
    for c in list(f.get("errors").unwrap()) {
        let name = c.get("name").unwrap().as_str().unwrap();
        let mut c2 = c.clone();
        if let Value::Map(m) = &mut c2 {
            m.push((Value::str("dedup"), Value::Bool(false)));
        }
        let got = run(&c2);
        match c.get("error").and_then(Value::as_str) {
            Some("KeyError") => {
                assert!(
                    matches!(got, Err(TableError::MissingKeyColumn { .. })),
                    "{name}: {got:?}"
                )
            }
            Some("TypeError") => {
                assert!(
                    matches!(got, Err(TableError::UnhashableKey { .. })),
                    "{name}: {got:?}"
                )
            }
            Some(other) => panic!("{name}: unexpected reference error {other}"),
            None => assert_eq!(
                got.unwrap().as_slice(),
                list(c.get("expected").unwrap()),
                "{name}"
            ),
        }
    }
}

#[test]
fn json_merges_match_reference() {
    use crdt_merge_core::table::{merge_dicts, merge_json_lines};
    let f = fixture();
    let cases = list(f.get("json").unwrap());
    assert!(cases.len() >= 300);
    for (i, c) in cases.iter().enumerate() {
        let (a, b) = (c.get("a").unwrap(), c.get("b").unwrap());
        let exp = c.get("expected").unwrap();
        let opt = |k: &str| match c.get(k) {
            None | Some(Value::None) => None,
            Some(v) => Some(v),
        };
        if c.get("kind").unwrap().as_str() == Some("dicts") {
            let got = merge_dicts(a, b, opt("ts_a"), opt("ts_b"));
            assert_eq!(&got, exp, "case {i}: {a:?} + {b:?}");
        } else {
            let key = opt("key").and_then(Value::as_str);
            let got = merge_json_lines(list(a), list(b), key).unwrap();
            assert_eq!(
                got.as_slice(),
                list(exp),
                "case {i}: {a:?} + {b:?} by {key:?}"
            );
        }
    }
}

//! Merge laws of the keyed record merge on random tables (state = a table
//! with unique keys, plus null-key rows). Compared as row sets with absent
//! cells and nulls dropped (the merge writes every column of a matched row,
//! an unmatched row keeps its absent cells; output order follows the inputs).
//!
//! Lawful combinations, each tested here (wire-spec/table.md lists them):
//! - no schema, no timestamp, `prefer = latest`: per cell, null < any value,
//!   else the larger `str(value)` — nulls and absent cells allowed;
//! - LWW on an integer timestamp column: rows without nulls;
//! - a schema with LWW, MaxWins / MinWins (one value type per column),
//!   UnionSet, Concat with dedup, Priority, LongestWins, no timestamp.
//!
//! Values are drawn so that Python `==` agrees with typed equality and `str()`
//! is injective (ints and letter strings), as the laws need.

use std::collections::BTreeMap;

use crdt_merge_core::table::{merge, MergeOptions, MergeSchema, Prefer, Strategy as Strat, Table};
use crdt_merge_core::Value;
use proptest::prelude::*;

const COLS: [&str; 4] = ["c0", "c1", "c2", "c3"];

/// A state: unique int keys 0..8, a few null-key rows, cells from `cell`.
fn state(cell: BoxedStrategy<Option<Value>>, with_null_keys: bool) -> impl Strategy<Value = Table> {
    let row = proptest::collection::vec(cell, COLS.len());
    let keyed = proptest::collection::btree_map(0i64..8, row.clone(), 0..6);
    let nulls = proptest::collection::vec(row, if with_null_keys { 0..2 } else { 0..1 });
    (keyed, nulls).prop_map(|(keyed, nulls)| {
        let mut columns = vec!["id".to_string()];
        columns.extend(COLS.iter().map(|c| c.to_string()));
        let mut rows: Vec<Vec<Option<Value>>> = keyed
            .into_iter()
            .map(|(k, cells)| std::iter::once(Some(Value::Int(k))).chain(cells).collect())
            .collect();
        rows.extend(
            nulls
                .into_iter()
                .map(|cells| std::iter::once(Some(Value::None)).chain(cells).collect()),
        );
        Table { columns, rows }
    })
}

fn word() -> BoxedStrategy<Value> {
    prop_oneof![
        prop::sample::select(vec!["a", "b", "ab", "ba", "abc", "draft", "done", "zz"])
            .prop_map(Value::str),
        prop::sample::select(vec!["a,b", "b,c", "c", "a | b", "b | c"]).prop_map(Value::str),
    ]
    .boxed()
}

fn any_cell() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::None)),
        3 => (0i64..20).prop_map(|i| Some(Value::Int(i))),
        3 => word().prop_map(Some),
    ]
    .boxed()
}

fn present_cell() -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        (0i64..20).prop_map(|i| Some(Value::Int(i))),
        word().prop_map(Some)
    ]
    .boxed()
}

/// Order-free canonical form: rows as sorted (column, value) lists without nulls.
fn canon(t: &Table) -> Vec<Vec<(String, Value)>> {
    let mut rows: Vec<Vec<(String, Value)>> = t
        .rows
        .iter()
        .map(|r| {
            let m: BTreeMap<String, Value> = t
                .columns
                .iter()
                .zip(r)
                .filter_map(|(c, v)| match v {
                    None | Some(Value::None) => None,
                    Some(v) => Some((c.clone(), v.clone())),
                })
                .collect();
            m.into_iter().collect()
        })
        .collect();
    rows.sort();
    rows.dedup();
    rows
}

fn check_laws(a: &Table, b: &Table, c: &Table, o: &MergeOptions) -> Result<(), TestCaseError> {
    let m = |x: &Table, y: &Table| merge(x, y, o).unwrap();
    prop_assert_eq!(canon(&m(a, b)), canon(&m(b, a)), "commutativity");
    prop_assert_eq!(
        canon(&m(&m(a, b), c)),
        canon(&m(a, &m(b, c))),
        "associativity"
    );
    prop_assert_eq!(canon(&m(a, a)), canon(a), "idempotency");
    Ok(())
}

fn int_cell() -> BoxedStrategy<Option<Value>> {
    prop_oneof![1 => Just(Some(Value::None)), 4 => (0i64..20).prop_map(|i| Some(Value::Int(i)))]
        .boxed()
}

/// Cells for a column whose strategy is `s`.
fn cell_for(s: &Strat) -> BoxedStrategy<Option<Value>> {
    match s {
        Strat::MaxWins | Strat::MinWins => int_cell(),
        _ => prop_oneof![1 => Just(Some(Value::None)), 4 => word().prop_map(Some)].boxed(),
    }
}

fn lawful_strategy() -> impl Strategy<Value = Strat> {
    prop_oneof![
        Just(Strat::Lww),
        Just(Strat::MaxWins),
        Just(Strat::MinWins),
        Just(Strat::union_set()),
        Just(Strat::concat()),
        Just(Strat::Concat {
            delimiter: ",".into(),
            dedup: true
        }),
        Just(Strat::Priority {
            order: vec!["zz".into(), "draft".into(), "done".into()]
        }),
        Just(Strat::LongestWins),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn latest_without_timestamp_is_lawful(
        a in state(any_cell(), true), b in state(any_cell(), true), c in state(any_cell(), true)
    ) {
        let mut o = MergeOptions::keyed(["id"]);
        o.prefer = Prefer::Latest;
        check_laws(&a, &b, &c, &o)?;
    }

    #[test]
    fn lww_on_timestamps_without_nulls_is_lawful(
        a in state(present_cell(), false), b in state(present_cell(), false), c in state(present_cell(), false)
    ) {
        // c0 is the timestamp column: make it an int in every row.
        let fix = |mut t: Table| {
            for r in &mut t.rows {
                let v = match &r[1] { Some(Value::Int(i)) => *i, _ => 0 };
                r[1] = Some(Value::Int(v % 4));
            }
            t
        };
        let (a, b, c) = (fix(a), fix(b), fix(c));
        let mut o = MergeOptions::keyed(["id"]);
        o.timestamp_col = Some("c0".into());
        check_laws(&a, &b, &c, &o)?;
    }

    #[test]
    fn every_lawful_strategy_is_lawful(
        strategies in proptest::collection::vec(lawful_strategy(), COLS.len()),
        seed in any::<u64>(),
    ) {
        let mut schema = MergeSchema::new(Strat::Lww);
        for (c, s) in COLS.iter().zip(&strategies) {
            schema.set_strategy(*c, s.clone());
        }
        let mut o = MergeOptions::keyed(["id"]);
        o.schema = Some(schema);
        // Three states whose columns use the domain of their strategy.
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha,
                &{
                    let mut s = [0u8; 32];
                    s[..8].copy_from_slice(&seed.to_le_bytes());
                    s
                },
            ),
        );
        let cells: Vec<BoxedStrategy<Option<Value>>> = strategies.iter().map(cell_for).collect();
        let gen = || {
            let row = cells.clone();
            proptest::collection::btree_map(0i64..6, row, 0..5).prop_map(|keyed| {
                let mut columns = vec!["id".to_string()];
                columns.extend(COLS.iter().map(|c| c.to_string()));
                Table {
                    columns,
                    rows: keyed
                        .into_iter()
                        .map(|(k, cells)| std::iter::once(Some(Value::Int(k))).chain(cells).collect())
                        .collect(),
                }
            })
        };
        use proptest::strategy::ValueTree;
        let a = gen().new_tree(&mut runner).unwrap().current();
        let b = gen().new_tree(&mut runner).unwrap().current();
        let c = gen().new_tree(&mut runner).unwrap().current();
        check_laws(&a, &b, &c, &o)?;
    }

    #[test]
    fn prefer_a_is_not_commutative_but_associative_and_idempotent(
        a in state(present_cell(), false), b in state(present_cell(), false), c in state(present_cell(), false)
    ) {
        let mut o = MergeOptions::keyed(["id"]);
        o.prefer = Prefer::A;
        let m = |x: &Table, y: &Table| merge(x, y, &o).unwrap();
        prop_assert_eq!(canon(&m(&m(&a, &b), &c)), canon(&m(&a, &m(&b, &c))));
        prop_assert_eq!(canon(&m(&a, &a)), canon(&a));
    }
}

#[test]
fn prefer_a_breaks_commutativity() {
    let t = |v: &str| Table {
        columns: vec!["id".into(), "v".into()],
        rows: vec![vec![Some(Value::Int(1)), Some(Value::str(v))]],
    };
    let mut o = MergeOptions::keyed(["id"]);
    o.prefer = Prefer::A;
    assert_ne!(
        merge(&t("x"), &t("y"), &o).unwrap(),
        merge(&t("y"), &t("x"), &o).unwrap()
    );
}

#[test]
fn concat_without_dedup_breaks_associativity() {
    let s = Strat::Concat {
        delimiter: " | ".into(),
        dedup: false,
    };
    let (a, b, c) = (Value::str("x"), Value::str("y"), Value::str("x | y"));
    let r = |p: Value, q: Value| if p == q { p } else { s.resolve(p, q, 0.0, 0.0) };
    let left = r(r(a.clone(), b.clone()), c.clone());
    let right = r(a, r(b, c));
    assert_ne!(left, right);
}

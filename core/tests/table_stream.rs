//! Streaming merges: same rows as `merge` (without dedup), any batch split;
//! sort-order checks; stats with a caller's clock.

use std::cell::Cell as StdCell;

use crdt_merge_core::table::{
    merge, merge_sorted_stream, merge_stream, MergeOptions, MergeSchema, Strategy, Table,
    TableError,
};
use crdt_merge_core::Value;
use proptest::prelude::*;

fn split(t: &Table, sizes: &[usize]) -> Vec<Table> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < t.rows.len() {
        let n = sizes.get(i).copied().unwrap_or(3).max(1);
        let end = (pos + n).min(t.rows.len());
        out.push(Table {
            columns: t.columns.clone(),
            rows: t.rows[pos..end].to_vec(),
        });
        pos = end;
        i += 1;
    }
    out
}

fn canon(ts: &[Table]) -> Vec<Value> {
    let mut v: Vec<Value> = ts
        .iter()
        .flat_map(|t| t.to_dict_rows())
        .map(|r| match r {
            // absent and null are the same for this comparison
            Value::Map(m) => Value::Map(
                m.into_iter()
                    .filter(|(_, v)| !matches!(v, Value::None))
                    .collect(),
            )
            .sorted(),
            other => other,
        })
        .collect();
    v.sort();
    v
}

fn table(cols: &[&str], keys: &[i64], vals: &[Option<i64>], salt: i64) -> Table {
    Table {
        columns: cols.iter().map(|c| c.to_string()).collect(),
        rows: keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let mut r = vec![Some(Value::Int(*k))];
                for c in 1..cols.len() {
                    r.push(
                        vals.get((i + c) % vals.len().max(1))
                            .copied()
                            .flatten()
                            .map(|v| Value::Int(v + salt)),
                    );
                }
                r
            })
            .collect(),
    }
}

fn opts() -> MergeOptions {
    let mut o = MergeOptions::keyed(["id"]);
    o.dedup = false;
    o
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn hash_stream_gives_merge_rows(
        ka in proptest::collection::btree_set(0i64..30, 0..20),
        kb in proptest::collection::btree_set(0i64..30, 0..20),
        vals in proptest::collection::vec(proptest::option::of(0i64..5), 1..8),
        sizes in proptest::collection::vec(1usize..6, 0..10),
        batch in 1usize..7,
        shuffle in any::<u64>(),
    ) {
        let mut ka: Vec<i64> = ka.into_iter().collect();
        let n = ka.len().max(1);
        ka.rotate_left((shuffle as usize) % n);
        let kb: Vec<i64> = kb.into_iter().rev().collect();
        let a = table(&["id", "x", "y"], &ka, &vals, 0);
        let b = table(&["id", "y", "z"], &kb, &vals, 1);
        let o = opts();
        let whole = merge(&a, &b, &o).unwrap();
        let out: Vec<Table> = merge_stream(split(&a, &sizes), b.clone(), &o, batch)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(canon(&out), canon(&[whole]));
    }

    #[test]
    fn sorted_stream_gives_merge_rows_in_key_order(
        ka in proptest::collection::btree_set(0i64..30, 0..20),
        kb in proptest::collection::btree_set(0i64..30, 0..20),
        vals in proptest::collection::vec(proptest::option::of(0i64..5), 1..8),
        sa in proptest::collection::vec(1usize..6, 0..10),
        sb in proptest::collection::vec(1usize..6, 0..10),
        batch in 1usize..7,
    ) {
        let ka: Vec<i64> = ka.into_iter().collect();
        let kb: Vec<i64> = kb.into_iter().collect();
        let a = table(&["id", "x", "y"], &ka, &vals, 0);
        let b = table(&["id", "y", "z"], &kb, &vals, 1);
        let o = opts();
        let whole = merge(&a, &b, &o).unwrap();
        let mut s = merge_sorted_stream(split(&a, &sa), split(&b, &sb), &o, batch).unwrap();
        let out: Vec<Table> = s.by_ref().collect::<Result<_, _>>().unwrap();
        prop_assert!(out.iter().all(|t| t.rows.len() <= batch && !t.rows.is_empty()));
        let keys: Vec<i64> = out.iter().flat_map(|t| t.rows.iter().map(|r| r[0].as_ref().unwrap().as_int().unwrap())).collect();
        prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(canon(&out), canon(&[whole]));
        let st = s.stats();
        prop_assert_eq!(st.rows_processed, keys.len());
        prop_assert_eq!(st.rows_merged + st.rows_unique_a + st.rows_unique_b, keys.len());
    }
}

#[test]
fn unsorted_input_is_an_error() {
    let a = table(&["id", "v"], &[1, 3, 2], &[Some(1)], 0);
    let b = table(&["id", "v"], &[1, 2], &[Some(1)], 0);
    let r: Result<Vec<Table>, _> = merge_sorted_stream(vec![a], vec![b], &opts(), 10)
        .unwrap()
        .collect();
    assert!(
        matches!(
            r,
            Err(TableError::Unsorted {
                side: "a",
                row: 2,
                ..
            })
        ),
        "{r:?}"
    );
}

#[test]
fn incomparable_and_null_keys_are_errors() {
    let mut a = table(&["id", "v"], &[1, 2], &[Some(1)], 0);
    a.rows[1][0] = Some(Value::str("x"));
    let b = table(&["id", "v"], &[5], &[Some(1)], 0);
    let r: Result<Vec<Table>, _> =
        merge_sorted_stream(vec![a.clone()], vec![b.clone()], &opts(), 10)
            .unwrap()
            .collect();
    assert!(
        matches!(r, Err(TableError::IncomparableKeys { .. })),
        "{r:?}"
    );
    a.rows[1][0] = Some(Value::None);
    let r: Result<Vec<Table>, _> = merge_sorted_stream(vec![a], vec![b.clone()], &opts(), 10)
        .unwrap()
        .collect();
    assert!(
        matches!(r, Err(TableError::NullKey { side: "a", row: 1 })),
        "{r:?}"
    );
    assert!(matches!(
        merge_stream(Vec::<Table>::new(), b, &opts(), 0),
        Err(TableError::ZeroBatchSize)
    ));
}

#[test]
fn batches_may_bring_new_columns() {
    let a1 = table(&["id", "v"], &[1, 2], &[Some(1)], 0);
    let a2 = table(&["id", "w"], &[3], &[Some(7)], 0);
    let b = table(&["id", "v"], &[2, 3], &[Some(4)], 0);
    let out: Vec<Table> = merge_sorted_stream(vec![a1, a2], vec![b], &opts(), 10)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].columns, vec!["id", "v", "w"]);
    assert_eq!(
        out[1].rows,
        vec![vec![
            Some(Value::Int(3)),
            Some(Value::Int(4)),
            Some(Value::Int(7))
        ]]
    );
}

#[test]
fn stats_use_the_callers_clock() {
    let t = StdCell::new(0.0);
    let a = table(&["id", "v"], &(0..10).collect::<Vec<_>>(), &[Some(1)], 0);
    let b = table(&["id", "v"], &(5..15).collect::<Vec<_>>(), &[Some(2)], 0);
    let o = opts();
    let mut s = merge_stream(split(&a, &[4]), b, &o, 4)
        .unwrap()
        .with_clock(|| {
            t.set(t.get() + 0.5);
            t.get()
        });
    let n: usize = s.by_ref().map(|b| b.unwrap().rows.len()).sum();
    assert_eq!(n, 15);
    let st = s.stats().clone();
    assert_eq!(
        (st.rows_merged, st.rows_unique_a, st.rows_unique_b),
        (5, 5, 5)
    );
    assert_eq!(st.batches, 5); // 4+4+2 from A, then 4+1 from B
    assert!(st.elapsed_secs > 0.0 && st.rows_per_sec() > 0.0);
}

/// Rows keyed on `(k1, k2)` with string, int and timestamp cells.
fn two_key_table(keys: &[(i64, String)], vals: &[i64], salt: i64) -> Table {
    Table {
        columns: ["k1", "k2", "n", "s", "ts"]
            .iter()
            .map(|c| c.to_string())
            .collect(),
        rows: keys
            .iter()
            .enumerate()
            .map(|(i, (k1, k2))| {
                let v = vals[(i + salt as usize) % vals.len()];
                vec![
                    Some(Value::Int(*k1)),
                    Some(Value::str(k2)),
                    Some(Value::Int(v + salt)),
                    Some(Value::str(format!("s{}", v * (salt + 1)))),
                    Some(Value::Int(v % 3)),
                ]
            })
            .collect(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Composite keys (compared as lists) and a schema of mixed strategies:
    /// the sorted stream gives `merge`'s rows, in key order.
    #[test]
    fn sorted_stream_with_composite_key_and_schema_gives_merge_rows(
        ka in proptest::collection::btree_set((0i64..4, "[a-c]{0,2}"), 0..15),
        kb in proptest::collection::btree_set((0i64..4, "[a-c]{0,2}"), 0..15),
        vals in proptest::collection::vec(0i64..6, 1..6),
        sa in proptest::collection::vec(1usize..6, 0..6),
        sb in proptest::collection::vec(1usize..6, 0..6),
        batch in 1usize..7,
    ) {
        let ka: Vec<(i64, String)> = ka.into_iter().collect();
        let kb: Vec<(i64, String)> = kb.into_iter().collect();
        let a = two_key_table(&ka, &vals, 0);
        let b = two_key_table(&kb, &vals, 1);
        let mut o = MergeOptions::keyed(["k1", "k2"]);
        o.dedup = false;
        o.timestamp_col = Some("ts".into());
        o.schema = Some(
            MergeSchema::new(Strategy::Lww)
                .with("n", Strategy::MaxWins)
                .with("s", Strategy::LongestWins),
        );
        let whole = merge(&a, &b, &o).unwrap();
        let out: Vec<Table> = merge_sorted_stream(split(&a, &sa), split(&b, &sb), &o, batch)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let keys: Vec<(i64, String)> = out
            .iter()
            .flat_map(|t| t.rows.iter())
            .map(|r| {
                let k1 = r[0].as_ref().and_then(Value::as_int).unwrap();
                let k2 = r[1].as_ref().and_then(Value::as_str).unwrap().to_string();
                (k1, k2)
            })
            .collect();
        prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(canon(&out), canon(&[whole]));
    }
}

#[test]
fn unsorted_rows_after_the_other_side_ends_are_an_error() {
    let a = table(&["id", "v"], &[1], &[Some(1)], 0);
    let b = table(&["id", "v"], &[2, 5, 4], &[Some(1)], 0);
    let r: Result<Vec<Table>, _> = merge_sorted_stream(vec![a], split(&b, &[1]), &opts(), 2)
        .unwrap()
        .collect();
    assert!(
        matches!(
            r,
            Err(TableError::Unsorted {
                side: "b",
                row: 2,
                ..
            })
        ),
        "{r:?}"
    );
    // The same key twice in a row is sorted (the reference checks `<` only).
    let a = table(&["id", "v"], &[1, 1, 2], &[Some(1)], 0);
    let b = table(&["id", "v"], &[1], &[Some(2)], 0);
    let out: Vec<Table> = merge_sorted_stream(vec![a], vec![b], &opts(), 10)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(out.iter().map(|t| t.rows.len()).sum::<usize>(), 3);
}

/// The sorted stream pulls an input batch only when it needs its next row:
/// a full output batch is handed out before anything more is read, so at
/// most one input batch per side and one output batch are held.
#[test]
fn sorted_stream_pulls_input_batches_lazily() {
    let o = opts();
    let pulled = StdCell::new(0usize);
    let a = table(&["id", "v"], &[1, 2, 3, 4, 5, 6], &[Some(1)], 0);
    let b = table(&["id", "v"], &[2, 4], &[Some(2)], 0);
    let a_batches = split(&a, &[2, 2, 2]).into_iter().inspect(|_| {
        pulled.set(pulled.get() + 1);
    });
    let mut s = merge_sorted_stream(a_batches, vec![b], &o, 2).unwrap();
    let first = s.next().unwrap().unwrap();
    assert_eq!(first.rows.len(), 2);
    assert_eq!(pulled.get(), 1, "the second A batch is not read yet");
    let rest: Vec<Table> = s.collect::<Result<_, _>>().unwrap();
    assert_eq!(rest.iter().map(|t| t.rows.len()).sum::<usize>(), 4);
    assert_eq!(pulled.get(), 3);

    // A bad batch is an error once it is reached: the batches before it come out first.
    let good = table(&["id", "v"], &[1, 2], &[Some(1)], 0);
    let bad = Table {
        columns: vec!["id".into(), "v".into()],
        rows: vec![vec![Some(Value::Int(3))]],
    };
    let mut s = merge_sorted_stream(vec![good, bad], Vec::<Table>::new(), &o, 2).unwrap();
    assert_eq!(s.next().unwrap().unwrap().rows.len(), 2);
    assert!(matches!(s.next(), Some(Err(TableError::RaggedRow { .. }))));
    assert!(s.next().is_none());
}

/// A key repeated in A is merged with B's row once (the first time) and
/// passes through after, in every batch split: int keys (matched inside the
/// index), a float equal to an int, and strings.
#[test]
fn hash_stream_merges_a_repeated_a_key_once() {
    let o = MergeOptions::keyed(["id"]);
    let cols = || vec!["id".to_string(), "v".to_string()];
    for key in [
        Value::Int(1),
        Value::Float(1.0),
        Value::Bool(true),
        Value::str("k"),
    ] {
        let a = Table {
            columns: cols(),
            rows: (0..3)
                .map(|i| vec![Some(key.clone()), Some(Value::Int(i))])
                .collect(),
        };
        let b_key = if matches!(key, Value::Str(_)) {
            key.clone()
        } else {
            Value::Int(1)
        };
        let b = Table {
            columns: cols(),
            rows: vec![vec![Some(b_key), Some(Value::Int(9))]],
        };
        for batch in 1..=3 {
            let out: Vec<Table> = merge_stream(split(&a, &[batch; 3]), b.clone(), &o, 2)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let vs: Vec<Option<Value>> = out
                .iter()
                .flat_map(|t| t.rows.iter().map(|r| r[1].clone()))
                .collect();
            // prefer latest without timestamps: B's value wins the one merge.
            assert_eq!(
                vs,
                vec![
                    Some(Value::Int(9)),
                    Some(Value::Int(1)),
                    Some(Value::Int(2))
                ],
                "key {key:?}, batches of {batch}"
            );
        }
    }
}

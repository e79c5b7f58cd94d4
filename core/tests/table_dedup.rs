//! Dedup against the reference (fixtures from `table_extras_gen.py`): the
//! Dice similarity, exact and fuzzy `dedup_list` / `dedup_records` and the
//! `DedupIndex` answers are the reference's; LSH recall at the threshold;
//! `DedupIndex` merge laws.

use crdt_merge_core::table::dedup::LshRowDedup;
use crdt_merge_core::table::dedup::{
    dedup_list, dedup_records, dice_similarity, dice_to_jaccard, jaccard, normalize, shingles,
    DedupIndex, DedupMethod, LshParams, MinHashDedup,
};
use crdt_merge_core::table::extras_error::ExtrasError;
use crdt_merge_core::table::merge::{BigramDedup, RowDedup};
use crdt_merge_core::table::Table;
use crdt_merge_core::{Merge, Value};
use proptest::prelude::*;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/table_extras_dedup.json"
    ))
    .unwrap();
    crdt_merge_core::json::parse(&text).unwrap()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn ints(v: &Value) -> Vec<usize> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_int().unwrap() as usize)
        .collect()
}

#[test]
fn similarity_matches_reference() {
    let fx = fixture();
    for s in fx.get("similarities").unwrap().as_list().unwrap() {
        let (a, b) = (
            s.get("a").unwrap().as_str().unwrap(),
            s.get("b").unwrap().as_str().unwrap(),
        );
        let want = s.get("dice").unwrap().as_f64().unwrap();
        assert_eq!(dice_similarity(a, b), want, "{a:?} {b:?}");
    }
}

#[test]
fn dedup_list_matches_reference() {
    let fx = fixture();
    for (i, l) in fx
        .get("lists")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .enumerate()
    {
        let items = strs(l.get("items").unwrap());
        let th = l.get("threshold").unwrap().as_f64().unwrap();
        let (_, dups) = dedup_list(&items, DedupMethod::Exact, th).unwrap();
        assert_eq!(dups, ints(l.get("exact_dups").unwrap()), "list {i} exact");
        let (_, dups) = dedup_list(&items, DedupMethod::Fuzzy, th).unwrap();
        assert_eq!(dups, ints(l.get("fuzzy_dups").unwrap()), "list {i} fuzzy");
    }
}

#[test]
fn dedup_records_matches_reference() {
    let fx = fixture();
    for (i, r) in fx
        .get("records")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .enumerate()
    {
        let rows = r.get("rows").unwrap().as_list().unwrap().to_vec();
        let cols: Option<Vec<String>> = match r.get("columns").unwrap() {
            Value::None => None,
            v => Some(strs(v)),
        };
        let (kept, n) = dedup_records(&rows, cols.as_deref(), DedupMethod::Exact, 0.85).unwrap();
        assert_eq!(
            Value::List(kept),
            *r.get("exact").unwrap(),
            "records {i} exact"
        );
        assert_eq!(Value::Int(n as i64), *r.get("exact_removed").unwrap());
        let (kept, n) = dedup_records(&rows, cols.as_deref(), DedupMethod::Fuzzy, 0.8).unwrap();
        assert_eq!(
            Value::List(kept),
            *r.get("fuzzy").unwrap(),
            "records {i} fuzzy"
        );
        assert_eq!(Value::Int(n as i64), *r.get("fuzzy_removed").unwrap());
    }
}

#[test]
fn dedup_index_answers_match_reference() {
    let fx = fixture();
    let mut idx = DedupIndex::new();
    for (i, s) in fx
        .get("index_seq")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .enumerate()
    {
        let text = s.get("text").unwrap().as_str().unwrap();
        let got = match s.get("op").unwrap().as_str().unwrap() {
            "exact" => idx.add_exact(text),
            _ => idx.add_fuzzy(text, 0.85).unwrap().0,
        };
        assert_eq!(
            Value::Bool(got),
            *s.get("new").unwrap(),
            "step {i} {text:?}"
        );
    }
}

#[test]
fn bad_parameters_are_typed_errors() {
    assert!(matches!(
        DedupMethod::from_name("semantic"),
        Err(ExtrasError::UnknownName { .. })
    ));
    assert!(dedup_list(&["a"], DedupMethod::Fuzzy, f64::NAN).is_err());
    assert!(MinHashDedup::new(f64::NAN).is_err());
    assert!(dedup_records(&[Value::Int(1)], None, DedupMethod::Exact, 0.5).is_err());
}

#[test]
fn normalization_and_edge_thresholds() {
    assert_eq!(normalize("  Hello\t\nWORLD \u{1f} x"), "hello world x");
    assert_eq!(dice_similarity("", ""), 1.0);
    // Threshold 0: every text after the first is a duplicate.
    let items = ["abc", "xyz", "qqq"];
    assert_eq!(
        dedup_list(&items, DedupMethod::Fuzzy, 0.0).unwrap().1,
        vec![1, 2]
    );
    // Above 1: only normalized-equal texts are duplicates.
    let items = ["abc", "ABC ", "abcd"];
    assert_eq!(
        dedup_list(&items, DedupMethod::Fuzzy, 1.5).unwrap().1,
        vec![1]
    );
}

#[test]
fn lsh_parameters_give_recall_near_one_at_the_threshold() {
    for d in [0.5, 0.7, 0.8, 0.85, 0.9, 0.95] {
        let j = dice_to_jaccard(d);
        let p = LshParams::for_jaccard(j);
        assert!(p.num_hashes() <= LshParams::MAX_HASHES);
        assert!(
            p.candidate_probability(j) >= 1.0 - LshParams::MAX_MISS,
            "dice {d}: {p:?}"
        );
    }
}

#[test]
fn minhash_dedup_uses_jaccard() {
    let mut m = MinHashDedup::new(0.5).unwrap();
    let texts = [
        "the quick brown fox",
        "the quick brown fax",
        "lorem ipsum dolor",
    ];
    assert_eq!(m.dedup(&texts), vec![0, 2]);
    let (a, b) = (shingles(texts[0]), shingles(texts[1]));
    assert!(jaccard(&a, &b) >= 0.5);
}

/// Brute-force reference semantics (what the reference does, O(n²)).
fn brute_fuzzy(items: &[String], th: f64) -> Vec<usize> {
    let mut kept: Vec<&String> = Vec::new();
    let mut dups = Vec::new();
    for (i, t) in items.iter().enumerate() {
        let n = normalize(t);
        if kept
            .iter()
            .any(|k| normalize(k) == n || dice_similarity(t, k) >= th)
        {
            dups.push(i);
        } else {
            kept.push(t);
        }
    }
    dups
}

fn text_strategy() -> impl Strategy<Value = String> {
    "[abcd ]{0,12}"
}

fn index_strategy() -> impl Strategy<Value = DedupIndex> {
    prop::collection::vec((any::<bool>(), text_strategy()), 0..8).prop_map(|ops| {
        let mut idx = DedupIndex::new();
        for (exact, t) in ops {
            if exact {
                idx.add_exact(&t);
            } else {
                idx.add_fuzzy(&t, 0.8).unwrap();
            }
        }
        idx
    })
}

fn table_strategy() -> impl Strategy<Value = Table> {
    prop::collection::vec((0i64..5, "[abAB ]{0,8}", prop::option::of(0i64..3)), 0..25).prop_map(
        |rows| Table {
            columns: vec!["id".into(), "t".into(), "n".into()],
            rows: rows
                .into_iter()
                .map(|(k, t, n)| vec![Some(Value::Int(k)), Some(Value::Str(t)), n.map(Value::Int)])
                .collect(),
        },
    )
}

proptest! {
    #[test]
    fn lsh_row_dedup_equals_bigram_dedup(t in table_strategy(), th in prop::sample::select(vec![0.5, 0.8, 0.9, 1.0])) {
        let exclude = Some("id".to_string());
        let (mut a, mut b) = (t.clone(), t);
        BigramDedup { exclude: exclude.clone() }.dedup(&mut a, th);
        LshRowDedup { exclude }.dedup(&mut b, th);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn lsh_fuzzy_equals_brute_force(items in prop::collection::vec(text_strategy(), 0..40), th in prop::sample::select(vec![0.6, 0.75, 0.85, 0.95])) {
        let (_, dups) = dedup_list(&items, DedupMethod::Fuzzy, th).unwrap();
        prop_assert_eq!(dups, brute_fuzzy(&items, th));
    }

    #[test]
    fn dedup_index_merge_laws(a in index_strategy(), b in index_strategy(), c in index_strategy()) {
        let ab = a.merge(&b).unwrap();
        prop_assert_eq!(&ab, &b.merge(&a).unwrap());
        prop_assert_eq!(ab.merge(&c).unwrap(), a.merge(&b.merge(&c).unwrap()).unwrap());
        prop_assert_eq!(&a.merge(&a).unwrap(), &a);
    }

    #[test]
    fn merged_index_knows_what_either_side_saw(a in index_strategy(), b in index_strategy(), t in text_strategy()) {
        let mut m = a.merge(&b).unwrap();
        let mut a2 = a.clone();
        if !a2.add_exact(&t) {
            prop_assert!(!m.add_exact(&t));
        }
        let mut b2 = b.clone();
        if !b2.add_fuzzy(&t, 0.8).unwrap().0 {
            prop_assert!(!m.add_fuzzy(&t, 0.8).unwrap().0);
        }
    }
}

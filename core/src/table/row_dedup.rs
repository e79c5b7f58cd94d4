//! Row de-duplication after a merge: the [`RowDedup`] hook, exact
//! de-duplication ([`ExactDedup`]) and the reference's fuzzy pass
//! ([`BigramDedup`]: bigram Dice similarity of the non-key text, first row kept).
//! The MinHash + LSH fuzzy pass lives in `table::dedup` and plugs in through
//! [`RowDedup`].

use alloc::string::String;
use alloc::vec::Vec;
use core::hash::BuildHasher;

use hashbrown::HashTable;

use super::pycmp::py_str;
use super::{Cell, Table};
use crate::value::Value;

/// A de-duplication pass over a merged table (keeps the first of each group).
pub trait RowDedup {
    /// Remove duplicate rows from `t`; `threshold` is the similarity above
    /// which two rows count as duplicates (ignored by exact passes).
    fn dedup(&self, t: &mut Table, threshold: f64);
}

/// Exact duplicates: the same columns present with equal values (typed:
/// `1`, `1.0` and `"1"` differ), first occurrence kept, order kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExactDedup;

fn row_hash<S: BuildHasher>(s: &S, row: &[Cell]) -> u64 {
    s.hash_one(row)
}

impl RowDedup for ExactDedup {
    fn dedup(&self, t: &mut Table, _threshold: f64) {
        let state = hashbrown::DefaultHashBuilder::default();
        let mut seen: HashTable<usize> = HashTable::with_capacity(t.rows.len());
        let rows = core::mem::take(&mut t.rows);
        let mut kept: Vec<Vec<Cell>> = Vec::with_capacity(rows.len());
        for row in rows {
            let h = row_hash(&state, &row);
            let dup = seen.find(h, |&i| kept[i] == row).is_some();
            if !dup {
                seen.insert_unique(h, kept.len(), |&i| row_hash(&state, &kept[i]));
                kept.push(row);
            }
        }
        t.rows = kept;
    }
}

/// The reference's fuzzy pass: text = `str()` of the non-null values of the
/// columns other than `exclude`, in column-name order, joined by spaces;
/// a row is dropped when the bigram Dice similarity of its lower-cased text
/// with any kept row's text is at least the threshold. Quadratic, as the reference.
#[derive(Debug, Clone, Default)]
pub struct BigramDedup {
    /// The key column left out of the text.
    pub exclude: Option<String>,
}

fn bigrams(s: &str) -> Vec<(char, char)> {
    let lower: Vec<char> = s.chars().flat_map(char::to_lowercase).collect();
    let mut v: Vec<(char, char)> = if lower.len() >= 2 {
        lower.windows(2).map(|w| (w[0], w[1])).collect()
    } else {
        // The reference's `{s}` for a text shorter than two characters.
        alloc::vec![(lower.first().copied().unwrap_or('\0'), '\0')]
    };
    v.sort_unstable();
    v.dedup();
    v
}

fn dice(a: &[(char, char)], b: &[(char, char)]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            core::cmp::Ordering::Less => i += 1,
            core::cmp::Ordering::Greater => j += 1,
            core::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

impl BigramDedup {
    /// The text the reference compares for one row.
    pub fn text_of(&self, columns: &[String], row: &[Cell]) -> String {
        let mut order: Vec<usize> = (0..columns.len()).collect();
        order.sort_by(|&x, &y| columns[x].cmp(&columns[y]));
        let mut parts: Vec<String> = Vec::new();
        for i in order {
            if self.exclude.as_deref() == Some(columns[i].as_str()) {
                continue;
            }
            match &row[i] {
                None | Some(Value::None) => {}
                Some(v) => parts.push(py_str(v).into_owned()),
            }
        }
        parts.join(" ")
    }
}

impl RowDedup for BigramDedup {
    fn dedup(&self, t: &mut Table, threshold: f64) {
        let rows = core::mem::take(&mut t.rows);
        let mut kept_grams: Vec<Vec<(char, char)>> = Vec::new();
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            let g = bigrams(&self.text_of(&t.columns, &row));
            if !kept_grams.iter().any(|k| dice(&g, k) >= threshold) {
                kept_grams.push(g);
                kept.push(row);
            }
        }
        t.rows = kept;
    }
}

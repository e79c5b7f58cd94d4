//! The law verifier (the reference's `verify_crdt` / `verified_merge` idea)
//! for any merge function: commutativity, associativity and idempotency
//! checked on generated samples, with a count of failures and the first
//! counterexample (Debug text of the inputs and both sides).
//!
//! [`table_eq`] is the equality for table merges: the same rows as dicts,
//! whatever the row order, with absent cells and nulls alike.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Debug;

use super::merge::{merge, MergeOptions};
use super::Table;
use crate::value::Value;

/// Which law a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// `merge(a, b) == merge(b, a)`.
    Commutativity,
    /// `merge(merge(a, b), c) == merge(a, merge(b, c))`.
    Associativity,
    /// `merge(a, a) == a`.
    Idempotency,
}

impl Law {
    /// Lower-case name (`"commutativity"`, ..).
    pub fn name(self) -> &'static str {
        match self {
            Law::Commutativity => "commutativity",
            Law::Associativity => "associativity",
            Law::Idempotency => "idempotency",
        }
    }
}

/// The outcome for one law.
#[derive(Debug, Clone, PartialEq)]
pub struct LawResult {
    /// The law.
    pub law: Law,
    /// Trials run.
    pub trials: usize,
    /// Trials where the law failed (or the merge returned an error).
    pub failures: usize,
    /// The first failing trial: inputs and the two sides, as Debug text.
    pub counterexample: Option<String>,
}

impl LawResult {
    /// True when no trial failed.
    pub fn passed(&self) -> bool {
        self.failures == 0
    }
}

/// The outcome for all three laws.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    /// One result per law, in the order commutativity, associativity, idempotency.
    pub results: Vec<LawResult>,
}

impl Verification {
    /// True when every law held on every trial.
    pub fn passed(&self) -> bool {
        self.results.iter().all(LawResult::passed)
    }

    /// One line per law: `commutativity: PASS (100 trials)` or `FAIL (3/100)`.
    pub fn summary(&self) -> String {
        let mut lines: Vec<String> = self
            .results
            .iter()
            .map(|r| {
                if r.passed() {
                    format!("{}: PASS ({} trials)", r.law.name(), r.trials)
                } else {
                    format!("{}: FAIL ({}/{})", r.law.name(), r.failures, r.trials)
                }
            })
            .collect();
        if let Some(c) = self.results.iter().find_map(|r| r.counterexample.as_ref()) {
            lines.push(format!("first counterexample: {c}"));
        }
        lines.join("\n")
    }
}

/// Check the three laws of `merge` on `trials` triples from `gen`, with `eq`
/// as equality of states.
pub fn verify_laws<T: Debug, E: Debug>(
    merge: impl Fn(&T, &T) -> Result<T, E>,
    mut gen: impl FnMut() -> T,
    eq: impl Fn(&T, &T) -> bool,
    trials: usize,
) -> Verification {
    let mut results: Vec<LawResult> = [Law::Commutativity, Law::Associativity, Law::Idempotency]
        .into_iter()
        .map(|law| LawResult {
            law,
            trials,
            failures: 0,
            counterexample: None,
        })
        .collect();
    let fail = |r: &mut LawResult, text: String| {
        r.failures += 1;
        if r.counterexample.is_none() {
            r.counterexample = Some(text);
        }
    };
    for _ in 0..trials {
        let (a, b, c) = (gen(), gen(), gen());
        match (merge(&a, &b), merge(&b, &a)) {
            (Ok(ab), Ok(ba)) if eq(&ab, &ba) => {}
            (ab, ba) => fail(
                &mut results[0],
                format!("a={a:?} b={b:?} merge(a,b)={ab:?} merge(b,a)={ba:?}"),
            ),
        }
        let left = merge(&a, &b).and_then(|ab| merge(&ab, &c));
        let right = merge(&b, &c).and_then(|bc| merge(&a, &bc));
        match (left, right) {
            (Ok(l), Ok(r)) if eq(&l, &r) => {}
            (l, r) => fail(
                &mut results[1],
                format!(
                    "a={a:?} b={b:?} c={c:?} merge(merge(a,b),c)={l:?} merge(a,merge(b,c))={r:?}"
                ),
            ),
        }
        match merge(&a, &a) {
            Ok(aa) if eq(&aa, &a) => {}
            aa => fail(&mut results[2], format!("a={a:?} merge(a,a)={aa:?}")),
        }
    }
    Verification { results }
}

/// Rows of a table as canonical dicts (nulls and absent cells dropped), sorted.
fn canonical_rows(t: &Table) -> Vec<Value> {
    let mut rows: Vec<Value> = t
        .rows
        .iter()
        .map(|r| {
            Value::map(t.columns.iter().zip(r).filter_map(|(c, v)| match v {
                None | Some(Value::None) => None,
                Some(v) => Some((c.clone(), v.clone())),
            }))
            .sorted()
        })
        .collect();
    rows.sort();
    rows
}

/// Table equality for law checks: the same rows whatever their order, with
/// absent cells and nulls alike, columns matched by name.
pub fn table_eq(x: &Table, y: &Table) -> bool {
    canonical_rows(x) == canonical_rows(y)
}

/// [`verify_laws`] for the record merge with these options.
pub fn verify_table_merge(
    opts: &MergeOptions,
    gen: impl FnMut() -> Table,
    trials: usize,
) -> Verification {
    verify_laws(|a, b| merge(a, b, opts), gen, table_eq, trials)
}

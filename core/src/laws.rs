//! The law checker: commutativity, associativity and idempotency of a merge,
//! on given samples, reporting the first counterexample. Every type's tests
//! call it on random states (proptest), and users can call it on their own.

use alloc::format;
use alloc::string::String;

use crate::traits::Merge;

/// Which law failed, with a description of the inputs' positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LawViolation {
    /// `a ⊔ b ≠ b ⊔ a`.
    Commutativity(String),
    /// `(a ⊔ b) ⊔ c ≠ a ⊔ (b ⊔ c)`.
    Associativity(String),
    /// `a ⊔ a ≠ a`.
    Idempotency(String),
    /// The merge itself failed on compatible inputs.
    MergeFailed(String),
}

/// Check all three laws on `a`, `b`, `c` with `eq` as state equality.
pub fn check_laws_with<T: Merge + core::fmt::Debug>(
    a: &T,
    b: &T,
    c: &T,
    eq: impl Fn(&T, &T) -> bool,
) -> Result<(), LawViolation> {
    let m = |x: &T, y: &T| {
        x.merge(y)
            .map_err(|e| LawViolation::MergeFailed(format!("{e}")))
    };
    let ab = m(a, b)?;
    let ba = m(b, a)?;
    if !eq(&ab, &ba) {
        return Err(LawViolation::Commutativity(format!(
            "a={a:?}\nb={b:?}\na⊔b={ab:?}\nb⊔a={ba:?}"
        )));
    }
    let ab_c = m(&ab, c)?;
    let bc = m(b, c)?;
    let a_bc = m(a, &bc)?;
    if !eq(&ab_c, &a_bc) {
        return Err(LawViolation::Associativity(format!(
            "a={a:?}\nb={b:?}\nc={c:?}\n(a⊔b)⊔c={ab_c:?}\na⊔(b⊔c)={a_bc:?}"
        )));
    }
    let aa = m(a, a)?;
    if !eq(&aa, a) {
        return Err(LawViolation::Idempotency(format!("a={a:?}\na⊔a={aa:?}")));
    }
    Ok(())
}

/// [`check_laws_with`] using `PartialEq`.
pub fn check_laws<T: Merge + PartialEq + core::fmt::Debug>(
    a: &T,
    b: &T,
    c: &T,
) -> Result<(), LawViolation> {
    check_laws_with(a, b, c, |x, y| x == y)
}

/// Merge any number of states left to right.
pub fn merge_all<'a, T: Merge + Clone + 'a>(
    items: impl IntoIterator<Item = &'a T>,
) -> Result<T, crate::MergeError> {
    let mut it = items.into_iter();
    let first = it.next().ok_or(crate::MergeError::Empty)?.clone();
    it.try_fold(first, |acc, x| acc.merge(x))
}

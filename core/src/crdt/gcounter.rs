//! Grow-only counter: one slot per node, value = sum of slots, merge =
//! per-node max (a slot missing on one side counts as 0, as in the reference). Payload `{type: "g_counter", counts: {node: int}}`.

use alloc::format;

use super::{as_map, check_type, field};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "g_counter";

/// A grow-only counter. Node ids are usually strings; any value the
/// reference could write as a dict key is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GCounter {
    counts: OrderedMap<Value, i64>,
}

impl GCounter {
    /// An empty counter.
    pub fn new() -> Self {
        Self::default()
    }
    /// The sum of all slots (i128: cannot overflow).
    pub fn value(&self) -> i128 {
        self.counts.values().map(|&c| c as i128).sum()
    }
    /// Add `amount` to `node`'s slot (saturating at `i64::MAX`). Inserts the
    /// slot even for 0, as the reference does.
    pub fn increment(&mut self, node: &str, amount: u64) {
        let slot = self.counts.entry_or_insert_with(Value::str(node), || 0);
        *slot = slot.saturating_add(i64::try_from(amount).unwrap_or(i64::MAX));
    }
    /// The slot of `node` (0 if absent).
    pub fn get(&self, node: &str) -> i64 {
        self.counts.get(&Value::str(node)).copied().unwrap_or(0)
    }
    /// All slots in insertion order.
    pub fn counts(&self) -> impl Iterator<Item = (&Value, i64)> {
        self.counts.iter().map(|(k, &v)| (k, v))
    }
    pub(crate) fn counts_value(&self) -> Value {
        Value::Map(self.counts.iter().map(|(k, &v)| (k.clone(), Value::Int(v))).collect())
    }
    pub(crate) fn from_counts(v: &Value, ty: &'static str, what: &str) -> Result<Self, DecodeError> {
        let mut counts = OrderedMap::new();
        for (k, c) in as_map(v, ty, what)? {
            let c = c.as_int().ok_or_else(|| DecodeError::shape(ty, format!("{what}[{}] must be an int, found {}", crate::pyrepr::repr(k), c.type_name())))?;
            counts.insert(k.clone(), c);
        }
        Ok(GCounter { counts })
    }
}

impl Merge for GCounter {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let counts = OrderedMap::merge_join(&self.counts, &other.counts, |_, a, b| {
            Some(match (a, b) {
                (Some(a), Some(b)) => *a.max(b),
                (Some(a), None) | (None, Some(a)) => (*a).max(0),
                (None, None) => 0,
            })
        });
        Ok(GCounter { counts })
    }
}

impl WireType for GCounter {
    const TAG: TypeTag = TypeTag::GCounter;
    fn to_value(&self) -> Value {
        Value::map([("type", Value::str(TY)), ("counts", self.counts_value())])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, TY, TY)?;
        Self::from_counts(field(v, TY, "counts")?, TY, "counts")
    }
}

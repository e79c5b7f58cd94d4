//! Positive-negative counter: two grow-only counters, value = pos − neg,
//! merge = merge of each. Payload `{type: "pn_counter", pos: <g_counter>, neg: <g_counter>}`.

use super::{check_type, field, GCounter};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "pn_counter";

/// A counter that can go up and down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PNCounter {
    /// Increments.
    pub pos: GCounter,
    /// Decrements.
    pub neg: GCounter,
}

impl PNCounter {
    /// An empty counter.
    pub fn new() -> Self {
        Self::default()
    }
    /// pos − neg.
    pub fn value(&self) -> i128 {
        self.pos.value() - self.neg.value()
    }
    /// Count `amount` up on `node`.
    pub fn increment(&mut self, node: &str, amount: u64) {
        self.pos.increment(node, amount);
    }
    /// Count `amount` down on `node`.
    pub fn decrement(&mut self, node: &str, amount: u64) {
        self.neg.increment(node, amount);
    }
}

impl Merge for PNCounter {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        Ok(PNCounter {
            pos: self.pos.merge(&other.pos)?,
            neg: self.neg.merge(&other.neg)?,
        })
    }
}

fn sub(v: &Value, name: &'static str) -> Result<GCounter, DecodeError> {
    let g = field(v, TY, name)?;
    super::as_map(g, TY, name)?;
    let t = g.get("type").and_then(Value::as_str);
    if t != Some("g_counter") {
        return Err(DecodeError::shape(
            TY,
            alloc::format!("field `{name}.type` must be \"g_counter\""),
        ));
    }
    let counts = g
        .get("counts")
        .ok_or_else(|| DecodeError::shape(TY, alloc::format!("missing field `{name}.counts`")))?;
    let what = if name == "pos" {
        "pos.counts"
    } else {
        "neg.counts"
    };
    GCounter::from_counts(counts, TY, what)
}

impl WireType for PNCounter {
    const TAG: TypeTag = TypeTag::PNCounter;
    fn to_value(&self) -> Value {
        Value::map([
            ("type", Value::str(TY)),
            ("pos", self.pos.to_value()),
            ("neg", self.neg.to_value()),
        ])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, TY, TY)?;
        Ok(PNCounter {
            pos: sub(v, "pos")?,
            neg: sub(v, "neg")?,
        })
    }
}

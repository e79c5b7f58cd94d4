//! Last-writer-wins register. Payload
//! `{type: "lww_register", value, timestamp, node_id}` (in that order).
//!
//! Merge keeps the greater of the two writes ordered by (timestamp, node_id,
//! value by [`Value`]'s total order). The reference stops at node_id and lets
//! the receiver win a full tie, which is not commutative (DEVIATIONS.md).

use alloc::string::String;

use super::{check_type, field, str_field, Timestamp};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "lww_register";

/// A last-writer-wins register.
#[derive(Debug, Clone)]
pub struct LwwRegister {
    value: Value,
    timestamp: Timestamp,
    node_id: String,
}

impl Default for LwwRegister {
    fn default() -> Self {
        LwwRegister {
            value: Value::None,
            timestamp: Timestamp::ZERO,
            node_id: String::new(),
        }
    }
}

impl LwwRegister {
    /// A register holding `value` written at `timestamp` by `node_id`. A zero
    /// timestamp becomes float `0.0`, as in the reference.
    pub fn new(value: Value, timestamp: Timestamp, node_id: impl Into<String>) -> Self {
        let timestamp = if timestamp.is_zero() {
            Timestamp::ZERO
        } else {
            timestamp
        };
        LwwRegister {
            value,
            timestamp,
            node_id: node_id.into(),
        }
    }
    /// Overwrite locally (no comparison, as the reference's `set`); a zero
    /// timestamp becomes float `0.0` as in [`LwwRegister::new`].
    pub fn set(&mut self, value: Value, timestamp: Timestamp, node_id: impl Into<String>) {
        *self = LwwRegister::new(value, timestamp, node_id);
    }
    /// The current value.
    pub fn value(&self) -> &Value {
        &self.value
    }
    /// The write's timestamp.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    /// The writer's node id.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }
    /// Whether `self` wins over `other` (or is the same write). Values are
    /// compared in canonical form (dict order does not matter).
    pub fn wins_over(&self, other: &Self) -> bool {
        (self.timestamp, &self.node_id)
            .cmp(&(other.timestamp, &other.node_id))
            .then_with(|| self.value.sorted().cmp(&other.value.sorted()))
            .is_ge()
    }
    pub(crate) fn from_value_in(v: &Value, ty: &'static str) -> Result<Self, DecodeError> {
        check_type(v, ty, TY)?;
        let value = field(v, ty, "value")?.clone();
        let timestamp = Timestamp::from_value(field(v, ty, "timestamp")?, ty, "field `timestamp`")?;
        let node_id = str_field(v, ty, "node_id")?;
        Ok(LwwRegister::new(value, timestamp, node_id))
    }
}

/// Semantic equality: same timestamp, node id and value up to dict order.
impl PartialEq for LwwRegister {
    fn eq(&self, other: &Self) -> bool {
        self.timestamp == other.timestamp
            && self.node_id == other.node_id
            && self.value.sorted() == other.value.sorted()
    }
}
impl Eq for LwwRegister {}

impl Merge for LwwRegister {
    /// The winner, with its value in canonical (sorted) order.
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let w = if self.wins_over(other) { self } else { other };
        Ok(LwwRegister {
            value: w.value.sorted(),
            timestamp: w.timestamp,
            node_id: w.node_id.clone(),
        })
    }
}

impl WireType for LwwRegister {
    const TAG: TypeTag = TypeTag::LwwRegister;
    fn to_value(&self) -> Value {
        Value::map([
            ("type", Value::str(TY)),
            ("value", self.value.clone()),
            ("timestamp", self.timestamp.to_value()),
            ("node_id", Value::str(self.node_id.as_str())),
        ])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        Self::from_value_in(v, TY)
    }
}

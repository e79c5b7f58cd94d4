//! Last-writer-wins map: a register per key plus deletion timestamps.
//! Payload `{type: "lww_map", registers: {key: <lww_register>}, tombstones: {key: ts}}`.
//!
//! Merge: per key, the register merge of [`LwwRegister`] (timestamp, then
//! node id, then value); tombstones: per key, the greater timestamp, always
//! kept (the reference drops tombstones whose greater timestamp is ≤ 0,
//! which breaks idempotency — DEVIATIONS.md). A key is visible when it has a
//! register and no tombstone, or a register newer than its tombstone.

use alloc::format;
use alloc::vec::Vec;

use super::{as_map, check_type, field, LwwRegister, Timestamp};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::pyrepr::repr;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "lww_map";

/// A map of last-writer-wins registers with tombstones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LwwMap {
    registers: OrderedMap<Value, LwwRegister>,
    tombstones: OrderedMap<Value, Timestamp>,
}

impl LwwMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// Write `key` (local write, as the reference's `set`: overwrites the
    /// register and drops an older tombstone).
    pub fn set(&mut self, key: &str, value: Value, ts: Timestamp, node_id: &str) {
        let k = Value::str(key);
        self.registers
            .entry_or_insert_with(k.clone(), LwwRegister::default)
            .set(value, ts, node_id);
        if self.tombstones.get(&k).is_some_and(|t| ts > *t) {
            self.tombstones.remove(&k);
        }
    }
    /// Delete `key` at `ts` (records the tombstone, as the reference's `delete`).
    pub fn delete(&mut self, key: &str, ts: Timestamp) {
        self.tombstones.insert(Value::str(key), ts);
    }
    fn visible(&self, k: &Value, reg: &LwwRegister) -> bool {
        match self.tombstones.get(k) {
            None => true,
            Some(t) => reg.timestamp() > *t,
        }
    }
    /// The visible value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let k = Value::str(key);
        self.registers
            .get(&k)
            .filter(|r| self.visible(&k, r))
            .map(LwwRegister::value)
    }
    /// The visible entries, in register order.
    pub fn value(&self) -> Vec<(&Value, &Value)> {
        self.registers
            .iter()
            .filter(|(k, r)| self.visible(k, r))
            .map(|(k, r)| (k, r.value()))
            .collect()
    }
    /// The register of `key`, visible or not.
    pub fn register(&self, key: &Value) -> Option<&LwwRegister> {
        self.registers.get(key)
    }
    /// The tombstone of `key`.
    pub fn tombstone(&self, key: &Value) -> Option<Timestamp> {
        self.tombstones.get(key).copied()
    }
}

impl Merge for LwwMap {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut failed = None;
        let registers =
            OrderedMap::merge_join(&self.registers, &other.registers, |_, a, b| match (a, b) {
                (Some(a), Some(b)) => a
                    .merge(b)
                    .map_err(|e| failed = failed.take().or(Some(e)))
                    .ok(),
                (Some(a), None) | (None, Some(a)) => Some(a.clone()),
                (None, None) => None,
            });
        if let Some(e) = failed {
            return Err(e);
        }
        let tombstones = OrderedMap::merge_join(&self.tombstones, &other.tombstones, |_, a, b| {
            match (a, b) {
                (Some(a), Some(b)) => Some(*a.max(b)),
                (Some(a), None) | (None, Some(a)) => Some(*a),
                (None, None) => None,
            }
        });
        Ok(LwwMap {
            registers,
            tombstones,
        })
    }
}

impl WireType for LwwMap {
    const TAG: TypeTag = TypeTag::LwwMap;
    fn to_value(&self) -> Value {
        Value::map([
            ("type", Value::str(TY)),
            (
                "registers",
                Value::Map(
                    self.registers
                        .iter()
                        .map(|(k, r)| (k.clone(), r.to_value()))
                        .collect(),
                ),
            ),
            (
                "tombstones",
                Value::Map(
                    self.tombstones
                        .iter()
                        .map(|(k, t)| (k.clone(), t.to_value()))
                        .collect(),
                ),
            ),
        ])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, TY, TY)?;
        let mut registers = OrderedMap::new();
        for (k, r) in as_map(field(v, TY, "registers")?, TY, "registers")? {
            let reg = LwwRegister::from_value_in(r, TY).map_err(|e| match e {
                DecodeError::Shape { type_name, msg } => DecodeError::Shape {
                    type_name,
                    msg: format!("registers[{}]: {msg}", repr(k)),
                },
                other => other,
            })?;
            registers.insert(k.clone(), reg);
        }
        let mut tombstones = OrderedMap::new();
        for (k, t) in as_map(field(v, TY, "tombstones")?, TY, "tombstones")? {
            tombstones.insert(
                k.clone(),
                Timestamp::from_value(t, TY, &format!("tombstones[{}]", repr(k)))?,
            );
        }
        Ok(LwwMap {
            registers,
            tombstones,
        })
    }
}

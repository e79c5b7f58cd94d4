//! Multi-value register (our extension, tag `mv_register` 0x60): the
//! causal MV-register with one dot per value and a version vector.
//!
//! Payload `{type: "mv_register", entries: [[node, counter, value], …],
//! vv: {node: counter}}`. Every entry's counter MUST be ≥ 1 and ≤ `vv[node]`,
//! and no dot may appear twice.
//!
//! A write on `node` replaces every value it has seen: counter = `vv[node] + 1`,
//! entries = `[(node, counter, value)]`, `vv[node] = counter`. Merge keeps an
//! entry of one side when the other side has the same dot or has not seen it
//! (`counter > vv_other[node]`); vv = per-node max. Two entries with the same
//! dot and different values (only possible from forged input) resolve to the
//! greater value.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{as_list, check_type, field, VectorClock};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "mv_register";

/// A multi-value register.
#[derive(Debug, Clone, Default)]
pub struct MvRegister {
    entries: OrderedMap<(String, u64), Value>,
    vv: VectorClock,
}

impl MvRegister {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }
    /// Write `value` on `node`, replacing every value seen so far.
    pub fn write(&mut self, node: &str, value: Value) {
        self.vv.increment(node);
        let c = self.vv.get(node);
        self.entries = OrderedMap::new();
        self.entries.insert((String::from(node), c), value);
    }
    /// The concurrent values, sorted.
    pub fn values(&self) -> Vec<Value> {
        let mut v: Vec<Value> = self.entries.values().map(Value::sorted).collect();
        v.sort();
        v.dedup();
        v
    }
    /// The version vector.
    pub fn version_vector(&self) -> &VectorClock {
        &self.vv
    }
    fn sorted_entries(&self) -> Vec<(&(String, u64), &Value)> {
        self.entries.iter_sorted().collect()
    }
}

/// Semantic equality: same version vector and dots, values up to dict order.
impl PartialEq for MvRegister {
    fn eq(&self, other: &Self) -> bool {
        self.vv == other.vv
            && self.entries.len() == other.entries.len()
            && self.entries.iter().all(|(d, v)| {
                other
                    .entries
                    .get(d)
                    .is_some_and(|w| w.sorted() == v.sorted())
            })
    }
}
impl Eq for MvRegister {}

impl Merge for MvRegister {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut entries: OrderedMap<(String, u64), Value> = OrderedMap::new();
        let keep = |dot: &(String, u64), theirs: &MvRegister| {
            theirs.entries.contains_key(dot) || dot.1 > theirs.vv.get(&dot.0)
        };
        let mut all: Vec<(&(String, u64), Value)> = self
            .entries
            .iter()
            .filter(|(d, _)| keep(d, other))
            .chain(other.entries.iter().filter(|(d, _)| keep(d, self)))
            .map(|(d, v)| (d, v.sorted()))
            .collect();
        all.sort();
        for (d, v) in all {
            // sorted ascending, so the last (greatest) value of a dot wins
            entries.insert(d.clone(), v);
        }
        Ok(MvRegister {
            entries,
            vv: self.vv.merge(&other.vv)?,
        })
    }
}

impl WireType for MvRegister {
    const TAG: TypeTag = TypeTag::MvRegister;
    fn to_value(&self) -> Value {
        let entries = self
            .entries
            .iter()
            .map(|((n, c), v)| {
                Value::List(alloc::vec![
                    Value::str(n.as_str()),
                    Value::Int(*c as i64),
                    v.clone()
                ])
            })
            .collect();
        Value::map([
            ("type", Value::str(TY)),
            ("entries", Value::List(entries)),
            (
                "vv",
                self.vv
                    .to_value()
                    .get("clocks")
                    .cloned()
                    .unwrap_or(Value::Map(Vec::new())),
            ),
        ])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, TY, TY)?;
        let vv_v = field(v, TY, "vv")?;
        let vv = VectorClock::from_value(&Value::map([
            ("type", Value::str("vector_clock")),
            ("clocks", vv_v.clone()),
        ]))
        .map_err(|e| match e {
            DecodeError::Shape { msg, .. } => DecodeError::shape(TY, format!("vv: {msg}")),
            other => other,
        })?;
        let mut entries = OrderedMap::new();
        for (i, e) in as_list(field(v, TY, "entries")?, TY, "entries")?
            .iter()
            .enumerate()
        {
            let (n, c, val) = match e.as_list() {
                Some([Value::Str(n), Value::Int(c), val]) if *c >= 1 => (n, *c as u64, val),
                _ => {
                    return Err(DecodeError::shape(
                        TY,
                        format!("entries[{i}] must be [str node, int counter >= 1, value]"),
                    ))
                }
            };
            if c > vv.get(n) {
                return Err(DecodeError::shape(
                    TY,
                    format!(
                        "entries[{i}]: counter {c} of node {n:?} exceeds vv[{n:?}] = {}",
                        vv.get(n)
                    ),
                ));
            }
            if entries.insert((n.clone(), c), val.clone()).is_some() {
                return Err(DecodeError::shape(
                    TY,
                    format!("entries[{i}]: duplicate dot ({n:?}, {c})"),
                ));
            }
        }
        Ok(MvRegister { entries, vv })
    }
    fn to_view(&self) -> Value {
        let entries = self
            .sorted_entries()
            .into_iter()
            .map(|((n, c), v)| {
                Value::List(alloc::vec![
                    Value::str(n.as_str()),
                    Value::Int(*c as i64),
                    v.sorted()
                ])
            })
            .collect();
        let mut vv: Vec<(&str, u64)> = self.vv.iter().collect();
        vv.sort();
        Value::map([
            ("entries", Value::List(entries)),
            ("type", Value::str(TY)),
            (
                "vv",
                Value::Map(
                    vv.into_iter()
                        .map(|(n, c)| (Value::str(n), Value::Int(c as i64)))
                        .collect(),
                ),
            ),
        ])
    }
}

//! Gossip state (0x43) and gossip entry (0x44).
//!
//! Entry payload: `{"key", "value", "clock": {"type": "vector_clock",
//! "clocks": {node: int}}, "tombstone"}`. State payload: `{"type":
//! "gossip_state", "node_id", "fanout", "entries": {key: entry}, "clock"}`.
//!
//! Merge (the reference's rule, made total): per key, the entry clocks join
//! (element-wise max) and the value and tombstone come from the entry whose
//! `(str(value), tombstone)` is larger — the reference's content key, which
//! ignores the clocks. Where that key ties (`1` and `"1"` both print `1`) the
//! larger value in the [`Value`] order wins; the reference keeps the
//! receiver's. The state's node id is the smaller one and its fanout the
//! larger (the reference keeps the receiver's). Keys come out sorted.

use alloc::string::String;
use alloc::vec::Vec;

use super::{merge_extra, obj, push_extra, str_map_value, Extra, Fields};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::pyrepr::py_str;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

const STATE: &str = "gossip_state";
const ENTRY: &str = "gossip_entry";

/// The vector clock nested in gossip payloads (`{"type": "vector_clock", "clocks": {...}}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VectorClockState {
    /// Node → counter.
    pub clocks: OrderedMap<String, i64>,
    /// Unknown entries of the clock dict.
    pub extra: Extra,
}

impl VectorClockState {
    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("type", Value::str("vector_clock")),
            ("clocks", str_map_value(&self.clocks, |c| Value::Int(*c)))
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(type_name: &'static str, field: &str, v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(type_name, v).map_err(|_| {
            DecodeError::shape(
                type_name,
                alloc::format!("field \"{field}\" must be a dict, found {}", v.type_name()),
            )
        })?;
        f.take("type");
        let mut clocks = OrderedMap::new();
        if let Some(c) = f.take("clocks") {
            for (node, n) in f.str_keyed("clocks", c)?.iter() {
                let n = n.as_int().ok_or_else(|| {
                    f.err(alloc::format!(
                        "{field}.clocks[\"{node}\"] must be an int, found {}",
                        n.type_name()
                    ))
                })?;
                clocks.insert(node.clone(), n);
            }
        }
        Ok(VectorClockState {
            clocks,
            extra: f.rest(),
        })
    }

    /// Element-wise max, nodes sorted.
    pub fn join(&self, other: &Self) -> Self {
        let mut clocks = self.clocks.clone();
        for (n, c) in other.clocks.iter() {
            let slot = clocks.entry_or_insert_with(n.clone(), || *c);
            *slot = (*slot).max(*c);
        }
        clocks.sort_keys();
        VectorClockState {
            clocks,
            extra: merge_extra(&self.extra, &other.extra),
        }
    }
}

/// One entry of the gossip key-value store.
#[derive(Debug, Clone, PartialEq)]
pub struct GossipEntry {
    /// The entry's key.
    pub key: String,
    /// The application value (any JSON value).
    pub value: Value,
    /// The entry's vector clock.
    pub clock: VectorClockState,
    /// Logically deleted.
    pub tombstone: bool,
    /// Unknown top-level entries.
    pub extra: Extra,
}

impl GossipEntry {
    fn from_value_as(type_name: &'static str, v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(type_name, v)?;
        let key = f.req_str("key")?;
        let value = f.req("value")?.clone();
        let clock = VectorClockState::from_value(type_name, "clock", f.req("clock")?)?;
        let tombstone = f.bool_or("tombstone", false)?;
        Ok(GossipEntry {
            key,
            value,
            clock,
            tombstone,
            extra: f.rest(),
        })
    }

    /// The per-key join used by both merges (the keys are not compared).
    fn join(&self, other: &Self) -> Self {
        let ka = (
            py_str(&self.value),
            self.tombstone,
            self.value.sorted(),
            &self.value,
        );
        let kb = (
            py_str(&other.value),
            other.tombstone,
            other.value.sorted(),
            &other.value,
        );
        let winner = if ka >= kb { self } else { other };
        GossipEntry {
            key: core::cmp::max(&self.key, &other.key).clone(),
            value: winner.value.clone(),
            clock: self.clock.join(&other.clock),
            tombstone: winner.tombstone,
            extra: merge_extra(&self.extra, &other.extra),
        }
    }
}

impl WireType for GossipEntry {
    const TAG: TypeTag = TypeTag::GossipEntry;

    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("key", Value::str(self.key.as_str())),
            ("value", self.value.clone()),
            ("clock", self.clock.to_value()),
            ("tombstone", Value::Bool(self.tombstone)),
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        Self::from_value_as(ENTRY, v)
    }
}

impl Merge for GossipEntry {
    /// Entries of the same key merge as inside [`GossipState`]; different keys do not merge.
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        if self.key != other.key {
            return Err(MergeError::Invalid {
                type_name: ENTRY,
                msg: alloc::format!("keys differ ({:?} vs {:?})", self.key, other.key),
            });
        }
        Ok(self.join(other))
    }
}

/// A node's gossip state: the replicated key-value store and its clock.
#[derive(Debug, Clone, PartialEq)]
pub struct GossipState {
    /// This node's id.
    pub node_id: String,
    /// Peers contacted per round.
    pub fanout: i64,
    /// Key → entry (tombstones included).
    pub entries: OrderedMap<String, GossipEntry>,
    /// The node-level clock.
    pub clock: VectorClockState,
    /// Unknown top-level entries.
    pub extra: Extra,
}

impl WireType for GossipState {
    const TAG: TypeTag = TypeTag::GossipState;

    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("type", Value::str(STATE)),
            ("node_id", Value::str(self.node_id.as_str())),
            ("fanout", Value::Int(self.fanout)),
            (
                "entries",
                str_map_value(&self.entries, GossipEntry::to_value)
            ),
            ("clock", self.clock.to_value()),
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(STATE, v)?;
        f.take("type");
        let node_id = f.req_str("node_id")?;
        let fanout = f.int_or("fanout", 3)?;
        let mut entries = OrderedMap::new();
        if let Some(e) = f.take("entries") {
            for (k, ev) in f.str_keyed("entries", e)?.iter() {
                let entry = GossipEntry::from_value_as(STATE, ev).map_err(|e| match e {
                    DecodeError::Shape { msg, .. } => {
                        f.err(alloc::format!("entries[\"{k}\"]: {msg}"))
                    }
                    other => other,
                })?;
                entries.insert(k.clone(), entry);
            }
        }
        let clock = match f.take("clock") {
            None => VectorClockState::default(),
            Some(c) => VectorClockState::from_value(STATE, "clock", c)?,
        };
        Ok(GossipState {
            node_id,
            fanout,
            entries,
            clock,
            extra: f.rest(),
        })
    }
}

impl Merge for GossipState {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut keys: Vec<&String> = self.entries.keys().chain(other.entries.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut entries = OrderedMap::new();
        for k in keys {
            let e = match (self.entries.get(k), other.entries.get(k)) {
                (Some(a), Some(b)) => a.join(b),
                (Some(a), None) => a.clone(),
                (None, Some(b)) => b.clone(),
                (None, None) => continue,
            };
            entries.insert(k.clone(), e);
        }
        Ok(GossipState {
            node_id: core::cmp::min(&self.node_id, &other.node_id).clone(),
            fanout: self.fanout.max(other.fanout),
            entries,
            clock: self.clock.join(&other.clock),
            extra: merge_extra(&self.extra, &other.extra),
        })
    }
}

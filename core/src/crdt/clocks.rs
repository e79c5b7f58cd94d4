//! Clocks: [`VectorClock`] (tag `vector_clock`), [`DottedVersionVector`]
//! (tag `dotted_version_vector`), both JSON payloads as in the reference,
//! and [`HybridLogicalClock`] (our extension, tag `hybrid_logical_clock`).

use alloc::format;
use alloc::string::String;
use core::cmp::Ordering;

use super::{as_list, as_map, check_type, field, int_field, str_field};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const VC: &str = "vector_clock";
const DVV: &str = "dotted_version_vector";
const HLC: &str = "hybrid_logical_clock";
/// Counters are capped at `i64::MAX` (what the wire can carry).
const MAX_COUNTER: u64 = i64::MAX as u64;

/// Causal relation of two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Causality {
    /// Left happened before right.
    Before,
    /// Left happened after right.
    After,
    /// Same clock.
    Equal,
    /// Neither dominates.
    Concurrent,
}

/// A vector clock: node → positive counter (zeros are not stored).
/// Payload `{type: "vector_clock", clocks: {node: int}}`; merge = per-node max.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VectorClock {
    clocks: OrderedMap<String, u64>,
}

impl VectorClock {
    /// An empty clock.
    pub fn new() -> Self {
        Self::default()
    }
    /// Build from `(node, counter)` pairs; zero counters are dropped.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, u64)>) -> Self {
        VectorClock {
            clocks: pairs
                .into_iter()
                .filter(|(_, c)| *c > 0)
                .map(|(n, c)| (String::from(n), c.min(MAX_COUNTER)))
                .collect(),
        }
    }
    /// The counter of `node` (0 if unseen).
    pub fn get(&self, node: &str) -> u64 {
        self.clocks.get(&String::from(node)).copied().unwrap_or(0)
    }
    /// Count one event on `node` (saturating).
    pub fn increment(&mut self, node: &str) {
        let c = self.clocks.entry_or_insert_with(String::from(node), || 0);
        *c = (*c + 1).min(MAX_COUNTER);
    }
    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.clocks.iter().map(|(k, &v)| (k.as_str(), v))
    }
    /// Compare causally.
    pub fn compare(&self, other: &Self) -> Causality {
        let (mut less, mut greater) = (false, false);
        for (n, _) in self.iter().chain(other.iter()) {
            match self.get(n).cmp(&other.get(n)) {
                Ordering::Less => less = true,
                Ordering::Greater => greater = true,
                Ordering::Equal => {}
            }
        }
        match (less, greater) {
            (true, true) => Causality::Concurrent,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (false, false) => Causality::Equal,
        }
    }
    /// Whether `self` ≥ `other` on every node.
    pub fn dominates(&self, other: &Self) -> bool {
        other.iter().all(|(n, c)| self.get(n) >= c)
    }
    fn max_with(&mut self, node: &str, c: u64) {
        if c == 0 {
            return;
        }
        let slot = self.clocks.entry_or_insert_with(String::from(node), || 0);
        *slot = (*slot).max(c);
    }
    fn join(&self, other: &Self) -> Self {
        VectorClock {
            clocks: OrderedMap::merge_join(&self.clocks, &other.clocks, |_, a, b| {
                Some(a.copied().unwrap_or(0).max(b.copied().unwrap_or(0)))
            }),
        }
    }
    fn clocks_value(&self) -> Value {
        Value::Map(
            self.clocks
                .iter()
                .map(|(k, &v)| (Value::str(k.as_str()), Value::Int(v as i64)))
                .collect(),
        )
    }
    fn read(v: &Value, ty: &'static str, what: &str) -> Result<Self, DecodeError> {
        let mut clocks = OrderedMap::new();
        for (k, c) in as_map(v, ty, what)? {
            let k = k.as_str().ok_or_else(|| {
                DecodeError::shape(
                    ty,
                    format!("{what}: node ids must be str, found {}", k.type_name()),
                )
            })?;
            let c = match c {
                Value::Int(i) if *i >= 0 => *i as u64,
                other => {
                    return Err(DecodeError::shape(
                        ty,
                        format!(
                            "{what}[{k:?}] must be a non-negative int, found {}",
                            crate::pyrepr::repr(other)
                        ),
                    ))
                }
            };
            if c > 0 {
                clocks.insert(String::from(k), c);
            }
        }
        Ok(VectorClock { clocks })
    }
}

impl Merge for VectorClock {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        Ok(self.join(other))
    }
}

impl WireType for VectorClock {
    const TAG: TypeTag = TypeTag::VectorClock;
    fn to_value(&self) -> Value {
        Value::map([("type", Value::str(VC)), ("clocks", self.clocks_value())])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, VC, VC)?;
        Self::read(field(v, VC, "clocks")?, VC, "clocks")
    }
}

/// A dotted version vector: a base clock plus at most one outstanding dot.
///
/// Payload `{type: "dotted_version_vector", base: <vector_clock>, dot?: [node, counter]}`.
/// Merge: the base is the per-node max of the bases; if both sides carry the
/// same dot (or both none) it is kept, otherwise every dot is folded into the
/// base and the result has none. (The reference always folds, so `a ⊔ a`
/// loses `a`'s dot; it is idempotent only by effective value.)
/// Equality is structural (base and dot); [`DottedVersionVector::value`] is
/// the effective clock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DottedVersionVector {
    base: VectorClock,
    dot: Option<(String, u64)>,
}

impl DottedVersionVector {
    /// A DVV from a base and an optional dot.
    pub fn new(base: VectorClock, dot: Option<(String, u64)>) -> Self {
        DottedVersionVector {
            base,
            dot: dot.map(|(n, c)| (n, c.min(MAX_COUNTER))),
        }
    }
    /// The base clock.
    pub fn base(&self) -> &VectorClock {
        &self.base
    }
    /// The outstanding dot.
    pub fn dot(&self) -> Option<(&str, u64)> {
        self.dot.as_ref().map(|(n, c)| (n.as_str(), *c))
    }
    /// The effective clock: the base with the dot folded in.
    pub fn value(&self) -> VectorClock {
        let mut v = self.base.clone();
        if let Some((n, c)) = &self.dot {
            v.max_with(n, *c);
        }
        v
    }
    /// A new dot for `node`: `(node, base[node] + 1)`; the base is unchanged.
    pub fn advance(&self, node: &str) -> Self {
        DottedVersionVector {
            base: self.base.clone(),
            dot: Some((
                String::from(node),
                (self.base.get(node) + 1).min(MAX_COUNTER),
            )),
        }
    }
    /// Whether the effective clock of `self` dominates `other`'s.
    pub fn descends(&self, other: &Self) -> bool {
        self.value().dominates(&other.value())
    }
}

impl Merge for DottedVersionVector {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut base = self.base.join(&other.base);
        if self.dot == other.dot {
            return Ok(DottedVersionVector {
                base,
                dot: self.dot.clone(),
            });
        }
        for (n, c) in self.dot.iter().chain(other.dot.iter()) {
            base.max_with(n, *c);
        }
        base.clocks.sort_keys();
        Ok(DottedVersionVector { base, dot: None })
    }
}

impl WireType for DottedVersionVector {
    const TAG: TypeTag = TypeTag::DottedVersionVector;
    fn to_value(&self) -> Value {
        let mut m = alloc::vec![
            (Value::str("type"), Value::str(DVV)),
            (Value::str("base"), self.base.to_value())
        ];
        if let Some((n, c)) = &self.dot {
            m.push((
                Value::str("dot"),
                Value::List(alloc::vec![Value::str(n.as_str()), Value::Int(*c as i64)]),
            ));
        }
        Value::Map(m)
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, DVV, DVV)?;
        let b = field(v, DVV, "base")?;
        as_map(b, DVV, "base")?;
        if b.get("type").and_then(Value::as_str) != Some(VC) {
            return Err(DecodeError::shape(
                DVV,
                "field `base.type` must be \"vector_clock\"",
            ));
        }
        let clocks = b
            .get("clocks")
            .ok_or_else(|| DecodeError::shape(DVV, "missing field `base.clocks`"))?;
        let base = VectorClock::read(clocks, DVV, "base.clocks")?;
        let dot = match v.get("dot") {
            None | Some(Value::None) => None,
            Some(d) => match as_list(d, DVV, "dot")? {
                [Value::Str(n), Value::Int(c)] if *c >= 0 => Some((n.clone(), *c as u64)),
                _ => {
                    return Err(DecodeError::shape(
                        DVV,
                        "field `dot` must be [str node, non-negative int counter]",
                    ))
                }
            },
        };
        Ok(DottedVersionVector { base, dot })
    }
}

/// A hybrid logical clock: physical wall time in ms, a logical counter and
/// the node id. Payload `{type: "hybrid_logical_clock", wall_ms: int,
/// logical: int, node_id: str}`; merge = the greater by (wall_ms, logical, node_id).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct HybridLogicalClock {
    /// Wall-clock milliseconds.
    pub wall_ms: i64,
    /// Logical counter within one wall time.
    pub logical: i64,
    /// The node that produced the timestamp.
    pub node_id: String,
}

impl HybridLogicalClock {
    /// A clock at `(wall_ms, logical)` for `node_id`.
    pub fn new(wall_ms: i64, logical: i64, node_id: impl Into<String>) -> Self {
        HybridLogicalClock {
            wall_ms,
            logical,
            node_id: node_id.into(),
        }
    }
    /// A local or send event at physical time `physical_ms`: advances and
    /// returns the new timestamp.
    pub fn now(&mut self, physical_ms: i64) -> HybridLogicalClock {
        if physical_ms > self.wall_ms {
            self.wall_ms = physical_ms;
            self.logical = 0;
        } else {
            self.logical = self.logical.saturating_add(1);
        }
        self.clone()
    }
    /// Same as [`HybridLogicalClock::now`]: the timestamp to put on an outgoing message.
    pub fn send(&mut self, physical_ms: i64) -> HybridLogicalClock {
        self.now(physical_ms)
    }
    /// Receive a message stamped `msg` at physical time `physical_ms`.
    pub fn recv(&mut self, msg: &HybridLogicalClock, physical_ms: i64) -> HybridLogicalClock {
        let wall = self.wall_ms.max(msg.wall_ms).max(physical_ms);
        self.logical = if wall == self.wall_ms && wall == msg.wall_ms {
            self.logical.max(msg.logical).saturating_add(1)
        } else if wall == self.wall_ms {
            self.logical.saturating_add(1)
        } else if wall == msg.wall_ms {
            msg.logical.saturating_add(1)
        } else {
            0
        };
        self.wall_ms = wall;
        self.clone()
    }
}

impl Merge for HybridLogicalClock {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        Ok(self.max(other).clone())
    }
}

impl WireType for HybridLogicalClock {
    const TAG: TypeTag = TypeTag::HybridLogicalClock;
    fn to_value(&self) -> Value {
        Value::map([
            ("type", Value::str(HLC)),
            ("wall_ms", Value::Int(self.wall_ms)),
            ("logical", Value::Int(self.logical)),
            ("node_id", Value::str(self.node_id.as_str())),
        ])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, HLC, HLC)?;
        Ok(HybridLogicalClock {
            wall_ms: int_field(v, HLC, "wall_ms")?,
            logical: int_field(v, HLC, "logical")?,
            node_id: str_field(v, HLC, "node_id")?.into(),
        })
    }
}

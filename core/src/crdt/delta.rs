//! Record delta. Payload (no `type` key, as the reference):
//! `{added: [record], modified: [record], removed: [key], version: int,
//! timestamp: number, source_node: str}`; records are dicts.
//!
//! The reference's `compose_deltas` applies deltas in sequence (later
//! removes cancel earlier adds and so on), which depends on the order and is
//! not a join. Our merge is the join of delta *contents*: `added`,
//! `modified` and `removed` are each the union of both sides (as sets of
//! records / keys; duplicates collapse, canonical order = sorted by the
//! canonical form of each item), and the metadata `(version, timestamp,
//! source_node)` is taken whole from the side whose triple is greater.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{as_list, field, int_field, str_field, Timestamp};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "delta";

/// A changeset between two record-set states.
#[derive(Debug, Clone)]
pub struct Delta {
    /// New records.
    pub added: Vec<Value>,
    /// Changed records (new content).
    pub modified: Vec<Value>,
    /// Keys of deleted records.
    pub removed: Vec<Value>,
    /// Version counter.
    pub version: i64,
    /// When the delta was computed.
    pub timestamp: Timestamp,
    /// The node that computed it.
    pub source_node: String,
}

fn canon_set(items: &[Value]) -> Vec<Value> {
    let mut v: Vec<Value> = items.iter().map(Value::sorted).collect();
    v.sort();
    v.dedup();
    v
}

impl Delta {
    /// A delta; the reference's default timestamp is the wall clock, so the
    /// caller passes it.
    pub fn new(
        added: Vec<Value>,
        modified: Vec<Value>,
        removed: Vec<Value>,
        version: i64,
        timestamp: Timestamp,
        source_node: impl Into<String>,
    ) -> Self {
        Delta {
            added,
            modified,
            removed,
            version,
            timestamp,
            source_node: source_node.into(),
        }
    }
    /// Number of changes.
    pub fn size(&self) -> usize {
        self.added.len() + self.modified.len() + self.removed.len()
    }
    fn meta(&self) -> (i64, Timestamp, &str) {
        (self.version, self.timestamp, &self.source_node)
    }
    fn canonical(&self) -> Delta {
        Delta {
            added: canon_set(&self.added),
            modified: canon_set(&self.modified),
            removed: canon_set(&self.removed),
            ..self.clone()
        }
    }
}

impl PartialEq for Delta {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.canonical(), other.canonical());
        a.meta() == b.meta()
            && a.added == b.added
            && a.modified == b.modified
            && a.removed == b.removed
    }
}

impl Merge for Delta {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let cat = |x: &[Value], y: &[Value]| canon_set(&[x, y].concat());
        let m = if self.meta() >= other.meta() {
            self
        } else {
            other
        };
        Ok(Delta {
            added: cat(&self.added, &other.added),
            modified: cat(&self.modified, &other.modified),
            removed: cat(&self.removed, &other.removed),
            version: m.version,
            timestamp: m.timestamp,
            source_node: m.source_node.clone(),
        })
    }
}

fn records(v: &Value, name: &str) -> Result<Vec<Value>, DecodeError> {
    let items = as_list(field(v, TY, name)?, TY, name)?;
    for (i, r) in items.iter().enumerate() {
        if r.as_map().is_none() {
            return Err(DecodeError::shape(
                TY,
                format!("{name}[{i}] must be a dict, found {}", r.type_name()),
            ));
        }
    }
    Ok(items.to_vec())
}

impl WireType for Delta {
    const TAG: TypeTag = TypeTag::Delta;
    fn to_value(&self) -> Value {
        Value::map([
            ("added", Value::List(self.added.clone())),
            ("modified", Value::List(self.modified.clone())),
            ("removed", Value::List(self.removed.clone())),
            ("version", Value::Int(self.version)),
            ("timestamp", self.timestamp.to_value()),
            ("source_node", Value::str(self.source_node.as_str())),
        ])
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        super::as_map(v, TY, "payload")?;
        Ok(Delta {
            added: records(v, "added")?,
            modified: records(v, "modified")?,
            removed: as_list(field(v, TY, "removed")?, TY, "removed")?.to_vec(),
            version: int_field(v, TY, "version")?,
            timestamp: Timestamp::from_value(field(v, TY, "timestamp")?, TY, "field `timestamp`")?,
            source_node: str_field(v, TY, "source_node")?.into(),
        })
    }
    fn to_view(&self) -> Value {
        self.canonical().to_value().sorted()
    }
}

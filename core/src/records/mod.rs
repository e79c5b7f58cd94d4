//! The JSON-payload record types of the reference (tags 0x42–0x47 and
//! 0x50–0x55): Merkle tree and diff, gossip state and entry, schema evolution
//! result and change, MergeQL query/plan/result, Parquet merge metadata and
//! provenance records.
//!
//! Every type keeps the fields the reference knows as typed fields and every
//! other top-level entry in `extra` (written back after the known fields, so
//! nothing is lost). `to_value` writes exactly the dict the reference's
//! serializer builds, in its key order; a decoded frame re-encodes byte for
//! byte. Fields the reference fills with a default when absent are written
//! with that default, as the reference's own decode → encode does.
//!
//! One file per family:
//! - [`merkle`] — [`MerkleTree`] (0x42), [`MerkleDiff`] (0x47)
//! - [`gossip`] — [`GossipState`] (0x43), [`GossipEntry`] (0x44)
//! - [`schema_evolution`] — [`SchemaEvolutionResult`] (0x45), [`SchemaChange`] (0x46)
//! - [`mergeql`] — [`MergeqlQuery`] (0x50), [`MergePlan`] (0x51), [`MergeqlResult`] (0x52)
//! - [`parquet_meta`] — [`ParquetMergeMetadata`] (0x53)
//! - [`provenance`] — [`ConflictRecord`] (0x54), [`ConflictTopology`] (0x55)

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::DecodeError;
use crate::ordered_map::OrderedMap;
use crate::value::Value;

pub mod gossip;
pub mod mergeql;
pub mod merkle;
pub mod parquet_meta;
pub mod provenance;
pub mod schema_evolution;

pub use gossip::{GossipEntry, GossipState, VectorClockState};
pub use mergeql::{MergePlan, MergeqlQuery, MergeqlResult};
pub use merkle::{MerkleDiff, MerkleTree};
pub use parquet_meta::ParquetMergeMetadata;
pub use provenance::{ConflictRecord, ConflictTopology, MergeDecision};
pub use schema_evolution::{SchemaChange, SchemaEvolutionResult, SchemaPolicy};

/// Entries of a payload map that the reference does not know, kept in order.
pub type Extra = OrderedMap<Value, Value>;

/// Reads a payload map field by field and collects what is left as [`Extra`].
pub(crate) struct Fields<'a> {
    name: &'static str,
    entries: &'a [(Value, Value)],
    used: Vec<bool>,
}

impl<'a> Fields<'a> {
    /// Start reading `v`, which must be a map.
    pub(crate) fn new(name: &'static str, v: &'a Value) -> Result<Self, DecodeError> {
        let entries = v.as_map().ok_or_else(|| {
            DecodeError::shape(
                name,
                format!("payload must be a dict, found {}", v.type_name()),
            )
        })?;
        Ok(Fields {
            name,
            entries,
            used: alloc::vec![false; entries.len()],
        })
    }

    /// A shape error for this type.
    pub(crate) fn err(&self, msg: impl Into<String>) -> DecodeError {
        DecodeError::shape(self.name, msg)
    }

    /// The value of `key` (the last duplicate wins, as in a Python dict); marks
    /// every duplicate as read.
    pub(crate) fn take(&mut self, key: &str) -> Option<&'a Value> {
        let mut found = None;
        for (i, (k, v)) in self.entries.iter().enumerate() {
            if matches!(k, Value::Str(s) if s == key) {
                self.used[i] = true;
                found = Some(v);
            }
        }
        found
    }

    /// A required field.
    pub(crate) fn req(&mut self, key: &str) -> Result<&'a Value, DecodeError> {
        self.take(key)
            .ok_or_else(|| self.err(format!("missing field \"{key}\"")))
    }

    fn wrong(&self, key: &str, want: &str, v: &Value) -> DecodeError {
        self.err(format!(
            "field \"{key}\" must be {want}, found {}",
            v.type_name()
        ))
    }

    /// Check a field's value is a string.
    pub(crate) fn as_string(&self, key: &str, v: &Value) -> Result<String, DecodeError> {
        v.as_str()
            .map(String::from)
            .ok_or_else(|| self.wrong(key, "a str", v))
    }
    /// Required string.
    pub(crate) fn req_str(&mut self, key: &str) -> Result<String, DecodeError> {
        let v = self.req(key)?;
        self.as_string(key, v)
    }
    /// Optional string (absent or null → None).
    pub(crate) fn opt_str(&mut self, key: &str) -> Result<Option<String>, DecodeError> {
        match self.take(key) {
            None | Some(Value::None) => Ok(None),
            Some(v) => self.as_string(key, v).map(Some),
        }
    }
    /// String with a default when absent.
    pub(crate) fn str_or(&mut self, key: &str, default: &str) -> Result<String, DecodeError> {
        match self.take(key) {
            None => Ok(String::from(default)),
            Some(v) => self.as_string(key, v),
        }
    }
    /// Check a field's value is an int.
    pub(crate) fn as_int(&self, key: &str, v: &Value) -> Result<i64, DecodeError> {
        v.as_int().ok_or_else(|| self.wrong(key, "an int", v))
    }
    /// Required int.
    pub(crate) fn req_int(&mut self, key: &str) -> Result<i64, DecodeError> {
        let v = self.req(key)?;
        self.as_int(key, v)
    }
    /// Int with a default when absent.
    pub(crate) fn int_or(&mut self, key: &str, default: i64) -> Result<i64, DecodeError> {
        match self.take(key) {
            None => Ok(default),
            Some(v) => self.as_int(key, v),
        }
    }
    /// Optional int (absent or null → None).
    pub(crate) fn opt_int(&mut self, key: &str) -> Result<Option<i64>, DecodeError> {
        match self.take(key) {
            None | Some(Value::None) => Ok(None),
            Some(v) => self.as_int(key, v).map(Some),
        }
    }
    /// Required bool.
    pub(crate) fn req_bool(&mut self, key: &str) -> Result<bool, DecodeError> {
        match self.req(key)? {
            Value::Bool(b) => Ok(*b),
            v => Err(self.wrong(key, "a bool", v)),
        }
    }
    /// Bool with a default when absent.
    pub(crate) fn bool_or(&mut self, key: &str, default: bool) -> Result<bool, DecodeError> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.wrong(key, "a bool", v)),
        }
    }
    /// A number (int or float, kept as given) with a default when absent.
    pub(crate) fn num_or(&mut self, key: &str, default: Value) -> Result<Value, DecodeError> {
        match self.take(key) {
            None => Ok(default),
            Some(v @ (Value::Int(_) | Value::Float(_))) => Ok(v.clone()),
            Some(v) => Err(self.wrong(key, "a number", v)),
        }
    }
    /// Check a field's value is a dict and copy it.
    pub(crate) fn as_dict(
        &self,
        key: &str,
        v: &Value,
    ) -> Result<OrderedMap<Value, Value>, DecodeError> {
        match v {
            Value::Map(m) => Ok(m.iter().cloned().collect()),
            _ => Err(self.wrong(key, "a dict", v)),
        }
    }
    /// Required dict.
    pub(crate) fn req_dict(&mut self, key: &str) -> Result<OrderedMap<Value, Value>, DecodeError> {
        let v = self.req(key)?;
        self.as_dict(key, v)
    }
    /// Dict, empty when absent.
    pub(crate) fn dict_or_empty(
        &mut self,
        key: &str,
    ) -> Result<OrderedMap<Value, Value>, DecodeError> {
        match self.take(key) {
            None => Ok(OrderedMap::new()),
            Some(v) => self.as_dict(key, v),
        }
    }
    /// Optional dict (absent or null → None).
    pub(crate) fn opt_dict(
        &mut self,
        key: &str,
    ) -> Result<Option<OrderedMap<Value, Value>>, DecodeError> {
        match self.take(key) {
            None | Some(Value::None) => Ok(None),
            Some(v) => self.as_dict(key, v).map(Some),
        }
    }
    /// Check a field's value is a list.
    pub(crate) fn as_list(&self, key: &str, v: &'a Value) -> Result<&'a [Value], DecodeError> {
        v.as_list().ok_or_else(|| self.wrong(key, "a list", v))
    }
    /// Required list.
    pub(crate) fn req_list(&mut self, key: &str) -> Result<&'a [Value], DecodeError> {
        let v = self.req(key)?;
        self.as_list(key, v)
    }
    /// List, empty when absent.
    pub(crate) fn list_or_empty(&mut self, key: &str) -> Result<&'a [Value], DecodeError> {
        match self.take(key) {
            None => Ok(&[]),
            Some(v) => self.as_list(key, v),
        }
    }
    /// A list of strings.
    pub(crate) fn str_list(&self, key: &str, items: &[Value]) -> Result<Vec<String>, DecodeError> {
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str().map(String::from).ok_or_else(|| {
                    self.err(format!(
                        "field \"{key}\"[{i}] must be a str, found {}",
                        v.type_name()
                    ))
                })
            })
            .collect()
    }
    /// A dict whose keys are strings.
    pub(crate) fn str_keyed(
        &self,
        key: &str,
        v: &Value,
    ) -> Result<OrderedMap<String, Value>, DecodeError> {
        let m = v.as_map().ok_or_else(|| self.wrong(key, "a dict", v))?;
        let mut out = OrderedMap::new();
        for (k, val) in m {
            let k = k.as_str().ok_or_else(|| {
                self.err(format!(
                    "keys of field \"{key}\" must be str, found {}",
                    k.type_name()
                ))
            })?;
            out.insert(String::from(k), val.clone());
        }
        Ok(out)
    }

    /// Everything not read, in order (duplicates collapse as in a Python dict).
    pub(crate) fn rest(self) -> Extra {
        self.entries
            .iter()
            .zip(self.used)
            .filter(|(_, u)| !u)
            .map(|(e, _)| e.clone())
            .collect()
    }
}

/// Map with string keys → `Value::Map`.
pub(crate) fn str_map_value<V>(m: &OrderedMap<String, V>, f: impl Fn(&V) -> Value) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (Value::str(k.as_str()), f(v)))
            .collect(),
    )
}

/// `OrderedMap<Value, Value>` → `Value::Map`.
pub(crate) fn dict_value(m: &OrderedMap<Value, Value>) -> Value {
    Value::Map(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// Append `extra` entries to a payload under construction.
pub(crate) fn push_extra(out: &mut Vec<(Value, Value)>, extra: &Extra) {
    out.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
}

/// Join of two extra maps: union by key, the larger value (in the [`Value`]
/// order) on a conflict, keys sorted. Commutative, associative, idempotent.
pub(crate) fn merge_extra(a: &Extra, b: &Extra) -> Extra {
    let mut out = a.clone();
    for (k, v) in b.iter() {
        match out.get_mut(k) {
            Some(cur) => {
                if (v.sorted(), v) > (cur.sorted(), &*cur) {
                    *cur = v.clone();
                }
            }
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out.sort_keys();
    out
}

/// The larger of two numbers by value; on a numeric tie (1 and 1.0) the
/// larger in the [`Value`] order, so the choice is deterministic.
pub(crate) fn max_num(a: &Value, b: &Value) -> Value {
    let (x, y) = (
        a.as_f64().unwrap_or(f64::NEG_INFINITY),
        b.as_f64().unwrap_or(f64::NEG_INFINITY),
    );
    match x.total_cmp(&y) {
        core::cmp::Ordering::Greater => a.clone(),
        core::cmp::Ordering::Less => b.clone(),
        core::cmp::Ordering::Equal => core::cmp::max(a, b).clone(),
    }
}

/// Build a payload map from string-keyed entries.
pub(crate) fn obj(entries: Vec<(&str, Value)>) -> Vec<(Value, Value)> {
    entries
        .into_iter()
        .map(|(k, v)| (Value::str(k), v))
        .collect()
}

/// Finish a 0x50–0x55 payload: extras, then the `"__type"` key the reference
/// appends after the object's fields.
pub(crate) fn finish_tagged(mut out: Vec<(Value, Value)>, extra: &Extra, type_name: &str) -> Value {
    push_extra(&mut out, extra);
    out.push((Value::str("__type"), Value::str(type_name)));
    Value::Map(out)
}

//! Merkle tree (0x42) and Merkle diff (0x47).
//!
//! A [`MerkleTree`] payload is the keyed record set the tree is built over:
//! `{"type": "merkle_tree", "branching_factor", "records": {key: content
//! hash}, "record_data": {key: record}}`. The tree shape itself is derived
//! and never on the wire.
//!
//! Merge: union of keys; for a key on both sides the entry with the larger
//! content hash wins, and on equal hashes the larger record (canonical
//! [`Value`] order) wins; the branching factor is the larger one; keys come
//! out sorted. The reference keeps the receiver's record on equal hashes and
//! the receiver's branching factor, which is not commutative (DEVIATIONS.md).

use alloc::collections::BTreeSet;
use alloc::string::String;

use super::{merge_extra, obj, push_extra, str_map_value, Extra, Fields};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

const TREE: &str = "merkle_tree";
const DIFF: &str = "merkle_diff";

/// A Merkle tree's record set.
#[derive(Debug, Clone, PartialEq)]
pub struct MerkleTree {
    /// Most children per internal node (at least 2; the reference clamps).
    pub branching_factor: i64,
    /// Key → SHA-256 hex of the record's content.
    pub records: OrderedMap<String, String>,
    /// Key → the full record (a dict).
    pub record_data: OrderedMap<String, Value>,
    /// Unknown top-level entries.
    pub extra: Extra,
}

impl Default for MerkleTree {
    fn default() -> Self {
        MerkleTree {
            branching_factor: 16,
            records: OrderedMap::new(),
            record_data: OrderedMap::new(),
            extra: Extra::new(),
        }
    }
}

impl WireType for MerkleTree {
    const TAG: TypeTag = TypeTag::MerkleTree;

    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("type", Value::str(TREE)),
            ("branching_factor", Value::Int(self.branching_factor)),
            (
                "records",
                str_map_value(&self.records, |h| Value::str(h.as_str()))
            ),
            (
                "record_data",
                str_map_value(&self.record_data, Value::clone)
            ),
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(TREE, v)?;
        // The reference ignores "type" on decode and always writes "merkle_tree".
        f.take("type");
        let branching_factor = f.int_or("branching_factor", 16)?.max(2);
        let mut records = OrderedMap::new();
        if let Some(r) = f.take("records") {
            for (k, h) in f.str_keyed("records", r)?.iter() {
                let h = h.as_str().ok_or_else(|| {
                    f.err(alloc::format!(
                        "records[\"{k}\"] must be a str hash, found {}",
                        h.type_name()
                    ))
                })?;
                records.insert(k.clone(), String::from(h));
            }
        }
        let mut record_data = OrderedMap::new();
        if let Some(r) = f.take("record_data") {
            for (k, d) in f.str_keyed("record_data", r)?.iter() {
                if !matches!(d, Value::Map(_)) {
                    return Err(f.err(alloc::format!(
                        "record_data[\"{k}\"] must be a dict, found {}",
                        d.type_name()
                    )));
                }
                // The reference copies each record with dict(): duplicate keys collapse.
                let m: OrderedMap<Value, Value> =
                    d.as_map().unwrap_or(&[]).iter().cloned().collect();
                record_data.insert(k.clone(), super::dict_value(&m));
            }
        }
        Ok(MerkleTree {
            branching_factor,
            records,
            record_data,
            extra: f.rest(),
        })
    }
}

impl Merge for MerkleTree {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let keys: BTreeSet<&String> = self
            .records
            .keys()
            .chain(self.record_data.keys())
            .chain(other.records.keys())
            .chain(other.record_data.keys())
            .collect();
        let mut out = MerkleTree {
            branching_factor: self.branching_factor.max(other.branching_factor),
            extra: merge_extra(&self.extra, &other.extra),
            ..MerkleTree::default()
        };
        for k in keys {
            // Larger hash, then larger canonical record, then larger record as written.
            let side = |t: &'_ MerkleTree| {
                let d = t.record_data.get(k);
                (t.records.get(k).cloned(), d.map(Value::sorted), d.cloned())
            };
            let (a, b) = (side(self), side(other));
            let (h, _, d) = if a >= b { a } else { b };
            if let Some(h) = h {
                out.records.insert(k.clone(), h);
            }
            if let Some(d) = d {
                out.record_data.insert(k.clone(), d);
            }
        }
        Ok(out)
    }
}

/// The result of comparing two Merkle trees (no merge: a diff describes one
/// pair of trees, and a union of two diffs is not a diff of anything).
#[derive(Debug, Clone, PartialEq)]
pub struct MerkleDiff {
    /// All differing keys.
    pub differing_keys: BTreeSet<String>,
    /// Keys only in the left tree.
    pub only_in_left: BTreeSet<String>,
    /// Keys only in the right tree.
    pub only_in_right: BTreeSet<String>,
    /// Keys in both trees with different content hashes.
    pub common_different: BTreeSet<String>,
    /// Hash comparisons performed.
    pub comparisons_made: i64,
    /// Unknown top-level entries.
    pub extra: Extra,
}

impl MerkleDiff {
    /// Whether the trees were identical (`differing_keys` empty); derived, as
    /// in the reference, so a payload's `is_identical` is not trusted.
    pub fn is_identical(&self) -> bool {
        self.differing_keys.is_empty()
    }
}

fn key_list(s: &BTreeSet<String>) -> Value {
    Value::List(s.iter().map(|k| Value::str(k.as_str())).collect())
}

impl WireType for MerkleDiff {
    const TAG: TypeTag = TypeTag::MerkleDiff;

    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("differing_keys", key_list(&self.differing_keys)),
            ("only_in_left", key_list(&self.only_in_left)),
            ("only_in_right", key_list(&self.only_in_right)),
            ("common_different", key_list(&self.common_different)),
            ("comparisons_made", Value::Int(self.comparisons_made)),
            ("is_identical", Value::Bool(self.is_identical())),
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(DIFF, v)?;
        let set = |f: &mut Fields, key: &str| -> Result<BTreeSet<String>, DecodeError> {
            let l = f.list_or_empty(key)?;
            Ok(f.str_list(key, l)?.into_iter().collect())
        };
        let differing_keys = set(&mut f, "differing_keys")?;
        let only_in_left = set(&mut f, "only_in_left")?;
        let only_in_right = set(&mut f, "only_in_right")?;
        let common_different = set(&mut f, "common_different")?;
        let comparisons_made = f.int_or("comparisons_made", 0)?;
        if let Some(b) = f.take("is_identical") {
            if !matches!(b, Value::Bool(_)) {
                return Err(f.err(alloc::format!(
                    "field \"is_identical\" must be a bool, found {}",
                    b.type_name()
                )));
            }
        }
        Ok(MerkleDiff {
            differing_keys,
            only_in_left,
            only_in_right,
            common_different,
            comparisons_made,
            extra: f.rest(),
        })
    }
}

impl Merge for MerkleDiff {
    fn merge(&self, _other: &Self) -> Result<Self, MergeError> {
        Err(MergeError::Unsupported(DIFF))
    }
}

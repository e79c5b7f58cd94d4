//! Merkle trees over keyed records: the reference's leaf hashes
//! (`sha256(json.dumps(non-key columns, sort_keys=True, default=str))`),
//! the tree shape (sorted keys, groups of `branching_factor`, parent =
//! `sha256("|".join(child hashes))`, empty tree = `sha256("empty")`), and
//! the diff of two trees.
//!
//! The record set itself is the wire payload [`MerkleTree`] (tag 0x42, in
//! `crate::records::merkle`, which also holds its merge); a diff is
//! [`MerkleDiff`] (0x47). The tree shape is derived here on demand.
//!
//! Leaf hashes cover the content, not the key, so two trees can share a
//! root hash while holding different keys; every node here also carries a
//! hash of its keys and [`diff`] needs both to match before it skips a
//! subtree (the reference would report such trees identical).
//!
//! [`diff`] walks both trees from the root and only descends into subtrees
//! whose hashes differ; where the two trees' shapes stop lining up (a key
//! inserted in one shifts every later group) it compares the leaves under
//! the differing node pair by key. The differing-key sets are exactly the
//! reference's; `comparisons_made` counts the node comparisons this walk
//! really did, so it can be smaller than the reference's (which compares
//! every common key once the roots differ).

use alloc::string::String;
use alloc::vec::Vec;

use super::extras_error::ExtrasError;
use crate::memory::hash::sha256_hex;
use crate::pyrepr::py_str;
use crate::records::{MerkleDiff, MerkleTree};
use crate::value::Value;

/// One node of the derived tree.
#[derive(Debug, Clone, PartialEq)]
pub struct MerkleNode {
    /// SHA-256 hex of the node.
    pub hash: String,
    /// Children (empty for a leaf).
    pub children: Vec<MerkleNode>,
    /// Smallest and largest key under the node.
    pub key_range: (String, String),
    /// Number of records under the node.
    pub count: usize,
    /// SHA-256 hex over the keys under the node (leaf: of the key; parent:
    /// of its children's, joined by `|`). The reference's hashes leave the
    /// keys out, so equal `hash`es alone do not prove equal record sets.
    pub key_hash: String,
}

impl MerkleNode {
    /// Whether the node is a leaf (one record).
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
}

/// The root hash of an empty tree: `sha256("empty")`.
pub fn empty_hash() -> String {
    sha256_hex("empty")
}

/// `v` rewritten as `json.dumps(v, sort_keys=True, default=str)` sees it:
/// dict entries sorted by key (last duplicate wins), bytes and sets replaced
/// by their Python `str`.
fn jsonable(v: &Value) -> Value {
    match v {
        Value::Map(entries) => {
            let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
            for (k, x) in entries {
                let x = jsonable(x);
                match out.iter_mut().find(|(ek, _)| ek == k) {
                    Some(slot) => slot.1 = x,
                    None => out.push((k.clone(), x)),
                }
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Map(out)
        }
        Value::List(items) => Value::List(items.iter().map(jsonable).collect()),
        Value::Bytes(_) | Value::Set(_) => Value::Str(py_str(v)),
        other => other.clone(),
    }
}

/// The reference's content hash of a record: SHA-256 hex of the JSON of
/// every column but `key`, keys sorted, non-JSON values by `str()`.
pub fn record_hash(record: &Value, key: &str) -> Result<String, ExtrasError> {
    let content = Value::Map(
        record
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter(|(k, _)| k.as_str() != Some(key))
            .cloned()
            .collect(),
    );
    let text =
        crate::json::to_string(&jsonable(&content)).map_err(|e| ExtrasError::Unhashable {
            key: py_str(record.get(key).unwrap_or(&Value::Str(String::new()))),
            source: e,
        })?;
    Ok(sha256_hex(&text))
}

/// Build the record set of a tree from dict rows (the reference's
/// `MerkleTree.from_records`): each row's key is `str(row.get(key, ""))`, a
/// later row with the same key replaces an earlier one. `branching_factor`
/// is clamped to at least 2.
pub fn from_records(
    rows: &[Value],
    key: &str,
    branching_factor: i64,
) -> Result<MerkleTree, ExtrasError> {
    let mut tree = MerkleTree {
        branching_factor: branching_factor.max(2),
        ..MerkleTree::default()
    };
    for (i, r) in rows.iter().enumerate() {
        if matches!(r, Value::None) {
            continue;
        }
        let Some(m) = r.as_map() else {
            return Err(ExtrasError::NotARecord {
                what: "records",
                index: i,
                found: r.type_name(),
            });
        };
        let k = py_str(r.get(key).unwrap_or(&Value::Str(String::new())));
        let h = record_hash(r, key)?;
        tree.records.insert(k.clone(), h);
        // dict(record): one entry per key, last duplicate wins.
        let mut d: Vec<(Value, Value)> = Vec::with_capacity(m.len());
        for (ck, cv) in m {
            match d.iter_mut().find(|(ek, _)| ek == ck) {
                Some(slot) => slot.1 = cv.clone(),
                None => d.push((ck.clone(), cv.clone())),
            }
        }
        tree.record_data.insert(k, Value::Map(d));
    }
    Ok(tree)
}

/// Insert or replace one record under `key` (the reference's
/// `MerkleTree.insert`): the column left out of the hash is `id` when
/// `str(record["id"]) == key`, else the first column whose `str` equals the
/// key, else `id`.
pub fn insert(tree: &mut MerkleTree, key: &str, record: &Value) -> Result<(), ExtrasError> {
    let Some(m) = record.as_map() else {
        return Err(ExtrasError::NotARecord {
            what: "record",
            index: 0,
            found: record.type_name(),
        });
    };
    let id_str = py_str(record.get("id").unwrap_or(&Value::Str(String::new())));
    let exclude = if id_str == key {
        String::from("id")
    } else {
        m.iter()
            .find(|(_, v)| py_str(v) == key)
            .map(|(k, _)| py_str(k))
            .unwrap_or_else(|| String::from("id"))
    };
    let h = record_hash(record, &exclude)?;
    tree.records.insert(String::from(key), h);
    tree.record_data.insert(String::from(key), record.clone());
    Ok(())
}

/// Remove the record under `key`; true when it was there.
pub fn delete(tree: &mut MerkleTree, key: &str) -> bool {
    let k = String::from(key);
    let had = tree.records.remove(&k).is_some();
    tree.record_data.remove(&k);
    had
}

fn joined_hash<'a>(parts: impl Iterator<Item = &'a String>) -> String {
    let mut s = String::new();
    for (i, p) in parts.enumerate() {
        if i > 0 {
            s.push('|');
        }
        s.push_str(p);
    }
    sha256_hex(&s)
}

/// The derived tree (`None` for an empty record set).
pub fn build(tree: &MerkleTree) -> Option<MerkleNode> {
    let mut keys: Vec<(&String, &String)> = tree.records.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    let mut level: Vec<MerkleNode> = keys
        .into_iter()
        .map(|(k, h)| MerkleNode {
            hash: h.clone(),
            children: Vec::new(),
            key_range: (k.clone(), k.clone()),
            count: 1,
            key_hash: sha256_hex(k),
        })
        .collect();
    let bf = tree.branching_factor.max(2) as usize;
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(bf));
        let mut it = level.into_iter().peekable();
        while it.peek().is_some() {
            let group: Vec<MerkleNode> = it.by_ref().take(bf).collect();
            next.push(MerkleNode {
                hash: joined_hash(group.iter().map(|c| &c.hash)),
                key_hash: joined_hash(group.iter().map(|c| &c.key_hash)),
                key_range: (
                    group[0].key_range.0.clone(),
                    group[group.len() - 1].key_range.1.clone(),
                ),
                count: group.iter().map(|c| c.count).sum(),
                children: group,
            });
        }
        level = next;
    }
    level.pop()
}

/// The root hash: two trees with equal root hashes hold the same keys and
/// contents.
pub fn root_hash(tree: &MerkleTree) -> String {
    build(tree).map(|n| n.hash).unwrap_or_else(empty_hash)
}

/// Height: 0 for empty, 1 for a single leaf.
pub fn height(tree: &MerkleTree) -> usize {
    let mut h = 0;
    let mut node = build(tree);
    while let Some(n) = node {
        h += 1;
        node = n.children.into_iter().next();
    }
    h
}

fn leaves<'a>(n: &'a MerkleNode, out: &mut Vec<&'a MerkleNode>) {
    if n.is_leaf() {
        out.push(n);
    } else {
        for c in &n.children {
            leaves(c, out);
        }
    }
}

fn walk(a: &MerkleNode, b: &MerkleNode, d: &mut MerkleDiff) {
    d.comparisons_made += 1;
    if a.hash == b.hash && a.key_hash == b.key_hash {
        return;
    }
    let aligned = a.children.len() == b.children.len()
        && !a.is_leaf()
        && a.children
            .iter()
            .zip(&b.children)
            .all(|(x, y)| x.key_range == y.key_range && x.count == y.count);
    if aligned {
        for (x, y) in a.children.iter().zip(&b.children) {
            walk(x, y, d);
        }
        return;
    }
    // Shapes diverge: compare the leaves under the pair by key.
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    leaves(a, &mut la);
    leaves(b, &mut lb);
    let (mut i, mut j) = (0, 0);
    while i < la.len() || j < lb.len() {
        let ka = la.get(i).map(|n| &n.key_range.0);
        let kb = lb.get(j).map(|n| &n.key_range.0);
        match (ka, kb) {
            (Some(x), Some(y)) if x == y => {
                d.comparisons_made += 1;
                if la[i].hash != lb[j].hash {
                    d.common_different.insert(x.clone());
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                d.only_in_left.insert(x.clone());
                i += 1;
            }
            (Some(x), None) => {
                d.only_in_left.insert(x.clone());
                i += 1;
            }
            (_, Some(y)) => {
                d.only_in_right.insert(y.clone());
                j += 1;
            }
            (None, None) => break,
        }
    }
}

/// Diff two trees (the reference's `merkle_diff`): keys only on the left,
/// only on the right, and on both sides with different content hashes.
pub fn diff(left: &MerkleTree, right: &MerkleTree) -> MerkleDiff {
    let mut d = MerkleDiff {
        differing_keys: Default::default(),
        only_in_left: Default::default(),
        only_in_right: Default::default(),
        common_different: Default::default(),
        comparisons_made: 0,
        extra: Default::default(),
    };
    match (build(left), build(right)) {
        (None, None) => d.comparisons_made = 1,
        (Some(_), None) => {
            d.comparisons_made = 1;
            d.only_in_left = left.records.keys().cloned().collect();
        }
        (None, Some(_)) => {
            d.comparisons_made = 1;
            d.only_in_right = right.records.keys().cloned().collect();
        }
        (Some(a), Some(b)) => walk(&a, &b, &mut d),
    }
    d.differing_keys = d
        .only_in_left
        .iter()
        .chain(&d.only_in_right)
        .chain(&d.common_different)
        .cloned()
        .collect();
    d
}

/// Build two trees from dict rows and diff them (the reference's
/// `compare_datasets`).
pub fn compare_datasets(
    left: &[Value],
    right: &[Value],
    key: &str,
    branching_factor: i64,
) -> Result<MerkleDiff, ExtrasError> {
    Ok(diff(
        &from_records(left, key, branching_factor)?,
        &from_records(right, key, branching_factor)?,
    ))
}

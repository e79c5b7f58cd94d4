//! Delta sync of a keyed table: compute the changeset between two versions
//! (added / modified / removed), apply it, compose several into one, and a
//! [`DeltaStore`] that remembers the last state and every delta it produced.
//!
//! Deltas are the wire [`Delta`] frame (tag 0x10, `crate::crdt::delta`),
//! byte-compatible with the reference's `crdt_merge.delta.Delta`; this module
//! holds the logic of the reference's `compute_delta`, `apply_delta`,
//! `compose_deltas` and `DeltaStore`.
//!
//! Rows are dict [`Value`]s (see [`crate::table::Table::to_dict_rows`]).
//! Keys are matched as Python dict keys (`1`, `1.0` and `True` are one key);
//! a record changed when `"|".join(f"{k}={v}")` over its sorted non-key
//! columns (Python `str` of each value) changed, as the reference decides.
//! Removed keys travel as `str(key)`.
//!
//! Composition is sequential: per key the last operation wins, and a
//! modification after an add or a removal becomes an add. That rule only
//! depends on the sequence of operations per key, so [`compose`] is
//! associative and `apply(compose(d1, d2)) == apply(apply(d1), d2)`.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use super::extras_error::ExtrasError;
use crate::crdt::{Delta, Timestamp};
use crate::ordered_map::OrderedMap;
use crate::pyrepr::py_str;
use crate::value::Value;

/// Python's dict-key identity of a key value: `True`/`1`/`1.0` are one key.
/// Lists, dicts and sets are unhashable in Python and rejected.
pub(crate) fn key_identity(v: &Value) -> Option<Value> {
    match v {
        Value::Bool(b) => Some(Value::Int(*b as i64)),
        Value::Float(f) if libm::trunc(*f) == *f && libm::fabs(*f) < 9.2e18 => {
            Some(Value::Int(*f as i64))
        }
        Value::List(_) | Value::Map(_) | Value::Set(_) => None,
        other => Some(other.clone()),
    }
}

/// Python `==` between two values: numbers compare across int/float/bool,
/// containers element-wise, everything else structurally.
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .rev()
                        .find(|(k2, _)| py_eq(k, k2))
                        .is_some_and(|(_, v2)| py_eq(v, v2))
                })
        }
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(*b as i64 as f64),
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// The key of a row: `None` when the column is absent or null (the
/// reference's `r.get(key) is not None` test).
fn row_key<'a>(
    row: &'a Value,
    key: &str,
    what: &'static str,
    index: usize,
) -> Result<Option<&'a Value>, ExtrasError> {
    if row.as_map().is_none() {
        return Err(ExtrasError::NotARecord {
            what,
            index,
            found: row.type_name(),
        });
    }
    Ok(row.get(key).filter(|k| !matches!(k, Value::None)))
}

fn identity(k: &Value, what: &'static str, index: usize) -> Result<Value, ExtrasError> {
    key_identity(k).ok_or(ExtrasError::UnhashableKey {
        what,
        index,
        found: k.type_name(),
    })
}

/// The reference's change-detection content of a record: `k=str(v)` over the
/// non-key columns in sorted order, joined by `|` (it hashes this string).
pub fn record_content(record: &Value, key: &str) -> String {
    let mut cols: Vec<(&Value, &Value)> = record
        .as_map()
        .unwrap_or(&[])
        .iter()
        .filter(|(k, _)| k.as_str() != Some(key))
        .map(|(k, v)| (k, v))
        .collect();
    cols.sort_by(|a, b| a.0.cmp(b.0));
    // A Python dict holds each key once: the last duplicate wins.
    let mut out = String::new();
    let mut i = 0;
    let mut first = true;
    while i < cols.len() {
        let mut j = i;
        while j + 1 < cols.len() && cols[j + 1].0 == cols[i].0 {
            j += 1;
        }
        if !first {
            out.push('|');
        }
        first = false;
        out.push_str(&py_str(cols[i].0));
        out.push('=');
        out.push_str(&py_str(cols[j].1));
        i = j + 1;
    }
    out
}

/// A keyed index of rows: identity → (row, content), in first-seen order.
type Index = OrderedMap<Value, (Value, String)>;

fn index_rows(rows: &[Value], key: &str, what: &'static str) -> Result<Index, ExtrasError> {
    let mut idx = Index::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(k) = row_key(r, key, what, i)? {
            let id = identity(k, what, i)?;
            idx.insert(id, (r.clone(), record_content(r, key)));
        }
    }
    Ok(idx)
}

fn diff_index(old: &Index, new: &Index, key: &str) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut added = Vec::new();
    let mut modified = Vec::new();
    for (id, (r, content)) in new.iter() {
        match old.get(id) {
            None => added.push(r.clone()),
            Some((_, old_content)) if old_content != content => modified.push(r.clone()),
            Some(_) => {}
        }
    }
    let removed = old
        .iter()
        .filter(|(id, _)| !new.contains_key(id))
        .map(|(_, (r, _))| Value::Str(py_str(r.get(key).unwrap_or(&Value::None))))
        .collect();
    (added, modified, removed)
}

/// The delta from `old` to `new` (the reference's `compute_delta`). Rows
/// without a key value are ignored, as the reference does; a later row with
/// the same key replaces an earlier one.
pub fn compute_delta(
    old: &[Value],
    new: &[Value],
    key: &str,
    version: i64,
    timestamp: Timestamp,
    source_node: &str,
) -> Result<Delta, ExtrasError> {
    let old = index_rows(old, key, "old")?;
    let new = index_rows(new, key, "new")?;
    let (added, modified, removed) = diff_index(&old, &new, key);
    Ok(Delta::new(
        added,
        modified,
        removed,
        version,
        timestamp,
        source_node,
    ))
}

/// How `apply_delta` combines a modified record with the row it replaces.
pub trait ColumnResolver {
    /// The value of column `col` when the old row has `old` and the delta has
    /// `new` (both non-null and not equal).
    fn resolve(&self, col: &str, old: &Value, new: &Value) -> Value;
}

impl<F: Fn(&str, &Value, &Value) -> Value> ColumnResolver for F {
    fn resolve(&self, col: &str, old: &Value, new: &Value) -> Value {
        self(col, old, new)
    }
}

/// A merge schema resolves a column as the reference's `apply_delta` does:
/// `schema.strategy_for(col).resolve(old, new)` with both timestamps 0.
impl ColumnResolver for crate::table::MergeSchema {
    fn resolve(&self, col: &str, old: &Value, new: &Value) -> Value {
        self.strategy_for(col)
            .resolve(old.clone(), new.clone(), 0.0, 0.0)
    }
}

fn merge_rows(old: &Value, new: &Value, resolver: &dyn ColumnResolver) -> Value {
    let mut cols: Vec<&Value> = Vec::new();
    for (k, _) in old
        .as_map()
        .unwrap_or(&[])
        .iter()
        .chain(new.as_map().unwrap_or(&[]))
    {
        if !cols.contains(&k) {
            cols.push(k);
        }
    }
    let get = |r: &Value, k: &Value| -> Value {
        r.as_map()
            .unwrap_or(&[])
            .iter()
            .rev()
            .find(|(k2, _)| k2 == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::None)
    };
    let merged = cols
        .into_iter()
        .map(|c| {
            let (va, vb) = (get(old, c), get(new, c));
            let v = if matches!(va, Value::None) {
                vb
            } else if matches!(vb, Value::None) || py_eq(&va, &vb) {
                va
            } else {
                resolver.resolve(&py_str(c), &va, &vb)
            };
            (c.clone(), v)
        })
        .collect();
    Value::Map(merged)
}

/// Apply `delta` to `rows` (the reference's `apply_delta`): removals, then
/// modifications (replace, or combine column by column with `resolver`
/// when given and the row exists), then additions (replace).
///
/// Differences from the reference (wire-spec/table-extras.md): rows without
/// a key value are kept (appended after the keyed rows) instead of being
/// dropped; a removed key removes every row whose `str(key)` equals it (the
/// reference misses float and bool keys); a delta record without a key is a
/// [`ExtrasError::MissingKey`] error.
pub fn apply_delta(
    rows: &[Value],
    delta: &Delta,
    key: &str,
    resolver: Option<&dyn ColumnResolver>,
) -> Result<Vec<Value>, ExtrasError> {
    let mut index: OrderedMap<Value, Value> = OrderedMap::new();
    let mut keyless = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match row_key(r, key, "rows", i)? {
            Some(k) => {
                index.insert(identity(k, "rows", i)?, r.clone());
            }
            None => keyless.push(r.clone()),
        }
    }
    let removed: BTreeSet<String> = delta.removed.iter().map(py_str).collect();
    if !removed.is_empty() {
        index = index
            .iter()
            .filter(|(_, r)| !removed.contains(&py_str(r.get(key).unwrap_or(&Value::None))))
            .map(|(id, r)| (id.clone(), r.clone()))
            .collect();
    }
    let keyed = |what: &'static str, i: usize, r: &Value| -> Result<Value, ExtrasError> {
        match row_key(r, key, what, i)? {
            Some(k) => identity(k, what, i),
            None => Err(ExtrasError::MissingKey {
                what,
                index: i,
                key: key.into(),
            }),
        }
    };
    for (i, r) in delta.modified.iter().enumerate() {
        let id = keyed("modified", i, r)?;
        let new = match (index.get(&id), resolver) {
            (Some(old), Some(res)) => merge_rows(old, r, res),
            _ => r.clone(),
        };
        index.insert(id, new);
    }
    for (i, r) in delta.added.iter().enumerate() {
        let id = keyed("added", i, r)?;
        index.insert(id, r.clone());
    }
    let mut out: Vec<Value> = index.values().cloned().collect();
    out.extend(keyless);
    Ok(out)
}

/// One composed operation on a key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Modify,
}

/// Compose deltas applied in order into one (the reference's
/// `compose_deltas` with `key` given). Records are identified by
/// `str(record[key])` (records without the key by their content); the
/// version is the largest, the timestamp the latest (the reference stamps
/// the wall clock), the source node empty. `removed` comes out sorted.
pub fn compose(deltas: &[Delta], key: &str) -> Result<Delta, ExtrasError> {
    let mut live: OrderedMap<String, (Op, Value)> = OrderedMap::new();
    let mut removed: BTreeMap<String, ()> = BTreeMap::new();
    let rid = |what: &'static str, i: usize, r: &Value| -> Result<String, ExtrasError> {
        if r.as_map().is_none() {
            return Err(ExtrasError::NotARecord {
                what,
                index: i,
                found: r.type_name(),
            });
        }
        Ok(match r.get(key) {
            Some(k) => py_str(k),
            None => {
                let mut s = String::from("\u{0}content:");
                s.push_str(&crate::pyrepr::repr(&r.sorted()));
                s
            }
        })
    };
    for d in deltas {
        for k in &d.removed {
            let k = py_str(k);
            live.remove(&k);
            removed.insert(k, ());
        }
        for (i, r) in d.modified.iter().enumerate() {
            let id = rid("modified", i, r)?;
            let op = if removed.remove(&id).is_some() {
                Op::Add
            } else {
                match live.get(&id) {
                    Some((Op::Add, _)) => Op::Add,
                    _ => Op::Modify,
                }
            };
            // An updated key keeps its place, as in the reference's dicts.
            live.insert(id, (op, r.clone()));
        }
        for (i, r) in d.added.iter().enumerate() {
            let id = rid("added", i, r)?;
            removed.remove(&id);
            if let Some((Op::Modify, _)) = live.get(&id) {
                live.remove(&id);
            }
            live.insert(id, (Op::Add, r.clone()));
        }
    }
    let pick = |op: Op| -> Vec<Value> {
        live.values()
            .filter(|(o, _)| *o == op)
            .map(|(_, r)| r.clone())
            .collect()
    };
    let version = deltas.iter().map(|d| d.version).max().unwrap_or(0);
    let timestamp = deltas
        .iter()
        .map(|d| d.timestamp)
        .max()
        .unwrap_or_else(|| Timestamp::from_int(0));
    Ok(Delta::new(
        pick(Op::Add),
        pick(Op::Modify),
        removed.into_keys().map(Value::Str).collect(),
        version,
        timestamp,
        "",
    ))
}

/// A node's keyed table with a version counter and the log of every delta
/// it produced, so a peer at version `v` can be sent one composed delta.
#[derive(Debug, Clone)]
pub struct DeltaStore {
    key: String,
    node_id: String,
    version: i64,
    current: Index,
    log: Vec<Delta>,
}

impl DeltaStore {
    /// An empty store keyed on column `key`.
    pub fn new(key: &str, node_id: &str) -> DeltaStore {
        DeltaStore {
            key: key.into(),
            node_id: node_id.into(),
            version: 0,
            current: Index::new(),
            log: Vec::new(),
        }
    }

    /// Take `rows` as the new state and return the delta from the previous
    /// one. As in the reference, while the store is empty an ingest only sets
    /// the state and returns `None` (no version is spent).
    pub fn ingest(
        &mut self,
        rows: &[Value],
        timestamp: Timestamp,
    ) -> Result<Option<Delta>, ExtrasError> {
        let new = index_rows(rows, &self.key, "rows")?;
        if self.current.is_empty() {
            self.current = new;
            return Ok(None);
        }
        self.version += 1;
        let (added, modified, removed) = diff_index(&self.current, &new, &self.key);
        self.current = new;
        let d = Delta::new(
            added,
            modified,
            removed,
            self.version,
            timestamp,
            self.node_id.as_str(),
        );
        self.log.push(d.clone());
        Ok(Some(d))
    }

    /// Apply a delta received from a peer to the current state (no version
    /// is spent; the delta is not logged).
    pub fn apply(
        &mut self,
        delta: &Delta,
        resolver: Option<&dyn ColumnResolver>,
    ) -> Result<(), ExtrasError> {
        let rows = apply_delta(&self.records(), delta, &self.key, resolver)?;
        self.current = index_rows(&rows, &self.key, "rows")?;
        Ok(())
    }

    /// The deltas after version `since`, composed into one (`None` when the
    /// store has produced nothing after it).
    pub fn delta_since(&self, since: i64) -> Result<Option<Delta>, ExtrasError> {
        let after: Vec<Delta> = self
            .log
            .iter()
            .filter(|d| d.version > since)
            .cloned()
            .collect();
        if after.is_empty() {
            return Ok(None);
        }
        compose(&after, &self.key).map(Some)
    }

    /// The current version (number of non-initial ingests).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Number of keyed rows held.
    pub fn size(&self) -> usize {
        self.current.len()
    }

    /// The key column.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The rows held, in first-seen key order.
    pub fn records(&self) -> Vec<Value> {
        self.current.values().map(|(r, _)| r.clone()).collect()
    }
}

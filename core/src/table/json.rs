//! Deep JSON merge: [`merge_dicts`] (the reference's `json_merge.merge_dicts`)
//! and keyed JSON-lines merge ([`merge_json_lines`], [`merge_json_lines_text`]).
//!
//! `merge_dicts(a, b)`: keys of either side are kept (A's order, then B's new
//! keys); a null on one side keeps the other side's value; two dicts merge
//! recursively; two lists concatenate with repeated items dropped (first
//! kept); equal values (Python `==`) keep A's; any other conflict goes to
//! the later timestamp of the dotted path (`"a.b.c"`) in the timestamp maps,
//! and to B on equal timestamps, as in the reference (so this merge is not
//! commutative: it is the reference's "B is the latest write" convention).

use alloc::string::String;
use alloc::vec::Vec;
use core::hash::{BuildHasher, Hash, Hasher};

use hashbrown::HashTable;

use super::error::TableError;
use super::pycmp::{hash_key, hashable, py_eq};
use crate::value::Value;

fn ts_of(ts: Option<&Value>, path: &str) -> f64 {
    ts.and_then(|m| m.get(path))
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
}

/// Deep-merge two dicts (`Value::Map`); `ts_a` / `ts_b` map dotted paths to
/// timestamps (a dict of numbers, or `None`). Non-dict inputs: B wins unless null.
pub fn merge_dicts(a: &Value, b: &Value, ts_a: Option<&Value>, ts_b: Option<&Value>) -> Value {
    merge_at(a, b, ts_a, ts_b, "")
}

fn merge_at(a: &Value, b: &Value, ts_a: Option<&Value>, ts_b: Option<&Value>, path: &str) -> Value {
    let (Value::Map(ma), Value::Map(mb)) = (a, b) else {
        return if matches!(b, Value::None) {
            a.clone()
        } else {
            b.clone()
        };
    };
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(ma.len() + mb.len());
    let find = |m: &[(Value, Value)], k: &Value| {
        m.iter().rev().find(|(x, _)| x == k).map(|(_, v)| v.clone())
    };
    let mut keys: Vec<&Value> = Vec::new();
    for (k, _) in ma.iter().chain(mb.iter()) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for k in keys {
        let key_str = match k {
            Value::Str(s) => s.clone(),
            other => crate::pyrepr::py_str(other),
        };
        let full = if path.is_empty() {
            key_str
        } else {
            let mut p = String::from(path);
            p.push('.');
            p.push_str(&key_str);
            p
        };
        let (va, vb) = (find(ma, k), find(mb, k));
        let v = match (va, vb) {
            (None, Some(vb)) => vb,
            (Some(va), None) => va,
            (Some(va), Some(vb)) => match (&va, &vb) {
                (_, Value::None) if !matches!(va, Value::None) => va,
                (Value::None, _) if !matches!(vb, Value::None) => vb,
                (Value::Map(_), Value::Map(_)) => merge_at(&va, &vb, ts_a, ts_b, &full),
                (Value::List(la), Value::List(lb)) => Value::List(merge_lists(la, lb)),
                _ if py_eq(&va, &vb) => va,
                _ => {
                    if ts_of(ts_a, &full) > ts_of(ts_b, &full) {
                        va
                    } else {
                        vb
                    }
                }
            },
            (None, None) => Value::None,
        };
        out.push((k.clone(), v));
    }
    Value::Map(out)
}

/// Identity of a list item for de-duplication: scalars by Python `==`
/// (`1`, `1.0`, `True` are one item, as in a Python set); dicts, lists and
/// sets by typed value (the reference compares their `str()`, which merges
/// `{"a": 1}` with `{"a": "1"}`: see the deviations in wire-spec/table.md).
fn item_hash<S: BuildHasher>(s: &S, v: &Value) -> u64 {
    let mut h = s.build_hasher();
    if hashable(v) {
        hash_key(v, &mut h);
    } else {
        v.hash(&mut h);
    }
    h.finish()
}

fn item_eq(x: &Value, y: &Value) -> bool {
    if hashable(x) && hashable(y) {
        py_eq(x, y)
    } else {
        x == y
    }
}

/// Concatenate two lists, dropping repeated items (first occurrence kept).
pub fn merge_lists(a: &[Value], b: &[Value]) -> Vec<Value> {
    dedup_items(a.iter().chain(b))
}

fn dedup_items<'v>(items: impl Iterator<Item = &'v Value>) -> Vec<Value> {
    let state = hashbrown::DefaultHashBuilder::default();
    let mut seen: HashTable<usize> = HashTable::new();
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        let h = item_hash(&state, item);
        if seen.find(h, |&i| item_eq(&out[i], item)).is_none() {
            seen.insert_unique(h, out.len(), |&i| item_hash(&state, &out[i]));
            out.push(item.clone());
        }
    }
    out
}

/// Merge two JSON-lines datasets (dicts). With a key: records matched by the
/// key's value are merged with [`merge_dicts`] (A's keys first, then B's new
/// ones; a repeated key keeps the last record), records without the key (or
/// with a null key) are kept at the end, A's then B's (the reference drops
/// them). Without a key: concatenation with repeated records dropped.
pub fn merge_json_lines(
    a: &[Value],
    b: &[Value],
    key: Option<&str>,
) -> Result<Vec<Value>, TableError> {
    for (side, lines) in [("a", a), ("b", b)] {
        if let Some(i) = lines.iter().position(|l| l.as_map().is_none()) {
            return Err(TableError::BadLine {
                line: i + 1,
                message: alloc::format!(
                    "record of input {side} is a {}, not a JSON object",
                    lines[i].type_name()
                ),
            });
        }
    }
    let Some(key) = key else {
        return Ok(dedup_items(a.iter().chain(b)));
    };
    let state = hashbrown::DefaultHashBuilder::default();
    let mut index: HashTable<usize> = HashTable::new();
    let mut slots: Vec<(Value, Option<&Value>, Option<&Value>)> = Vec::new();
    let mut nulls: Vec<&Value> = Vec::new();
    for (side, lines) in [("a", a), ("b", b)] {
        for (i, line) in lines.iter().enumerate() {
            let k = match line.get(key) {
                None | Some(Value::None) => {
                    nulls.push(line);
                    continue;
                }
                Some(k) => k,
            };
            if !hashable(k) {
                return Err(TableError::UnhashableKey {
                    column: key.into(),
                    type_name: k.type_name(),
                    side,
                    row: i,
                });
            }
            let h = item_hash(&state, k);
            let s = match index.find(h, |&s| py_eq(&slots[s].0, k)) {
                Some(&s) => s,
                None => {
                    let s = slots.len();
                    slots.push((k.clone(), None, None));
                    index.insert_unique(h, s, |&s| item_hash(&state, &slots[s].0));
                    s
                }
            };
            if side == "a" {
                slots[s].1 = Some(line);
            } else {
                slots[s].2 = Some(line);
            }
        }
    }
    let mut out: Vec<Value> = slots
        .into_iter()
        .map(|(_, ra, rb)| match (ra, rb) {
            (Some(x), Some(y)) => merge_dicts(x, y, None, None),
            (Some(x), None) | (None, Some(x)) => x.clone(),
            (None, None) => Value::None,
        })
        .collect();
    out.extend(nulls.into_iter().cloned());
    Ok(out)
}

fn parse_lines(text: &str, side: &str) -> Result<Vec<Value>, TableError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v = crate::json::parse(line).map_err(|e| TableError::BadLine {
            line: i + 1,
            message: alloc::format!("input {side}: {e}"),
        })?;
        if v.as_map().is_none() {
            return Err(TableError::BadLine {
                line: i + 1,
                message: alloc::format!("input {side}: a {}, not a JSON object", v.type_name()),
            });
        }
        out.push(v);
    }
    Ok(out)
}

/// [`merge_json_lines`] over JSON-lines text; the result is JSON-lines text
/// (Python `json.dumps` spacing, one record per line).
pub fn merge_json_lines_text(a: &str, b: &str, key: Option<&str>) -> Result<String, TableError> {
    let merged = merge_json_lines(&parse_lines(a, "a")?, &parse_lines(b, "b")?, key)?;
    let mut out = String::new();
    for v in &merged {
        out.push_str(&crate::json::to_string(v)?);
        out.push('\n');
    }
    Ok(out)
}

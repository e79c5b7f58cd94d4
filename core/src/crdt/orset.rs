//! Observed-remove set, add-wins, with unique tags and tombstones.
//!
//! State: for each element (identified by its wire key, Python `str(elem)`)
//! the live tags, and the removed tags (tombstones). Merge: per element,
//! `removed = removed_a ∪ removed_b` and `live = (live_a ∪ live_b) − removed`;
//! the element set is the union (an element whose tags are all removed stays
//! with an empty live list, as the reference keeps it).
//!
//! Payload: `{type: "or_set", elements: {key: [tag…]}, element_types?: {key:
//! type name}, removed?: {key: [tag…]}}`. `element_types` is written when
//! non-empty (the reference writes it for non-`str` elements), `removed`
//! (our extension, ignored by the reference's reader) when non-empty.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{as_list, as_map, check_type, field};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::pyrepr::py_str;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "or_set";

/// A set of tags in insertion order (order only matters for re-encoding).
type Tags = OrderedMap<String, ()>;

/// An add-wins observed-remove set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrSet {
    elements: OrderedMap<String, Tags>,
    types: OrderedMap<String, String>,
    removed: OrderedMap<String, Tags>,
}

/// A tag derived from `(node, counter)`: 12 lowercase hex digits (the
/// reference's tag shape), unique per `(node, counter)` up to a 48-bit hash
/// collision. Callers that need true uniqueness pass their own tags.
pub fn derive_tag(node: &str, counter: u64) -> String {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    h.update(node.as_bytes());
    h.update([0u8]);
    h.update(counter.to_be_bytes());
    let d = h.finalize();
    let mut s = String::with_capacity(12);
    for b in &d[..6] {
        s.push(char::from_digit((b >> 4) as u32, 16).unwrap_or('0'));
        s.push(char::from_digit((b & 15) as u32, 16).unwrap_or('0'));
    }
    s
}

/// The wire key and the type annotation of an element.
fn key_of(elem: &Value) -> (String, Option<&'static str>) {
    match elem {
        Value::Str(s) => (s.clone(), None),
        other => (py_str(other), Some(other.type_name())),
    }
}

impl OrSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }
    /// Add `elem` with a fresh unique `tag` (see [`derive_tag`]).
    pub fn add(&mut self, elem: &Value, tag: impl Into<String>) {
        let (key, ty) = key_of(elem);
        if let Some(ty) = ty {
            self.types.insert(key.clone(), ty.into());
        }
        let tag = tag.into();
        if self.removed.get(&key).is_some_and(|r| r.contains_key(&tag)) {
            // a removed tag never comes back
            self.elements.entry_or_insert_with(key, Tags::new);
            return;
        }
        self.elements
            .entry_or_insert_with(key, Tags::new)
            .insert(tag, ());
    }
    /// Remove `elem`: every tag observed here becomes a tombstone.
    pub fn remove(&mut self, elem: &Value) {
        let (key, _) = key_of(elem);
        if let Some(live) = self.elements.get_mut(&key) {
            let tags = core::mem::take(live);
            let dead = self.removed.entry_or_insert_with(key, Tags::new);
            for (t, ()) in tags.iter() {
                dead.insert(t.clone(), ());
            }
        }
    }
    /// Whether `elem` has a live tag.
    pub fn contains(&self, elem: &Value) -> bool {
        self.elements
            .get(&key_of(elem).0)
            .is_some_and(|t| !t.is_empty())
    }
    /// The live elements, restored to int / float / bool where the element
    /// types say so (as the reference's `from_dict`), sorted.
    pub fn value(&self) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .elements
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|(k, _)| self.restore(k).unwrap_or_else(|_| Value::str(k.as_str())))
            .collect();
        out.sort();
        out
    }
    /// Live tags of the element with wire key `key`.
    pub fn live_tags(&self, key: &str) -> Vec<&str> {
        self.elements
            .get(&String::from(key))
            .map(|t| t.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }
    /// Removed tags of the element with wire key `key`.
    pub fn removed_tags(&self, key: &str) -> Vec<&str> {
        self.removed
            .get(&String::from(key))
            .map(|t| t.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn restore(&self, key: &str) -> Result<Value, DecodeError> {
        let ty = self.types.get(&String::from(key)).map(String::as_str);
        let bad = || {
            DecodeError::shape(
                TY,
                format!(
                    "element_types: cannot read element {key:?} as {}",
                    ty.unwrap_or("")
                ),
            )
        };
        Ok(match ty {
            Some("int") => Value::Int(
                key.trim()
                    .replace('_', "")
                    .parse::<i64>()
                    .map_err(|_| bad())?,
            ),
            Some("float") => Value::Float(key.trim().parse::<f64>().map_err(|_| bad())?),
            Some("bool") => Value::Bool(key.to_lowercase() == "true"),
            _ => Value::str(key),
        })
    }
}

fn tags_value(t: &Tags) -> Value {
    Value::List(t.keys().map(|s| Value::str(s.as_str())).collect())
}

fn tag_map_value(m: &OrderedMap<String, Tags>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, t)| (Value::str(k.as_str()), tags_value(t)))
            .collect(),
    )
}

fn read_tag_map(v: &Value, what: &str) -> Result<OrderedMap<String, Tags>, DecodeError> {
    let mut out = OrderedMap::new();
    for (k, tags) in as_map(v, TY, what)? {
        let k = k.as_str().ok_or_else(|| {
            DecodeError::shape(
                TY,
                format!("{what}: keys must be str, found {}", k.type_name()),
            )
        })?;
        let mut set = Tags::new();
        for t in as_list(tags, TY, &format!("{what}[{k:?}]"))? {
            let t = t.as_str().ok_or_else(|| {
                DecodeError::shape(
                    TY,
                    format!("{what}[{k:?}]: tags must be str, found {}", t.type_name()),
                )
            })?;
            set.insert(t.into(), ());
        }
        out.insert(k.into(), set);
    }
    Ok(out)
}

/// `(a ∪ b) − dead` (`dead` = `None`: nothing removed), in tag order.
fn tag_union(a: Option<&Tags>, b: Option<&Tags>, dead: Option<&Tags>) -> Tags {
    let empty = Tags::new();
    match dead {
        Some(dead) if !dead.is_empty() => {
            OrderedMap::merge_join(a.unwrap_or(&empty), b.unwrap_or(&empty), |t, _, _| {
                (!dead.contains_key(t)).then_some(())
            })
        }
        _ => OrderedMap::merge_join(a.unwrap_or(&empty), b.unwrap_or(&empty), |_, _, _| Some(())),
    }
}

impl Merge for OrSet {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let removed: OrderedMap<String, Tags> =
            OrderedMap::merge_join(&self.removed, &other.removed, |_, a, b| {
                Some(tag_union(a, b, None))
            });
        let mut elements = OrderedMap::merge_join(&self.elements, &other.elements, |k, a, b| {
            Some(tag_union(a, b, removed.get(k)))
        });
        // an element known only by its tombstones still appears (with no live tag)
        if removed.iter().any(|(k, _)| !elements.contains_key(k)) {
            for (k, _) in removed.iter() {
                if !elements.contains_key(k) {
                    elements.insert(k.clone(), Tags::new());
                }
            }
            elements.sort_keys();
        }
        let types = OrderedMap::merge_join(
            &self.types,
            &other.types,
            |_, a: Option<&String>, b: Option<&String>| match (a, b) {
                (Some(a), Some(b)) => Some(a.max(b).clone()),
                (Some(a), None) | (None, Some(a)) => Some(a.clone()),
                (None, None) => None,
            },
        );
        Ok(OrSet {
            elements,
            types,
            removed,
        })
    }
}

impl WireType for OrSet {
    const TAG: TypeTag = TypeTag::OrSet;
    fn to_value(&self) -> Value {
        let mut m = alloc::vec![
            (Value::str("type"), Value::str(TY)),
            (Value::str("elements"), tag_map_value(&self.elements))
        ];
        if !self.types.is_empty() {
            m.push((
                Value::str("element_types"),
                Value::Map(
                    self.types
                        .iter()
                        .map(|(k, t)| (Value::str(k.as_str()), Value::str(t.as_str())))
                        .collect(),
                ),
            ));
        }
        if !self.removed.is_empty() {
            m.push((Value::str("removed"), tag_map_value(&self.removed)));
        }
        Value::Map(m)
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        check_type(v, TY, TY)?;
        let elements = read_tag_map(field(v, TY, "elements")?, "elements")?;
        let mut types = OrderedMap::new();
        if let Some(t) = v.get("element_types") {
            for (k, ty) in as_map(t, TY, "element_types")? {
                let (Some(k), Some(ty)) = (k.as_str(), ty.as_str()) else {
                    return Err(DecodeError::shape(
                        TY,
                        "element_types: keys and values must be str",
                    ));
                };
                types.insert(String::from(k), String::from(ty));
            }
        }
        let removed = match v.get("removed") {
            Some(r) => read_tag_map(r, "removed")?,
            None => OrderedMap::new(),
        };
        for (k, dead) in removed.iter() {
            let Some(live) = elements.get(k) else {
                return Err(DecodeError::shape(
                    TY,
                    format!("removed: element {k:?} is not in elements"),
                ));
            };
            if let Some((t, ())) = dead.iter().find(|(t, ())| live.contains_key(t)) {
                return Err(DecodeError::shape(
                    TY,
                    format!("removed: tag {t:?} of element {k:?} is also live"),
                ));
            }
        }
        let s = OrSet {
            elements,
            types,
            removed,
        };
        for k in s.elements.keys() {
            s.restore(k)?;
        }
        Ok(s)
    }
    fn to_view(&self) -> Value {
        let sort_map = |m: &OrderedMap<String, Tags>| -> Value {
            Value::Map(
                m.iter_sorted()
                    .map(|(k, t)| {
                        let mut tags: Vec<&String> = t.keys().collect();
                        tags.sort();
                        (
                            Value::str(k.as_str()),
                            Value::List(tags.into_iter().map(|s| Value::str(s.as_str())).collect()),
                        )
                    })
                    .collect(),
            )
        };
        let mut m = alloc::vec![(Value::str("elements"), sort_map(&self.elements))];
        if !self.types.is_empty() {
            m.push((
                Value::str("element_types"),
                Value::Map(
                    self.types
                        .iter_sorted()
                        .map(|(k, t)| (Value::str(k.as_str()), Value::str(t.as_str())))
                        .collect(),
                ),
            ));
        }
        if !self.removed.is_empty() {
            m.push((Value::str("removed"), sort_map(&self.removed)));
        }
        m.push((Value::str("type"), Value::str(TY)));
        Value::Map(m).sorted()
    }
}

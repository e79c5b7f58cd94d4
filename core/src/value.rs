//! The dynamic value: what the reference's compact codec can carry
//! (None, bool, int, float, str, bytes, list, dict, set) and nothing else.
//!
//! Equality follows Python: two dicts are equal when they hold the same keys
//! and values, whatever their insertion order (the wire keeps that order, and
//! byte-exactness is checked on bytes, not on values); a duplicated key on
//! the wire counts once, the last occurrence winning, as a Python dict would.
//! [`Value::sorted`] gives the canonical form.
//! Floats compare by [`f64::total_cmp`], so `Value` has a total order that
//! tie-breaks use, and NaN equals itself bit for bit.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::hash::{Hash, Hasher};

/// A dynamically typed value, as carried by the wire codec.
#[derive(Debug, Clone)]
pub enum Value {
    /// Python `None`.
    None,
    /// Python `bool`.
    Bool(bool),
    /// Python `int` within int64 (the reference cannot encode more).
    Int(i64),
    /// Python `float` (IEEE-754 double).
    Float(f64),
    /// Python `str`.
    Str(String),
    /// Python `bytes`.
    Bytes(Vec<u8>),
    /// Python `list` or `tuple`.
    List(Vec<Value>),
    /// Python `dict`, entries in insertion order (keys may be any value).
    Map(Vec<(Value, Value)>),
    /// Python `set`, items in wire order (the reference sorts by `str(item)`).
    Set(Vec<Value>),
}

impl Value {
    /// Rank of the variant in the total order.
    fn rank(&self) -> u8 {
        match self {
            Value::None => 0,
            Value::Bool(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Str(_) => 4,
            Value::Bytes(_) => 5,
            Value::List(_) => 6,
            Value::Map(_) => 7,
            Value::Set(_) => 8,
        }
    }

    /// Name of the variant as Python's `type(x).__name__` would say it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "dict",
            Value::Set(_) => "set",
        }
    }

    /// A string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// Build a map from `(key, value)` pairs with string keys.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Str(k.into()), v))
                .collect(),
        )
    }

    /// Look up a string key in a map; the last duplicate wins, as in a Python dict.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().rev().find_map(|(k, v)| match k {
                Value::Str(s) if s == key => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// The string, if this is a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an `Int` (bools are not ints here).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A number as f64 (`Int` or `Float`), as Python would accept it for a float field.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Map entries, if this is a `Map`.
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// List items, if this is a `List`.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Canonical form: map entries sorted by key (duplicates collapsed, last
    /// wins, as a Python dict would), recursively. Lists keep their order;
    /// sets are sorted by the value order.
    pub fn sorted(&self) -> Value {
        match self {
            Value::List(items) => Value::List(items.iter().map(Value::sorted).collect()),
            Value::Set(items) => {
                let mut v: Vec<Value> = items.iter().map(Value::sorted).collect();
                v.sort();
                v.dedup();
                Value::Set(v)
            }
            Value::Map(entries) => {
                let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = k.sorted();
                    let v = v.sorted();
                    if let Some(slot) = out.iter_mut().find(|(ek, _)| *ek == k) {
                        slot.1 = v;
                    } else {
                        out.push((k, v));
                    }
                }
                out.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Map(out)
            }
            other => other.clone(),
        }
    }

    /// Deep size estimate in bytes (used to bound work on untrusted input).
    pub fn approx_size(&self) -> usize {
        match self {
            Value::Str(s) => 8 + s.len(),
            Value::Bytes(b) => 8 + b.len(),
            Value::List(l) | Value::Set(l) => 8 + l.iter().map(Value::approx_size).sum::<usize>(),
            Value::Map(m) => {
                8 + m
                    .iter()
                    .map(|(k, v)| k.approx_size() + v.approx_size())
                    .sum::<usize>()
            }
            _ => 9,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::None, Value::None) => Ordering::Equal,
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Bytes(a), Value::Bytes(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) | (Value::Set(a), Value::Set(b)) => a.cmp(b),
            (Value::Map(a), Value::Map(b)) => {
                if a == b {
                    return Ordering::Equal;
                }
                canonical_entries(a).cmp(&canonical_entries(b))
            }
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.rank());
        match self {
            Value::None => {}
            Value::Bool(b) => b.hash(state),
            Value::Int(i) => i.hash(state),
            Value::Float(f) => f.to_bits().hash(state),
            Value::Str(s) => s.hash(state),
            Value::Bytes(b) => b.hash(state),
            Value::List(l) | Value::Set(l) => l.hash(state),
            Value::Map(m) => canonical_entries(m).hash(state),
        }
    }
}

/// Map entries as a Python dict sees them: sorted by key, duplicates
/// collapsed with the last occurrence winning. Borrowed, no deep copies.
fn canonical_entries(entries: &[(Value, Value)]) -> Vec<(&Value, &Value)> {
    let mut v: Vec<(usize, &Value, &Value)> = entries
        .iter()
        .enumerate()
        .map(|(i, (k, x))| (i, k, x))
        .collect();
    // stable order: by key, then by position so the last duplicate comes last
    v.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<(&Value, &Value)> = Vec::with_capacity(v.len());
    for (_, k, x) in v {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 = x,
            _ => out.push((k, x)),
        }
    }
    out
}

macro_rules! from_impl {
    ($($t:ty => |$x:ident| $e:expr),* $(,)?) => {
        $(impl From<$t> for Value { fn from($x: $t) -> Self { $e } })*
    };
}
from_impl! {
    bool => |b| Value::Bool(b),
    i64 => |i| Value::Int(i),
    i32 => |i| Value::Int(i as i64),
    u32 => |i| Value::Int(i as i64),
    u8 => |i| Value::Int(i as i64),
    f64 => |f| Value::Float(f),
    String => |s| Value::Str(s),
    &str => |s| Value::Str(s.into()),
    Vec<u8> => |b| Value::Bytes(b),
    Vec<Value> => |l| Value::List(l),
    Box<str> => |s| Value::Str(s.into()),
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::None, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn h(v: &Value) -> u64 {
        // FNV-1a over the Hash stream: enough to check Hash agrees with Eq
        struct Fnv(u64);
        impl Hasher for Fnv {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, bytes: &[u8]) {
                for b in bytes {
                    self.0 = (self.0 ^ *b as u64).wrapping_mul(0x100000001b3);
                }
            }
        }
        let mut f = Fnv(0xcbf29ce484222325);
        v.hash(&mut f);
        f.finish()
    }

    #[test]
    fn dict_equality_ignores_order_like_python() {
        let a = Value::map([("x", Value::Int(1)), ("y", Value::Int(2))]);
        let b = Value::map([("y", Value::Int(2)), ("x", Value::Int(1))]);
        assert_eq!(a, b);
        assert_eq!(h(&a), h(&b));
        assert_ne!(a, Value::map([("x", Value::Int(1)), ("y", Value::Int(3))]));
        // a duplicated key counts once, the last one winning
        let dup = Value::Map(vec![
            (Value::str("x"), Value::Int(9)),
            (Value::str("y"), Value::Int(2)),
            (Value::str("x"), Value::Int(1)),
        ]);
        assert_eq!(dup, a);
        // lists stay ordered
        assert_ne!(
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Value::List(vec![Value::Int(2), Value::Int(1)])
        );
    }

    #[test]
    fn total_order_is_consistent() {
        let vals = [
            Value::None,
            Value::Bool(false),
            Value::Int(-1),
            Value::Float(f64::NAN),
            Value::str("a"),
            Value::Bytes(vec![1]),
            Value::List(vec![]),
            Value::map::<&str>([]),
            Value::Set(vec![]),
        ];
        for (i, a) in vals.iter().enumerate() {
            for (j, b) in vals.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j));
            }
        }
        assert_eq!(Value::Float(f64::NAN), Value::Float(f64::NAN));
    }
}

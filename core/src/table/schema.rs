//! [`MergeSchema`]: which [`Strategy`] resolves a conflict in which column,
//! and its dict / JSON form (the reference's `MergeSchema.to_dict()` shape).
//!
//! A strategy is asked only for real conflicts: both values present, not
//! `None`, and not equal by Python `==`. Every built-in strategy is
//! commutative, associative and idempotent on such pairs given the same
//! timestamps (see `core/tests/table_laws.rs`); a `Custom` closure is the
//! caller's responsibility.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use super::error::TableError;
use super::pycmp::{py_ge, py_le, py_str, py_strip, str_cmp, truthy};
use crate::value::Value;

/// A user-supplied resolver: `(value_a, value_b, ts_a, ts_b) -> winner`.
pub type CustomFn = Arc<dyn Fn(Value, Value, f64, f64) -> Value + Send + Sync>;

/// Finds a `Custom` strategy's function by its name (for loading schemas).
pub type CustomLookup<'a> = &'a dyn Fn(&str) -> Option<CustomFn>;

/// Which value resolves a conflict (see [`Strategy::choose`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// A's value.
    A,
    /// B's value.
    B,
    /// A value made from both.
    New(Value),
}

impl Choice {
    /// `A` when A's value wins, else `B`.
    pub fn pick(a_wins: bool) -> Choice {
        if a_wins {
            Choice::A
        } else {
            Choice::B
        }
    }

    /// The chosen value, given both.
    pub fn take(self, a: Value, b: Value) -> Value {
        match self {
            Choice::A => a,
            Choice::B => b,
            Choice::New(v) => v,
        }
    }
}

/// A named user-supplied strategy (the reference's `Custom(fn)`).
#[derive(Clone)]
pub struct CustomStrategy {
    /// Name used in the dict form and to find the function again on load.
    pub name: String,
    /// The resolver.
    pub func: CustomFn,
}

impl fmt::Debug for CustomStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Custom({:?})", self.name)
    }
}

impl PartialEq for CustomStrategy {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// How one column's conflicts are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Strategy {
    /// Later timestamp wins; equal timestamps: larger `str(value)` wins.
    Lww,
    /// Larger value (Python `>=`, `str()` order across unrelated types).
    MaxWins,
    /// Smaller value (Python `<=`, `str()` order across unrelated types).
    MinWins,
    /// Union of the `delimiter`-separated, stripped, non-empty parts, sorted, joined.
    UnionSet {
        /// Separator (the reference's `separator`, default `","`).
        delimiter: String,
    },
    /// Higher index in `order` wins; unknown values rank below all known ones.
    Priority {
        /// Levels from lowest to highest (the reference's `levels`).
        order: Vec<String>,
    },
    /// Parts of both sides (split on `delimiter`, stripped), sorted, joined.
    Concat {
        /// Separator (default `" | "`).
        delimiter: String,
        /// Drop empty and repeated parts (default `true`).
        dedup: bool,
    },
    /// Longer `str(value)` wins; equal length falls back to [`Strategy::Lww`].
    LongestWins,
    /// A caller-supplied function.
    Custom(CustomStrategy),
}

impl Strategy {
    /// The reference's class name (`"LWW"`, `"MaxWins"`, ...).
    pub fn name(&self) -> &str {
        match self {
            Strategy::Lww => "LWW",
            Strategy::MaxWins => "MaxWins",
            Strategy::MinWins => "MinWins",
            Strategy::UnionSet { .. } => "UnionSet",
            Strategy::Priority { .. } => "Priority",
            Strategy::Concat { .. } => "Concat",
            Strategy::LongestWins => "LongestWins",
            Strategy::Custom(_) => "Custom",
        }
    }

    /// `UnionSet` with the reference's default separator `","`.
    pub fn union_set() -> Strategy {
        Strategy::UnionSet {
            delimiter: ",".to_string(),
        }
    }

    /// `Concat` with the reference's defaults (`" | "`, dedup).
    pub fn concat() -> Strategy {
        Strategy::Concat {
            delimiter: " | ".to_string(),
            dedup: true,
        }
    }

    /// A custom strategy from a closure.
    pub fn custom(
        name: impl Into<String>,
        f: impl Fn(Value, Value, f64, f64) -> Value + Send + Sync + 'static,
    ) -> Strategy {
        Strategy::Custom(CustomStrategy {
            name: name.into(),
            func: Arc::new(f),
        })
    }

    /// Check parameters (separators must be non-empty).
    pub fn validate(&self, field: &str) -> Result<(), TableError> {
        match self {
            Strategy::UnionSet { delimiter } | Strategy::Concat { delimiter, .. }
                if delimiter.is_empty() =>
            {
                Err(TableError::EmptySeparator(field.to_string()))
            }
            _ => Ok(()),
        }
    }

    /// Resolve a conflict between `a` and `b` with timestamps `ts_a`, `ts_b`
    /// (as the reference's `strategy.resolve(a, b, ts_a, ts_b)`).
    pub fn resolve(&self, a: Value, b: Value, ts_a: f64, ts_b: f64) -> Value {
        if let Strategy::Custom(c) = self {
            return (c.func)(a, b, ts_a, ts_b);
        }
        self.choose(&a, &b, ts_a, ts_b).take(a, b)
    }

    /// [`resolve`](Self::resolve) without taking the values: which of them
    /// wins, or the new value the strategy makes (`UnionSet`, `Concat`,
    /// `Custom`). Callers holding a value's text can then copy the winner's
    /// text instead of writing the value again.
    pub fn choose(&self, a: &Value, b: &Value, ts_a: f64, ts_b: f64) -> Choice {
        let pick = Choice::pick;
        match self {
            Strategy::Lww => lww(a, b, ts_a, ts_b),
            Strategy::MaxWins => match (a, b) {
                (Value::None, _) => Choice::B,
                (_, Value::None) => Choice::A,
                _ => pick(py_ge(a, b).unwrap_or_else(|_| str_cmp(a, b).is_ge())),
            },
            Strategy::MinWins => match (a, b) {
                (Value::None, _) => Choice::B,
                (_, Value::None) => Choice::A,
                _ => pick(py_le(a, b).unwrap_or_else(|_| str_cmp(a, b).is_le())),
            },
            Strategy::UnionSet { delimiter } => {
                let texts = [a, b].map(|v| (!matches!(v, Value::None)).then(|| py_str(v)));
                let mut parts: Vec<&str> = Vec::new();
                for t in texts.iter().flatten() {
                    for_each_part(t, delimiter, |p| {
                        let p = py_strip(p);
                        if !p.is_empty() {
                            parts.push(p);
                        }
                    });
                }
                parts.sort_unstable();
                parts.dedup();
                Choice::New(Value::Str(parts.join(delimiter)))
            }
            Strategy::Concat { delimiter, dedup } => {
                let texts = [a, b].map(|v| truthy(v).then(|| py_str(v)));
                let mut parts: Vec<&str> = Vec::new();
                for t in texts.iter().flatten() {
                    for_each_part(t, delimiter, |p| parts.push(py_strip(p)));
                }
                if *dedup {
                    parts.retain(|p| !p.is_empty());
                    parts.sort_unstable();
                    parts.dedup();
                } else {
                    parts.sort_unstable();
                }
                Choice::New(Value::Str(parts.join(delimiter)))
            }
            Strategy::Priority { order } => {
                let rank = |v: &Value| -> i64 {
                    let s = py_str(v);
                    order
                        .iter()
                        .rposition(|l| l.as_str() == s.as_ref())
                        .map_or(-1, |i| i as i64)
                };
                match rank(a).cmp(&rank(b)) {
                    Ordering::Greater => Choice::A,
                    Ordering::Less => Choice::B,
                    Ordering::Equal => pick(str_cmp(a, b).is_ge()),
                }
            }
            Strategy::LongestWins => {
                let len = |v: &Value| match v {
                    Value::None => 0,
                    v => py_str(v).chars().count(),
                };
                match len(a).cmp(&len(b)) {
                    Ordering::Greater => Choice::A,
                    Ordering::Less => Choice::B,
                    Ordering::Equal => lww(a, b, ts_a, ts_b),
                }
            }
            Strategy::Custom(c) => Choice::New((c.func)(a.clone(), b.clone(), ts_a, ts_b)),
        }
    }

    /// The winner of a conflict when it depends on the timestamps only
    /// (`Lww` with different timestamps), else `None`.
    pub fn choose_by_time(&self, ts_a: f64, ts_b: f64) -> Option<Choice> {
        match self {
            Strategy::Lww => lww_by_time(ts_a, ts_b),
            _ => None,
        }
    }

    /// The reference's dict entry for this strategy (`{"strategy": name, ...params}`).
    pub fn to_dict(&self) -> Value {
        let mut e: Vec<(String, Value)> = alloc::vec![("strategy".into(), Value::str(self.name()))];
        match self {
            Strategy::UnionSet { delimiter } => e.push(("separator".into(), Value::str(delimiter))),
            Strategy::Concat { delimiter, dedup } => {
                e.push(("separator".into(), Value::str(delimiter)));
                e.push(("dedup".into(), Value::Bool(*dedup)));
            }
            Strategy::Priority { order } => e.push((
                "levels".into(),
                Value::List(order.iter().map(Value::str).collect()),
            )),
            Strategy::Custom(c) => e.push(("name".into(), Value::str(&c.name))),
            _ => {}
        }
        Value::map(e)
    }

    /// Parse one dict entry; `customs` finds `Custom` functions by name
    /// (without one, `Custom` loads as `LWW`, as the reference does).
    pub fn from_dict(
        field: &str,
        entry: &Value,
        customs: Option<CustomLookup<'_>>,
    ) -> Result<Strategy, TableError> {
        if entry.as_map().is_none() {
            return Err(TableError::BadSchema(format!(
                "entry for field {field:?} is a {}, not a dict",
                entry.type_name()
            )));
        }
        let name = match entry.get("strategy") {
            Some(Value::Str(s)) => s.as_str(),
            Some(other) => {
                return Err(TableError::BadSchema(format!(
                    "strategy of field {field:?} is a {}, not a str",
                    other.type_name()
                )))
            }
            None => {
                return Err(TableError::BadSchema(format!(
                    "entry for field {field:?} has no \"strategy\""
                )))
            }
        };
        let str_param = |key: &str, default: &str| -> Result<String, TableError> {
            match entry.get(key) {
                None => Ok(default.to_string()),
                Some(Value::Str(s)) => Ok(s.clone()),
                Some(v) => Err(TableError::BadSchema(format!(
                    "{key} of field {field:?} is a {}, not a str",
                    v.type_name()
                ))),
            }
        };
        let s = match name {
            "LWW" => Strategy::Lww,
            "MaxWins" => Strategy::MaxWins,
            "MinWins" => Strategy::MinWins,
            "LongestWins" => Strategy::LongestWins,
            "UnionSet" => Strategy::UnionSet {
                delimiter: str_param("separator", ",")?,
            },
            "Concat" => Strategy::Concat {
                delimiter: str_param("separator", " | ")?,
                dedup: match entry.get("dedup") {
                    None => true,
                    Some(v @ (Value::Bool(_) | Value::Int(_) | Value::None)) => truthy(v),
                    Some(v) => {
                        return Err(TableError::BadSchema(format!(
                            "dedup of field {field:?} is a {}, not a bool",
                            v.type_name()
                        )))
                    }
                },
            },
            "Priority" => Strategy::Priority {
                order: match entry.get("levels") {
                    None => Vec::new(),
                    Some(Value::List(items)) => items
                        .iter()
                        .map(|v| match v {
                            Value::Str(s) => Ok(s.clone()),
                            v => Err(TableError::BadSchema(format!(
                                "level of field {field:?} is a {}, not a str",
                                v.type_name()
                            ))),
                        })
                        .collect::<Result<_, _>>()?,
                    Some(v) => {
                        return Err(TableError::BadSchema(format!(
                            "levels of field {field:?} is a {}, not a list",
                            v.type_name()
                        )))
                    }
                },
            },
            "Custom" => {
                let cname = str_param("name", "")?;
                match customs {
                    None => Strategy::Lww,
                    Some(find) => match find(&cname) {
                        Some(func) => Strategy::Custom(CustomStrategy { name: cname, func }),
                        None => {
                            return Err(TableError::UnregisteredCustom {
                                field: field.to_string(),
                                name: cname,
                            })
                        }
                    },
                }
            }
            other => {
                return Err(TableError::UnknownStrategy {
                    field: field.to_string(),
                    name: other.to_string(),
                })
            }
        };
        s.validate(field)?;
        Ok(s)
    }
}

/// Each part of `s.split(delim)` (Python's `str.split(sep)`); a one-byte
/// delimiter is searched as a byte rather than as a substring.
fn for_each_part<'s>(s: &'s str, delim: &str, f: impl FnMut(&'s str)) {
    match delim.as_bytes() {
        [c] if c.is_ascii() => s.split(char::from(*c)).for_each(f),
        _ => s.split(delim).for_each(f),
    }
}

/// Last-writer-wins (the reference's `LWW` strategy): the later timestamp,
/// then the greater `str()`.
fn lww(a: &Value, b: &Value, ts_a: f64, ts_b: f64) -> Choice {
    lww_by_time(ts_a, ts_b).unwrap_or_else(|| Choice::pick(str_cmp(a, b).is_ge()))
}

/// The side with the later timestamp; `None` when they are equal or either
/// is NaN (then the values decide).
fn lww_by_time(ts_a: f64, ts_b: f64) -> Option<Choice> {
    if ts_b > ts_a {
        Some(Choice::B)
    } else if ts_a > ts_b {
        Some(Choice::A)
    } else {
        None
    }
}

/// Per-column strategies with a default (the reference's `MergeSchema`).
#[derive(Debug, Clone, PartialEq)]
pub struct MergeSchema {
    /// Strategy for columns not listed in `fields` (default [`Strategy::Lww`]).
    pub default: Strategy,
    /// Per-column strategies, in the order they were given.
    pub fields: Vec<(String, Strategy)>,
}

impl Default for MergeSchema {
    fn default() -> Self {
        MergeSchema {
            default: Strategy::Lww,
            fields: Vec::new(),
        }
    }
}

impl MergeSchema {
    /// A schema with this default and no per-column strategies.
    pub fn new(default: Strategy) -> MergeSchema {
        MergeSchema {
            default,
            fields: Vec::new(),
        }
    }

    /// Builder: set the strategy of one column (replacing an earlier one, keeping its position).
    pub fn with(mut self, field: impl Into<String>, strategy: Strategy) -> MergeSchema {
        self.set_strategy(field, strategy);
        self
    }

    /// Set the strategy of one column.
    pub fn set_strategy(&mut self, field: impl Into<String>, strategy: Strategy) {
        let field = field.into();
        match self.fields.iter_mut().find(|(f, _)| *f == field) {
            Some(slot) => slot.1 = strategy,
            None => self.fields.push((field, strategy)),
        }
    }

    /// The strategy for a column, or the default.
    pub fn strategy_for(&self, field: &str) -> &Strategy {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map_or(&self.default, |(_, s)| s)
    }

    /// Check every strategy's parameters.
    pub fn validate(&self) -> Result<(), TableError> {
        self.default.validate("__default__")?;
        for (f, s) in &self.fields {
            s.validate(f)?;
        }
        Ok(())
    }

    /// The reference's `to_dict()`: `{field: {"strategy": ..}, .., "__default__": {..}}`.
    pub fn to_dict(&self) -> Value {
        let mut e: Vec<(String, Value)> = self
            .fields
            .iter()
            .map(|(f, s)| (f.clone(), s.to_dict()))
            .collect();
        e.push(("__default__".into(), self.default.to_dict()));
        Value::map(e)
    }

    /// The reference's `from_dict()`; `Custom` entries load as `LWW`.
    pub fn from_dict(d: &Value) -> Result<MergeSchema, TableError> {
        Self::from_dict_with(d, None)
    }

    /// `from_dict` that finds `Custom` functions by name (an unknown name is an error).
    pub fn from_dict_with(
        d: &Value,
        customs: Option<CustomLookup<'_>>,
    ) -> Result<MergeSchema, TableError> {
        let entries = d.as_map().ok_or_else(|| {
            TableError::BadSchema(format!("schema is a {}, not a dict", d.type_name()))
        })?;
        let mut schema = MergeSchema::default();
        for (k, v) in entries {
            let field = k.as_str().ok_or_else(|| {
                TableError::BadSchema(format!("field name is a {}, not a str", k.type_name()))
            })?;
            let s = Strategy::from_dict(field, v, customs)?;
            if field == "__default__" {
                schema.default = s;
            } else {
                schema.set_strategy(field, s);
            }
        }
        Ok(schema)
    }

    /// JSON text of [`MergeSchema::to_dict`] (Python `json.dumps` spacing).
    pub fn to_json(&self) -> String {
        crate::json::to_string(&self.to_dict()).unwrap_or_default()
    }

    /// Parse the JSON form.
    pub fn from_json(text: &str) -> Result<MergeSchema, TableError> {
        Self::from_dict(&crate::json::parse(text)?)
    }
}

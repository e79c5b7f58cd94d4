//! Schema evolution: type widening, compatibility checks and the four drift
//! policies of the reference's `crdt_merge.schema_evolution`, producing the
//! wire [`SchemaEvolutionResult`] (0x45) with its [`SchemaChange`]s (0x46);
//! plus [`SchemaSet`], a lawful (commutative, associative, idempotent)
//! merge of schemas seen on many replicas.
//!
//! Widening is the reference's table: `int32`→`int64`, `float32`→`float64`,
//! `int32`→`float32`/`float64`, `int64`→`float64`, `int`→`float`; equal
//! types widen to themselves; anything else has no widening (a conflict).
//!
//! [`evolve_schema`] is pairwise and keeps the *old* type on a conflict, so
//! folding it over many schemas depends on their order. [`SchemaSet`]
//! instead keeps every type observed per column (a grow-only set: union is
//! the merge) and resolves a column to the one observed type every other
//! observed type widens to; when there is none the column is a conflict,
//! reported, and resolved to `str` (every value has a string form).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use crate::error::MergeError;
use crate::ordered_map::OrderedMap;
use crate::pyrepr::{repr, write_str_repr};
use crate::records::{SchemaChange, SchemaEvolutionResult, SchemaPolicy};
use crate::traits::Merge;
use crate::value::Value;

/// A schema: column → type string, in column order.
pub type Schema = OrderedMap<String, String>;

const WIDENING: &[(&str, &str, &str)] = &[
    ("int32", "int64", "int64"),
    ("float32", "float64", "float64"),
    ("int32", "float32", "float32"),
    ("int32", "float64", "float64"),
    ("int64", "float64", "float64"),
    ("int", "float", "float"),
];

/// The type covering both `a` and `b`, or `None` when no safe widening is
/// known (the reference's `widen_type`).
pub fn widen_type<'a>(a: &'a str, b: &'a str) -> Option<&'a str> {
    if a == b {
        return Some(a);
    }
    WIDENING
        .iter()
        .find(|(x, y, _)| (*x == a && *y == b) || (*x == b && *y == a))
        .map(|(_, _, w)| if *w == a { a } else { b })
}

fn py_str_repr(s: &str) -> String {
    let mut out = String::new();
    write_str_repr(s, &mut out);
    out
}

fn str_list_repr<'a>(items: impl Iterator<Item = &'a String>) -> String {
    repr(&Value::List(items.map(|s| Value::Str(s.clone())).collect()))
}

/// Whether two schemas merge without evolution (same columns, every
/// common type equal or widenable), with the reasons when not, worded as
/// the reference's `check_compatibility`.
pub fn check_compatibility(a: &Schema, b: &Schema) -> (bool, Vec<String>) {
    let ka: BTreeSet<&String> = a.keys().collect();
    let kb: BTreeSet<&String> = b.keys().collect();
    let mut reasons = Vec::new();
    let only_a: Vec<&String> = ka.difference(&kb).copied().collect();
    let only_b: Vec<&String> = kb.difference(&ka).copied().collect();
    if !only_a.is_empty() {
        reasons.push(alloc::format!(
            "Columns only in schema_a: {}",
            str_list_repr(only_a.into_iter())
        ));
    }
    if !only_b.is_empty() {
        reasons.push(alloc::format!(
            "Columns only in schema_b: {}",
            str_list_repr(only_b.into_iter())
        ));
    }
    for col in ka.intersection(&kb) {
        let (ta, tb) = (&a.get(col).unwrap()[..], &b.get(col).unwrap()[..]);
        if ta != tb && widen_type(ta, tb).is_none() {
            reasons.push(alloc::format!(
                "Column '{col}': incompatible types {} vs {}",
                py_str_repr(ta),
                py_str_repr(tb)
            ));
        }
    }
    (reasons.is_empty(), reasons)
}

fn change(
    column: &str,
    change_type: &str,
    old: Option<&String>,
    new: Option<&String>,
    resolved: Option<&String>,
    default_value: Value,
) -> SchemaChange {
    SchemaChange {
        column: column.into(),
        change_type: change_type.into(),
        old_type: old.cloned(),
        new_type: new.cloned(),
        resolved_type: resolved.cloned(),
        default_value,
        extra: Default::default(),
    }
}

/// Detect and resolve drift from `old` to `new` (the reference's
/// `evolve_schema`): common columns first, then columns only in `old`,
/// then only in `new`, each group sorted by name. `defaults` gives the
/// default of a one-sided column (null when absent).
pub fn evolve_schema(
    old: &Schema,
    new: &Schema,
    policy: SchemaPolicy,
    defaults: &OrderedMap<String, Value>,
    allow_type_narrowing: bool,
) -> SchemaEvolutionResult {
    let ko: BTreeSet<&String> = old.keys().collect();
    let kn: BTreeSet<&String> = new.keys().collect();
    let mut resolved: OrderedMap<Value, Value> = OrderedMap::new();
    let mut changes = Vec::new();
    let mut result_defaults: OrderedMap<Value, Value> = OrderedMap::new();
    let mut warnings = Vec::new();
    let mut compatible = true;
    let put = |m: &mut OrderedMap<Value, Value>, c: &str, t: &str| {
        m.insert(Value::str(c), Value::str(t));
    };
    for col in ko.intersection(&kn) {
        let (ot, nt) = (old.get(col).unwrap(), new.get(col).unwrap());
        if ot == nt {
            put(&mut resolved, col, ot);
            changes.push(change(
                col,
                "unchanged",
                Some(ot),
                Some(nt),
                Some(ot),
                Value::None,
            ));
            continue;
        }
        let rt: String = match policy {
            SchemaPolicy::LeftPriority => ot.clone(),
            SchemaPolicy::RightPriority => nt.clone(),
            _ => match widen_type(ot, nt) {
                Some(w) => w.into(),
                None if allow_type_narrowing => {
                    warnings.push(Value::Str(alloc::format!(
                        "Column '{col}': type narrowing {} -> {} (allowed by flag)",
                        py_str_repr(ot),
                        py_str_repr(nt)
                    )));
                    nt.clone()
                }
                None => {
                    warnings.push(Value::Str(alloc::format!(
                        "Column '{col}': incompatible types {} vs {}, keeping old type {}",
                        py_str_repr(ot),
                        py_str_repr(nt),
                        py_str_repr(ot)
                    )));
                    compatible = false;
                    ot.clone()
                }
            },
        };
        changes.push(change(
            col,
            "type_changed",
            Some(ot),
            Some(nt),
            Some(&rt),
            Value::None,
        ));
        put(&mut resolved, col, &rt);
    }
    let one_sided = |cols: Vec<&String>,
                     side: &Schema,
                     kind: &str,
                     resolved: &mut OrderedMap<Value, Value>,
                     result_defaults: &mut OrderedMap<Value, Value>,
                     changes: &mut Vec<SchemaChange>| {
        for col in cols {
            let t = side.get(col).unwrap();
            let (old_t, new_t) = if kind == "removed" {
                (Some(t), None)
            } else {
                (None, Some(t))
            };
            if policy == SchemaPolicy::Intersection {
                changes.push(change(col, kind, old_t, new_t, None, Value::None));
            } else {
                put(resolved, col, t);
                let d = defaults.get(col).cloned().unwrap_or(Value::None);
                result_defaults.insert(Value::str(col.as_str()), d.clone());
                changes.push(change(col, kind, old_t, new_t, Some(t), d));
            }
        }
    };
    one_sided(
        ko.difference(&kn).copied().collect(),
        old,
        "removed",
        &mut resolved,
        &mut result_defaults,
        &mut changes,
    );
    one_sided(
        kn.difference(&ko).copied().collect(),
        new,
        "added",
        &mut resolved,
        &mut result_defaults,
        &mut changes,
    );
    SchemaEvolutionResult {
        resolved_schema: resolved,
        changes,
        defaults: result_defaults,
        policy_used: policy,
        is_compatible: compatible,
        warnings,
        extra: Default::default(),
    }
}

/// Every type observed per column across replicas; merge is set union,
/// hence commutative, associative and idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaSet {
    /// Column → observed type strings.
    pub columns: BTreeMap<String, BTreeSet<String>>,
}

/// One column whose observed types have no common widening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeConflict {
    /// The column.
    pub column: String,
    /// Every type observed for it, sorted.
    pub types: Vec<String>,
}

impl SchemaSet {
    /// The set holding one schema.
    pub fn from_schema(s: &Schema) -> SchemaSet {
        let mut out = SchemaSet::default();
        out.observe(s);
        out
    }

    /// Add the columns and types of one schema.
    pub fn observe(&mut self, s: &Schema) {
        for (c, t) in s.iter() {
            self.columns.entry(c.clone()).or_default().insert(t.clone());
        }
    }

    fn resolve_column(types: &BTreeSet<String>) -> Option<&String> {
        types
            .iter()
            .find(|u| types.iter().all(|t| widen_type(t, u) == Some(u.as_str())))
    }

    /// The resolved schema (columns sorted): per column the observed type
    /// all others widen to, or `str` for a conflict.
    pub fn resolved(&self) -> Schema {
        self.columns
            .iter()
            .map(|(c, ts)| {
                let t = Self::resolve_column(ts)
                    .cloned()
                    .unwrap_or_else(|| String::from("str"));
                (c.clone(), t)
            })
            .collect()
    }

    /// Columns whose observed types have no common widening.
    pub fn conflicts(&self) -> Vec<TypeConflict> {
        self.columns
            .iter()
            .filter(|(_, ts)| Self::resolve_column(ts).is_none())
            .map(|(c, ts)| TypeConflict {
                column: c.clone(),
                types: ts.iter().cloned().collect(),
            })
            .collect()
    }

    /// The evolution of `old` to the resolved schema under the union policy,
    /// as the reference's result type; conflicts make it incompatible and add
    /// one warning each.
    pub fn evolve_from(
        &self,
        old: &Schema,
        defaults: &OrderedMap<String, Value>,
    ) -> SchemaEvolutionResult {
        let mut r = evolve_schema(old, &self.resolved(), SchemaPolicy::Union, defaults, true);
        // Narrowing warnings do not apply: the resolved type covers `old`'s
        // unless the column is a conflict, reported below.
        r.warnings.clear();
        r.is_compatible = true;
        for c in self.conflicts() {
            r.is_compatible = false;
            r.warnings.push(Value::Str(alloc::format!(
                "Column '{}': incompatible types {}, resolved to 'str'",
                c.column,
                str_list_repr(c.types.iter())
            )));
        }
        r
    }
}

impl Merge for SchemaSet {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut out = self.clone();
        for (c, ts) in &other.columns {
            out.columns
                .entry(c.clone())
                .or_default()
                .extend(ts.iter().cloned());
        }
        Ok(out)
    }
}

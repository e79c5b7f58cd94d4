//! [`SchemaState`]: a [`MergeSchema`] that replicas can edit and merge as a
//! CRDT, with its wire frame (type tag 0x62 `merge_schema`, compact codec).
//!
//! Every field (and the default) is a last-writer-wins register over
//! `(version, entry)`: [`SchemaState::set`] bumps the field's version, merge
//! keeps per field the higher version, and on equal versions the entry whose
//! canonical JSON text is larger (so the merge is commutative, associative and
//! idempotent; `core/tests/table_schema_wire.rs`). Fields are kept sorted by name.
//!
//! Payload (a dict): `{"schema": <MergeSchema.to_dict()>, "versions": {field: int, .., "__default__": int}}`
//! — `schema` is exactly the reference's dict, so a reference user can load
//! it with `MergeSchema.from_dict(payload["schema"])`. Entries are kept as
//! dicts, so a `Custom` entry round-trips even where its function is unknown.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::error::TableError;
use super::schema::{CustomLookup, MergeSchema, Strategy};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

const TY: &str = "merge_schema";
const DEFAULT: &str = "__default__";

/// One versioned schema entry.
#[derive(Debug, Clone, PartialEq)]
struct Versioned {
    version: i64,
    entry: Value,
}

impl Versioned {
    /// LWW: higher version, then larger canonical JSON.
    fn join(&self, o: &Versioned) -> Versioned {
        let pick_other = match o.version.cmp(&self.version) {
            core::cmp::Ordering::Greater => true,
            core::cmp::Ordering::Less => false,
            core::cmp::Ordering::Equal => canonical(&o.entry) > canonical(&self.entry),
        };
        if pick_other {
            o.clone()
        } else {
            self.clone()
        }
    }
}

fn canonical(v: &Value) -> String {
    crate::json::to_string(&crate::json::to_view(&v.sorted())).unwrap_or_default()
}

/// A mergeable, versioned [`MergeSchema`].
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaState {
    fields: BTreeMap<String, Versioned>,
    default: Versioned,
}

impl Default for SchemaState {
    fn default() -> Self {
        SchemaState {
            fields: BTreeMap::new(),
            default: Versioned {
                version: 0,
                entry: Strategy::Lww.to_dict(),
            },
        }
    }
}

impl SchemaState {
    /// A state holding `schema`, every entry at version 1.
    pub fn new(schema: &MergeSchema) -> SchemaState {
        let mut s = SchemaState {
            fields: BTreeMap::new(),
            default: Versioned {
                version: 1,
                entry: schema.default.to_dict(),
            },
        };
        for (f, st) in &schema.fields {
            s.fields.insert(
                f.clone(),
                Versioned {
                    version: 1,
                    entry: st.to_dict(),
                },
            );
        }
        s
    }

    /// Set a field's strategy (a new version of that field).
    pub fn set(&mut self, field: &str, strategy: &Strategy) {
        if field == DEFAULT {
            return self.set_default(strategy);
        }
        let version = self
            .fields
            .get(field)
            .map_or(0, |v| v.version)
            .saturating_add(1);
        self.fields.insert(
            field.to_string(),
            Versioned {
                version,
                entry: strategy.to_dict(),
            },
        );
    }

    /// Set the default strategy (a new version of it).
    pub fn set_default(&mut self, strategy: &Strategy) {
        self.default = Versioned {
            version: self.default.version.saturating_add(1),
            entry: strategy.to_dict(),
        };
    }

    /// Version of a field (`__default__` for the default); 0 when never set.
    pub fn version(&self, field: &str) -> i64 {
        if field == DEFAULT {
            self.default.version
        } else {
            self.fields.get(field).map_or(0, |v| v.version)
        }
    }

    /// The schema (`Custom` entries load as LWW, as in [`MergeSchema::from_dict`]).
    pub fn schema(&self) -> Result<MergeSchema, TableError> {
        MergeSchema::from_dict(&self.schema_dict())
    }

    /// The schema, finding `Custom` functions by name.
    pub fn schema_with(&self, customs: CustomLookup<'_>) -> Result<MergeSchema, TableError> {
        MergeSchema::from_dict_with(&self.schema_dict(), Some(customs))
    }

    /// The reference-shaped schema dict (fields by name, then `__default__`).
    pub fn schema_dict(&self) -> Value {
        let mut e: Vec<(String, Value)> = self
            .fields
            .iter()
            .map(|(f, v)| (f.clone(), v.entry.clone()))
            .collect();
        e.push((DEFAULT.to_string(), self.default.entry.clone()));
        Value::map(e)
    }
}

impl Merge for SchemaState {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut fields = self.fields.clone();
        for (f, v) in &other.fields {
            let joined = match fields.get(f) {
                Some(mine) => mine.join(v),
                None => v.clone(),
            };
            fields.insert(f.clone(), joined);
        }
        Ok(SchemaState {
            fields,
            default: self.default.join(&other.default),
        })
    }
}

impl WireType for SchemaState {
    const TAG: TypeTag = TypeTag::MergeSchema;

    fn to_value(&self) -> Value {
        let mut versions: Vec<(String, Value)> = self
            .fields
            .iter()
            .map(|(f, v)| (f.clone(), Value::Int(v.version)))
            .collect();
        versions.push((DEFAULT.to_string(), Value::Int(self.default.version)));
        Value::map([
            ("schema", self.schema_dict()),
            ("versions", Value::map(versions)),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let schema = v
            .get("schema")
            .and_then(Value::as_map)
            .ok_or_else(|| DecodeError::shape(TY, "missing dict field \"schema\""))?;
        let versions = match v.get("versions") {
            None => None,
            Some(m @ Value::Map(_)) => Some(m),
            Some(_) => return Err(DecodeError::shape(TY, "\"versions\" must be a dict")),
        };
        let mut s = SchemaState::default();
        for (k, entry) in schema {
            let field = k
                .as_str()
                .ok_or_else(|| DecodeError::shape(TY, "field names must be strings"))?;
            // Validate the entry's shape (Custom is accepted by name).
            Strategy::from_dict(field, entry, Some(&|_: &str| Some(noop())))
                .map_err(|e| DecodeError::shape(TY, alloc::format!("{e}")))?;
            let version = match versions.and_then(|m| m.get(field)) {
                None => 1,
                Some(Value::Int(i)) if *i >= 0 => *i,
                Some(_) => {
                    return Err(DecodeError::shape(
                        TY,
                        "versions must be non-negative integers",
                    ))
                }
            };
            let entry = Versioned {
                version,
                entry: entry.clone(),
            };
            if field == DEFAULT {
                s.default = entry;
            } else {
                s.fields.insert(field.to_string(), entry);
            }
        }
        Ok(s)
    }
}

fn noop() -> super::schema::CustomFn {
    alloc::sync::Arc::new(|a: Value, _b: Value, _: f64, _: f64| a)
}

//! Schema evolution result (0x45) and schema change (0x46). Neither has a
//! merge: both describe one evolution of one pair of schemas.

use alloc::string::String;
use alloc::vec::Vec;

use super::{dict_value, obj, push_extra, Extra, Fields};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

const RESULT: &str = "schema_evolution_result";
const CHANGE: &str = "schema_change";

/// How schema drift was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaPolicy {
    /// `"union"`: keep every column.
    Union,
    /// `"intersection"`: keep common columns.
    Intersection,
    /// `"left_priority"`.
    LeftPriority,
    /// `"right_priority"`.
    RightPriority,
}

impl SchemaPolicy {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaPolicy::Union => "union",
            SchemaPolicy::Intersection => "intersection",
            SchemaPolicy::LeftPriority => "left_priority",
            SchemaPolicy::RightPriority => "right_priority",
        }
    }
    /// Parse the wire string.
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "union" => SchemaPolicy::Union,
            "intersection" => SchemaPolicy::Intersection,
            "left_priority" => SchemaPolicy::LeftPriority,
            "right_priority" => SchemaPolicy::RightPriority,
            _ => return None,
        })
    }
}

/// One column's change.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaChange {
    /// Column name.
    pub column: String,
    /// `"added"`, `"removed"`, `"type_changed"` or `"unchanged"` (not checked: the reference does not).
    pub change_type: String,
    /// Type before, if any.
    pub old_type: Option<String>,
    /// Type after, if any.
    pub new_type: Option<String>,
    /// Type chosen, if any.
    pub resolved_type: Option<String>,
    /// Default for a one-sided column (any JSON value).
    pub default_value: Value,
    /// Unknown entries.
    pub extra: Extra,
}

fn opt(s: &Option<String>) -> Value {
    s.as_deref().map_or(Value::None, Value::str)
}

impl SchemaChange {
    fn from_value_as(type_name: &'static str, v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(type_name, v)?;
        Ok(SchemaChange {
            column: f.req_str("column")?,
            change_type: f.req_str("change_type")?,
            old_type: f.opt_str("old_type")?,
            new_type: f.opt_str("new_type")?,
            resolved_type: f.opt_str("resolved_type")?,
            default_value: f.take("default_value").cloned().unwrap_or(Value::None),
            extra: f.rest(),
        })
    }
}

impl WireType for SchemaChange {
    const TAG: TypeTag = TypeTag::SchemaChange;

    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("column", Value::str(self.column.as_str())),
            ("change_type", Value::str(self.change_type.as_str())),
            ("old_type", opt(&self.old_type)),
            ("new_type", opt(&self.new_type)),
            ("resolved_type", opt(&self.resolved_type)),
            ("default_value", self.default_value.clone()),
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        Self::from_value_as(CHANGE, v)
    }
}

impl Merge for SchemaChange {
    fn merge(&self, _other: &Self) -> Result<Self, MergeError> {
        Err(MergeError::Unsupported(CHANGE))
    }
}

/// The full result of one schema evolution.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaEvolutionResult {
    /// Column → resolved type (kept as decoded).
    pub resolved_schema: OrderedMap<Value, Value>,
    /// Every detected change.
    pub changes: Vec<SchemaChange>,
    /// Column → default value.
    pub defaults: OrderedMap<Value, Value>,
    /// The policy used.
    pub policy_used: SchemaPolicy,
    /// No lossy change happened.
    pub is_compatible: bool,
    /// Warnings (any JSON values; the reference writes strings).
    pub warnings: Vec<Value>,
    /// Unknown entries.
    pub extra: Extra,
}

impl WireType for SchemaEvolutionResult {
    const TAG: TypeTag = TypeTag::SchemaEvolutionResult;

    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("resolved_schema", dict_value(&self.resolved_schema)),
            (
                "changes",
                Value::List(self.changes.iter().map(SchemaChange::to_value).collect())
            ),
            ("defaults", dict_value(&self.defaults)),
            ("policy_used", Value::str(self.policy_used.as_str())),
            ("is_compatible", Value::Bool(self.is_compatible)),
            ("warnings", Value::List(self.warnings.clone())),
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(RESULT, v)?;
        let resolved_schema = f.req_dict("resolved_schema")?;
        let mut changes = Vec::new();
        for (i, c) in f.req_list("changes")?.iter().enumerate() {
            changes.push(SchemaChange::from_value_as(RESULT, c).map_err(|e| match e {
                DecodeError::Shape { msg, .. } => f.err(alloc::format!("changes[{i}]: {msg}")),
                other => other,
            })?);
        }
        let defaults = f.dict_or_empty("defaults")?;
        let p = f.req_str("policy_used")?;
        let policy_used = SchemaPolicy::from_wire(&p).ok_or_else(|| f.err(alloc::format!("field \"policy_used\" must be union, intersection, left_priority or right_priority, found {p:?}")))?;
        let is_compatible = f.req_bool("is_compatible")?;
        let warnings = f.list_or_empty("warnings")?.to_vec();
        Ok(SchemaEvolutionResult {
            resolved_schema,
            changes,
            defaults,
            policy_used,
            is_compatible,
            warnings,
            extra: f.rest(),
        })
    }
}

impl Merge for SchemaEvolutionResult {
    fn merge(&self, _other: &Self) -> Result<Self, MergeError> {
        Err(MergeError::Unsupported(RESULT))
    }
}

//! MergeQL query (0x50), merge plan (0x51) and MergeQL result (0x52): the
//! reference's dataclasses as `dataclasses.asdict` writes them, plus
//! `"__type"`. No merge: a query, a plan and a result each describe one
//! statement; there is no meaningful join of two of them.

use alloc::string::String;
use alloc::vec::Vec;

use super::{dict_value, finish_tagged, obj, push_extra, Extra, Fields};
use crate::error::{DecodeError, MergeError};
use crate::ordered_map::OrderedMap;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

const QUERY: &str = "mergeql_query";
const PLAN: &str = "merge_plan";
const RESULT: &str = "mergeql_result";

fn strs(v: &[String]) -> Value {
    Value::List(v.iter().map(|s| Value::str(s.as_str())).collect())
}

/// A parsed MergeQL statement (the reference's `MergeAST`).
#[derive(Debug, Clone, PartialEq)]
pub struct MergeqlQuery {
    /// Source names, in statement order.
    pub sources: Vec<String>,
    /// Key column.
    pub on_key: String,
    /// Field → strategy name (default empty).
    pub strategies: OrderedMap<Value, Value>,
    /// WHERE text, if any.
    pub where_clause: Option<String>,
    /// EXPLAIN statement (default false).
    pub explain: bool,
    /// MAP old → new column, if any.
    pub schema_mapping: Option<OrderedMap<Value, Value>>,
    /// LIMIT, if any.
    pub limit: Option<i64>,
    /// Unknown entries (the reference rejects them; we keep them).
    pub extra: Extra,
}

impl WireType for MergeqlQuery {
    const TAG: TypeTag = TypeTag::MergeqlQuery;

    fn to_value(&self) -> Value {
        let out = obj(alloc::vec![
            ("sources", strs(&self.sources)),
            ("on_key", Value::str(self.on_key.as_str())),
            ("strategies", dict_value(&self.strategies)),
            (
                "where_clause",
                self.where_clause.as_deref().map_or(Value::None, Value::str)
            ),
            ("explain", Value::Bool(self.explain)),
            (
                "schema_mapping",
                self.schema_mapping.as_ref().map_or(Value::None, dict_value)
            ),
            ("limit", self.limit.map_or(Value::None, Value::Int)),
        ]);
        finish_tagged(out, &self.extra, QUERY)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(QUERY, v)?;
        f.take("__type");
        let l = f.req_list("sources")?;
        Ok(MergeqlQuery {
            sources: f.str_list("sources", l)?,
            on_key: f.req_str("on_key")?,
            strategies: f.dict_or_empty("strategies")?,
            where_clause: f.opt_str("where_clause")?,
            explain: f.bool_or("explain", false)?,
            schema_mapping: f.opt_dict("schema_mapping")?,
            limit: f.opt_int("limit")?,
            extra: f.rest(),
        })
    }
}

/// An execution plan (the reference's `MergePlan`).
#[derive(Debug, Clone, PartialEq)]
pub struct MergePlan {
    /// Source names.
    pub sources: Vec<String>,
    /// Source → row count.
    pub source_sizes: OrderedMap<Value, Value>,
    /// Key column.
    pub merge_key: String,
    /// Field → strategy name.
    pub strategies: OrderedMap<Value, Value>,
    /// Estimated output rows.
    pub estimated_output_rows: i64,
    /// Schema evolution needed.
    pub schema_evolution_needed: bool,
    /// Arrow backend used.
    pub arrow_backend: bool,
    /// Human-readable steps.
    pub steps: Vec<String>,
    /// Unknown entries.
    pub extra: Extra,
}

impl MergePlan {
    fn fields(&self) -> Vec<(Value, Value)> {
        let mut out = obj(alloc::vec![
            ("sources", strs(&self.sources)),
            ("source_sizes", dict_value(&self.source_sizes)),
            ("merge_key", Value::str(self.merge_key.as_str())),
            ("strategies", dict_value(&self.strategies)),
            (
                "estimated_output_rows",
                Value::Int(self.estimated_output_rows)
            ),
            (
                "schema_evolution_needed",
                Value::Bool(self.schema_evolution_needed)
            ),
            ("arrow_backend", Value::Bool(self.arrow_backend)),
            ("steps", strs(&self.steps)),
        ]);
        push_extra(&mut out, &self.extra);
        out
    }

    fn read(f: &mut Fields) -> Result<Self, DecodeError> {
        let l = f.req_list("sources")?;
        let sources = f.str_list("sources", l)?;
        let source_sizes = f.req_dict("source_sizes")?;
        let merge_key = f.req_str("merge_key")?;
        let strategies = f.req_dict("strategies")?;
        let estimated_output_rows = f.req_int("estimated_output_rows")?;
        let schema_evolution_needed = f.req_bool("schema_evolution_needed")?;
        let arrow_backend = f.req_bool("arrow_backend")?;
        let l = f.req_list("steps")?;
        let steps = f.str_list("steps", l)?;
        Ok(MergePlan {
            sources,
            source_sizes,
            merge_key,
            strategies,
            estimated_output_rows,
            schema_evolution_needed,
            arrow_backend,
            steps,
            extra: Extra::new(),
        })
    }
}

impl WireType for MergePlan {
    const TAG: TypeTag = TypeTag::MergePlan;

    fn to_value(&self) -> Value {
        let mut out = self.fields();
        out.push((Value::str("__type"), Value::str(PLAN)));
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(PLAN, v)?;
        f.take("__type");
        let mut p = MergePlan::read(&mut f)?;
        p.extra = f.rest();
        Ok(p)
    }
}

/// The result of executing a statement (the reference's `MergeQLResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct MergeqlResult {
    /// Merged rows (JSON values, normally dicts).
    pub data: Vec<Value>,
    /// The plan that ran (written without `"__type"`).
    pub plan: MergePlan,
    /// Conflicts resolved.
    pub conflicts: i64,
    /// Provenance entries, if tracked.
    pub provenance: Option<Vec<Value>>,
    /// Wall time in ms (int or float as written; default 0.0).
    pub merge_time_ms: Value,
    /// Sources merged (default 0).
    pub sources_merged: i64,
    /// Unknown entries.
    pub extra: Extra,
}

impl WireType for MergeqlResult {
    const TAG: TypeTag = TypeTag::MergeqlResult;

    fn to_value(&self) -> Value {
        let out = obj(alloc::vec![
            ("data", Value::List(self.data.clone())),
            ("plan", Value::Map(self.plan.fields())),
            ("conflicts", Value::Int(self.conflicts)),
            (
                "provenance",
                self.provenance
                    .as_ref()
                    .map_or(Value::None, |p| Value::List(p.clone()))
            ),
            ("merge_time_ms", self.merge_time_ms.clone()),
            ("sources_merged", Value::Int(self.sources_merged)),
        ]);
        finish_tagged(out, &self.extra, RESULT)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(RESULT, v)?;
        f.take("__type");
        let data = f.req_list("data")?.to_vec();
        let pv = f.req("plan")?;
        let mut pf = Fields::new(RESULT, pv).map_err(|_| {
            f.err(alloc::format!(
                "field \"plan\" must be a dict, found {}",
                pv.type_name()
            ))
        })?;
        let mut plan = MergePlan::read(&mut pf).map_err(|e| match e {
            DecodeError::Shape { msg, .. } => f.err(alloc::format!("plan: {msg}")),
            other => other,
        })?;
        plan.extra = pf.rest();
        let conflicts = f.req_int("conflicts")?;
        let provenance = match f.take("provenance") {
            None | Some(Value::None) => None,
            Some(p) => Some(f.as_list("provenance", p)?.to_vec()),
        };
        let merge_time_ms = f.num_or("merge_time_ms", Value::Float(0.0))?;
        let sources_merged = f.int_or("sources_merged", 0)?;
        Ok(MergeqlResult {
            data,
            plan,
            conflicts,
            provenance,
            merge_time_ms,
            sources_merged,
            extra: f.rest(),
        })
    }
}

macro_rules! no_merge {
    ($($t:ty => $n:expr),*) => {$(
        impl Merge for $t {
            fn merge(&self, _other: &Self) -> Result<Self, MergeError> {
                Err(MergeError::Unsupported($n))
            }
        }
    )*};
}
no_merge!(MergeqlQuery => QUERY, MergePlan => PLAN, MergeqlResult => RESULT);

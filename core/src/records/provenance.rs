//! Provenance: a merge record (0x54, `conflict_record`, the reference's
//! `MergeRecord`) and a provenance log (0x55, `conflict_topology`, the
//! reference's `ProvenanceLog`).
//!
//! Merge of logs: the union of their records (a record is identified by its
//! whole canonical content; duplicates collapse; records come out in
//! canonical order), each counter the maximum of the two, `duration_ms` the
//! larger number. Merge of records: only records of the same key and origin
//! merge, to the union of their decisions in canonical order. Equality of
//! both treats records / decisions as sets.

use alloc::string::String;
use alloc::vec::Vec;

use super::{finish_tagged, max_num, merge_extra, obj, push_extra, Extra, Fields};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

const RECORD: &str = "conflict_record";
const LOG: &str = "conflict_topology";

fn nested(f: &Fields, at: &str, e: DecodeError) -> DecodeError {
    match e {
        DecodeError::Shape { msg, .. } => f.err(alloc::format!("{at}: {msg}")),
        other => other,
    }
}

/// How one field of one row was resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeDecision {
    /// Field name.
    pub field: String,
    /// `"a"`, `"b"`, `"both_equal"`, `"a_only"`, `"b_only"` or `"conflict_resolved"`.
    pub source: String,
    /// Strategy name (empty when no conflict).
    pub strategy: String,
    /// The chosen value.
    pub value: Value,
    /// The value not chosen (None when no conflict).
    pub alternative: Value,
    /// Unknown entries.
    pub extra: Extra,
}

impl MergeDecision {
    /// A real conflict that a strategy resolved.
    pub fn was_conflict(&self) -> bool {
        self.source == "conflict_resolved"
    }

    fn to_value(&self) -> Value {
        let mut out = obj(alloc::vec![
            ("field", Value::str(self.field.as_str())),
            ("source", Value::str(self.source.as_str())),
            ("strategy", Value::str(self.strategy.as_str())),
            ("value", self.value.clone()),
            ("alternative", self.alternative.clone()),
        ]);
        push_extra(&mut out, &self.extra);
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(RECORD, v)?;
        Ok(MergeDecision {
            field: f.req_str("field")?,
            source: f.req_str("source")?,
            strategy: f.req_str("strategy")?,
            value: f.req("value")?.clone(),
            alternative: f.take("alternative").cloned().unwrap_or(Value::None),
            extra: f.rest(),
        })
    }
}

/// Provenance of one merged row.
#[derive(Debug, Clone)]
pub struct ConflictRecord {
    /// The row's key (any JSON value).
    pub key: Value,
    /// `"merged"`, `"unique_a"` or `"unique_b"`.
    pub origin: String,
    /// Per-field decisions.
    pub decisions: Vec<MergeDecision>,
    /// Unknown entries.
    pub extra: Extra,
}

impl ConflictRecord {
    /// Decisions that were real conflicts (written as `conflict_count`,
    /// recomputed on every encode as the reference does).
    pub fn conflict_count(&self) -> i64 {
        self.decisions.iter().filter(|d| d.was_conflict()).count() as i64
    }

    fn fields(&self) -> Vec<(Value, Value)> {
        let mut out = obj(alloc::vec![
            ("key", self.key.clone()),
            ("origin", Value::str(self.origin.as_str())),
            ("conflict_count", Value::Int(self.conflict_count())),
            (
                "decisions",
                Value::List(self.decisions.iter().map(MergeDecision::to_value).collect())
            ),
        ]);
        push_extra(&mut out, &self.extra);
        out
    }

    fn read(f: &mut Fields) -> Result<Self, DecodeError> {
        let key = f.req("key")?.clone();
        let origin = f.req_str("origin")?;
        // The reference drops conflict_count on decode and recomputes it.
        f.take("conflict_count");
        let mut decisions = Vec::new();
        for (i, d) in f.list_or_empty("decisions")?.iter().enumerate() {
            decisions.push(
                MergeDecision::from_value(d)
                    .map_err(|e| nested(f, &alloc::format!("decisions[{i}]"), e))?,
            );
        }
        Ok(ConflictRecord {
            key,
            origin,
            decisions,
            extra: Extra::new(),
        })
    }

    /// Canonical identity of the record (payload without `"__type"`, sorted).
    fn canonical(&self) -> Value {
        let mut c = self.clone();
        c.decisions = self.canonical_decisions();
        Value::Map(c.fields()).sorted()
    }

    fn decision_set(&self) -> Vec<Value> {
        let mut v: Vec<Value> = self
            .decisions
            .iter()
            .map(|d| d.to_value().sorted())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn canonical_decisions(&self) -> Vec<MergeDecision> {
        let mut v: Vec<(Value, &MergeDecision)> = self
            .decisions
            .iter()
            .map(|d| (d.to_value().sorted(), d))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        v.into_iter().map(|(_, d)| d.clone()).collect()
    }
}

impl PartialEq for ConflictRecord {
    fn eq(&self, other: &Self) -> bool {
        self.key.sorted() == other.key.sorted()
            && self.origin == other.origin
            && self.extra == other.extra
            && self.decision_set() == other.decision_set()
    }
}

impl WireType for ConflictRecord {
    const TAG: TypeTag = TypeTag::ConflictRecord;

    fn to_value(&self) -> Value {
        let mut out = self.fields();
        out.push((Value::str("__type"), Value::str(RECORD)));
        Value::Map(out)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(RECORD, v)?;
        f.take("__type");
        let mut r = ConflictRecord::read(&mut f)?;
        r.extra = f.rest();
        Ok(r)
    }
}

impl Merge for ConflictRecord {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        if self.key.sorted() != other.key.sorted() || self.origin != other.origin {
            return Err(MergeError::Invalid {
                type_name: RECORD,
                msg: String::from("records of different rows (key or origin differ) do not merge"),
            });
        }
        let mut all = self.clone();
        all.decisions.extend(other.decisions.iter().cloned());
        let key = core::cmp::max(&self.key, &other.key).clone();
        Ok(ConflictRecord {
            key,
            origin: self.origin.clone(),
            decisions: all.canonical_decisions(),
            extra: merge_extra(&self.extra, &other.extra),
        })
    }
}

/// The provenance log of one merge (or the union of several).
#[derive(Debug, Clone)]
pub struct ConflictTopology {
    /// Per-row records.
    pub records: Vec<ConflictRecord>,
    /// Rows in the merged output.
    pub total_rows: i64,
    /// Rows present in both sources.
    pub merged_rows: i64,
    /// Rows only in source A.
    pub unique_a_rows: i64,
    /// Rows only in source B.
    pub unique_b_rows: i64,
    /// Field conflicts resolved.
    pub total_conflicts: i64,
    /// Merge time in ms (int or float as written; default 0.0).
    pub duration_ms: Value,
    /// Unknown entries.
    pub extra: Extra,
}

impl ConflictTopology {
    fn record_set(&self) -> Vec<Value> {
        let mut v: Vec<Value> = self.records.iter().map(ConflictRecord::canonical).collect();
        v.sort();
        v.dedup();
        v
    }
}

impl PartialEq for ConflictTopology {
    fn eq(&self, o: &Self) -> bool {
        (
            self.total_rows,
            self.merged_rows,
            self.unique_a_rows,
            self.unique_b_rows,
            self.total_conflicts,
        ) == (
            o.total_rows,
            o.merged_rows,
            o.unique_a_rows,
            o.unique_b_rows,
            o.total_conflicts,
        ) && self.duration_ms == o.duration_ms
            && self.extra == o.extra
            && self.record_set() == o.record_set()
    }
}

impl WireType for ConflictTopology {
    const TAG: TypeTag = TypeTag::ConflictTopology;

    fn to_value(&self) -> Value {
        let out = obj(alloc::vec![
            ("total_rows", Value::Int(self.total_rows)),
            ("merged_rows", Value::Int(self.merged_rows)),
            ("unique_a_rows", Value::Int(self.unique_a_rows)),
            ("unique_b_rows", Value::Int(self.unique_b_rows)),
            ("total_conflicts", Value::Int(self.total_conflicts)),
            ("duration_ms", self.duration_ms.clone()),
            (
                "records",
                Value::List(
                    self.records
                        .iter()
                        .map(|r| Value::Map(r.fields()))
                        .collect()
                )
            ),
        ]);
        finish_tagged(out, &self.extra, LOG)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(LOG, v)?;
        f.take("__type");
        let mut records = Vec::new();
        for (i, r) in f.list_or_empty("records")?.iter().enumerate() {
            let mut rf = Fields::new(LOG, r).map_err(|_| {
                f.err(alloc::format!(
                    "records[{i}] must be a dict, found {}",
                    r.type_name()
                ))
            })?;
            let mut rec = ConflictRecord::read(&mut rf)
                .map_err(|e| nested(&f, &alloc::format!("records[{i}]"), e))?;
            rec.extra = rf.rest();
            records.push(rec);
        }
        Ok(ConflictTopology {
            records,
            total_rows: f.int_or("total_rows", 0)?,
            merged_rows: f.int_or("merged_rows", 0)?,
            unique_a_rows: f.int_or("unique_a_rows", 0)?,
            unique_b_rows: f.int_or("unique_b_rows", 0)?,
            total_conflicts: f.int_or("total_conflicts", 0)?,
            duration_ms: f.num_or("duration_ms", Value::Float(0.0))?,
            extra: f.rest(),
        })
    }
}

impl Merge for ConflictTopology {
    fn merge(&self, o: &Self) -> Result<Self, MergeError> {
        let mut all: Vec<(Value, &ConflictRecord)> = self
            .records
            .iter()
            .chain(o.records.iter())
            .map(|r| (r.canonical(), r))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.dedup_by(|a, b| a.0 == b.0);
        let records = all
            .into_iter()
            .map(|(_, r)| ConflictRecord {
                decisions: r.canonical_decisions(),
                ..r.clone()
            })
            .collect();
        Ok(ConflictTopology {
            records,
            total_rows: self.total_rows.max(o.total_rows),
            merged_rows: self.merged_rows.max(o.merged_rows),
            unique_a_rows: self.unique_a_rows.max(o.unique_a_rows),
            unique_b_rows: self.unique_b_rows.max(o.unique_b_rows),
            total_conflicts: self.total_conflicts.max(o.total_conflicts),
            duration_ms: max_num(&self.duration_ms, &o.duration_ms),
            extra: merge_extra(&self.extra, &o.extra),
        })
    }
}

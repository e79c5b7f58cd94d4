//! Keyed record merge for the foreign languages: rows cross the boundary as
//! one JSON text (a JSON array of objects, Python's `json` dialect) or, for
//! data frames, as one Parquet buffer — never one call per row or cell.
//! `Custom` schema strategies call back into the foreign language through
//! [`CustomResolver`]. No merge logic lives here: everything is
//! `crdt_merge_core::table`.

use std::collections::HashMap;
use std::sync::Arc;

use crdt_merge_core::table::{
    self, CustomFn, MergeOptions, MergeSchema, Prefer, Table, TableError,
};
use crdt_merge_core::{json, Value};
use crdt_merge_io::table::parquet::{read_parquet, write_parquet};

use crate::{arg, guard, CrdtError, R};

impl From<TableError> for CrdtError {
    fn from(e: TableError) -> Self {
        CrdtError::Argument {
            code: "table".into(),
            detail: e.to_string(),
        }
    }
}

/// A foreign function resolving one `Custom` column conflict: gets both
/// values as plain JSON text and both timestamps, returns the winner as
/// plain JSON text.
#[uniffi::export(with_foreign)]
pub trait CustomResolver: Send + Sync {
    /// `(value_a, value_b, ts_a, ts_b) -> winner` (values as JSON text).
    fn resolve(&self, value_a: String, value_b: String, ts_a: f64, ts_b: f64) -> String;
}

/// The reference's `merge()` keyword arguments.
#[derive(uniffi::Record)]
pub struct RecordMergeOptions {
    /// Key columns (empty: no key).
    pub key: Vec<String>,
    /// `"a"`, `"b"` or `"latest"`.
    pub prefer: String,
    /// Timestamp column (default: `_ts` when present).
    pub timestamp_col: Option<String>,
    /// The reference's `MergeSchema.to_dict()` as JSON text.
    pub schema_json: Option<String>,
    /// Functions of the schema's `Custom` strategies, by name.
    pub custom: HashMap<String, Arc<dyn CustomResolver>>,
    /// Drop exact duplicate rows (reference default: true).
    pub dedup: bool,
    /// Drop near-duplicate rows.
    pub fuzzy_dedup: bool,
    /// Similarity threshold of the fuzzy pass (reference default 0.85).
    pub fuzzy_threshold: f64,
}

fn custom_fn(r: Arc<dyn CustomResolver>) -> CustomFn {
    Arc::new(move |a: Value, b: Value, ta: f64, tb: f64| {
        let enc = |v: &Value| json::to_string(v).unwrap_or_else(|_| "null".into());
        let out = r.resolve(enc(&a), enc(&b), ta, tb);
        // An unparsable answer keeps A's value: the callback cannot fail the merge.
        json::parse(&out).unwrap_or(a)
    })
}

fn options(o: &RecordMergeOptions) -> R<MergeOptions> {
    if !(0.0..=1.0).contains(&o.fuzzy_threshold) {
        return Err(arg(format!(
            "fuzzy_threshold must be in [0, 1], got {}",
            o.fuzzy_threshold
        )));
    }
    let schema = match &o.schema_json {
        None => None,
        Some(text) => {
            let dict = json::parse(text)?;
            let lookup = |name: &str| o.custom.get(name).cloned().map(custom_fn);
            Some(MergeSchema::from_dict_with(&dict, Some(&lookup))?)
        }
    };
    Ok(MergeOptions {
        key: o.key.clone(),
        prefer: Prefer::parse(&o.prefer)?,
        timestamp_col: o.timestamp_col.clone(),
        schema,
        dedup: o.dedup,
        fuzzy_dedup: o.fuzzy_dedup,
        fuzzy_threshold: o.fuzzy_threshold,
        fuzzy: None,
    })
}

fn rows_in(text: &str, side: &str) -> R<Table> {
    Ok(Table::from_record_list(&json::parse(text)?, side)?)
}

fn rows_out(t: &Table) -> R<String> {
    Ok(json::to_string(&Value::List(t.to_dict_rows()))?)
}

/// `merge(a, b, ...)` on rows given as JSON arrays of objects; the merged
/// rows as a JSON array.
#[uniffi::export]
pub fn merge_records_json(a: String, b: String, options: RecordMergeOptions) -> R<String> {
    guard(|| {
        let opts = self::options(&options)?;
        let t = table::merge_owned(rows_in(&a, "a")?, rows_in(&b, "b")?, &opts)?;
        rows_out(&t)
    })
}

/// Merged rows and the provenance log.
#[derive(uniffi::Record)]
pub struct ProvenanceMerge {
    /// The merged rows, a JSON array.
    pub rows_json: String,
    /// The log (`ProvenanceLog::to_json`).
    pub log_json: String,
    /// One-line summary.
    pub summary: String,
    /// The log as CSV text.
    pub log_csv: String,
}

/// `merge_with_provenance(a, b, ...)`: merged rows plus every conflict.
#[uniffi::export]
pub fn merge_records_with_provenance_json(
    a: String,
    b: String,
    options: RecordMergeOptions,
) -> R<ProvenanceMerge> {
    guard(|| {
        let opts = self::options(&options)?;
        let (t, log) = table::merge_with_provenance(&rows_in(&a, "a")?, &rows_in(&b, "b")?, &opts)?;
        Ok(ProvenanceMerge {
            rows_json: rows_out(&t)?,
            log_json: log.to_json()?,
            summary: log.summary(),
            log_csv: log.to_csv()?,
        })
    })
}

/// `merge(a, b, ...)` on two Parquet buffers (how data frames cross: pandas,
/// Polars and pyarrow write and read them natively); the result as Parquet.
#[uniffi::export]
pub fn merge_tables_parquet(a: Vec<u8>, b: Vec<u8>, options: RecordMergeOptions) -> R<Vec<u8>> {
    guard(|| {
        let opts = self::options(&options)?;
        let ta = read_parquet("a", a).map_err(|e| arg(e.to_string()))?;
        let tb = read_parquet("b", b).map_err(|e| arg(e.to_string()))?;
        let t = table::merge_owned(ta, tb, &opts)?;
        let mut out = Vec::new();
        write_parquet("result", &t, &mut out).map_err(|e| arg(e.to_string()))?;
        Ok(out)
    })
}

/// Deep merge of two JSON objects (the reference's `merge_dicts`: B wins,
/// a null in B keeps A, nested objects merge, lists are unioned).
#[uniffi::export]
pub fn merge_dicts_json(a: String, b: String) -> R<String> {
    guard(|| {
        let m = table::merge_dicts(&json::parse(&a)?, &json::parse(&b)?, None, None);
        Ok(json::to_string(&m)?)
    })
}

/// Validate a `MergeSchema.to_dict()` JSON text and return it normalized
/// (the reference's shape, defaults filled). Unknown strategies are errors.
#[uniffi::export]
pub fn merge_schema_normalize(schema_json: String) -> R<String> {
    guard(|| {
        let dict = json::parse(&schema_json)?;
        let keep = |_: &str| -> Option<CustomFn> {
            Some(Arc::new(|a: Value, _: Value, _: f64, _: f64| a))
        };
        let s = MergeSchema::from_dict_with(&dict, Some(&keep))?;
        Ok(json::to_string(&s.to_dict())?)
    })
}

/// The reference's `merge_json_lines`: two JSON-lines texts merged by `key`
/// (deep merge per record) or unioned without one; JSON-lines text out.
#[uniffi::export]
pub fn merge_json_lines_text(a: String, b: String, key: Option<String>) -> R<String> {
    guard(|| Ok(table::merge_json_lines_text(&a, &b, key.as_deref())?))
}

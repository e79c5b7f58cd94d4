//! The data layer: keyed record merge over tables (the reference's
//! `crdt_merge.merge` and everything around it).
//!
//! A [`Table`] is what every file format (`crdt-merge-io`) and every binding
//! turns its rows into: a list of column names and rows of cells aligned with
//! them. A cell is `Option<Value>`: `None` means the row does not carry that
//! column at all (a JSON object without the key), `Some(Value::None)` means
//! an explicit null. Columnar formats (CSV, Parquet) never produce `None`
//! cells; JSON-lines rows with different key sets do.
//!
//! Submodules (one concern each):
//! - [`error`] — [`TableError`].
//! - [`schema`] — [`MergeSchema`] and its strategies, dict/JSON form;
//!   [`schema_wire`] — its versioned CRDT state and wire encoding (tag 0x62).
//! - [`merge`](mod@merge) — the keyed record merge and its options; [`row_dedup`] — the
//!   exact and reference fuzzy dedup passes.
//! - [`key_join`] — the partitioned hash join that matches keys for `merge`.
//! - [`provenance`] — merge with a conflict log.
//! - [`stream`] — hash-join and sorted merge-join over batches.
//! - [`json`] — deep `merge_dicts` and keyed JSON-lines merge.
//! - [`verify`] — the law verifier for any merge function.
//! - [`pycmp`] — the Python value semantics these rely on.
//! - delta, dedup, merkle, evolution, gossip, mergeql: added by the other data-layer work.

pub mod error;
pub mod json;
pub mod key_join;
pub mod merge;
pub mod provenance;
pub mod pycmp;
pub mod row_dedup;
pub mod schema;
pub mod schema_wire;
pub mod stream;
pub mod verify;

pub use error::TableError;
pub use json::{merge_dicts, merge_json_lines, merge_json_lines_text};
pub use key_join::{join_hashed, KeyHash, KeyHasher, KeyMatch, RowRef};
pub use merge::{
    merge, merge_owned, timestamp_column_for, MergeOptions, Origin, Prefer, RowDedup, RowMerger,
};
pub use provenance::{merge_with_provenance, Conflict, ProvenanceLog, Winner};
pub use row_dedup::ExactDedup;
pub use schema::{Choice, CustomFn, CustomStrategy, MergeSchema, Strategy};
pub use schema_wire::SchemaState;
pub use stream::{merge_sorted_stream, merge_stream, MergeStream, SortedMergeStream, StreamStats};
pub use verify::{table_eq, verify_laws, verify_table_merge, Law, LawResult, Verification};

use alloc::string::String;
use alloc::vec::Vec;

use crate::value::Value;

/// One cell: `None` = column absent from this row, `Some(v)` = value (maybe null).
pub type Cell = Option<Value>;

/// Rows with named columns. `rows[i].len() == columns.len()` for every row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Column names, in first-seen order, unique.
    pub columns: Vec<String>,
    /// Rows, each aligned with `columns`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn with_columns(columns: Vec<String>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    /// Index of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A table from a list of dicts with string keys (what bindings are
    /// handed); anything else is [`TableError::BadRows`] naming the row.
    pub fn from_record_list(v: &Value, side: &str) -> Result<Table, TableError> {
        let rows = match v {
            Value::List(rows) => rows,
            _ => {
                return Err(TableError::BadRows(alloc::format!(
                    "{side} must be a list of objects, found {}",
                    v.type_name()
                )))
            }
        };
        for (i, r) in rows.iter().enumerate() {
            match r {
                Value::Map(m) if m.iter().all(|(k, _)| matches!(k, Value::Str(_))) => {}
                _ => {
                    return Err(TableError::BadRows(alloc::format!(
                        "{side}[{i}] is not an object with string keys"
                    )))
                }
            }
        }
        Ok(Table::from_dict_rows(rows))
    }

    /// Build a table from dict rows (`Value::Map` with string keys), columns in
    /// first-seen order. Non-map rows and non-string keys are rejected by the
    /// caller's validation; here they are skipped.
    pub fn from_dict_rows(rows: &[Value]) -> Table {
        let mut t = Table::default();
        for row in rows {
            if let Value::Map(entries) = row {
                for (k, _) in entries {
                    if let Value::Str(k) = k {
                        if t.column_index(k).is_none() {
                            t.columns.push(k.clone());
                        }
                    }
                }
            }
        }
        for row in rows {
            let mut cells: Vec<Cell> = alloc::vec![None; t.columns.len()];
            if let Value::Map(entries) = row {
                for (k, v) in entries {
                    if let Value::Str(k) = k {
                        if let Some(i) = t.column_index(k) {
                            cells[i] = Some(v.clone());
                        }
                    }
                }
            }
            t.rows.push(cells);
        }
        t
    }

    /// Rows as dicts (`Value::Map`), absent cells left out.
    pub fn to_dict_rows(&self) -> Vec<Value> {
        self.rows
            .iter()
            .map(|cells| {
                Value::Map(
                    self.columns
                        .iter()
                        .zip(cells)
                        .filter_map(|(c, v)| v.as_ref().map(|v| (Value::Str(c.clone()), v.clone())))
                        .collect(),
                )
            })
            .collect()
    }
}
pub mod dedup;
pub mod delta;
pub mod evolution;
pub mod extras_error;
pub mod gossip;
pub mod mergeql;
pub mod merkle;

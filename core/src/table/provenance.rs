//! [`merge_with_provenance`]: the same merge as [`merge`](super::merge()),
//! plus a [`ProvenanceLog`] of every conflict (key, field, both values,
//! winner, which side won, strategy) and row counts, with [`ProvenanceLog::summary`],
//! JSON and CSV export.
//!
//! Unlike the reference's `merge_with_provenance` (its own merge loop, which
//! takes the column list from the first matched pair and so drops columns
//! that only later rows carry, and ignores `prefer`, dedup and multi-column
//! keys), the merged table here is exactly `merge`'s.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use super::error::TableError;
use super::merge::{apply_dedup, merge_with_sink, ConflictSink, MergeOptions, Origin};
use super::pycmp::py_eq;
use super::Table;
use crate::pyrepr::repr;
use crate::value::Value;

/// Which value a conflict kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Winner {
    /// A's value.
    A,
    /// B's value.
    B,
    /// A new value computed from both (UnionSet, Concat, Custom).
    Computed,
}

impl Winner {
    /// `"a"`, `"b"` or `"computed"` (the reference's source names).
    pub fn as_str(self) -> &'static str {
        match self {
            Winner::A => "a",
            Winner::B => "b",
            Winner::Computed => "computed",
        }
    }
}

/// One resolved conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The row's key (a list for a multi-column key).
    pub key: Value,
    /// The column.
    pub field: String,
    /// A's value.
    pub value_a: Value,
    /// B's value.
    pub value_b: Value,
    /// The value kept.
    pub winner: Value,
    /// Which side it came from.
    pub source: Winner,
    /// The rule that decided: a strategy name (`"LWW"`, `"MaxWins"`, ..) or
    /// `"prefer_a"`, `"prefer_b"`, `"latest"`.
    pub strategy: String,
}

/// What a merge did, row by row and conflict by conflict.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProvenanceLog {
    /// Rows in the merged table (after dedup).
    pub total_rows: usize,
    /// Rows whose key was in both inputs.
    pub merged_rows: usize,
    /// Rows whose key was only in A.
    pub unique_a_rows: usize,
    /// Rows whose key was only in B.
    pub unique_b_rows: usize,
    /// Rows with a null key (kept as they are).
    pub null_key_rows: usize,
    /// Rows removed by the dedup passes.
    pub removed_duplicates: usize,
    /// Every conflict, in output order.
    pub conflicts: Vec<Conflict>,
}

struct Recorder {
    origins: Vec<Origin>,
    raw: Vec<(usize, usize, Value, Value, Value, String)>,
}

impl ConflictSink for Recorder {
    const ACTIVE: bool = true;
    fn row(&mut self, row: usize, origin: Origin) {
        debug_assert_eq!(row, self.origins.len());
        self.origins.push(origin);
    }
    fn conflict(&mut self, row: usize, col: usize, a: Value, b: Value, winner: &Value, how: &str) {
        self.raw.push((row, col, a, b, winner.clone(), how.into()));
    }
}

/// Merge as [`merge`](super::merge()) does and log every decision.
pub fn merge_with_provenance(
    a: &Table,
    b: &Table,
    opts: &MergeOptions,
) -> Result<(Table, ProvenanceLog), TableError> {
    let mut rec = Recorder {
        origins: Vec::new(),
        raw: Vec::new(),
    };
    let mut out = merge_with_sink(a.clone(), b.clone(), opts, &mut rec)?;
    let key_idx: Vec<usize> = opts
        .key
        .iter()
        .filter_map(|k| out.column_index(k))
        .collect();
    let key_of = |row: usize| -> Value {
        let cell = |i: usize| out.rows[row][i].clone().unwrap_or(Value::None);
        match key_idx.as_slice() {
            [one] => cell(*one),
            many => Value::List(many.iter().map(|&i| cell(i)).collect()),
        }
    };
    let mut log = ProvenanceLog::default();
    for o in &rec.origins {
        match o {
            Origin::Merged => log.merged_rows += 1,
            Origin::UniqueA => log.unique_a_rows += 1,
            Origin::UniqueB => log.unique_b_rows += 1,
            Origin::NullKeyA | Origin::NullKeyB => log.null_key_rows += 1,
        }
    }
    for (row, col, va, vb, w, how) in rec.raw {
        let source = if py_eq(&w, &va) {
            Winner::A
        } else if py_eq(&w, &vb) {
            Winner::B
        } else {
            Winner::Computed
        };
        log.conflicts.push(Conflict {
            key: key_of(row),
            field: out.columns[col].clone(),
            value_a: va,
            value_b: vb,
            winner: w,
            source,
            strategy: how,
        });
    }
    let before = out.rows.len();
    apply_dedup(&mut out, opts);
    log.total_rows = out.rows.len();
    log.removed_duplicates = before - out.rows.len();
    Ok((out, log))
}

impl ProvenanceLog {
    /// Number of conflicts.
    pub fn total_conflicts(&self) -> usize {
        self.conflicts.len()
    }

    /// A human-readable report (counts, then one line per conflict).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Merge Provenance Report");
        let _ = writeln!(s, "{}", "=".repeat(40));
        let _ = writeln!(s, "Total rows:      {}", self.total_rows);
        let _ = writeln!(s, "  Merged:        {}", self.merged_rows);
        let _ = writeln!(s, "  Unique to A:   {}", self.unique_a_rows);
        let _ = writeln!(s, "  Unique to B:   {}", self.unique_b_rows);
        let _ = writeln!(s, "  Null key:      {}", self.null_key_rows);
        let _ = writeln!(s, "  Duplicates:    {}", self.removed_duplicates);
        let _ = write!(s, "Total conflicts: {}", self.conflicts.len());
        if !self.conflicts.is_empty() {
            let _ = write!(s, "\n\nConflict Details:");
            for c in &self.conflicts {
                let _ = write!(
                    s,
                    "\n  Row {}, '{}': {} \u{2190} {} (alt: {})",
                    repr(&c.key),
                    c.field,
                    repr(&c.winner),
                    c.strategy,
                    match c.source {
                        Winner::A => repr(&c.value_b),
                        Winner::B => repr(&c.value_a),
                        Winner::Computed => format!("({}, {})", repr(&c.value_a), repr(&c.value_b)),
                    }
                );
            }
        }
        s
    }

    /// The log as a dict (counts and a `conflicts` list).
    pub fn to_value(&self) -> Value {
        let n = |x: usize| Value::Int(x as i64);
        Value::map([
            ("total_rows", n(self.total_rows)),
            ("merged_rows", n(self.merged_rows)),
            ("unique_a_rows", n(self.unique_a_rows)),
            ("unique_b_rows", n(self.unique_b_rows)),
            ("null_key_rows", n(self.null_key_rows)),
            ("removed_duplicates", n(self.removed_duplicates)),
            ("total_conflicts", n(self.conflicts.len())),
            (
                "conflicts",
                Value::List(
                    self.conflicts
                        .iter()
                        .map(|c| {
                            Value::map([
                                ("key", c.key.clone()),
                                ("field", Value::str(&c.field)),
                                ("value_a", c.value_a.clone()),
                                ("value_b", c.value_b.clone()),
                                ("winner", c.winner.clone()),
                                ("source", Value::str(c.source.as_str())),
                                ("strategy", Value::str(&c.strategy)),
                            ])
                        })
                        .collect(),
                ),
            ),
        ])
    }

    /// JSON export (lossless canonical view: bytes, sets and non-finite floats tagged).
    pub fn to_json(&self) -> Result<String, TableError> {
        Ok(crate::json::to_string(&crate::json::to_view(
            &self.to_value(),
        ))?)
    }

    /// CSV export: header `key,field,value_a,value_b,winner,source,strategy`,
    /// values written as JSON text (so `1` and `"1"` stay apart), RFC 4180 quoting.
    pub fn to_csv(&self) -> Result<String, TableError> {
        let mut s = String::from("key,field,value_a,value_b,winner,source,strategy\n");
        let j = |v: &Value| crate::json::to_string(&crate::json::to_view(v));
        for c in &self.conflicts {
            let cells = [
                j(&c.key)?,
                c.field.clone(),
                j(&c.value_a)?,
                j(&c.value_b)?,
                j(&c.winner)?,
                String::from(c.source.as_str()),
                c.strategy.clone(),
            ];
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                csv_cell(cell, &mut s);
            }
            s.push('\n');
        }
        Ok(s)
    }
}

fn csv_cell(cell: &str, out: &mut String) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

//! Table files: CSV, JSON-lines, JSON arrays and Parquet to and from
//! [`crdt_merge_core::table::Table`], the format chosen by extension.
//!
//! Submodules: [`csv`], [`jsonl`] (JSON-lines and JSON arrays),
//! [`jsonl_merge`] (keyed merge of two JSON-lines texts without tables),
//! [`parquet`], `json_scan` (the JSON scanner both JSON formats use) and
//! [`error`] ([`TableIoError`]).

pub mod csv;
pub mod error;
mod json_scan;
pub mod jsonl;
pub mod jsonl_merge;
pub mod parquet;

use std::io::Write;
use std::path::Path;

use crdt_merge_core::table::Table;

pub use error::TableIoError;

/// A table file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// `.csv`: header plus records, cells typed per column.
    Csv,
    /// `.jsonl` (or `.ndjson`): one JSON object per line.
    Jsonl,
    /// `.json`: one JSON array of objects.
    Json,
    /// `.parquet`: Apache Parquet.
    Parquet,
}

impl TableFormat {
    /// The format named by a path's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<TableFormat, TableIoError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(TableFormat::Csv),
            Some("jsonl" | "ndjson") => Ok(TableFormat::Jsonl),
            Some("json") => Ok(TableFormat::Json),
            Some("parquet" | "pq") => Ok(TableFormat::Parquet),
            _ => Err(TableIoError::UnknownFormat {
                file: error::name(path),
            }),
        }
    }
}

/// Parse a table from a file's bytes; `file` names it in errors.
pub fn parse_table(file: &str, format: TableFormat, bytes: Vec<u8>) -> Result<Table, TableIoError> {
    match format {
        TableFormat::Csv => csv::read_csv(file, &bytes),
        TableFormat::Jsonl => jsonl::read_jsonl(file, &bytes),
        TableFormat::Json => jsonl::read_json_array(file, &bytes),
        TableFormat::Parquet => parquet::read_parquet(file, bytes),
    }
}

/// Read a table file, the format chosen by its extension.
pub fn read_table(path: &Path) -> Result<Table, TableIoError> {
    let format = TableFormat::from_path(path)?;
    if format == TableFormat::Jsonl {
        let f = std::fs::File::open(path).map_err(|e| TableIoError::io(path, e))?;
        return jsonl::read_jsonl_from(&error::name(path), f);
    }
    let bytes = std::fs::read(path).map_err(|e| TableIoError::io(path, e))?;
    parse_table(&error::name(path), format, bytes)
}

/// Write a table in a format to a writer; `file` names it in errors.
pub fn write_table<W: Write + Send>(
    file: &str,
    format: TableFormat,
    t: &Table,
    mut w: W,
) -> Result<(), TableIoError> {
    match format {
        TableFormat::Csv => csv::write_csv(file, t, &mut w),
        TableFormat::Jsonl => jsonl::write_jsonl(file, t, &mut w),
        TableFormat::Json => jsonl::write_json_array(file, t, &mut w),
        TableFormat::Parquet => parquet::write_parquet(file, t, w),
    }
}

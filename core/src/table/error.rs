//! [`TableError`]: every way a table merge, schema, stream or JSON merge can
//! fail. One line per message; bad input is always one of these, never a panic.

use alloc::string::String;

use crate::error::DecodeError;

/// Errors of the data layer (`crdt_merge_core::table`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// A key column is missing from the first row of one input (the reference raises `KeyError`).
    #[error("key column {column:?} not found in the first row of input {side}")]
    MissingKeyColumn {
        /// The key column.
        column: String,
        /// `"a"` or `"b"` (or a batch/stream name).
        side: &'static str,
    },
    /// A key value is a list, dict or set (the reference raises `TypeError: unhashable type`).
    #[error("unhashable key of type {type_name} in column {column:?} of input {side}, row {row}")]
    UnhashableKey {
        /// The key column.
        column: String,
        /// Python type name of the value.
        type_name: &'static str,
        /// `"a"` or `"b"`.
        side: &'static str,
        /// Row index in that input.
        row: usize,
    },
    /// Two keys cannot be ordered (a sorted stream mixing e.g. ints and strings).
    #[error("keys of types {left} and {right} cannot be compared (row {row})")]
    IncomparableKeys {
        /// Type of the earlier key.
        left: &'static str,
        /// Type of the later key.
        right: &'static str,
        /// Row index where it happened.
        row: usize,
    },
    /// A sorted-stream input is not sorted by key.
    #[error("input {side} is not sorted by key at row {row}: {previous} then {current}")]
    Unsorted {
        /// `"a"` or `"b"`.
        side: &'static str,
        /// Row index (counted over the whole stream).
        row: usize,
        /// Python repr of the previous key.
        previous: String,
        /// Python repr of the offending key.
        current: String,
    },
    /// A row of a sorted stream has a null or absent key (keys must be ordered).
    #[error("input {side} has a null key at row {row}: a sorted stream needs ordered keys")]
    NullKey {
        /// `"a"` or `"b"`.
        side: &'static str,
        /// Row index (counted over the whole stream).
        row: usize,
    },
    /// The batch size of a stream is zero.
    #[error("batch size must be at least 1")]
    ZeroBatchSize,
    /// `prefer` is not one of `a`, `b`, `latest`.
    #[error("invalid prefer {0:?}: must be one of 'a', 'b', 'latest'")]
    InvalidPrefer(String),
    /// A strategy name that the schema does not know.
    #[error("unknown merge strategy {name:?} for field {field:?}")]
    UnknownStrategy {
        /// The field (or `__default__`).
        field: String,
        /// The strategy name found.
        name: String,
    },
    /// A `Custom` strategy name with no registered function.
    #[error("custom strategy {name:?} for field {field:?} is not registered")]
    UnregisteredCustom {
        /// The field.
        field: String,
        /// The custom strategy name.
        name: String,
    },
    /// The schema dict does not have the reference's shape.
    #[error("bad merge schema: {0}")]
    BadSchema(String),
    /// A separator is empty (Python's `str.split("")` raises `ValueError`).
    #[error("empty separator for field {0:?}")]
    EmptySeparator(String),
    /// The fuzzy threshold is not a number in [0, 1].
    #[error("fuzzy threshold must be within [0, 1], got {0}")]
    BadThreshold(f64),
    /// A row is not aligned with its table's columns.
    #[error("row {row} has {got} cells but the table has {expected} columns")]
    RaggedRow {
        /// Row index.
        row: usize,
        /// Cells in the row.
        got: usize,
        /// Columns in the table.
        expected: usize,
    },
    /// A JSON-lines line is not a JSON object.
    #[error("line {line}: {message}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A merge option given as a dict (bindings) is unknown or mistyped.
    #[error("option {name:?}: {message}")]
    BadOption {
        /// The option's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// Rows given as a value are not a list of dicts with string keys.
    #[error("{0}")]
    BadRows(String),
    /// Text or bytes could not be decoded.
    #[error("{0}")]
    Decode(#[from] DecodeError),
}

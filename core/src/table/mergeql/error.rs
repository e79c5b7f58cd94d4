//! [`MergeqlError`]: a statement that cannot be parsed or run, with the
//! line and column (1-based, in characters) of the offending token.

use alloc::string::String;

/// A MergeQL statement failed to parse, validate or run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeqlError {
    /// Malformed statement (the reference's `MergeQLSyntaxError`).
    #[error("{line}:{column}: {msg}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        msg: String,
    },
    /// Unknown source or strategy (the reference's `MergeQLValidationError`).
    #[error("{line}:{column}: {msg}")]
    Validation {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is unknown.
        msg: String,
    },
    /// The data cannot be merged (e.g. an unhashable key value).
    #[error("{0}")]
    Data(String),
}

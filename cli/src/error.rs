//! Errors of the CLI layer. Every variant names the file it is about, so the
//! one line printed on stderr is always `crdt-merge: <FILE>: <message>`.

use std::path::PathBuf;

use crdt_merge_core::{DecodeError, MergeError};

/// Everything that can make a `crdt-merge` command fail after its arguments
/// parsed (argument errors are clap's, exit code 2). All of these exit 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Reading, creating, writing or renaming a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The input is not a regular file.
    #[error("{}: not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The input is larger than the limits allow; it was not read.
    #[error("{}: file is {size} bytes, larger than the limit of {limit} bytes (--max-payload-bytes plus the 12-byte header)", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (at least; it may still be growing).
        size: u64,
        /// The largest size accepted.
        limit: u64,
    },
    /// The file's bytes or JSON text could not be decoded.
    #[error("{}: {source}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        source: DecodeError,
    },
    /// A frame inside a batch could not be decoded or re-encoded.
    #[error("{}: batch item {index} of {count}: {source}", path.display())]
    BatchItem {
        /// The batch file.
        path: PathBuf,
        /// 0-based index of the frame.
        index: usize,
        /// Frames in the batch.
        count: usize,
        /// What was wrong.
        source: DecodeError,
    },
    /// The inputs could not be merged (different types, no merge, ...).
    #[error("{}: {source}", path.display())]
    Merge {
        /// The input that could not be merged into what came before it.
        path: PathBuf,
        /// Why.
        source: MergeError,
    },
    /// A JSON file is not UTF-8.
    #[error("{}: invalid UTF-8 at byte {offset}", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// First invalid byte.
        offset: usize,
    },
    /// An output could not be produced from a valid input (for example a
    /// JSON-payload type holding bytes).
    #[error("{}: cannot encode output: {source}", path.display())]
    Encode {
        /// The input the output came from.
        path: PathBuf,
        /// Why.
        source: DecodeError,
    },
    /// A line of a JSON-lines input is not valid.
    #[error("{}:{line}: {msg}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        msg: String,
    },
    /// An option's value is not valid (checked here rather than by clap so
    /// the error stays one line).
    #[error("{name}: {msg}")]
    BadOption {
        /// The option, e.g. `--budget`.
        name: &'static str,
        /// What was wrong.
        msg: String,
    },
    /// A table file could not be read or written (the message names the file and place).
    #[error("{0}")]
    Table(#[from] crdt_merge_io::table::TableIoError),
    /// Table inputs that cannot be merged as asked (missing key column, key
    /// types that differ, a bad MergeQL statement); `place` names the file or
    /// the statement position.
    #[error("{place}: {msg}")]
    Data {
        /// File (and line) or `query:LINE:COL`.
        place: String,
        /// What was wrong.
        msg: String,
    },
    /// A model merge failed (model files, configs, methods).
    #[error("{0}")]
    Model(crdt_merge_io::model::ModelIoError),
}

impl CliError {
    /// Attach a path to a decode error.
    pub fn decode(path: impl Into<PathBuf>) -> impl FnOnce(DecodeError) -> CliError {
        let path = path.into();
        move |source| CliError::Decode { path, source }
    }

    /// Attach a path to an I/O error.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }

    /// Attach a path to an encode error.
    pub fn encode(path: impl Into<PathBuf>) -> impl FnOnce(DecodeError) -> CliError {
        let path = path.into();
        move |source| CliError::Encode { path, source }
    }
}

/// Result of the CLI layer.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl From<crdt_merge_io::model::ModelIoError> for CliError {
    fn from(e: crdt_merge_io::model::ModelIoError) -> CliError {
        CliError::Model(e)
    }
}

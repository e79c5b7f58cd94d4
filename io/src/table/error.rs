//! [`TableIoError`]: every way reading or writing a table file can fail, each
//! a one-line message naming the file and, where there is one, the line.

use std::path::Path;

/// Reading or writing a table file failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TableIoError {
    /// The extension is not one of `.csv`, `.jsonl`, `.json`, `.parquet`.
    #[error("{file}: unknown table format (use .csv, .jsonl, .json or .parquet)")]
    UnknownFormat {
        /// The file.
        file: String,
    },
    /// The operating system refused (missing file, permissions, disk full).
    #[error("{file}: {msg}")]
    Io {
        /// The file.
        file: String,
        /// What failed.
        msg: String,
    },
    /// The file holds no rows and no header.
    #[error("{file}: empty file")]
    Empty {
        /// The file.
        file: String,
    },
    /// Malformed text at a line and column (1-based).
    #[error("{file}:{line}:{column}: {msg}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong.
        msg: String,
    },
    /// A Parquet file that cannot be read or written, or a column type we do not map.
    #[error("{file}: parquet: {msg}")]
    Parquet {
        /// The file.
        file: String,
        /// What failed.
        msg: String,
    },
    /// A value that has no form in the output format (e.g. bytes in JSON).
    #[error("{file}: row {row}, column {column:?}: {msg}")]
    Unwritable {
        /// The file.
        file: String,
        /// 0-based row.
        row: usize,
        /// Column name.
        column: String,
        /// Why.
        msg: String,
    },
}

pub(crate) fn name(p: &Path) -> String {
    p.display().to_string()
}

/// One line: newlines in foreign messages (arrow, parquet, OS) become spaces.
pub(crate) fn one_line(s: impl std::fmt::Display) -> String {
    s.to_string().replace(['\n', '\r'], " ")
}

impl TableIoError {
    pub(crate) fn io(file: &Path, e: std::io::Error) -> TableIoError {
        TableIoError::Io {
            file: name(file),
            msg: one_line(e),
        }
    }

    /// Line and column of byte `pos` in `text`, for a syntax error.
    pub(crate) fn syntax_at(file: &str, text: &[u8], pos: usize, msg: String) -> TableIoError {
        let pos = pos.min(text.len());
        let before = &text[..pos];
        let line = memchr::memchr_iter(b'\n', before).count() + 1;
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&text[line_start..pos])
            .chars()
            .count()
            + 1;
        TableIoError::Syntax {
            file: file.to_string(),
            line,
            column,
            msg: one_line(msg),
        }
    }
}

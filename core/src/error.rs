//! Errors of the core, one enum per layer: [`DecodeError`] for everything
//! that reads bytes or JSON (frames, codec, payload shapes) and
//! [`MergeError`] for merges that cannot be defined (mismatched parameters or
//! types). Messages are one line and say what and where.

use alloc::string::String;

/// Reading a frame, a value, a JSON text or a type's payload failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Input ended before a complete item was read.
    #[error("truncated input: needed {needed} more bytes at offset {offset}")]
    Truncated {
        /// Offset where the read started.
        offset: usize,
        /// Bytes still missing.
        needed: usize,
    },
    /// The frame does not start with `CRDT`.
    #[error("bad magic bytes {found:02x?} (expected 43 52 44 54 \"CRDT\")")]
    BadMagic {
        /// The first four bytes found.
        found: [u8; 4],
    },
    /// Protocol version we do not read.
    #[error("unsupported protocol version {0} (this build reads version 1)")]
    UnsupportedVersion(u16),
    /// A type tag no implementation defines.
    #[error("unknown type tag 0x{0:02x}")]
    UnknownTypeTag(u8),
    /// Flags with bits we do not know.
    #[error("unknown flag bits 0x{0:02x} in frame header")]
    UnknownFlags(u8),
    /// Header length disagrees with the bytes present.
    #[error("length mismatch: header says {declared} payload bytes, {actual} present")]
    LengthMismatch {
        /// Length in the header.
        declared: usize,
        /// Bytes actually present after the header.
        actual: usize,
    },
    /// A size cap was exceeded (payload, decompressed size, nesting, count).
    #[error("{what} exceeds the limit of {limit} (got {got})")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// The configured limit.
        limit: usize,
        /// The offending size.
        got: usize,
    },
    /// The zlib stream is invalid.
    #[error("zlib decompression failed: {0}")]
    Decompress(String),
    /// An unknown value tag in the compact codec.
    #[error("unknown value tag 0x{tag:02x} at offset {offset}")]
    UnknownValueTag {
        /// The tag byte.
        tag: u8,
        /// Its offset in the payload.
        offset: usize,
    },
    /// A string was not valid UTF-8.
    #[error("invalid UTF-8 in string at offset {0}")]
    InvalidUtf8(usize),
    /// Bytes left over after the payload's value.
    #[error("{0} trailing bytes after the payload value")]
    TrailingBytes(usize),
    /// JSON text could not be parsed.
    #[error("invalid JSON at line {line}, column {column}: {msg}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was wrong.
        msg: String,
    },
    /// msgpack payload could not be parsed.
    #[error("invalid msgpack at offset {offset}: {msg}")]
    Msgpack {
        /// Byte offset.
        offset: usize,
        /// What was wrong.
        msg: String,
    },
    /// The payload decoded but does not have the shape the type needs.
    #[error("invalid {type_name} payload: {msg}")]
    Shape {
        /// The type being decoded.
        type_name: &'static str,
        /// What was wrong, naming the field.
        msg: String,
    },
    /// A frame of one type where another was expected.
    #[error("expected a {expected} frame, found {found}")]
    WrongType {
        /// Expected type name.
        expected: &'static str,
        /// Found type name.
        found: &'static str,
    },
    /// A batch could not be read.
    #[error("batch: {0}")]
    Batch(String),
}

impl DecodeError {
    /// A stable short code for the error's kind, shared by the conformance
    /// manifest and every binding's error `code`.
    pub fn category(&self) -> &'static str {
        match self {
            DecodeError::Truncated { .. } => "truncated",
            DecodeError::BadMagic { .. } => "bad_magic",
            DecodeError::UnsupportedVersion(_) => "unsupported_version",
            DecodeError::UnknownTypeTag(_) => "unknown_type_tag",
            DecodeError::UnknownFlags(_) => "unknown_flags",
            DecodeError::LengthMismatch { .. } => "length_mismatch",
            DecodeError::LimitExceeded { .. } => "limit_exceeded",
            DecodeError::Decompress(_) => "decompress",
            DecodeError::UnknownValueTag { .. } => "unknown_value_tag",
            DecodeError::InvalidUtf8(_) => "invalid_utf8",
            DecodeError::TrailingBytes(_) => "trailing_bytes",
            DecodeError::Json { .. } | DecodeError::Msgpack { .. } => "json",
            DecodeError::Shape { .. } => "shape",
            DecodeError::WrongType { .. } => "wrong_type",
            DecodeError::Batch(_) => "batch",
        }
    }

    /// Shorthand for a [`DecodeError::Shape`] error.
    pub fn shape(type_name: &'static str, msg: impl Into<String>) -> Self {
        DecodeError::Shape {
            type_name,
            msg: msg.into(),
        }
    }
}

impl MergeError {
    /// A stable short code for the error's kind.
    pub fn category(&self) -> &'static str {
        match self {
            MergeError::ParameterMismatch { .. } => "parameter_mismatch",
            MergeError::TypeMismatch { .. } => "type_mismatch",
            MergeError::Unsupported(_) => "unsupported",
            MergeError::Empty => "empty",
            MergeError::Invalid { .. } => "invalid",
        }
    }
}

/// A merge that is not defined for its inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Two sketches (or similar) whose parameters differ.
    #[error("cannot merge {type_name}: parameters differ ({detail})")]
    ParameterMismatch {
        /// Type name.
        type_name: &'static str,
        /// Which parameters, with both values.
        detail: String,
    },
    /// Two objects of different types.
    #[error("cannot merge a {left} with a {right}")]
    TypeMismatch {
        /// Left type name.
        left: &'static str,
        /// Right type name.
        right: &'static str,
    },
    /// A merge that the type does not support.
    #[error("{0} has no merge")]
    Unsupported(&'static str),
    /// Nothing to merge.
    #[error("merge needs at least one input")]
    Empty,
    /// The inputs are individually valid but cannot be combined.
    #[error("cannot merge {type_name}: {msg}")]
    Invalid {
        /// Type name.
        type_name: &'static str,
        /// Why.
        msg: String,
    },
}

//! [`ExtrasError`]: the one error enum of the data-layer extras (delta sync,
//! dedup, Merkle trees, schema evolution, gossip). Every message is one line.

use alloc::string::String;

use crate::error::DecodeError;

/// Bad input to a delta / dedup / Merkle / evolution / gossip operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExtrasError {
    /// A row that should be a dict (a record) is something else.
    #[error("{what}[{index}] must be a dict, found {found}")]
    NotARecord {
        /// Which list the row came from.
        what: &'static str,
        /// Position in that list.
        index: usize,
        /// Python type name of what was found.
        found: &'static str,
    },
    /// A record of a delta has no value for the key column.
    #[error("{what}[{index}] has no key column \"{key}\"")]
    MissingKey {
        /// Which list the record came from.
        what: &'static str,
        /// Position in that list.
        index: usize,
        /// The key column.
        key: String,
    },
    /// A key value Python could not use as a dict key (list, dict, set).
    #[error("{what}[{index}]: key of type {found} is unhashable")]
    UnhashableKey {
        /// Which list the record came from.
        what: &'static str,
        /// Position in that list.
        index: usize,
        /// Python type name of the key.
        found: &'static str,
    },
    /// A record cannot be written as JSON for hashing.
    #[error("record \"{key}\" cannot be hashed: {source}")]
    Unhashable {
        /// The record's key.
        key: String,
        /// Why JSON writing failed.
        source: DecodeError,
    },
    /// A parameter is out of its range (threshold not in [0, 1], zero hashes, ...).
    #[error("invalid parameter {name}: {msg}")]
    Param {
        /// Parameter name.
        name: &'static str,
        /// What is wrong with it.
        msg: String,
    },
    /// An unknown name (dedup method, schema policy).
    #[error("unknown {what} \"{name}\" (valid: {valid})")]
    UnknownName {
        /// What kind of name.
        what: &'static str,
        /// The name given.
        name: String,
        /// The valid names.
        valid: &'static str,
    },
}

//! The classic CRDT types: counters, registers, sets, maps, clocks, deltas
//! and generic values. Each file owns one type: its state, merge, wire
//! payload (`to_value` / `from_value`) and canonical view.
//!
//! Decoding is strict: a payload MUST be a map carrying every field the
//! reference always writes (and the right `type` string where the reference
//! writes one); anything else is a [`DecodeError::Shape`] naming the field.

pub mod clocks;
pub mod delta;
pub mod gcounter;
pub mod generic;
pub mod lww;
pub mod lwwmap;
pub mod mvreg;
pub mod orset;
pub mod pncounter;
pub mod timestamp;

pub use clocks::{DottedVersionVector, HybridLogicalClock, VectorClock};
pub use delta::Delta;
pub use gcounter::GCounter;
pub use generic::Generic;
pub use lww::LwwRegister;
pub use lwwmap::LwwMap;
pub use mvreg::MvRegister;
pub use orset::{derive_tag, OrSet};
pub use pncounter::PNCounter;
pub use timestamp::Timestamp;

use alloc::format;

use crate::error::DecodeError;
use crate::value::Value;

/// The entries of a payload map, or a shape error.
pub(crate) fn as_map<'a>(
    v: &'a Value,
    ty: &'static str,
    what: &str,
) -> Result<&'a [(Value, Value)], DecodeError> {
    v.as_map().ok_or_else(|| {
        DecodeError::shape(
            ty,
            format!("{what} must be a dict, found {}", v.type_name()),
        )
    })
}

/// The list items of a field, or a shape error.
pub(crate) fn as_list<'a>(
    v: &'a Value,
    ty: &'static str,
    what: &str,
) -> Result<&'a [Value], DecodeError> {
    v.as_list().ok_or_else(|| {
        DecodeError::shape(
            ty,
            format!("{what} must be a list, found {}", v.type_name()),
        )
    })
}

/// A required field of a payload map.
pub(crate) fn field<'a>(
    v: &'a Value,
    ty: &'static str,
    name: &str,
) -> Result<&'a Value, DecodeError> {
    as_map(v, ty, "payload")?;
    v.get(name)
        .ok_or_else(|| DecodeError::shape(ty, format!("missing field `{name}`")))
}

/// A required string field.
pub(crate) fn str_field<'a>(
    v: &'a Value,
    ty: &'static str,
    name: &str,
) -> Result<&'a str, DecodeError> {
    let f = field(v, ty, name)?;
    f.as_str().ok_or_else(|| {
        DecodeError::shape(
            ty,
            format!("field `{name}` must be a str, found {}", f.type_name()),
        )
    })
}

/// A required int field.
pub(crate) fn int_field(v: &Value, ty: &'static str, name: &str) -> Result<i64, DecodeError> {
    let f = field(v, ty, name)?;
    f.as_int().ok_or_else(|| {
        DecodeError::shape(
            ty,
            format!("field `{name}` must be an int, found {}", f.type_name()),
        )
    })
}

/// Check the payload's `type` field.
pub(crate) fn check_type(v: &Value, ty: &'static str, expected: &str) -> Result<(), DecodeError> {
    let t = str_field(v, ty, "type")?;
    if t != expected {
        return Err(DecodeError::shape(
            ty,
            format!("field `type` must be \"{expected}\", found \"{t}\""),
        ));
    }
    Ok(())
}

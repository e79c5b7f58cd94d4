//! The two traits every mergeable type implements, so law tests, the golden
//! runner, the CLI and every binding are written once over them.

use crate::error::{DecodeError, MergeError};
use crate::value::Value;
use crate::wire::header::TypeTag;

/// A state-based CRDT: `merge` is commutative, associative and idempotent
/// (checked by [`crate::laws`] in every type's tests).
pub trait Merge: Sized {
    /// Join two states. Errors only when the states cannot be combined at all
    /// (for example sketches with different parameters).
    fn merge(&self, other: &Self) -> Result<Self, MergeError>;
}

/// A type with a wire frame. The payload is the reference's `to_dict()`
/// shape as a [`Value`]; the frame layer picks the compact codec or the JSON
/// payload from [`TypeTag::payload_kind`].
pub trait WireType: Sized {
    /// The frame's type tag.
    const TAG: TypeTag;
    /// The payload value, in the key order the reference writes.
    fn to_value(&self) -> Value;
    /// Rebuild from a payload value, validating its shape.
    fn from_value(v: &Value) -> Result<Self, DecodeError>;
    /// Canonical JSON view: independent of insertion order, so equal states
    /// give equal views. Defaults to the payload value with map keys sorted
    /// recursively.
    fn to_view(&self) -> Value {
        self.to_value().sorted()
    }
    /// Rebuild from the canonical view. Defaults to [`WireType::from_value`].
    fn from_view(v: &Value) -> Result<Self, DecodeError> {
        Self::from_value(v)
    }
}

//! Generic values (tag `generic`): any dict or list, carried as is.
//!
//! The reference has no generic merge. Ours is a join-semilattice: two maps
//! merge key by key (recursively); any other pair resolves to the greater
//! value by [`Value`]'s total order (None < bool < int < float < str < bytes
//! < list < dict < set). Maps are compared by content, not insertion order.

use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "generic";

/// A dict or list payload.
#[derive(Debug, Clone)]
pub struct Generic(Value);

impl Generic {
    /// Wrap a dict or list; `None` for anything else.
    pub fn new(v: Value) -> Option<Generic> {
        matches!(v, Value::Map(_) | Value::List(_)).then_some(Generic(v))
    }
    /// The value as carried.
    pub fn value(&self) -> &Value {
        &self.0
    }
}

impl PartialEq for Generic {
    fn eq(&self, other: &Self) -> bool {
        self.0.sorted() == other.0.sorted()
    }
}

/// Join two canonical (sorted) values.
fn join(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => {
            let mut out = alloc::vec::Vec::with_capacity(x.len() + y.len());
            let (mut i, mut j) = (0, 0);
            while i < x.len() || j < y.len() {
                match (x.get(i), y.get(j)) {
                    (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                        core::cmp::Ordering::Less => {
                            out.push((ka.clone(), va.clone()));
                            i += 1;
                        }
                        core::cmp::Ordering::Greater => {
                            out.push((kb.clone(), vb.clone()));
                            j += 1;
                        }
                        core::cmp::Ordering::Equal => {
                            out.push((ka.clone(), join(va, vb)));
                            i += 1;
                            j += 1;
                        }
                    },
                    (Some(e), None) => {
                        out.push(e.clone());
                        i += 1;
                    }
                    (None, Some(e)) => {
                        out.push(e.clone());
                        j += 1;
                    }
                    (None, None) => break,
                }
            }
            Value::Map(out)
        }
        _ => {
            if a >= b {
                a.clone()
            } else {
                b.clone()
            }
        }
    }
}

impl Merge for Generic {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        Ok(Generic(join(&self.0.sorted(), &other.0.sorted())))
    }
}

impl WireType for Generic {
    const TAG: TypeTag = TypeTag::Generic;
    fn to_value(&self) -> Value {
        self.0.clone()
    }
    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        Generic::new(v.clone()).ok_or_else(|| {
            DecodeError::shape(
                TY,
                alloc::format!("payload must be a dict or list, found {}", v.type_name()),
            )
        })
    }
}

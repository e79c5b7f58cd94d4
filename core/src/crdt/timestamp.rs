//! [`Timestamp`]: the reference's timestamps are Python numbers, usually
//! floats but ints when a payload carried an int (and `LWWRegister` keeps
//! whatever `from_dict` gave it). We keep the kind so a decoded frame
//! re-encodes byte for byte, and order timestamps by exact numeric value,
//! then int before float (so the order is total and ties are deterministic).
//! NaN is not a timestamp: it is rejected when decoding and constructing.

use core::cmp::Ordering;

use alloc::format;

use crate::error::DecodeError;
use crate::value::Value;

/// A finite-or-infinite, non-NaN number: an int or a float.
#[derive(Debug, Clone, Copy)]
pub struct Timestamp(Repr);

#[derive(Debug, Clone, Copy)]
enum Repr {
    Int(i64),
    Float(f64),
}

impl Timestamp {
    /// A float timestamp; `None` for NaN.
    pub fn from_f64(f: f64) -> Option<Timestamp> {
        (!f.is_nan()).then_some(Timestamp(Repr::Float(f)))
    }
    /// An int timestamp.
    pub fn from_int(i: i64) -> Timestamp {
        Timestamp(Repr::Int(i))
    }
    /// Float zero (the reference's default).
    pub const ZERO: Timestamp = Timestamp(Repr::Float(0.0));
    /// The value as f64 (ints beyond 2^53 round).
    pub fn as_f64(self) -> f64 {
        match self.0 {
            Repr::Int(i) => i as f64,
            Repr::Float(f) => f,
        }
    }
    /// Whether the timestamp is an int on the wire.
    pub fn is_int(self) -> bool {
        matches!(self.0, Repr::Int(_))
    }
    /// Whether the value is numerically zero or negative (Python falsy or negative).
    pub fn is_le_zero(self) -> bool {
        match self.0 {
            Repr::Int(i) => i <= 0,
            Repr::Float(f) => f <= 0.0,
        }
    }
    /// Whether the value is numerically zero (Python falsy).
    pub fn is_zero(self) -> bool {
        match self.0 {
            Repr::Int(i) => i == 0,
            Repr::Float(f) => f == 0.0,
        }
    }
    /// The wire value: int or float.
    pub fn to_value(self) -> Value {
        match self.0 {
            Repr::Int(i) => Value::Int(i),
            Repr::Float(f) => Value::Float(f),
        }
    }
    /// Read an int or a non-NaN float; `what` names the field in errors.
    pub fn from_value(v: &Value, ty: &'static str, what: &str) -> Result<Timestamp, DecodeError> {
        match v {
            Value::Int(i) => Ok(Timestamp::from_int(*i)),
            Value::Float(f) if f.is_nan() => Err(DecodeError::shape(ty, format!("{what} is NaN"))),
            Value::Float(f) => Ok(Timestamp(Repr::Float(*f))),
            other => Err(DecodeError::shape(
                ty,
                format!("{what} must be a number, found {}", other.type_name()),
            )),
        }
    }
}

/// Exact comparison of an int with a non-NaN float.
fn cmp_int_float(i: i64, f: f64) -> Ordering {
    const TWO63: f64 = (1u64 << 63) as f64;
    if f >= TWO63 {
        return Ordering::Less;
    }
    if f < -TWO63 {
        return Ordering::Greater;
    }
    let t = libm::trunc(f);
    match i.cmp(&(t as i64)) {
        Ordering::Equal => {
            if f > t {
                Ordering::Less
            } else if f < t {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        o => o,
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.0, other.0) {
            (Repr::Int(a), Repr::Int(b)) => a.cmp(&b),
            // numeric, then -0.0 before 0.0 (total_cmp) so the order is total
            (Repr::Float(a), Repr::Float(b)) => a
                .partial_cmp(&b)
                .unwrap_or(Ordering::Equal)
                .then(a.total_cmp(&b)),
            (Repr::Int(a), Repr::Float(b)) => cmp_int_float(a, b).then(Ordering::Less),
            (Repr::Float(a), Repr::Int(b)) => cmp_int_float(b, a).reverse().then(Ordering::Greater),
        }
    }
}
impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn order() {
        let i = Timestamp::from_int;
        let f = |x| Timestamp::from_f64(x).unwrap();
        assert!(i(5) < f(5.0));
        assert!(f(4.9) < i(5));
        assert!(i(5) < f(5.1));
        assert!(f(-0.0) < f(0.0));
        assert!(i(i64::MAX) < f(9.3e18));
        assert!(f(f64::NEG_INFINITY) < i(i64::MIN));
        assert!(Timestamp::from_f64(f64::NAN).is_none());
    }
}

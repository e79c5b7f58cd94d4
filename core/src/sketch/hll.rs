//! HyperLogLog with register-max merge, bit-identical to the reference's
//! `MergeableHLL`.
//!
//! An item's 64-bit hash `h = h64(item, 0)` selects register
//! `idx = h >> (64 - p)`. With `rest = (h << p) mod 2^64`, the rank is one
//! plus the number of zero bits of `rest` scanned from bit `63 - p` down to
//! bit 0 before the first one bit (`64 - p` zeros when none is set). This is
//! the reference's window, which is not the top of `rest`: it skips the
//! `p` highest hash bits after the index and counts `p` always-zero low bits.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::hash::ItemHash;
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const NAME: &str = "hll";

/// Smallest precision the reference accepts.
pub const MIN_PRECISION: u8 = 4;
/// Largest precision the reference accepts.
pub const MAX_PRECISION: u8 = 18;

/// HyperLogLog cardinality sketch with `2^precision` one-byte registers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MergeableHll {
    precision: u8,
    registers: Vec<u8>,
}

impl MergeableHll {
    /// An empty sketch; `precision` must be in 4..=18.
    pub fn new(precision: u8) -> Result<Self, DecodeError> {
        if !(MIN_PRECISION..=MAX_PRECISION).contains(&precision) {
            return Err(DecodeError::shape(
                NAME,
                format!("precision must be 4-18, got {precision}"),
            ));
        }
        Ok(MergeableHll {
            precision,
            registers: vec![0; 1 << precision],
        })
    }

    /// The precision `p`.
    pub fn precision(&self) -> u8 {
        self.precision
    }

    /// The `2^p` registers.
    pub fn registers(&self) -> &[u8] {
        &self.registers
    }

    /// Add any item (hashed as `repr(item)`).
    pub fn add(&mut self, item: &Value) {
        self.add_hash(&ItemHash::of_value(item));
    }

    /// Add a `str` item without building a [`Value`].
    pub fn add_str(&mut self, s: &str) {
        self.add_hash(&ItemHash::of_str(s));
    }

    /// Add an `int` item without building a [`Value`].
    pub fn add_int(&mut self, i: i64) {
        self.add_hash(&ItemHash::of_int(i));
    }

    /// Add every item.
    pub fn add_all<'a>(&mut self, items: impl IntoIterator<Item = &'a Value>) {
        for item in items {
            self.add(item);
        }
    }

    /// Add many `int` items (same result as `add_int` on each; hashed in
    /// parallel lanes, and on several threads for large inputs with `std`).
    pub fn add_ints(&mut self, items: &[i64]) {
        let p = self.precision;
        let regs = &mut self.registers;
        super::hash::for_each_h64_int(items, 0, |h| bump(regs, p, h));
    }

    /// Add many `str` items (same result as `add_str` on each).
    pub fn add_strs<S: AsRef<str> + Sync>(&mut self, items: &[S]) {
        let p = self.precision;
        let regs = &mut self.registers;
        super::hash::for_each_h64(
            items,
            0,
            |s| ItemHash::of_str(s.as_ref()),
            |h| bump(regs, p, h),
        );
    }

    /// Add many items of any kind (same result as `add` on each).
    pub fn add_values(&mut self, items: &[Value]) {
        let p = self.precision;
        let regs = &mut self.registers;
        super::hash::for_each_h64(items, 0, ItemHash::of_value, |h| bump(regs, p, h));
    }

    /// Add an item whose repr has already been absorbed.
    pub fn add_hash(&mut self, item: &ItemHash) {
        self.add_h64(item.h64(0));
    }

    /// Add by the item's 64-bit hash under seed 0.
    pub fn add_h64(&mut self, h: u64) {
        bump(&mut self.registers, self.precision, h);
    }

    /// Estimated number of distinct items, computed with the reference's
    /// floating-point operations in the same order.
    pub fn cardinality(&self) -> f64 {
        let m = self.registers.len() as f64;
        let alpha = match self.registers.len() {
            16 => 0.673,
            32 => 0.697,
            64 => 0.709,
            _ => 0.7213 / (1.0 + 1.079 / m),
        };
        let mut indicator = 0.0f64;
        for &r in &self.registers {
            indicator += pow2_neg(r);
        }
        let mut estimate = alpha * m * m / indicator;
        if estimate <= 2.5 * m {
            let zeros = self.registers.iter().filter(|&&r| r == 0).count();
            if zeros > 0 {
                estimate = m * super::ln(m / zeros as f64);
            }
        }
        const TWO_32: f64 = 4294967296.0;
        const TWO_64: f64 = 18446744073709551616.0;
        if estimate >= TWO_64 {
            // Only forged registers get here; the reference raises ValueError
            // (log of a non-positive number). Saturate at the hash space size.
            return TWO_64;
        }
        if estimate > TWO_32 / 30.0 {
            estimate = -TWO_64 * super::ln(1.0 - estimate / TWO_64);
        }
        estimate
    }

    /// `1.04 / sqrt(m)`.
    pub fn standard_error(&self) -> f64 {
        1.04 / libm::sqrt(self.registers.len() as f64)
    }

    /// The frame, byte-identical to [`crate::wire::encode_typed`] but
    /// without building a [`Value`] per register.
    pub fn to_bytes(&self, compress: bool) -> Result<Vec<u8>, DecodeError> {
        super::frame_with(
            TypeTag::Hll,
            compress,
            64 + 2 * self.registers.len(),
            |out| self.encode_payload(out),
        )
    }

    /// Encode the payload (`to_value` through the codec) straight into bytes,
    /// without building a [`Value`] per register.
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        use super::wirefast::*;
        map_header(out, 3);
        str_entry(out, "type", "hll");
        key(out, "precision");
        int(out, self.precision as i64);
        key(out, "registers");
        list_header(out, self.registers.len());
        for &r in &self.registers {
            int(out, r as i64);
        }
    }
}

#[inline]
fn bump(registers: &mut [u8], p: u8, h: u64) {
    let (idx, rank) = index_rank(h, p);
    let r = &mut registers[idx];
    if *r < rank {
        *r = rank;
    }
}

/// `2.0 ** -r` exactly.
#[inline]
fn pow2_neg(r: u8) -> f64 {
    // For r <= 255, 2^-r is a normal double: set its exponent field directly.
    f64::from_bits((1023 - r as u64) << 52)
}

/// Register index and rank of a 64-bit hash at precision `p`.
#[inline]
pub fn index_rank(h: u64, p: u8) -> (usize, u8) {
    let p = p as u32;
    let idx = (h >> (64 - p)) as usize;
    let window_bits = 64 - p;
    let window = (h << p) & ((1u64 << window_bits) - 1);
    let zeros = if window == 0 {
        window_bits
    } else {
        window.leading_zeros() - p
    };
    (idx, (zeros + 1) as u8)
}

impl Merge for MergeableHll {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        if self.precision != other.precision {
            return Err(MergeError::ParameterMismatch {
                type_name: NAME,
                detail: format!("precision {} vs {}", self.precision, other.precision),
            });
        }
        let registers = self
            .registers
            .iter()
            .zip(&other.registers)
            .map(|(a, b)| *a.max(b))
            .collect();
        Ok(MergeableHll {
            precision: self.precision,
            registers,
        })
    }
}

impl WireType for MergeableHll {
    const TAG: TypeTag = TypeTag::Hll;

    fn to_value(&self) -> Value {
        Value::map([
            ("type", Value::str(NAME)),
            ("precision", Value::Int(self.precision as i64)),
            (
                "registers",
                Value::List(
                    self.registers
                        .iter()
                        .map(|&r| Value::Int(r as i64))
                        .collect(),
                ),
            ),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let bad = |m: &str| DecodeError::shape(NAME, m);
        super::check_payload(v, NAME)?;
        let p = v
            .get("precision")
            .ok_or_else(|| bad("missing field 'precision'"))?;
        let p = p
            .as_int()
            .ok_or_else(|| bad("field 'precision' must be an int"))?;
        if !(MIN_PRECISION as i64..=MAX_PRECISION as i64).contains(&p) {
            return Err(DecodeError::shape(
                NAME,
                format!("field 'precision' must be 4-18, got {p}"),
            ));
        }
        let regs = v
            .get("registers")
            .ok_or_else(|| bad("missing field 'registers'"))?;
        let regs = regs
            .as_list()
            .ok_or_else(|| bad("field 'registers' must be a list"))?;
        let m = 1usize << p;
        if regs.len() != m {
            return Err(DecodeError::shape(
                NAME,
                format!(
                    "field 'registers' must have {m} items for precision {p}, got {}",
                    regs.len()
                ),
            ));
        }
        let mut registers = Vec::with_capacity(m);
        for (i, r) in regs.iter().enumerate() {
            match r.as_int() {
                Some(x) if (0..=255).contains(&x) => registers.push(x as u8),
                _ => {
                    return Err(DecodeError::shape(
                        NAME,
                        format!("field 'registers'[{i}] must be an int in 0..=255"),
                    ))
                }
            }
        }
        Ok(MergeableHll {
            precision: p as u8,
            registers,
        })
    }
}

//! Bloom filter with bitwise-OR merge, bit-identical to the reference's
//! `MergeableBloom`.
//!
//! Sizing: `size = max(ceil(-n·ln p / (ln 2)²), 64)` bits and
//! `num_hashes = max(ceil(size / max(n, 1) · ln 2), 1)`, in f64 as Python
//! computes them. Positions of an item are `(h1 + i·h2) mod size` for
//! `i in 0..num_hashes` with `h1 = h64(item, 0)`, `h2 = h64(item, 42)`, in
//! exact integer arithmetic; bit `pos` is bit `pos & 7` (LSB first) of byte
//! `pos >> 3`.
//!
//! `count` is the reference's item counter: `add` increments it, and `merge`
//! sets it to a function of the merged bits (see [`MergeableBloom::merge`]).
//! Equality compares `size`, `num_hashes` and the bits only, as the
//! reference's `__eq__` does.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::hash::ItemHash;
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const NAME: &str = "bloom";

/// Largest bit array accepted (2^33 bits = 1 GiB), from a constructor or a payload.
pub const MAX_SIZE_BITS: u64 = 1 << 33;
/// Most hash functions accepted. The reference's own sizing never exceeds
/// about 1100 (at the smallest positive fp_rate).
pub const MAX_NUM_HASHES: u64 = 1 << 16;

/// Seed of the first position hash.
pub const SEED_H1: u32 = 0;
/// Seed of the step hash.
pub const SEED_H2: u32 = 42;

/// A mergeable Bloom filter.
#[derive(Debug, Clone)]
pub struct MergeableBloom {
    capacity: i64,
    fp_rate: f64,
    size: u64,
    num_hashes: u64,
    bits: Vec<u8>,
    count: i64,
}

impl PartialEq for MergeableBloom {
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size && self.num_hashes == other.num_hashes && self.bits == other.bits
    }
}
impl Eq for MergeableBloom {}

/// The reference's optimal bit count for `n` items at false-positive rate `p`.
pub fn optimal_size(n: i64, p: f64) -> Result<u64, DecodeError> {
    if !(p > 0.0 && p.is_finite()) {
        return Err(DecodeError::shape(
            NAME,
            format!("fp_rate must be a positive finite float, got {p}"),
        ));
    }
    let ln2 = super::ln(2.0);
    let m = -(n as f64) * super::ln(p) / (ln2 * ln2);
    let m = libm::ceil(m);
    if m.is_nan() || m > MAX_SIZE_BITS as f64 {
        return Err(DecodeError::shape(
            NAME,
            format!("capacity {n} at fp_rate {p} needs more than {MAX_SIZE_BITS} bits"),
        ));
    }
    Ok(if m < 64.0 { 64 } else { m as u64 })
}

/// The reference's optimal hash count for `m` bits and `n` items.
pub fn optimal_hashes(m: u64, n: i64) -> u64 {
    let k = (m as f64 / n.max(1) as f64) * super::ln(2.0);
    let k = libm::ceil(k);
    if k < 1.0 {
        1
    } else {
        k as u64
    }
}

impl MergeableBloom {
    /// An empty filter sized for `capacity` items at `fp_rate`, with the
    /// reference's formulas. Errors when `fp_rate` is not positive and
    /// finite (Python raises there too) or the size exceeds [`MAX_SIZE_BITS`].
    pub fn new(capacity: i64, fp_rate: f64) -> Result<Self, DecodeError> {
        let size = optimal_size(capacity, fp_rate)?;
        let num_hashes = optimal_hashes(size, capacity);
        Self::with_parameters(capacity, fp_rate, size, num_hashes)
    }

    /// An empty filter with explicit `size` and `num_hashes`.
    pub fn with_parameters(
        capacity: i64,
        fp_rate: f64,
        size: u64,
        num_hashes: u64,
    ) -> Result<Self, DecodeError> {
        check_params(size, num_hashes)?;
        Ok(MergeableBloom {
            capacity,
            fp_rate,
            size,
            num_hashes,
            bits: vec![0; size.div_ceil(8) as usize],
            count: 0,
        })
    }

    /// Expected number of items (as given; only used for sizing).
    pub fn capacity(&self) -> i64 {
        self.capacity
    }
    /// Target false-positive rate (as given).
    pub fn fp_rate(&self) -> f64 {
        self.fp_rate
    }
    /// Number of bits.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Number of positions per item.
    pub fn num_hashes(&self) -> u64 {
        self.num_hashes
    }
    /// The bit array, `ceil(size / 8)` bytes.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }
    /// The reference's `_count`.
    pub fn count(&self) -> i64 {
        self.count
    }

    /// Add any item.
    pub fn add(&mut self, item: &Value) {
        self.add_hash(&ItemHash::of_value(item));
    }
    /// Add a `str` without building a [`Value`].
    pub fn add_str(&mut self, s: &str) {
        self.add_hash(&ItemHash::of_str(s));
    }
    /// Add an `int` without building a [`Value`].
    pub fn add_int(&mut self, i: i64) {
        self.add_hash(&ItemHash::of_int(i));
    }
    /// Add every item.
    pub fn add_all<'a>(&mut self, items: impl IntoIterator<Item = &'a Value>) {
        for item in items {
            self.add(item);
        }
    }

    /// Add an item whose repr has been absorbed.
    pub fn add_hash(&mut self, item: &ItemHash) {
        let (h1, h2) = item.h64_pair(SEED_H1, SEED_H2);
        self.add_h1h2(h1, h2);
    }

    /// Add many `int` items (same result as `add_int` on each; hashed in
    /// parallel lanes, and on several threads for large inputs with `std`).
    pub fn add_ints(&mut self, items: &[i64]) {
        self.add_hashed(items.len(), |f| {
            super::hash::for_each_h64_pair_int(items, SEED_H1, SEED_H2, f)
        });
    }

    /// Add many `str` items (same result as `add_str` on each).
    pub fn add_strs<S: AsRef<str> + Sync>(&mut self, items: &[S]) {
        self.add_hashed(items.len(), |f| {
            super::hash::for_each_h64_pair(
                items,
                SEED_H1,
                SEED_H2,
                |s| ItemHash::of_str(s.as_ref()),
                f,
            )
        });
    }

    /// Add many items of any kind (same result as `add` on each).
    pub fn add_values(&mut self, items: &[Value]) {
        self.add_hashed(items.len(), |f| {
            super::hash::for_each_h64_pair(items, SEED_H1, SEED_H2, ItemHash::of_value, f)
        });
    }

    /// Add `n` items whose hash pairs `hash_all` hands to its callback.
    fn add_hashed(&mut self, n: usize, hash_all: impl FnOnce(&mut dyn FnMut(u64, u64))) {
        let mut this = core::mem::take(&mut self.bits);
        let (size, k) = (self.size, self.num_hashes);
        hash_all(&mut |h1, h2| {
            for_each_position(h1, h2, size, k, |pos| {
                this[(pos >> 3) as usize] |= 1 << (pos & 7)
            });
        });
        self.bits = this;
        self.count = self.count.saturating_add(n as i64);
    }

    /// Add an item given its hashes under seeds 0 and 42.
    #[inline]
    pub fn add_h1h2(&mut self, h1: u64, h2: u64) {
        let (size, bits) = (self.size, &mut self.bits);
        for_each_position(h1, h2, size, self.num_hashes, |pos| {
            bits[(pos >> 3) as usize] |= 1 << (pos & 7)
        });
        self.count = self.count.saturating_add(1);
    }

    /// Whether the item may have been added (false means definitely not).
    pub fn contains(&self, item: &Value) -> bool {
        self.contains_hash(&ItemHash::of_value(item))
    }
    /// [`MergeableBloom::contains`] for a `str`.
    pub fn contains_str(&self, s: &str) -> bool {
        self.contains_hash(&ItemHash::of_str(s))
    }
    /// [`MergeableBloom::contains`] for an `int`.
    pub fn contains_int(&self, i: i64) -> bool {
        self.contains_hash(&ItemHash::of_int(i))
    }
    /// [`MergeableBloom::contains`] for an absorbed item.
    pub fn contains_hash(&self, item: &ItemHash) -> bool {
        let (h1, h2) = item.h64_pair(SEED_H1, SEED_H2);
        let mut all = true;
        for_each_position(h1, h2, self.size, self.num_hashes, |pos| {
            all &= self.bits[(pos >> 3) as usize] & (1 << (pos & 7)) != 0;
        });
        all
    }

    /// Number of set bits in the byte array (padding bits included, as the reference counts).
    pub fn bits_set(&self) -> u64 {
        self.bits.iter().map(|b| b.count_ones() as u64).sum()
    }

    /// `(bits_set / size) ^ num_hashes`, as the reference.
    pub fn estimated_fp_rate(&self) -> f64 {
        let fill = self.bits_set() as f64 / self.size.max(1) as f64;
        libm::pow(fill, self.num_hashes as f64)
    }

    /// The count a merge assigns to a bit array: the reference's
    /// `int(-size / max(k, 1) · ln(max(1 - fill, 1e-10)))`. The reference
    /// uses this only when fewer than `size` bits are set and otherwise keeps
    /// the larger count; we use it always, so the count stays a function of
    /// the merged bits (see DEVIATIONS.md).
    pub fn count_from_bits(&self) -> i64 {
        let size = self.size as f64;
        let fill = self.bits_set() as f64 / size;
        let x = 1.0 - fill;
        let x = if x > 1e-10 { x } else { 1e-10 };
        let est = -size / self.num_hashes.max(1) as f64 * super::ln(x);
        // int() truncates toward zero; the value is finite and < 2^63 here.
        libm::trunc(est) as i64
    }

    /// The frame, byte-identical to [`crate::wire::encode_typed`] but
    /// without building a [`Value`] per byte.
    pub fn to_bytes(&self, compress: bool) -> Result<Vec<u8>, DecodeError> {
        super::frame_with(
            TypeTag::Bloom,
            compress,
            160 + self.bits_encoded_len(),
            |out| self.encode_payload(out),
        )
    }

    /// Bytes the codec takes for `bits` (without the list header).
    fn bits_encoded_len(&self) -> usize {
        2 * self.bits.len() + 7 * self.bits.iter().filter(|&&b| b > 127).count()
    }

    /// Encode the payload straight into bytes.
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        use super::wirefast::*;
        map_header(out, 7);
        str_entry(out, "type", NAME);
        key(out, "capacity");
        int(out, self.capacity);
        key(out, "fp_rate");
        float(out, self.fp_rate);
        key(out, "size");
        int(out, self.size as i64);
        key(out, "num_hashes");
        int(out, self.num_hashes as i64);
        key(out, "bits");
        list_header(out, self.bits.len());
        // each byte as the codec writes an int: SMALLINT b (b <= 127) or
        // INT64 with seven zero bytes then b
        let start = out.len();
        out.resize(start + self.bits_encoded_len(), 0);
        let buf = &mut out[start..];
        let mut p = 0;
        for &b in &self.bits {
            if b <= 127 {
                buf[p] = crate::wire::codec::tag::SMALLINT;
                buf[p + 1] = b;
                p += 2;
            } else {
                buf[p] = crate::wire::codec::tag::INT64;
                buf[p + 8] = b;
                p += 9;
            }
        }
        key(out, "count");
        int(out, self.count);
    }
}

fn check_params(size: u64, num_hashes: u64) -> Result<(), DecodeError> {
    if size == 0 || size > MAX_SIZE_BITS {
        return Err(DecodeError::shape(
            NAME,
            format!("field 'size' must be 1..={MAX_SIZE_BITS}, got {size}"),
        ));
    }
    if num_hashes == 0 || num_hashes > MAX_NUM_HASHES {
        return Err(DecodeError::shape(
            NAME,
            format!("field 'num_hashes' must be 1..={MAX_NUM_HASHES}, got {num_hashes}"),
        ));
    }
    Ok(())
}

/// Call `f` with `(h1 + i·h2) mod size` for `i in 0..k`, exactly as
/// unbounded integers would give (reduced first, so no overflow: both
/// operands stay below `size <= 2^33`).
#[inline]
fn for_each_position(h1: u64, h2: u64, size: u64, k: u64, mut f: impl FnMut(u64)) {
    let mut pos = h1 % size;
    let step = h2 % size;
    for _ in 0..k {
        f(pos);
        pos += step;
        if pos >= size {
            pos -= size;
        }
    }
}

impl Merge for MergeableBloom {
    /// Bitwise OR; `count` becomes [`MergeableBloom::count_from_bits`] of
    /// the result. When the informational `capacity` / `fp_rate` differ
    /// (same `size` and `num_hashes`), the result keeps the larger pair
    /// (capacity first, then fp_rate by total order) instead of the
    /// reference's "left operand wins", so the merge stays commutative.
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        if self.size != other.size || self.num_hashes != other.num_hashes {
            return Err(MergeError::ParameterMismatch {
                type_name: NAME,
                detail: format!(
                    "(size, num_hashes) ({}, {}) vs ({}, {})",
                    self.size, self.num_hashes, other.size, other.num_hashes
                ),
            });
        }
        let bits = self
            .bits
            .iter()
            .zip(&other.bits)
            .map(|(a, b)| a | b)
            .collect();
        let (capacity, fp_rate) = if (other.capacity, other.fp_rate.to_bits())
            != (self.capacity, self.fp_rate.to_bits())
            && other
                .capacity
                .cmp(&self.capacity)
                .then(other.fp_rate.total_cmp(&self.fp_rate))
                .is_gt()
        {
            (other.capacity, other.fp_rate)
        } else {
            (self.capacity, self.fp_rate)
        };
        let mut out = MergeableBloom {
            capacity,
            fp_rate,
            size: self.size,
            num_hashes: self.num_hashes,
            bits,
            count: 0,
        };
        out.count = out.count_from_bits();
        Ok(out)
    }
}

impl WireType for MergeableBloom {
    const TAG: TypeTag = TypeTag::Bloom;

    fn to_value(&self) -> Value {
        Value::map([
            ("type", Value::str(NAME)),
            ("capacity", Value::Int(self.capacity)),
            ("fp_rate", Value::Float(self.fp_rate)),
            ("size", Value::Int(self.size as i64)),
            ("num_hashes", Value::Int(self.num_hashes as i64)),
            (
                "bits",
                Value::List(self.bits.iter().map(|&b| Value::Int(b as i64)).collect()),
            ),
            ("count", Value::Int(self.count)),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let bad = |m: &str| DecodeError::shape(NAME, m);
        super::check_payload(v, NAME)?;
        let int_field = |k: &str| super::int_field(v, NAME, k);
        let capacity = int_field("capacity")?;
        let fp_rate = match v.get("fp_rate") {
            Some(Value::Float(f)) => *f,
            Some(_) => return Err(bad("field 'fp_rate' must be a float")),
            None => return Err(bad("missing field 'fp_rate'")),
        };
        let size = int_field("size")?;
        let num_hashes = int_field("num_hashes")?;
        if size <= 0 {
            return Err(DecodeError::shape(
                NAME,
                format!("field 'size' must be positive, got {size}"),
            ));
        }
        if num_hashes <= 0 {
            return Err(DecodeError::shape(
                NAME,
                format!("field 'num_hashes' must be positive, got {num_hashes}"),
            ));
        }
        let (size, num_hashes) = (size as u64, num_hashes as u64);
        check_params(size, num_hashes)?;
        let list = v.get("bits").ok_or_else(|| bad("missing field 'bits'"))?;
        let list = list
            .as_list()
            .ok_or_else(|| bad("field 'bits' must be a list"))?;
        let want = size.div_ceil(8);
        if list.len() as u64 != want {
            return Err(DecodeError::shape(
                NAME,
                format!(
                    "field 'bits' must have {want} bytes for size {size}, got {}",
                    list.len()
                ),
            ));
        }
        let mut bits = Vec::with_capacity(list.len());
        for (i, b) in list.iter().enumerate() {
            match b.as_int() {
                Some(x) if (0..=255).contains(&x) => bits.push(x as u8),
                _ => {
                    return Err(DecodeError::shape(
                        NAME,
                        format!("field 'bits'[{i}] must be an int in 0..=255"),
                    ))
                }
            }
        }
        let count = match v.get("count") {
            None => 0,
            Some(c) => c
                .as_int()
                .ok_or_else(|| bad("field 'count' must be an int"))?,
        };
        Ok(MergeableBloom {
            capacity,
            fp_rate,
            size,
            num_hashes,
            bits,
            count,
        })
    }
}

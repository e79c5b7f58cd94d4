//! `ContextBloom`: a sharded Bloom filter over fact strings, for memory
//! dedup. Parameters follow the reference (per-shard capacity
//! `max(expected_items // num_shards, 16)`, optimal size and hash count for
//! the target false-positive rate), but the hashing is our own fast 64-bit
//! hash, so bit arrays are not interchangeable with the reference's (which
//! hashes with SHA-256 and MD5 and cannot reach millions of checks a
//! second). Merge: shard-wise bitwise OR — commutative, associative,
//! idempotent.

use alloc::format;
use alloc::vec::Vec;

use super::hash::hash64;
use super::{fmin, get_f64, get_i64, shape};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "context_bloom";
/// Name of the item hash, written in the payload so a future change is detectable.
pub const HASH_NAME: &str = "wyfold64-v1";
const MAX_BITS: u64 = 1 << 34;
const MAX_HASHES: u64 = 64;

/// Sharded Bloom filter for facts.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextBloom {
    expected_items: u64,
    fp_rate: f64,
    num_shards: usize,
    capacity: u64,
    size: u64,
    num_hashes: u32,
    words: usize,
    bits: Vec<u64>,
    counts: Vec<u64>,
}

fn optimal_size(n: u64, p: f64) -> u64 {
    let ln2 = core::f64::consts::LN_2;
    let m = -(n as f64) * libm::log(p) / (ln2 * ln2);
    let m = libm::ceil(m);
    if m.is_nan() || m < 64.0 {
        64
    } else if m > MAX_BITS as f64 {
        MAX_BITS
    } else {
        m as u64
    }
}

fn optimal_hashes(m: u64, n: u64) -> u32 {
    let k = libm::ceil((m as f64 / n.max(1) as f64) * core::f64::consts::LN_2);
    if k.is_nan() || k < 1.0 {
        1
    } else {
        (k as u64).min(MAX_HASHES) as u32
    }
}

#[inline(always)]
fn fastrange(x: u64, n: u64) -> u64 {
    ((x as u128 * n as u128) >> 64) as u64
}

impl Default for ContextBloom {
    /// The reference's defaults: 100,000 items, 0.1 % false positives, 64 shards.
    fn default() -> Self {
        ContextBloom::new(100_000, 0.001, 64)
    }
}

impl ContextBloom {
    /// A filter for `expected_items` facts at `fp_rate`, in `num_shards`
    /// shards (at least 1).
    pub fn new(expected_items: u64, fp_rate: f64, num_shards: usize) -> Self {
        let num_shards = num_shards.max(1);
        let capacity = (expected_items / num_shards as u64).max(16);
        let size = optimal_size(capacity, fp_rate);
        let num_hashes = optimal_hashes(size, capacity);
        Self::with_params(
            expected_items,
            fp_rate,
            num_shards,
            capacity,
            size,
            num_hashes,
        )
    }

    fn with_params(
        expected_items: u64,
        fp_rate: f64,
        num_shards: usize,
        capacity: u64,
        size: u64,
        num_hashes: u32,
    ) -> Self {
        let words = size.div_ceil(64) as usize;
        ContextBloom {
            expected_items,
            fp_rate,
            num_shards,
            capacity,
            size,
            num_hashes,
            words,
            bits: alloc::vec![0; words * num_shards],
            counts: alloc::vec![0; num_shards],
        }
    }

    /// Shard index, first probe and probe step of a fact.
    #[inline(always)]
    fn probe(&self, fact: &[u8]) -> (usize, u64, u64) {
        let h = hash64(fact);
        let shard = fastrange(h, self.num_shards as u64) as usize;
        let h1 = h.rotate_left(31).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let h2 = (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) | 1;
        (shard, h1, h2)
    }

    /// Whether `fact` was probably added (no false negatives).
    #[inline]
    pub fn contains(&self, fact: &str) -> bool {
        let (shard, mut x, step) = self.probe(fact.as_bytes());
        let base = shard * self.words;
        let words = &self.bits[base..base + self.words];
        for _ in 0..self.num_hashes {
            let pos = fastrange(x, self.size);
            if words[(pos >> 6) as usize] & (1u64 << (pos & 63)) == 0 {
                return false;
            }
            x = x.wrapping_add(step);
        }
        true
    }

    /// Add `fact`; returns whether it was probably present before.
    pub fn add(&mut self, fact: &str) -> bool {
        let (shard, mut x, step) = self.probe(fact.as_bytes());
        let base = shard * self.words;
        let words = &mut self.bits[base..base + self.words];
        let mut present = true;
        for _ in 0..self.num_hashes {
            let pos = fastrange(x, self.size);
            let (w, m) = ((pos >> 6) as usize, 1u64 << (pos & 63));
            present &= words[w] & m != 0;
            words[w] |= m;
            x = x.wrapping_add(step);
        }
        self.counts[shard] += 1;
        present
    }

    /// A filter sized for `facts` with every fact added.
    pub fn from_facts<'a>(
        facts: impl IntoIterator<Item = &'a str>,
        expected_items: u64,
        fp_rate: f64,
        num_shards: usize,
    ) -> Self {
        let mut b = ContextBloom::new(expected_items, fp_rate, num_shards);
        for f in facts {
            b.add(f);
        }
        b
    }

    /// Number of shards.
    pub fn num_shards(&self) -> usize {
        self.num_shards
    }

    /// Expected items the filter was sized for.
    pub fn expected_items(&self) -> u64 {
        self.expected_items
    }

    /// Target false-positive rate.
    pub fn fp_rate(&self) -> f64 {
        self.fp_rate
    }

    /// Bits per shard.
    pub fn shard_size(&self) -> u64 {
        self.size
    }

    /// Hash functions per item.
    pub fn num_hashes(&self) -> u32 {
        self.num_hashes
    }

    /// Sum of per-shard add counts (merges keep the larger count per shard,
    /// a lower bound on the union).
    pub fn estimated_items(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Mean over shards of `fill ^ num_hashes`.
    pub fn false_positive_rate(&self) -> f64 {
        let mut total = 0.0;
        for s in 0..self.num_shards {
            let set: u32 = self.bits[s * self.words..(s + 1) * self.words]
                .iter()
                .map(|w| w.count_ones())
                .sum();
            total += libm::pow(set as f64 / self.size as f64, self.num_hashes as f64);
        }
        total / self.num_shards as f64
    }

    fn shard_value(&self, s: usize, as_list: bool) -> Value {
        let nbytes = self.size.div_ceil(8) as usize;
        let mut bytes = Vec::with_capacity(self.words * 8);
        for w in &self.bits[s * self.words..(s + 1) * self.words] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        bytes.truncate(nbytes);
        let bits = if as_list {
            Value::List(bytes.into_iter().map(|b| Value::Int(b as i64)).collect())
        } else {
            Value::Bytes(bytes)
        };
        Value::map([
            ("type", Value::str("bloom")),
            ("capacity", Value::Int(self.capacity as i64)),
            ("fp_rate", Value::Float(self.fp_rate)),
            ("size", Value::Int(self.size as i64)),
            ("num_hashes", Value::Int(self.num_hashes as i64)),
            ("bits", bits),
            ("count", Value::Int(self.counts[s] as i64)),
        ])
    }

    fn value(&self, as_list: bool) -> Value {
        Value::map([
            ("type", Value::str(TY)),
            ("expected_items", Value::Int(self.expected_items as i64)),
            ("fp_rate", Value::Float(self.fp_rate)),
            ("num_shards", Value::Int(self.num_shards as i64)),
            ("hash", Value::str(HASH_NAME)),
            (
                "shards",
                Value::List(
                    (0..self.num_shards)
                        .map(|s| self.shard_value(s, as_list))
                        .collect(),
                ),
            ),
        ])
    }
}

impl Merge for ContextBloom {
    fn merge(&self, o: &Self) -> Result<Self, MergeError> {
        if self.num_shards != o.num_shards || self.size != o.size || self.num_hashes != o.num_hashes
        {
            return Err(MergeError::ParameterMismatch {
                type_name: TY,
                detail: format!(
                    "(shards {}, size {}, hashes {}) vs ({}, {}, {})",
                    self.num_shards, self.size, self.num_hashes, o.num_shards, o.size, o.num_hashes
                ),
            });
        }
        let mut out = self.clone();
        out.expected_items = self.expected_items.max(o.expected_items);
        out.fp_rate = fmin(self.fp_rate, o.fp_rate);
        out.capacity = self.capacity.max(o.capacity);
        for (a, b) in out.bits.iter_mut().zip(&o.bits) {
            *a |= *b;
        }
        for (a, b) in out.counts.iter_mut().zip(&o.counts) {
            *a = (*a).max(*b);
        }
        Ok(out)
    }
}

fn read_bits(v: &Value, nbytes: usize) -> Result<Vec<u8>, DecodeError> {
    let bytes: Vec<u8> = match v {
        Value::Bytes(b) => b.clone(),
        Value::List(l) => l
            .iter()
            .map(|x| match x {
                Value::Int(i) if (0..=255).contains(i) => Ok(*i as u8),
                _ => Err(shape(TY, "bits must be bytes or a list of ints 0..255")),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(shape(TY, "bits must be bytes or a list of ints")),
    };
    if bytes.len() != nbytes {
        return Err(shape(
            TY,
            format!("bits has {} bytes, expected {nbytes}", bytes.len()),
        ));
    }
    Ok(bytes)
}

impl WireType for ContextBloom {
    const TAG: TypeTag = TypeTag::ContextBloom;

    fn to_value(&self) -> Value {
        self.value(false)
    }

    fn to_view(&self) -> Value {
        self.value(true).sorted()
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        if v.as_map().is_none() {
            return Err(shape(TY, "payload must be a dict"));
        }
        if let Some(h) = v.get("hash") {
            if h.as_str() != Some(HASH_NAME) {
                return Err(shape(
                    TY,
                    format!(
                        "unsupported hash {}, this build uses {HASH_NAME}",
                        crate::pyrepr::repr(h)
                    ),
                ));
            }
        }
        let expected = get_i64(v, "expected_items", 100_000, TY)?;
        let fp_rate = get_f64(v, "fp_rate", 0.001, TY)?;
        let num_shards = get_i64(v, "num_shards", 64, TY)?;
        let shards = v
            .get("shards")
            .and_then(Value::as_list)
            .ok_or_else(|| shape(TY, "missing list field \"shards\""))?;
        if num_shards < 1 || shards.len() as i64 != num_shards || num_shards > 1 << 16 {
            return Err(shape(
                TY,
                format!(
                    "num_shards {num_shards} must be 1..=65536 and match {} shards",
                    shards.len()
                ),
            ));
        }
        let first = &shards[0];
        let size = get_i64(first, "size", 0, TY)?;
        let num_hashes = get_i64(first, "num_hashes", 0, TY)?;
        let capacity = get_i64(first, "capacity", 16, TY)?;
        if size < 1
            || size as u64 > MAX_BITS
            || num_hashes < 1
            || num_hashes as u64 > MAX_HASHES
            || capacity < 0
            || expected < 0
        {
            return Err(shape(TY, format!("bad shard parameters size {size}, num_hashes {num_hashes}, capacity {capacity}")));
        }
        if (size as u64).div_ceil(8).saturating_mul(num_shards as u64) > 1 << 32 {
            return Err(shape(TY, "filter larger than 4 GiB"));
        }
        let mut b = ContextBloom::with_params(
            expected as u64,
            fp_rate,
            num_shards as usize,
            capacity as u64,
            size as u64,
            num_hashes as u32,
        );
        let nbytes = b.size.div_ceil(8) as usize;
        for (s, sh) in shards.iter().enumerate() {
            if get_i64(sh, "size", 0, TY)? != size
                || get_i64(sh, "num_hashes", 0, TY)? != num_hashes
            {
                return Err(shape(TY, format!("shard {s} has different parameters")));
            }
            let bytes = read_bits(
                sh.get("bits")
                    .ok_or_else(|| shape(TY, format!("shard {s} has no bits")))?,
                nbytes,
            )?;
            let words = &mut b.bits[s * b.words..(s + 1) * b.words];
            for (i, byte) in bytes.iter().enumerate() {
                words[i / 8] |= (*byte as u64) << ((i % 8) * 8);
            }
            // Bits past `size` are never set by us; clear them so equality is by content.
            let tail = b.size % 64;
            if tail != 0 {
                words[b.words - 1] &= (1u64 << tail) - 1;
            }
            let c = get_i64(sh, "count", 0, TY)?;
            b.counts[s] = c.max(0) as u64;
        }
        Ok(b)
    }
}

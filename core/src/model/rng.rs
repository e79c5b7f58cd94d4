//! The counter-based RNG of randomized methods: Philox4x32-10 (Salmon et
//! al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
//!
//! A draw is a pure function of (key, counter), so the value an element
//! sees does not depend on the thread count, the chunking or the platform.
//! The key is `seed XOR h`, where `h` is the first 8 bytes (little-endian)
//! of SHA-256 of the tensor name, split into two 32-bit words (low word
//! first). The counter is `[index low, index high, stream, purpose]`:
//! `index` is the element (or draw) index, `stream` the model index and
//! `purpose` a small constant per use (see [`Purpose`]).
//! A uniform in `[0, 1)` takes the top 53 bits of `(x0 << 32) | x1` of the
//! output block. wire-spec/model.md documents this with test vectors.

use sha2::{Digest, Sha256};

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox4x32 with `rounds` rounds on `ctr` under `key` (10 is the standard).
pub fn philox4x32(rounds: u32, ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    for r in 0..rounds {
        if r > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let p0 = (M0 as u64) * (c[0] as u64);
        let p1 = (M1 as u64) * (c[2] as u64);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// Philox4x32-10.
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    philox4x32(10, ctr, key)
}

/// What a draw is used for: keeps the streams of different uses apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Purpose {
    /// Per-element keep/drop masks (DARE, DELLA, random masks).
    Mask = 1,
    /// Coefficient draws of the evolutionary and genetic searches.
    Search = 2,
}

/// A keyed generator for one tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorRng {
    key: [u32; 2],
}

impl TensorRng {
    /// The generator for `seed` and tensor `name`.
    pub fn new(seed: u64, name: &str) -> TensorRng {
        let d = Sha256::digest(name.as_bytes());
        let mut h = [0u8; 8];
        h.copy_from_slice(&d[..8]);
        let k = seed ^ u64::from_le_bytes(h);
        TensorRng {
            key: [k as u32, (k >> 32) as u32],
        }
    }
    /// The key words.
    pub fn key(&self) -> [u32; 2] {
        self.key
    }
    /// The raw block for (`index`, `stream`, `purpose`).
    pub fn block(&self, index: u64, stream: u32, purpose: Purpose) -> [u32; 4] {
        philox4x32_10(
            [index as u32, (index >> 32) as u32, stream, purpose as u32],
            self.key,
        )
    }
    /// A uniform `f64` in `[0, 1)` for (`index`, `stream`, `purpose`).
    pub fn uniform(&self, index: u64, stream: u32, purpose: Purpose) -> f64 {
        let b = self.block(index, stream, purpose);
        to_unit(b[0], b[1])
    }
    /// A standard normal draw (Box-Muller on the block's two uniforms).
    pub fn normal(&self, index: u64, stream: u32, purpose: Purpose) -> f64 {
        let b = self.block(index, stream, purpose);
        let u1 = 1.0 - to_unit(b[0], b[1]); // (0, 1]
        let u2 = to_unit(b[2], b[3]);
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(core::f64::consts::TAU * u2)
    }
}

/// Top 53 bits of `(hi << 32) | lo` as a fraction in `[0, 1)`.
pub fn to_unit(hi: u32, lo: u32) -> f64 {
    let x = ((hi as u64) << 32) | lo as u64;
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A sequential stream over one (stream, purpose) pair: the `i`-th call
/// uses counter index `i`. For searches that draw a data-dependent number
/// of values (the evolutionary methods).
#[derive(Debug, Clone)]
pub struct SeqRng {
    rng: TensorRng,
    stream: u32,
    next: u64,
}

impl SeqRng {
    /// A stream starting at index 0.
    pub fn new(rng: TensorRng, stream: u32) -> SeqRng {
        SeqRng {
            rng,
            stream,
            next: 0,
        }
    }
    /// Next uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        let v = self.rng.uniform(self.next, self.stream, Purpose::Search);
        self.next += 1;
        v
    }
    /// Next normal with mean `mu` and deviation `sigma`.
    pub fn gauss(&mut self, mu: f64, sigma: f64) -> f64 {
        let v = self.rng.normal(self.next, self.stream, Purpose::Search);
        self.next += 1;
        mu + sigma * v
    }
    /// Next integer in `[0, n)` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        let v = (self.uniform() * n as f64) as usize;
        v.min(n - 1)
    }
}

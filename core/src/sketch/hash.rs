//! Item hashing, bit-identical to the reference: `h128(item, seed)` is the
//! MD5 digest of the UTF-8 bytes of Python `repr(item)` followed by `seed` as
//! 4 big-endian bytes, read as a big-endian 128-bit integer; `h64` is its low
//! 64 bits (digest bytes 8..16).
//!
//! Every sketch hashes one item under one or two seeds, so [`ItemHash`]
//! renders the repr once and finishes it per seed. The `str` and `int` paths
//! render the repr into a stack buffer without allocating; other values go
//! through [`crate::pyrepr::repr`]. Short reprs use a single-block MD5 that
//! computes several (item, seed) pairs side by side ([`h64_lanes`]).
//!
//! A [`Value::List`] hashes as a Python `list` (`[1, 2]`); the reference
//! hashes a `tuple` as `(1, 2)`, which this value model cannot express.

use md5::{Digest, Md5};

use crate::pyrepr::{self, is_printable};
use crate::value::Value;

/// Longest repr hashed by the single-block path: repr + 4 seed bytes + the
/// 0x80 pad byte + 8 length bytes fit in one 64-byte MD5 block.
const SHORT: usize = 51;

#[derive(Clone)]
enum State {
    /// The repr itself, when it fits in one block with the seed.
    Short { buf: [u8; SHORT], len: u8 },
    /// MD5 state after absorbing a longer repr.
    Long(Md5),
}

/// `repr(item)` absorbed once; finish it with any seed. Short reprs (up to
/// 51 bytes, which covers ints, floats and most strings) are kept as bytes
/// and hashed with a single-block MD5 that can run several seeds or items
/// side by side ([`h64_lanes`]); longer ones keep an incremental MD5 state.
#[derive(Clone)]
pub struct ItemHash {
    state: State,
}

impl core::fmt::Debug for ItemHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ItemHash { .. }")
    }
}

/// Collects repr bytes: in a stack buffer while they fit one block, then
/// spilling into an incremental MD5.
struct Sink {
    buf: [u8; SHORT],
    len: usize,
    long: Option<Md5>,
}

impl Sink {
    #[inline]
    fn new() -> Self {
        Sink {
            buf: [0; SHORT],
            len: 0,
            long: None,
        }
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        if let Some(m) = &mut self.long {
            m.update(bytes);
        } else if self.len + bytes.len() <= SHORT {
            self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            self.len += bytes.len();
        } else {
            let mut m = Md5::new();
            m.update(&self.buf[..self.len]);
            m.update(bytes);
            self.long = Some(m);
        }
    }

    #[inline]
    fn finish(self) -> ItemHash {
        match self.long {
            Some(m) => ItemHash {
                state: State::Long(m),
            },
            None => ItemHash {
                state: State::Short {
                    buf: self.buf,
                    len: self.len as u8,
                },
            },
        }
    }
}

impl ItemHash {
    /// Absorb `repr(item)` for any value.
    pub fn of_value(item: &Value) -> Self {
        match item {
            Value::Str(s) => Self::of_str(s),
            Value::Int(i) => Self::of_int(*i),
            Value::None => Self::of_repr(b"None"),
            Value::Bool(true) => Self::of_repr(b"True"),
            Value::Bool(false) => Self::of_repr(b"False"),
            other => Self::of_repr(pyrepr::repr(other).as_bytes()),
        }
    }

    /// Absorb the repr of a Python `str` (quoted and escaped as CPython does).
    pub fn of_str(s: &str) -> Self {
        let mut sink = Sink::new();
        absorb_str_repr(&mut sink, s);
        sink.finish()
    }

    /// Absorb the repr of a Python `int`.
    #[inline]
    pub fn of_int(i: i64) -> Self {
        let mut buf = [0u8; 20];
        let start = write_i64(i, &mut buf);
        Self::of_repr(&buf[start..])
    }

    /// Absorb the repr of a Python `float`.
    pub fn of_float(f: f64) -> Self {
        Self::of_repr(pyrepr::float_repr(f).as_bytes())
    }

    /// Absorb already-rendered repr bytes.
    #[inline]
    pub fn of_repr(repr: &[u8]) -> Self {
        let mut sink = Sink::new();
        sink.write(repr);
        sink.finish()
    }

    /// The 128-bit hash under `seed`.
    pub fn h128(&self, seed: u32) -> u128 {
        match &self.state {
            State::Short { buf, len } => {
                let w = block_words(&buf[..*len as usize], seed);
                let [a, b, c, d] = compress_lanes::<1>(&w.map(|x| [x]));
                digest_u128(a[0], b[0], c[0], d[0])
            }
            State::Long(m) => {
                let mut st = m.clone();
                st.update(seed.to_be_bytes());
                u128::from_be_bytes(st.finalize().into())
            }
        }
    }

    /// The low 64 bits of [`ItemHash::h128`].
    #[inline]
    pub fn h64(&self, seed: u32) -> u64 {
        match &self.state {
            State::Short { buf, len } => {
                let w = block_words(&buf[..*len as usize], seed);
                let [_, _, c, d] = compress_lanes::<1>(&w.map(|x| [x]));
                digest_low64(c[0], d[0])
            }
            State::Long(_) => self.h128(seed) as u64,
        }
    }

    /// `(h64(seed_a), h64(seed_b))`, the two hashes are computed side by side.
    #[inline]
    pub fn h64_pair(&self, seed_a: u32, seed_b: u32) -> (u64, u64) {
        let [x, y] = h64_lanes([self, self], [seed_a, seed_b]);
        (x, y)
    }
}

/// `h64` of `N` (item, seed) pairs at once. Single-block items run through
/// one lane-parallel MD5 (the compiler vectorizes the lanes); long items
/// fall back to the incremental path.
#[inline]
pub fn h64_lanes<const N: usize>(items: [&ItemHash; N], seeds: [u32; N]) -> [u64; N] {
    let mut w = [[0u32; N]; 16];
    let mut all_short = true;
    for l in 0..N {
        match &items[l].state {
            State::Short { buf, len } => {
                let words = block_words(&buf[..*len as usize], seeds[l]);
                for (k, word) in words.iter().enumerate() {
                    w[k][l] = *word;
                }
            }
            State::Long(_) => all_short = false,
        }
    }
    let (c, d) = compress_cd::<N>(&w);
    let mut out = [0u64; N];
    for l in 0..N {
        out[l] = if all_short || matches!(items[l].state, State::Short { .. }) {
            digest_low64(c[l], d[l])
        } else {
            items[l].h64(seeds[l])
        };
    }
    out
}

/// Items hashed per block of a batch (bounds the batch's scratch memory).
const BATCH_BLOCK: usize = 1 << 18;
/// Below this many items a batch stays on the calling thread.
#[cfg(feature = "std")]
const PAR_MIN: usize = 1 << 14;

/// Fill `out[i] = h64(make(&items[i]), seed)`, eight items per lane-parallel MD5.
fn seq_batch1<T>(items: &[T], seed: u32, make: &impl Fn(&T) -> ItemHash, out: &mut [u64]) {
    let mut it = items.chunks_exact(8);
    let mut oc = out.chunks_exact_mut(8);
    for (c, o) in (&mut it).zip(&mut oc) {
        let ih: [ItemHash; 8] = core::array::from_fn(|k| make(&c[k]));
        o.copy_from_slice(&h64_lanes(core::array::from_fn(|k| &ih[k]), [seed; 8]));
    }
    for (x, o) in it.remainder().iter().zip(oc.into_remainder()) {
        *o = make(x).h64(seed);
    }
}

/// Fill `out[i] = (h64(item, s1), h64(item, s2))`, four items per lane-parallel MD5.
fn seq_batch2<T>(
    items: &[T],
    s1: u32,
    s2: u32,
    make: &impl Fn(&T) -> ItemHash,
    out: &mut [(u64, u64)],
) {
    let mut it = items.chunks_exact(4);
    let mut oc = out.chunks_exact_mut(4);
    for (c, o) in (&mut it).zip(&mut oc) {
        let ih: [ItemHash; 4] = core::array::from_fn(|k| make(&c[k]));
        let h = h64_lanes(
            [
                &ih[0], &ih[0], &ih[1], &ih[1], &ih[2], &ih[2], &ih[3], &ih[3],
            ],
            [s1, s2, s1, s2, s1, s2, s1, s2],
        );
        for k in 0..4 {
            o[k] = (h[2 * k], h[2 * k + 1]);
        }
    }
    for (x, o) in it.remainder().iter().zip(oc.into_remainder()) {
        *o = make(x).h64_pair(s1, s2);
    }
}

/// Run `work(items_chunk, out_chunk)` over matching chunks, on several
/// threads when `std` is on and the input is large. The result does not
/// depend on how the work is split.
fn split_run<T: Sync, O: Send>(items: &[T], out: &mut [O], work: impl Fn(&[T], &mut [O]) + Sync) {
    #[cfg(feature = "std")]
    {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(items.len() / PAR_MIN);
        if threads > 1 {
            let chunk = items.len().div_ceil(threads);
            let work = &work;
            std::thread::scope(|s| {
                for (ic, oc) in items.chunks(chunk).zip(out.chunks_mut(chunk)) {
                    s.spawn(move || work(ic, oc));
                }
            });
            return;
        }
    }
    work(items, out)
}

/// Run `batch` over `items` block by block (on several threads with
/// `std`) and hand each output to `sink` in input order.
fn drive<T: Sync, O: Copy + Default + Send>(
    items: &[T],
    batch: impl Fn(&[T], &mut [O]) + Sync,
    mut sink: impl FnMut(O),
) {
    let mut buf = alloc::vec![O::default(); items.len().min(BATCH_BLOCK)];
    for block in items.chunks(BATCH_BLOCK) {
        let out = &mut buf[..block.len()];
        split_run(block, out, &batch);
        out.iter().for_each(|&h| sink(h));
    }
}

/// Hash many items under one seed and hand each hash to `sink` in input
/// order. Hashing runs lane-parallel and, with `std`, on several threads
/// for large inputs; `sink` runs on the calling thread.
pub fn for_each_h64<T: Sync>(
    items: &[T],
    seed: u32,
    make: impl Fn(&T) -> ItemHash + Sync,
    sink: impl FnMut(u64),
) {
    drive(items, |ic, oc| seq_batch1(ic, seed, &make, oc), sink);
}

/// Hash many items under two seeds and hand each pair to `sink` in input
/// order (see [`for_each_h64`]).
pub fn for_each_h64_pair<T: Sync>(
    items: &[T],
    s1: u32,
    s2: u32,
    make: impl Fn(&T) -> ItemHash + Sync,
    mut sink: impl FnMut(u64, u64),
) {
    drive(
        items,
        |ic, oc| seq_batch2(ic, s1, s2, &make, oc),
        |(a, b)| sink(a, b),
    );
}

/// [`for_each_h64`] for Python `int`s: the reprs are rendered straight into
/// the MD5 blocks.
pub fn for_each_h64_int(items: &[i64], seed: u32, sink: impl FnMut(u64)) {
    drive(items, |ic, oc| int_batch1(ic, seed, oc), sink);
}

/// [`for_each_h64_pair`] for Python `int`s.
pub fn for_each_h64_pair_int(items: &[i64], s1: u32, s2: u32, mut sink: impl FnMut(u64, u64)) {
    drive(
        items,
        |ic, oc| int_batch2(ic, s1, s2, oc),
        |(a, b)| sink(a, b),
    );
}

/// `repr(i)` written at the start of a zeroed 64-byte block; returns the
/// block and the repr's length (at most 20).
#[inline(always)]
fn int_block(i: i64) -> ([u8; 64], usize) {
    let mut blk = [0u8; 64];
    let neg = usize::from(i < 0);
    let mut u = i.unsigned_abs();
    let mut digits = 1;
    let mut t = u;
    while t >= 10 {
        t /= 10;
        digits += 1;
    }
    let n = digits + neg;
    let mut pos = n;
    loop {
        pos -= 1;
        blk[pos & 63] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if neg == 1 {
        blk[0] = b'-';
    }
    (blk, n)
}

/// Finish a block from [`int_block`] with `seed` and the MD5 padding, as
/// 16 little-endian words.
#[inline(always)]
fn seal_block(mut blk: [u8; 64], n: usize, seed: u32) -> [u32; 16] {
    let n = n.min(SHORT);
    blk[n..n + 4].copy_from_slice(&seed.to_be_bytes());
    blk[n + 4] = 0x80;
    blk[56..64].copy_from_slice(&(((n + 4) as u64) * 8).to_le_bytes());
    core::array::from_fn(|k| {
        u32::from_le_bytes([blk[4 * k], blk[4 * k + 1], blk[4 * k + 2], blk[4 * k + 3]])
    })
}

/// `out[i] = h64_int(items[i], seed)`, eight per lane-parallel MD5.
fn int_batch1(items: &[i64], seed: u32, out: &mut [u64]) {
    let mut it = items.chunks_exact(8);
    let mut oc = out.chunks_exact_mut(8);
    for (c, o) in (&mut it).zip(&mut oc) {
        let mut w = [[0u32; 8]; 16];
        for l in 0..8 {
            let (blk, n) = int_block(c[l]);
            let words = seal_block(blk, n, seed);
            for k in 0..16 {
                w[k][l] = words[k];
            }
        }
        let (cc, dd) = compress_cd::<8>(&w);
        for l in 0..8 {
            o[l] = digest_low64(cc[l], dd[l]);
        }
    }
    for (&x, o) in it.remainder().iter().zip(oc.into_remainder()) {
        *o = h64_int(x, seed);
    }
}

/// `out[i] = (h64_int(items[i], s1), h64_int(items[i], s2))`, four items per
/// lane-parallel MD5.
fn int_batch2(items: &[i64], s1: u32, s2: u32, out: &mut [(u64, u64)]) {
    let mut it = items.chunks_exact(4);
    let mut oc = out.chunks_exact_mut(4);
    for (c, o) in (&mut it).zip(&mut oc) {
        let mut w = [[0u32; 8]; 16];
        for l in 0..4 {
            let (blk, n) = int_block(c[l]);
            let (w1, w2) = (seal_block(blk, n, s1), seal_block(blk, n, s2));
            for k in 0..16 {
                w[k][2 * l] = w1[k];
                w[k][2 * l + 1] = w2[k];
            }
        }
        let (cc, dd) = compress_cd::<8>(&w);
        for l in 0..4 {
            o[l] = (
                digest_low64(cc[2 * l], dd[2 * l]),
                digest_low64(cc[2 * l + 1], dd[2 * l + 1]),
            );
        }
    }
    for (&x, o) in it.remainder().iter().zip(oc.into_remainder()) {
        *o = (h64_int(x, s1), h64_int(x, s2));
    }
}

/// The single padded MD5 block of `repr ‖ seed_be` as 16 little-endian words.
#[inline]
fn block_words(repr: &[u8], seed: u32) -> [u32; 16] {
    let n = repr.len();
    let mut blk = [0u8; 64];
    blk[..n].copy_from_slice(repr);
    blk[n..n + 4].copy_from_slice(&seed.to_be_bytes());
    blk[n + 4] = 0x80;
    blk[56..64].copy_from_slice(&(((n + 4) as u64) * 8).to_le_bytes());
    let mut w = [0u32; 16];
    for (k, word) in w.iter_mut().enumerate() {
        *word = u32::from_le_bytes([blk[4 * k], blk[4 * k + 1], blk[4 * k + 2], blk[4 * k + 3]]);
    }
    w
}

const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// Digest bytes 8..16 read big-endian (the reference's `h64`).
#[inline]
fn digest_low64(c: u32, d: u32) -> u64 {
    ((c.swap_bytes() as u64) << 32) | d.swap_bytes() as u64
}

#[inline]
fn digest_u128(a: u32, b: u32, c: u32, d: u32) -> u128 {
    ((a.swap_bytes() as u128) << 96)
        | ((b.swap_bytes() as u128) << 64)
        | ((c.swap_bytes() as u128) << 32)
        | d.swap_bytes() as u128
}

/// Final `(c, d)` of `N` single-block MD5s: explicit SIMD for eight lanes
/// on x86_64 (the generic lanes do not vectorize), the generic lanes otherwise.
#[inline(always)]
fn compress_cd<const N: usize>(w: &[[u32; N]; 16]) -> ([u32; N], [u32; N]) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if N == 8 {
        let w8: [[u32; 8]; 16] = core::array::from_fn(|k| core::array::from_fn(|l| w[k][l]));
        let (c8, d8) = x86::md5x8_cd(&w8);
        return (
            core::array::from_fn(|l| c8[l]),
            core::array::from_fn(|l| d8[l]),
        );
    }
    let [_, _, c, d] = compress_lanes::<N>(w);
    (c, d)
}

/// One MD5 compression from the initial state over `N` independent blocks
/// (`w[k][lane]`), returning the final `[a, b, c, d]` per lane (initial
/// state added).
#[inline(always)]
fn compress_lanes<const N: usize>(w: &[[u32; N]; 16]) -> [[u32; N]; 4] {
    let mut a = [INIT[0]; N];
    let mut b = [INIT[1]; N];
    let mut c = [INIT[2]; N];
    let mut d = [INIT[3]; N];
    macro_rules! step {
        ($f:expr, $a:ident, $b:ident, $c:ident, $d:ident, $k:expr, $s:expr, $t:expr) => {
            for l in 0..N {
                let (x, y, z) = ($b[l], $c[l], $d[l]);
                let f: u32 = $f(x, y, z);
                $a[l] = x.wrapping_add(
                    $a[l]
                        .wrapping_add(f)
                        .wrapping_add($t)
                        .wrapping_add(w[$k][l])
                        .rotate_left($s),
                );
            }
        };
    }
    let ff = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let gg = |x: u32, y: u32, z: u32| y ^ (z & (x ^ y));
    let hh = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let ii = |x: u32, y: u32, z: u32| y ^ (x | !z);
    step!(ff, a, b, c, d, 0, 7, 0xd76a_a478);
    step!(ff, d, a, b, c, 1, 12, 0xe8c7_b756);
    step!(ff, c, d, a, b, 2, 17, 0x2420_70db);
    step!(ff, b, c, d, a, 3, 22, 0xc1bd_ceee);
    step!(ff, a, b, c, d, 4, 7, 0xf57c_0faf);
    step!(ff, d, a, b, c, 5, 12, 0x4787_c62a);
    step!(ff, c, d, a, b, 6, 17, 0xa830_4613);
    step!(ff, b, c, d, a, 7, 22, 0xfd46_9501);
    step!(ff, a, b, c, d, 8, 7, 0x6980_98d8);
    step!(ff, d, a, b, c, 9, 12, 0x8b44_f7af);
    step!(ff, c, d, a, b, 10, 17, 0xffff_5bb1);
    step!(ff, b, c, d, a, 11, 22, 0x895c_d7be);
    step!(ff, a, b, c, d, 12, 7, 0x6b90_1122);
    step!(ff, d, a, b, c, 13, 12, 0xfd98_7193);
    step!(ff, c, d, a, b, 14, 17, 0xa679_438e);
    step!(ff, b, c, d, a, 15, 22, 0x49b4_0821);
    step!(gg, a, b, c, d, 1, 5, 0xf61e_2562);
    step!(gg, d, a, b, c, 6, 9, 0xc040_b340);
    step!(gg, c, d, a, b, 11, 14, 0x265e_5a51);
    step!(gg, b, c, d, a, 0, 20, 0xe9b6_c7aa);
    step!(gg, a, b, c, d, 5, 5, 0xd62f_105d);
    step!(gg, d, a, b, c, 10, 9, 0x0244_1453);
    step!(gg, c, d, a, b, 15, 14, 0xd8a1_e681);
    step!(gg, b, c, d, a, 4, 20, 0xe7d3_fbc8);
    step!(gg, a, b, c, d, 9, 5, 0x21e1_cde6);
    step!(gg, d, a, b, c, 14, 9, 0xc337_07d6);
    step!(gg, c, d, a, b, 3, 14, 0xf4d5_0d87);
    step!(gg, b, c, d, a, 8, 20, 0x455a_14ed);
    step!(gg, a, b, c, d, 13, 5, 0xa9e3_e905);
    step!(gg, d, a, b, c, 2, 9, 0xfcef_a3f8);
    step!(gg, c, d, a, b, 7, 14, 0x676f_02d9);
    step!(gg, b, c, d, a, 12, 20, 0x8d2a_4c8a);
    step!(hh, a, b, c, d, 5, 4, 0xfffa_3942);
    step!(hh, d, a, b, c, 8, 11, 0x8771_f681);
    step!(hh, c, d, a, b, 11, 16, 0x6d9d_6122);
    step!(hh, b, c, d, a, 14, 23, 0xfde5_380c);
    step!(hh, a, b, c, d, 1, 4, 0xa4be_ea44);
    step!(hh, d, a, b, c, 4, 11, 0x4bde_cfa9);
    step!(hh, c, d, a, b, 7, 16, 0xf6bb_4b60);
    step!(hh, b, c, d, a, 10, 23, 0xbebf_bc70);
    step!(hh, a, b, c, d, 13, 4, 0x289b_7ec6);
    step!(hh, d, a, b, c, 0, 11, 0xeaa1_27fa);
    step!(hh, c, d, a, b, 3, 16, 0xd4ef_3085);
    step!(hh, b, c, d, a, 6, 23, 0x0488_1d05);
    step!(hh, a, b, c, d, 9, 4, 0xd9d4_d039);
    step!(hh, d, a, b, c, 12, 11, 0xe6db_99e5);
    step!(hh, c, d, a, b, 15, 16, 0x1fa2_7cf8);
    step!(hh, b, c, d, a, 2, 23, 0xc4ac_5665);
    step!(ii, a, b, c, d, 0, 6, 0xf429_2244);
    step!(ii, d, a, b, c, 7, 10, 0x432a_ff97);
    step!(ii, c, d, a, b, 14, 15, 0xab94_23a7);
    step!(ii, b, c, d, a, 5, 21, 0xfc93_a039);
    step!(ii, a, b, c, d, 12, 6, 0x655b_59c3);
    step!(ii, d, a, b, c, 3, 10, 0x8f0c_cc92);
    step!(ii, c, d, a, b, 10, 15, 0xffef_f47d);
    step!(ii, b, c, d, a, 1, 21, 0x8584_5dd1);
    step!(ii, a, b, c, d, 8, 6, 0x6fa8_7e4f);
    step!(ii, d, a, b, c, 15, 10, 0xfe2c_e6e0);
    step!(ii, c, d, a, b, 6, 15, 0xa301_4314);
    step!(ii, b, c, d, a, 13, 21, 0x4e08_11a1);
    step!(ii, a, b, c, d, 4, 6, 0xf753_7e82);
    step!(ii, d, a, b, c, 11, 10, 0xbd3a_f235);
    step!(ii, c, d, a, b, 2, 15, 0x2ad7_d2bb);
    step!(ii, b, c, d, a, 9, 21, 0xeb86_d391);
    for l in 0..N {
        a[l] = a[l].wrapping_add(INIT[0]);
        b[l] = b[l].wrapping_add(INIT[1]);
        c[l] = c[l].wrapping_add(INIT[2]);
        d[l] = d[l].wrapping_add(INIT[3]);
    }
    [a, b, c, d]
}

/// The 64 MD5 steps over a lane vector type `$V` (methods `splat`, `add`,
/// `xor`, `and`, `or`, `ornot`, `rol::<S, 32 - S>`), message words `$w:
/// [$V; 16]`; evaluates to the final `(c, d)` (initial state added).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
macro_rules! md5_vec_cd {
    ($V:ident, $w:ident) => {{
        let mut a = $V::splat(INIT[0]);
        let mut b = $V::splat(INIT[1]);
        let mut c = $V::splat(INIT[2]);
        let mut d = $V::splat(INIT[3]);
        macro_rules! st {
                (F, $a:ident, $b:ident, $c:ident, $d:ident, $k:expr, $s:expr, $t:expr) => {
                    st!(@ $d.xor($b.and($c.xor($d))), $a, $b, $k, $s, $t)
                };
                (G, $a:ident, $b:ident, $c:ident, $d:ident, $k:expr, $s:expr, $t:expr) => {
                    st!(@ $c.xor($d.and($b.xor($c))), $a, $b, $k, $s, $t)
                };
                (H, $a:ident, $b:ident, $c:ident, $d:ident, $k:expr, $s:expr, $t:expr) => {
                    st!(@ $b.xor($c).xor($d), $a, $b, $k, $s, $t)
                };
                (I, $a:ident, $b:ident, $c:ident, $d:ident, $k:expr, $s:expr, $t:expr) => {
                    st!(@ $c.xor($b.ornot($d)), $a, $b, $k, $s, $t)
                };
                (@ $f:expr, $a:ident, $b:ident, $k:expr, $s:expr, $t:expr) => {
                    $a = $b.add($a.add($f).add($V::splat($t).add($w[$k])).rol::<$s, { 32 - $s }>())
                };
            }
        st!(F, a, b, c, d, 0, 7, 0xd76a_a478);
        st!(F, d, a, b, c, 1, 12, 0xe8c7_b756);
        st!(F, c, d, a, b, 2, 17, 0x2420_70db);
        st!(F, b, c, d, a, 3, 22, 0xc1bd_ceee);
        st!(F, a, b, c, d, 4, 7, 0xf57c_0faf);
        st!(F, d, a, b, c, 5, 12, 0x4787_c62a);
        st!(F, c, d, a, b, 6, 17, 0xa830_4613);
        st!(F, b, c, d, a, 7, 22, 0xfd46_9501);
        st!(F, a, b, c, d, 8, 7, 0x6980_98d8);
        st!(F, d, a, b, c, 9, 12, 0x8b44_f7af);
        st!(F, c, d, a, b, 10, 17, 0xffff_5bb1);
        st!(F, b, c, d, a, 11, 22, 0x895c_d7be);
        st!(F, a, b, c, d, 12, 7, 0x6b90_1122);
        st!(F, d, a, b, c, 13, 12, 0xfd98_7193);
        st!(F, c, d, a, b, 14, 17, 0xa679_438e);
        st!(F, b, c, d, a, 15, 22, 0x49b4_0821);
        st!(G, a, b, c, d, 1, 5, 0xf61e_2562);
        st!(G, d, a, b, c, 6, 9, 0xc040_b340);
        st!(G, c, d, a, b, 11, 14, 0x265e_5a51);
        st!(G, b, c, d, a, 0, 20, 0xe9b6_c7aa);
        st!(G, a, b, c, d, 5, 5, 0xd62f_105d);
        st!(G, d, a, b, c, 10, 9, 0x0244_1453);
        st!(G, c, d, a, b, 15, 14, 0xd8a1_e681);
        st!(G, b, c, d, a, 4, 20, 0xe7d3_fbc8);
        st!(G, a, b, c, d, 9, 5, 0x21e1_cde6);
        st!(G, d, a, b, c, 14, 9, 0xc337_07d6);
        st!(G, c, d, a, b, 3, 14, 0xf4d5_0d87);
        st!(G, b, c, d, a, 8, 20, 0x455a_14ed);
        st!(G, a, b, c, d, 13, 5, 0xa9e3_e905);
        st!(G, d, a, b, c, 2, 9, 0xfcef_a3f8);
        st!(G, c, d, a, b, 7, 14, 0x676f_02d9);
        st!(G, b, c, d, a, 12, 20, 0x8d2a_4c8a);
        st!(H, a, b, c, d, 5, 4, 0xfffa_3942);
        st!(H, d, a, b, c, 8, 11, 0x8771_f681);
        st!(H, c, d, a, b, 11, 16, 0x6d9d_6122);
        st!(H, b, c, d, a, 14, 23, 0xfde5_380c);
        st!(H, a, b, c, d, 1, 4, 0xa4be_ea44);
        st!(H, d, a, b, c, 4, 11, 0x4bde_cfa9);
        st!(H, c, d, a, b, 7, 16, 0xf6bb_4b60);
        st!(H, b, c, d, a, 10, 23, 0xbebf_bc70);
        st!(H, a, b, c, d, 13, 4, 0x289b_7ec6);
        st!(H, d, a, b, c, 0, 11, 0xeaa1_27fa);
        st!(H, c, d, a, b, 3, 16, 0xd4ef_3085);
        st!(H, b, c, d, a, 6, 23, 0x0488_1d05);
        st!(H, a, b, c, d, 9, 4, 0xd9d4_d039);
        st!(H, d, a, b, c, 12, 11, 0xe6db_99e5);
        st!(H, c, d, a, b, 15, 16, 0x1fa2_7cf8);
        st!(H, b, c, d, a, 2, 23, 0xc4ac_5665);
        st!(I, a, b, c, d, 0, 6, 0xf429_2244);
        st!(I, d, a, b, c, 7, 10, 0x432a_ff97);
        st!(I, c, d, a, b, 14, 15, 0xab94_23a7);
        st!(I, b, c, d, a, 5, 21, 0xfc93_a039);
        st!(I, a, b, c, d, 12, 6, 0x655b_59c3);
        st!(I, d, a, b, c, 3, 10, 0x8f0c_cc92);
        st!(I, c, d, a, b, 10, 15, 0xffef_f47d);
        st!(I, b, c, d, a, 1, 21, 0x8584_5dd1);
        st!(I, a, b, c, d, 8, 6, 0x6fa8_7e4f);
        st!(I, d, a, b, c, 15, 10, 0xfe2c_e6e0);
        st!(I, c, d, a, b, 6, 15, 0xa301_4314);
        st!(I, b, c, d, a, 13, 21, 0x4e08_11a1);
        st!(I, a, b, c, d, 4, 6, 0xf753_7e82);
        st!(I, d, a, b, c, 11, 10, 0xbd3a_f235);
        st!(I, c, d, a, b, 2, 15, 0x2ad7_d2bb);
        st!(I, b, c, d, a, 9, 21, 0xeb86_d391);
        let _ = (a, b);
        (c.add($V::splat(INIT[2])), d.add($V::splat(INIT[3])))
    }};
}

/// Eight MD5 lanes on x86_64: two SSE2 vectors (SSE2 is part of the
/// x86_64 baseline) and, with `std`, one AVX2 vector where the CPU has it.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod x86 {
    use super::INIT;
    use core::arch::x86_64::*;

    /// Eight u32 lanes as two SSE2 vectors.
    #[derive(Clone, Copy)]
    struct V2(__m128i, __m128i);

    impl V2 {
        #[inline]
        #[target_feature(enable = "sse2")]
        fn splat(x: u32) -> Self {
            let v = _mm_set1_epi32(x as i32);
            V2(v, v)
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        fn add(self, o: Self) -> Self {
            V2(_mm_add_epi32(self.0, o.0), _mm_add_epi32(self.1, o.1))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        fn xor(self, o: Self) -> Self {
            V2(_mm_xor_si128(self.0, o.0), _mm_xor_si128(self.1, o.1))
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        fn and(self, o: Self) -> Self {
            V2(_mm_and_si128(self.0, o.0), _mm_and_si128(self.1, o.1))
        }
        /// `self | !o`.
        #[inline]
        #[target_feature(enable = "sse2")]
        fn ornot(self, o: Self) -> Self {
            let ones = _mm_set1_epi32(-1);
            V2(
                _mm_or_si128(self.0, _mm_xor_si128(o.0, ones)),
                _mm_or_si128(self.1, _mm_xor_si128(o.1, ones)),
            )
        }
        #[inline]
        #[target_feature(enable = "sse2")]
        fn rol<const S: i32, const R: i32>(self) -> Self {
            V2(
                _mm_or_si128(_mm_slli_epi32::<S>(self.0), _mm_srli_epi32::<R>(self.0)),
                _mm_or_si128(_mm_slli_epi32::<S>(self.1), _mm_srli_epi32::<R>(self.1)),
            )
        }
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn load4(w: &[u32; 8], at: usize) -> __m128i {
        _mm_set_epi32(
            w[at + 3] as i32,
            w[at + 2] as i32,
            w[at + 1] as i32,
            w[at] as i32,
        )
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn store4(v: __m128i, out: &mut [u32; 8], at: usize) {
        out[at] = _mm_cvtsi128_si32(v) as u32;
        out[at + 1] = _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b01_01_01_01>(v)) as u32;
        out[at + 2] = _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b10_10_10_10>(v)) as u32;
        out[at + 3] = _mm_cvtsi128_si32(_mm_shuffle_epi32::<0b11_11_11_11>(v)) as u32;
    }

    /// Final `(c, d)` of eight single-block MD5s, SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn md5x8_cd_sse2(words: &[[u32; 8]; 16]) -> ([u32; 8], [u32; 8]) {
        let w: [V2; 16] = core::array::from_fn(|k| V2(load4(&words[k], 0), load4(&words[k], 4)));
        let (c, d) = md5_vec_cd!(V2, w);
        let (mut co, mut do_) = ([0u32; 8], [0u32; 8]);
        store4(c.0, &mut co, 0);
        store4(c.1, &mut co, 4);
        store4(d.0, &mut do_, 0);
        store4(d.1, &mut do_, 4);
        (co, do_)
    }

    /// Eight u32 lanes as one AVX2 vector.
    #[cfg(feature = "std")]
    #[derive(Clone, Copy)]
    struct V1(__m256i);

    #[cfg(feature = "std")]
    impl V1 {
        #[inline]
        #[target_feature(enable = "avx2")]
        fn splat(x: u32) -> Self {
            V1(_mm256_set1_epi32(x as i32))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        fn add(self, o: Self) -> Self {
            V1(_mm256_add_epi32(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        fn xor(self, o: Self) -> Self {
            V1(_mm256_xor_si256(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        fn and(self, o: Self) -> Self {
            V1(_mm256_and_si256(self.0, o.0))
        }
        /// `self | !o`.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn ornot(self, o: Self) -> Self {
            V1(_mm256_or_si256(
                self.0,
                _mm256_xor_si256(o.0, _mm256_set1_epi32(-1)),
            ))
        }
        #[inline]
        #[target_feature(enable = "avx2")]
        fn rol<const S: i32, const R: i32>(self) -> Self {
            V1(_mm256_or_si256(
                _mm256_slli_epi32::<S>(self.0),
                _mm256_srli_epi32::<R>(self.0),
            ))
        }
    }

    /// Final `(c, d)` of eight single-block MD5s, AVX2.
    #[cfg(feature = "std")]
    #[target_feature(enable = "avx2")]
    fn md5x8_cd_avx2(words: &[[u32; 8]; 16]) -> ([u32; 8], [u32; 8]) {
        let ld = |x: &[u32; 8]| {
            _mm256_set_epi32(
                x[7] as i32,
                x[6] as i32,
                x[5] as i32,
                x[4] as i32,
                x[3] as i32,
                x[2] as i32,
                x[1] as i32,
                x[0] as i32,
            )
        };
        let w: [V1; 16] = core::array::from_fn(|k| V1(ld(&words[k])));
        let (c, d) = md5_vec_cd!(V1, w);
        let (mut co, mut do_) = ([0u32; 8], [0u32; 8]);
        store4(_mm256_castsi256_si128(c.0), &mut co, 0);
        store4(_mm256_extracti128_si256::<1>(c.0), &mut co, 4);
        store4(_mm256_castsi256_si128(d.0), &mut do_, 0);
        store4(_mm256_extracti128_si256::<1>(d.0), &mut do_, 4);
        (co, do_)
    }

    #[cfg(test)]
    type Cd8 = ([u32; 8], [u32; 8]);

    /// Both x86 paths, whatever the CPU: `(sse2, avx2 if the CPU has it)`.
    #[cfg(test)]
    #[allow(unsafe_code)]
    pub(super) fn md5x8_cd_both(words: &[[u32; 8]; 16]) -> (Cd8, Option<Cd8>) {
        // SAFETY: as in `md5x8_cd`.
        let sse2 = unsafe { md5x8_cd_sse2(words) };
        #[cfg(feature = "std")]
        // SAFETY: as in `md5x8_cd`.
        let avx2 = std::is_x86_feature_detected!("avx2").then(|| unsafe { md5x8_cd_avx2(words) });
        #[cfg(not(feature = "std"))]
        let avx2 = None;
        (sse2, avx2)
    }

    /// Final `(c, d)` of eight single-block MD5s: AVX2 where the CPU has it
    /// (checked at run time, with `std`), SSE2 otherwise.
    #[allow(unsafe_code)]
    #[inline]
    pub(super) fn md5x8_cd(words: &[[u32; 8]; 16]) -> ([u32; 8], [u32; 8]) {
        #[cfg(feature = "std")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: `md5x8_cd_avx2` needs AVX2 (and what it implies), and
            // the CPU was just checked to have it.
            return unsafe { md5x8_cd_avx2(words) };
        }
        // SAFETY: `md5x8_cd_sse2` needs SSE2, which this build assumes of
        // the CPU (the module is compiled only with `target_feature = "sse2"`,
        // part of the x86_64 baseline).
        unsafe { md5x8_cd_sse2(words) }
    }
}

/// MD5 of `repr(item)` + seed (big-endian u32), as a big-endian u128.
pub fn h128(item: &Value, seed: u32) -> u128 {
    ItemHash::of_value(item).h128(seed)
}

/// Low 64 bits of [`h128`].
pub fn h64(item: &Value, seed: u32) -> u64 {
    h128(item, seed) as u64
}

/// [`h64`] of a Python `str`, without building a [`Value`].
pub fn h64_str(s: &str, seed: u32) -> u64 {
    ItemHash::of_str(s).h64(seed)
}

/// [`h64`] of a Python `int`, without building a [`Value`].
pub fn h64_int(i: i64, seed: u32) -> u64 {
    ItemHash::of_int(i).h64(seed)
}

/// Decimal digits of `i` right-aligned in `buf`; returns the start index.
fn write_i64(i: i64, buf: &mut [u8; 20]) -> usize {
    let mut n = i.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    pos
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Feed CPython's `repr(s)` into `st`: runs that need no escaping go in as
/// slices of `s`, escapes are rendered in a small stack buffer.
fn absorb_str_repr(st: &mut Sink, s: &str) {
    let bytes = s.as_bytes();
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    st.write(&[quote]);
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x20..0x7f).contains(&b) && b != b'\\' && b != quote {
            i += 1;
            continue;
        }
        let (cp, len) = if b < 0x80 {
            (b as u32, 1)
        } else {
            match s[i..].chars().next() {
                Some(c) if is_printable(c) => {
                    i += c.len_utf8();
                    continue;
                }
                Some(c) => (c as u32, c.len_utf8()),
                None => break,
            }
        };
        st.write(&bytes[run..i]);
        let mut esc = [0u8; 10];
        let n = escape(cp, quote, &mut esc);
        st.write(&esc[..n]);
        i += len;
        run = i;
    }
    st.write(&bytes[run..]);
    st.write(&[quote]);
}

/// CPython's escape of one code point that `repr` does not print as is.
fn escape(cp: u32, quote: u8, out: &mut [u8; 10]) -> usize {
    out[0] = b'\\';
    let simple = match cp {
        0x5c => Some(b'\\'),
        0x09 => Some(b't'),
        0x0a => Some(b'n'),
        0x0d => Some(b'r'),
        c if c == quote as u32 => Some(quote),
        _ => None,
    };
    if let Some(c) = simple {
        out[1] = c;
        return 2;
    }
    let (letter, digits) = if cp <= 0xff {
        (b'x', 2)
    } else if cp <= 0xffff {
        (b'u', 4)
    } else {
        (b'U', 8)
    };
    out[1] = letter;
    for k in 0..digits {
        let shift = 4 * (digits - 1 - k);
        out[2 + k] = HEX[((cp >> shift) & 0xf) as usize];
    }
    2 + digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    /// (item, h128 seed 0, h128 seed 42) computed by the reference's `_hash128`.
    fn reference_vectors() -> alloc::vec::Vec<(Value, u128, u128)> {
        vec![
            (
                Value::Int(0),
                0xe8c23a77cbaeee0535f9224644f03a84,
                0x392213c602b4b6c2e9d04c14f396c21d,
            ),
            (
                Value::Int(1),
                0x709468aeb7f68361bdee5923dc0dfd5d,
                0xd70c2a57e053cff5fb4d7cc459da266c,
            ),
            (
                Value::Int(-1),
                0x427a9cefcdca49d0ae6d1f82e0ae0aee,
                0xed423c8ef5a3572a12c009c30d6e7e9d,
            ),
            (
                Value::Int(127),
                0xff84be361ca4aed1c590e57becdddbcd,
                0x75439ca95c462aef3a5cce3a78dc08f0,
            ),
            (
                Value::Int(-128),
                0x872da4ca8541eaf36aa257740582e366,
                0xddef087cde66c32d5116b7823a60c695,
            ),
            (
                Value::Int(255),
                0xb1fe5c1d0d07106c1abbb68bc0fd57b4,
                0xd82ce66602869679e4b3aaead36b3955,
            ),
            (
                Value::Int(9223372036854775807),
                0xc7e73f1c979ae1ad7e8fba966378e0ec,
                0x58fbaf3f4fcf7bdd432e1e01d253d87f,
            ),
            (
                Value::Int(i64::MIN),
                0x028981b353cd90fad551e0e56f296ea3,
                0xa3931da5187f2d6f4bab3d5dcbcd24e6,
            ),
            (
                Value::Int(1234567890123),
                0x32bac4e27c80c9b59b3ab8e28153160e,
                0xe6f99fb8c6dadd56078b3859b373660a,
            ),
            (
                Value::Float(1.0),
                0x8280bb94a47767b831205749c526a296,
                0x48768be3f50e3e2e6c600b2e5b9293c0,
            ),
            (
                Value::Float(0.1),
                0x5f87e8c7fdb9ae66453898d8e52c74b6,
                0x592ae96c4283d59e7bbaf41c8aa7bf39,
            ),
            (
                Value::Float(-0.0),
                0xb11aef75d535fed3fe9f5844d47ad992,
                0x85427cbaf2c5ae1141bd268db7373294,
            ),
            (
                Value::Float(1e+16),
                0x19a02ab6691f75f8587bf995f276370e,
                0x4a70c30c290e54229f0a9d881b9fef8b,
            ),
            (
                Value::Float(1e-05),
                0x5fd002a5a79558d54e65fb726193b11e,
                0xb13f6f42781a6e15b3637ddef94165c7,
            ),
            (
                Value::Float(2.5),
                0x90bfe7249f0876465b4d255723bc0738,
                0xf3908b28336fbeca5cb23569b1d697a7,
            ),
            (
                Value::Float(f64::INFINITY),
                0x6cb3b6bdbbcf338f751623bd011f51da,
                0xbfd1798377815afbad9263fb116a95b9,
            ),
            (
                Value::Float(f64::NEG_INFINITY),
                0x0f89104d750e2ea90dc1426f671f0839,
                0x3554fdeb1af4d1a72fcd7b5836afce07,
            ),
            (
                Value::Float(f64::NAN),
                0x564ed1f2086250f071b43994aaf64cb9,
                0x30270cf8fc88926493c570d697bf6df4,
            ),
            (
                Value::Float(1.7976931348623157e+308),
                0x6789582062c5304bfcafac248c5135b0,
                0xde526358235154f39a791edd7a7b0703,
            ),
            (
                Value::Float(5e-324),
                0x43cd427a9eb2a075ec3a2bdc1fdd219c,
                0xc45cf3452e398fffb06225dcd0b8a58f,
            ),
            (
                Value::str(""),
                0x274ffd11b4490a7823bb98288773dc50,
                0xc7cffd74dfdb18d0867b7ee71fe961a4,
            ),
            (
                Value::str("a"),
                0x3e47b6b172e6928e37bc93e70515f2d0,
                0xf6b3086adb1434d63646c611f6ce7e8d,
            ),
            (
                Value::str("1"),
                0x539779cc9972c2f61c22556ac86eee5b,
                0xcc97e5d43fbd275fba94a7c4196ba059,
            ),
            (
                Value::str("it's"),
                0xb167726c2ab57feb5443ab2e3473c05e,
                0x0c78e0f4e7b4fe28651fb18cba29d388,
            ),
            (
                Value::str("say \u{22}hi\u{22}"),
                0x4e80d44637fd41c5fec69294ac80cdd0,
                0xe7d0a232ebb5d85b49c6c0d8b4d3ceb7,
            ),
            (
                Value::str("both ' and \u{22}"),
                0x0f8697dcd25d9a360184a6428f83c9b9,
                0xd7329e148c1d7489b1b9c0d1ed565623,
            ),
            (
                Value::str("back\u{5c}slash"),
                0x2d5334ea14ad36eabc567bd52ecdb169,
                0x34c6b96f0e0d8e177687e873e70a44b8,
            ),
            (
                Value::str("tab\u{9}here\u{a}nl\u{d}cr"),
                0x180a0cb102a779657b4bab7acc0a0ebf,
                0xfe0f145844c4f42bfebc9ca731948e49,
            ),
            (
                Value::str("\u{0}\u{1}\u{1f}\u{7f}"),
                0xede727baeae9cfe7704de3d1e1112b67,
                0x634aedd33f977ffbae32a21ad544e5da,
            ),
            (
                Value::str("\u{e9}"),
                0x03a0227a57a583c53842bda1a587d3f4,
                0x9afdb9b06675a921a6265da3a8a648ff,
            ),
            (
                Value::str("\u{a0}"),
                0x92b41605de571191c1c12c787a17523f,
                0xb8903f54dfdae88dac39c0db156527ba,
            ),
            (
                Value::str("\u{ad}"),
                0x8f606fad42a58f51d9544b824dfc29ce,
                0xddfbea19f2409eebf26d624af870b1fb,
            ),
            (
                Value::str("\u{200b}"),
                0xb2d65d0a3845ce90e21ed4931c4fda15,
                0xb8798f448f6e971e2ac67940b74007a2,
            ),
            (
                Value::str("\u{65e5}\u{672c}\u{8a9e}"),
                0xe179afc53f2ba9a7ee21af21adf95a6f,
                0xe28270323e2e1e412618defd06e8fdf4,
            ),
            (
                Value::str("\u{1f600}"),
                0xefe8efc6449b91aa5f4b438ea298c4b2,
                0xf0a06604493761fe3b197337dc150ebd,
            ),
            (
                Value::str("\u{e0001}"),
                0xfa53696e205c8103c7c9ad1d6f30bae2,
                0x69848b4120a96e90bd72a211d591f51c,
            ),
            (
                Value::str("\u{d7ff}"),
                0x087d9653e2846e6aa66e0cf90127dfad,
                0xb3e284232093d0f9d82b7f2249ca0891,
            ),
            (
                Value::str("\u{e000}"),
                0x2eae786dcd056cd90eb27ffb66b61d22,
                0x1962aaddd4d9ff4c153386786ff05416,
            ),
            (
                Value::str("\u{feff}"),
                0xdcf0a172445332d313179915af61011e,
                0xe4317e15a309ef4fba5ff83f30ab4d26,
            ),
            (
                Value::str("x\u{2028}y"),
                0x209fe2f6366b73bf17749cf38ebe9ddd,
                0xca46db91e6694636ba9afef7079d82fc,
            ),
            (
                Value::str("\u{10ffff}"),
                0x33d0cdb4d8e352f6b297ed353f0278e9,
                0x420982dc181b17c72938dbb834d614e2,
            ),
            (
                Value::Bool(true),
                0x1688a833af2a49feef290029609b5f04,
                0x43630ab5e8535c4b5ad5700501eceeed,
            ),
            (
                Value::Bool(false),
                0x36ef6e65e701813e0479469236329ffc,
                0x6f4f2896c30beb39af2179c72223b0ed,
            ),
            (
                Value::None,
                0xaf1f14a283058697484a3b2ab8e783b0,
                0xecb4a47789074067c8ab265d5d909911,
            ),
            (
                Value::Bytes(vec![]),
                0x3563a6af5fb88b283270aa25c4bcdd95,
                0x1673ba9c828b75244433595198186f26,
            ),
            (
                Value::Bytes(vec![97, 98, 39, 99]),
                0xc92efb27f5f6781c3b46980a5c27a7c1,
                0xdaa07fa8560e4bd1485e6860dc9d1550,
            ),
            (
                Value::Bytes(vec![0, 255, 34, 39]),
                0x6c6c46dc0a3a9902920b73094b7f7580,
                0xf5efcdc6eda4dd79851d4ec9fcf09ae5,
            ),
            (
                Value::List(vec![
                    Value::Int(1),
                    Value::str("a"),
                    Value::Float(2.0),
                    Value::None,
                ]),
                0x81e4ef69cd419b028275fc345644896e,
                0xc783462110ac11fef69a9325c66905e0,
            ),
            (
                Value::List(vec![]),
                0x4ee61a8d051fec192a1ee3aa65aad81e,
                0x5799b4a160f66e5f6f1a51c74f43c92b,
            ),
            (
                Value::Map(vec![(
                    Value::str("k"),
                    Value::List(vec![Value::Int(1), Value::Int(2)]),
                )]),
                0x264aed21ec81ed1997c0946825d9ad67,
                0x8a21f0573604bb55f7cee8524787e9ae,
            ),
            (
                Value::Map(vec![(Value::Int(1), Value::str("x"))]),
                0x7402dda19ed8bd432bdbab0bdfcff4bc,
                0xef6b4cda2414c3d6ae8ef4d9ec592534,
            ),
        ]
    }

    #[test]
    fn matches_reference_hashes() {
        for (item, want0, want42) in reference_vectors() {
            assert_eq!(h128(&item, 0), want0, "h128({item:?}, 0)");
            assert_eq!(h128(&item, 42), want42, "h128({item:?}, 42)");
            assert_eq!(h64(&item, 42), want42 as u64);
            let slow = ItemHash::of_repr(pyrepr::repr(&item).as_bytes());
            assert_eq!(slow.h128(0), want0, "generic repr path of {item:?}");
            match &item {
                Value::Str(s) => assert_eq!(h64_str(s, 0), want0 as u64),
                Value::Int(i) => assert_eq!(h64_int(*i, 0), want0 as u64),
                Value::Float(f) => assert_eq!(ItemHash::of_float(*f).h128(0), want0),
                _ => {}
            }
        }
    }

    /// The single-block and lane paths agree with plain MD5 at every repr length.
    #[test]
    fn block_paths_match_md5_at_all_lengths() {
        for n in 0..140usize {
            let repr: alloc::vec::Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            let ih = ItemHash::of_repr(&repr);
            for seed in [0u32, 7, 42, 0xdead_beef] {
                let mut m = Md5::new();
                m.update(&repr);
                m.update(seed.to_be_bytes());
                let want = u128::from_be_bytes(m.finalize().into());
                assert_eq!(ih.h128(seed), want, "len {n}");
                assert_eq!(ih.h64(seed), want as u64, "len {n}");
                assert_eq!(ih.h64_pair(seed, 1), (want as u64, ih.h64(1)));
            }
            let short = ItemHash::of_int(n as i64);
            let [x, y, z, u] = h64_lanes([&ih, &short, &ih, &short], [0, 0, 42, 42]);
            assert_eq!(
                [x, y, z, u],
                [ih.h64(0), short.h64(0), ih.h64(42), short.h64(42)]
            );
        }
    }

    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[test]
    fn simd_paths_match_generic_lanes() {
        let mut x = 0x1234_5678u32;
        for _ in 0..200 {
            let w: [[u32; 8]; 16] = core::array::from_fn(|_| {
                core::array::from_fn(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x
                })
            });
            let [_, _, c, d] = compress_lanes::<8>(&w);
            let (sse2, avx2) = x86::md5x8_cd_both(&w);
            assert_eq!(sse2, (c, d));
            if let Some(avx2) = avx2 {
                assert_eq!(avx2, (c, d));
            }
        }
    }

    #[test]
    fn int_batches_match_single_hashes() {
        let mut ints: alloc::vec::Vec<i64> = (-1000..1000).collect();
        ints.extend([
            i64::MIN,
            i64::MAX,
            i64::MIN + 1,
            10,
            100,
            1_000_000_007,
            -99_999_999_999,
        ]);
        for len in [0usize, 1, 3, 4, 7, 8, 9, 17, ints.len()] {
            let items = &ints[..len];
            let mut one = alloc::vec::Vec::new();
            for_each_h64_int(items, 5, |h| one.push(h));
            assert_eq!(
                one,
                items
                    .iter()
                    .map(|&i| h64(&Value::Int(i), 5))
                    .collect::<alloc::vec::Vec<_>>()
            );
            let mut two = alloc::vec::Vec::new();
            for_each_h64_pair_int(items, 3, 9, |a, b| two.push((a, b)));
            assert_eq!(
                two,
                items
                    .iter()
                    .map(|&i| (h64(&Value::Int(i), 3), h64(&Value::Int(i), 9)))
                    .collect::<alloc::vec::Vec<_>>()
            );
        }
    }

    proptest! {
        #[test]
        fn fast_paths_equal_generic_repr(s in "\\PC*|[\\x00-\\x7f'\"\\\\]*", i in any::<i64>(), seed in any::<u32>()) {
            let via_repr = ItemHash::of_repr(pyrepr::repr(&Value::str(s.clone())).as_bytes());
            prop_assert_eq!(ItemHash::of_str(&s).h128(seed), via_repr.h128(seed));
            let any_chars: alloc::string::String = s.chars().map(|c| char::from_u32((c as u32).wrapping_mul(7919) % 0x110000).unwrap_or('\u{fffd}')).collect();
            let via_repr = ItemHash::of_repr(pyrepr::repr(&Value::str(any_chars.clone())).as_bytes());
            prop_assert_eq!(ItemHash::of_str(&any_chars).h128(seed), via_repr.h128(seed));
            let via_repr = ItemHash::of_repr(pyrepr::repr(&Value::Int(i)).as_bytes());
            prop_assert_eq!(ItemHash::of_int(i).h128(seed), via_repr.h128(seed));
        }
    }
}

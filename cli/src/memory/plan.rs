//! The merge of parsed chunks for `memory merge`, by fact range: each
//! worker takes the facts of one range (ranges from a sample of sort keys;
//! equal facts always share a range), sorts them, joins each run of equal
//! facts (flat lines with the core's [`FlatJoin`], any other group with the
//! core's [`join_group`]), drops what is below `min_confidence` and sizes
//! every output line. After the budget (over all ranges) the ranges know
//! where their bytes go, and every worker writes its lines straight into its
//! place in the output file.

use std::fs::File;

use crdt_merge_core::memory::context::{budget_keep, join_group};
use crdt_merge_core::memory::flat::ByteCount;
use crdt_merge_core::memory::{ContextMerge, FlatJoin, Memory};

use super::input::Parsed;
use crate::error::{CliError, Result};

/// One memory of a range: its sort key, where it is (chunk, with the high
/// bit set for a parsed [`Memory`], and index), its confidence and output
/// length. After the merge, the first entry of each run of equal facts
/// holds the merged confidence and length, and `n` (run length and flags).
#[derive(Debug, Clone, Copy)]
struct Entry {
    hi: u64,
    lo: u64,
    hash: u64,
    chunk: u32,
    index: u32,
    conf: f64,
    len: u32,
    n: u32,
}

const FULL: u32 = 1 << 31;
/// `n` flag: the run is dropped (below `min_confidence`, or over the budget).
const DROPPED: u32 = 1 << 31;
/// `n` flag: the run's line is preformatted; `index` is its place in `pre`.
const PRE: u32 = 1 << 30;
const RUN: u32 = PRE - 1;

fn entry(k: u128, chunk: u32, index: u32, conf: f64, len: u32) -> Entry {
    Entry {
        hi: (k >> 64) as u64,
        lo: k as u64,
        hash: 0,
        chunk,
        index,
        conf,
        len,
        n: 1,
    }
}

/// A 64-bit hash of a fact: equal keys with different hashes are different
/// facts; equal hashes are checked byte for byte.
#[cfg(not(test))]
fn fact_hash(fact: &[u8]) -> u64 {
    let mut h = fact.len() as u64;
    let mut words = fact.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        h = (h.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(0x517c_c1b7_2722_0a95);
    h ^ (h >> 29)
}

/// Tests use a hash that collides all the time, to exercise the check.
#[cfg(test)]
fn fact_hash(fact: &[u8]) -> u64 {
    fact.len() as u64 % 3
}

/// Sort key of a fact: 16 bytes after the prefix all facts share, big-endian.
fn key(fact: &[u8], lcp: usize) -> u128 {
    let rest = fact.get(lcp..).unwrap_or(&[]);
    let mut buf = [0u8; 16];
    let n = rest.len().min(16);
    buf[..n].copy_from_slice(&rest[..n]);
    u128::from_be_bytes(buf)
}

/// The inputs as the workers see them.
pub struct Inputs<'a> {
    chunks: &'a [Parsed<'a>],
    lcp: usize,
}

impl<'a> Inputs<'a> {
    /// Over parsed chunks; computes the prefix every fact shares.
    pub fn new(chunks: &'a [Parsed<'a>]) -> Self {
        let mut base: Option<&[u8]> = None;
        let mut lcp = usize::MAX;
        for p in chunks {
            if let Some((first, n)) = &p.prefix {
                let b = *base.get_or_insert(first.as_slice());
                lcp = lcp.min(*n).min(super::input::common_prefix(b, first));
            }
        }
        Inputs {
            chunks,
            lcp: if base.is_some() { lcp } else { 0 },
        }
    }

    fn fact(&self, chunk: u32, index: u32) -> &'a str {
        let p = &self.chunks[(chunk & !FULL) as usize];
        if chunk & FULL != 0 {
            &p.fulls[index as usize].fact
        } else {
            p.flats[index as usize].fact(p.text)
        }
    }

    /// Every memory as an entry (merged alone; `n` is 1), in chunk order.
    fn each(&self, mut f: impl FnMut(u128, Entry)) {
        for (c, p) in self.chunks.iter().enumerate() {
            for (i, (fl, len)) in p.flats.iter().zip(&p.lens).enumerate() {
                let k = key(fl.fact(p.text).as_bytes(), self.lcp);
                f(k, entry(k, c as u32, i as u32, fl.confidence(), *len));
            }
            for (i, m) in p.fulls.iter().enumerate() {
                let k = key(m.fact.as_bytes(), self.lcp);
                f(k, entry(k, c as u32 | FULL, i as u32, m.confidence, 0));
            }
        }
    }

    /// Splitters for `parts` ranges of about equal size, from a sample.
    pub fn splitters(&self, parts: usize) -> Vec<u128> {
        let total: usize = self.chunks.iter().map(Parsed::len).sum();
        let want = (parts * 256).min(total.max(1));
        let step = (total / want).max(1);
        let mut sample = Vec::with_capacity(want + self.chunks.len() * 2);
        for p in self.chunks {
            for fl in p.flats.iter().step_by(step) {
                sample.push(key(fl.fact(p.text).as_bytes(), self.lcp));
            }
            for m in p.fulls.iter().step_by(step) {
                sample.push(key(m.fact.as_bytes(), self.lcp));
            }
        }
        sample.sort_unstable();
        let mut s: Vec<u128> = (1..parts)
            .filter_map(|i| sample.get(i * sample.len() / parts).copied())
            .collect();
        s.dedup();
        s
    }
}

/// One fact range, merged and sized.
pub struct Range<'a> {
    entries: Vec<Entry>,
    pre: Vec<(Memory, String)>,
    /// Memories that went in.
    pub total: usize,
    /// Distinct facts among them.
    pub distinct: usize,
    inputs: &'a Inputs<'a>,
}

impl<'a> Range<'a> {
    /// Positions of the surviving runs' first entries, in fact order.
    fn runs(&self) -> impl Iterator<Item = usize> + '_ {
        let mut i = 0;
        std::iter::from_fn(move || loop {
            let e = self.entries.get(i)?;
            let at = i;
            i += ((e.n & RUN) as usize).max(1);
            if e.n & DROPPED == 0 {
                return Some(at);
            }
        })
    }

    /// The fact of the run at `i`.
    fn fact(&self, i: usize) -> &str {
        let e = &self.entries[i];
        if e.n & PRE != 0 {
            &self.pre[e.index as usize].0.fact
        } else {
            self.inputs.fact(e.chunk, e.index)
        }
    }

    /// Surviving memories.
    pub fn count(&self) -> usize {
        self.runs().count()
    }

    /// Sum of the survivors' confidences, in output order, starting from `acc`.
    pub fn sum_confidence(&self, acc: f64) -> f64 {
        self.runs().fold(acc, |a, i| a + self.entries[i].conf)
    }

    /// Bytes of this range's output.
    pub fn bytes(&self) -> u64 {
        self.runs().map(|i| self.entries[i].len as u64).sum()
    }

    fn flat_join(&self, j: &mut FlatJoin<'a>, first: usize, n: usize, now: f64) {
        for (k, e) in self.entries[first..first + n].iter().enumerate() {
            let p = &self.inputs.chunks[e.chunk as usize];
            let fl = &p.flats[e.index as usize];
            if k == 0 {
                j.start(p.text, fl, now);
            } else {
                j.join(p.text, fl, now);
            }
        }
        j.finish();
    }

    /// Write this range's lines at `offset` of `file`.
    pub fn write(&self, file: &File, mut offset: u64, now: f64) -> std::io::Result<u64> {
        let mut buf = String::with_capacity(1 << 20);
        let mut j = FlatJoin::new();
        let mut written = 0u64;
        for i in self.runs() {
            let e = &self.entries[i];
            if e.n & PRE != 0 {
                buf.push_str(&self.pre[e.index as usize].1);
            } else {
                self.flat_join(&mut j, i, (e.n & RUN) as usize, now);
                j.write_line(&mut buf);
            }
            buf.push('\n');
            if buf.len() >= 1 << 20 {
                write_at(file, buf.as_bytes(), offset)?;
                crate::files::start_writeback(file, offset, buf.len());
                offset += buf.len() as u64;
                written += buf.len() as u64;
                buf.clear();
            }
        }
        write_at(file, buf.as_bytes(), offset)?;
        written += buf.len() as u64;
        Ok(written)
    }
}

#[cfg(unix)]
fn write_at(file: &File, data: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(windows)]
fn write_at(file: &File, mut data: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, data, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Merge the facts of range `part` (of the ranges `splitters` make).
pub fn merge_range<'a>(
    inputs: &'a Inputs<'a>,
    splitters: &[u128],
    part: usize,
    cm: &ContextMerge,
) -> Result<Range<'a>, crdt_merge_core::DecodeError> {
    let total: usize = inputs.chunks.iter().map(Parsed::len).sum();
    let mut entries = Vec::with_capacity(total / (splitters.len() + 1) * 5 / 4 + 16);
    inputs.each(|k, mut e| {
        if splitters.is_empty() || splitters.partition_point(|s| *s <= k) == part {
            e.hash = fact_hash(inputs.fact(e.chunk, e.index).as_bytes());
            entries.push(e);
        }
    });
    // Sorted by key, then hash (so equal facts are adjacent without reading
    // them); the walk below sorts any run of equal keys that holds more than
    // one fact by the facts themselves.
    entries.sort_unstable_by_key(|e| (e.hi, e.lo, e.hash));
    let mut r = Range {
        total: entries.len(),
        distinct: 0,
        pre: Vec::new(),
        entries,
        inputs,
    };
    let mut j = FlatJoin::new();
    let mut i = 0;
    let n_all = r.entries.len();
    while i < n_all {
        let same = |x: &Entry, y: &Entry| (x.hi, x.lo) == (y.hi, y.lo);
        let mut run_end = i + 1;
        while run_end < n_all && same(&r.entries[run_end], &r.entries[i]) {
            run_end += 1;
        }
        if run_end - i > 1 {
            let first = r.entries[i];
            let fact = inputs.fact(first.chunk, first.index);
            if r.entries[i + 1..run_end]
                .iter()
                .any(|x| x.hash != first.hash || inputs.fact(x.chunk, x.index) != fact)
            {
                r.entries[i..run_end].sort_by(|a, b| {
                    inputs
                        .fact(a.chunk, a.index)
                        .cmp(inputs.fact(b.chunk, b.index))
                });
            }
        }
        let e = r.entries[i];
        let mut end = i + 1;
        let mut all_flat = e.chunk & FULL == 0;
        if run_end > end {
            let fact = inputs.fact(e.chunk, e.index);
            while end < run_end {
                let x = &r.entries[end];
                if inputs.fact(x.chunk, x.index) != fact {
                    break;
                }
                all_flat &= x.chunk & FULL == 0;
                end += 1;
            }
        }
        r.distinct += 1;
        let run = u32::try_from(end - i).unwrap_or(RUN).min(RUN);
        let (conf, len, pre) = if all_flat && end - i == 1 {
            (e.conf, e.len, None)
        } else if all_flat {
            r.flat_join(&mut j, i, end - i, cm.now);
            let mut count = ByteCount(1);
            j.write_line(&mut count);
            (
                j.confidence(),
                u32::try_from(count.0).unwrap_or(u32::MAX),
                None,
            )
        } else {
            let members = r.entries[i..end].iter().map(|x| {
                let p = &inputs.chunks[(x.chunk & !FULL) as usize];
                if x.chunk & FULL != 0 {
                    p.fulls[x.index as usize].clone()
                } else {
                    p.flats[x.index as usize].to_memory(p.text)
                }
            });
            match join_group(members, cm.now) {
                Some(m) => {
                    let line = m.to_json_line()?;
                    let len = u32::try_from(line.len() + 1).unwrap_or(u32::MAX);
                    let conf = m.confidence;
                    r.pre.push((m, line));
                    (conf, len, Some(r.pre.len() as u32 - 1))
                }
                // not reached (a run is never empty); dropped below
                None => (f64::NAN, 0, None),
            }
        };
        let first = &mut r.entries[i];
        first.conf = conf;
        first.len = len;
        first.n = run;
        if let Some(p) = pre {
            first.index = p;
            first.n |= PRE;
        }
        // as the core's filter: keep exactly when `conf >= min_confidence`
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(conf >= cm.min_confidence) {
            first.n |= DROPPED;
        }
        i = end;
    }
    Ok(r)
}

/// Apply the budget over all ranges (highest confidence, ties to the smaller fact).
pub fn apply_budget(ranges: &mut [Range<'_>], budget: Option<usize>) {
    let Some(b) = budget else { return };
    let keys: Vec<Vec<(f64, &str, usize)>> = ranges
        .iter()
        .map(|r| {
            r.runs()
                .map(|i| (r.entries[i].conf, r.fact(i), i))
                .collect()
        })
        .collect();
    let views: Vec<&[(f64, &str, usize)]> = keys.iter().map(Vec::as_slice).collect();
    let Some(keep) = budget_keep(&views, b, |x| x.0, |x| x.1) else {
        return;
    };
    let cut: Vec<Vec<usize>> = keys
        .iter()
        .zip(&keep)
        .map(|(ks, k)| {
            ks.iter()
                .zip(k)
                .filter(|(_, keep)| !**keep)
                .map(|(x, _)| x.2)
                .collect()
        })
        .collect();
    drop(views);
    drop(keys);
    for (r, d) in ranges.iter_mut().zip(cut) {
        for i in d {
            r.entries[i].n |= DROPPED;
        }
    }
}

/// The error for an output that came out a different size than planned.
pub fn size_mismatch(path: &std::path::Path) -> CliError {
    CliError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other("output size differs from its plan"),
    }
}

//! Deduplication of texts and records (the reference's `crdt_merge.dedup`):
//! exact (case-insensitive), fuzzy (character-bigram Dice similarity),
//! MinHash (bigram Jaccard), and the mergeable [`DedupIndex`].
//!
//! Texts are normalized as the reference does (`" ".join(text.lower().split())`);
//! a text's shingles are its set of character bigrams (a text shorter than
//! two characters is its own single shingle).
//!
//! The reference's fuzzy dedup compares each new text with every kept one
//! (O(n²)). Here kept texts sit in a MinHash LSH index ([`LshIndex`]): a new
//! text is compared exactly (same Dice measure, same threshold) only with the
//! kept texts that share a band bucket with it. The result equals the
//! reference's whenever every kept text at or above the threshold shows up
//! as a candidate; [`LshParams::for_jaccard`] picks bands × rows so that a
//! pair exactly at the threshold is missed with probability below 1e-5 (and
//! pairs above it less), which is the only way the two can differ.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;

use super::extras_error::ExtrasError;
use crate::error::MergeError;
use crate::memory::hash::sha256_hex;
use crate::pyrepr::py_str;
use crate::traits::Merge;
use crate::value::Value;

/// Python's `str.isspace` for the characters `str.split()` splits on.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `" ".join(text.lower().split())`.
pub fn normalize(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for w in lower.split(is_py_space).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// A text's shingles: its distinct character bigrams after [`normalize`],
/// each packed in a `u64`, sorted. A normalized text shorter than two
/// characters is one shingle of its own.
pub fn shingles(text: &str) -> Vec<u64> {
    shingles_of_normalized(&normalize(text))
}

fn shingles_of_normalized(t: &str) -> Vec<u64> {
    let mut chars = t.chars();
    let Some(mut prev) = chars.next() else {
        return alloc::vec![u64::MAX];
    };
    let mut out: Vec<u64> = Vec::with_capacity(t.len());
    for c in chars {
        out.push(((prev as u64) << 32) | c as u64);
        prev = c;
    }
    if out.is_empty() {
        // One character: bigrams never have 0x20_0000 as second half.
        out.push(((prev as u64) << 32) | 0x20_0000);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            core::cmp::Ordering::Less => i += 1,
            core::cmp::Ordering::Greater => j += 1,
            core::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// Dice coefficient of two shingle sets: `2|A∩B| / (|A|+|B|)`.
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * intersection(a, b) as f64 / (a.len() + b.len()) as f64
}

/// Jaccard similarity of two shingle sets: `|A∩B| / |A∪B|`.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let i = intersection(a, b);
    let u = a.len() + b.len() - i;
    if u == 0 {
        return 0.0;
    }
    i as f64 / u as f64
}

/// The reference's fuzzy similarity of two texts (bigram Dice).
pub fn dice_similarity(a: &str, b: &str) -> f64 {
    dice(&shingles(a), &shingles(b))
}

/// The reference's exact-dedup identity: SHA-256 hex of `text.lower()`
/// (whitespace kept).
pub fn exact_hash(text: &str) -> String {
    sha256_hex(&text.to_lowercase())
}

/// The reference's fuzzy identity: SHA-256 hex of the normalized text.
pub fn normalized_hash(text: &str) -> String {
    sha256_hex(&normalize(text))
}

/// Dice threshold → the Jaccard similarity of a pair exactly at it
/// (`J = D / (2 − D)`), clamped to [0, 1].
pub fn dice_to_jaccard(d: f64) -> f64 {
    (d / (2.0 - d)).clamp(0.0, 1.0)
}

/// Banding of a MinHash signature: `bands` bands of `rows` values each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
    /// Seed of the hash family.
    pub seed: u64,
}

impl LshParams {
    /// Most signature values [`LshParams::for_jaccard`] uses.
    pub const MAX_HASHES: usize = 256;
    /// Miss probability [`LshParams::for_jaccard`] allows for a pair at the threshold.
    pub const MAX_MISS: f64 = 1e-5;

    /// Bands × rows for a Jaccard threshold `j`: the most rows per band (the
    /// fewest false candidates) such that a pair of similarity `j` shares a
    /// bucket with probability at least `1 − MAX_MISS`, within `MAX_HASHES`.
    pub fn for_jaccard(j: f64) -> LshParams {
        let j = if j.is_nan() { 0.0 } else { j.clamp(0.0, 1.0) };
        let mut best = LshParams {
            bands: Self::MAX_HASHES,
            rows: 1,
            seed: 0x5eed,
        };
        for rows in 1..=16usize {
            let p = libm::pow(j, rows as f64);
            if p <= 0.0 {
                break;
            }
            // (1 - p)^b <= MAX_MISS  ⇔  b >= ln(MAX_MISS) / ln(1 - p)
            let b = if p >= 1.0 {
                1.0
            } else {
                libm::ceil(libm::log(Self::MAX_MISS) / libm::log1p(-p))
            };
            if b * rows as f64 > Self::MAX_HASHES as f64 {
                break;
            }
            best = LshParams {
                bands: (b as usize).max(1),
                rows,
                seed: 0x5eed,
            };
        }
        best
    }

    /// Probability that a pair of Jaccard similarity `s` becomes a candidate.
    pub fn candidate_probability(&self, s: f64) -> f64 {
        1.0 - libm::pow(1.0 - libm::pow(s, self.rows as f64), self.bands as f64)
    }

    /// Signature length.
    pub fn num_hashes(&self) -> usize {
        self.bands * self.rows
    }
}

#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// MinHash signature of a shingle set: `n` 32-bit minima, two per 64-bit
/// hash of each shingle.
pub fn minhash(shingles: &[u64], n: usize, seed: u64) -> Vec<u32> {
    let pairs = n.div_ceil(2);
    let mut sig = alloc::vec![u32::MAX; pairs * 2];
    let seeds: Vec<u64> = (0..pairs as u64)
        .map(|i| fmix64(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    for &s in shingles {
        let base = fmix64(s ^ seed);
        for (i, &k) in seeds.iter().enumerate() {
            let v = fmix64(base ^ k);
            let (lo, hi) = (v as u32, (v >> 32) as u32);
            if lo < sig[2 * i] {
                sig[2 * i] = lo;
            }
            if hi < sig[2 * i + 1] {
                sig[2 * i + 1] = hi;
            }
        }
    }
    sig.truncate(n);
    sig
}

/// A MinHash LSH index of shingle sets, each under a `u32` id: band
/// buckets → ids.
#[derive(Debug, Clone)]
pub struct LshIndex {
    params: LshParams,
    buckets: hashbrown::HashMap<u64, Vec<u32>>,
}

impl LshIndex {
    /// An empty index.
    pub fn new(params: LshParams) -> LshIndex {
        LshIndex {
            params,
            buckets: hashbrown::HashMap::new(),
        }
    }

    /// The banding in use.
    pub fn params(&self) -> LshParams {
        self.params
    }

    /// The band keys of a shingle set.
    pub fn band_keys(&self, shingles: &[u64]) -> Vec<u64> {
        let p = self.params;
        let sig = minhash(shingles, p.num_hashes(), p.seed);
        sig.chunks(p.rows.max(1))
            .enumerate()
            .map(|(b, band)| {
                let mut h = fmix64(b as u64 ^ 0xba4d);
                for &v in band {
                    h = fmix64(h ^ v as u64);
                }
                h
            })
            .collect()
    }

    /// Add `id` under precomputed band keys.
    pub fn insert_keys(&mut self, id: u32, keys: &[u64]) {
        for &k in keys {
            self.buckets.entry(k).or_default().push(id);
        }
    }

    /// Ids sharing at least one bucket with these band keys, sorted, distinct.
    pub fn candidates_for_keys(&self, keys: &[u64]) -> Vec<u32> {
        let mut out: Vec<u32> = keys
            .iter()
            .filter_map(|k| self.buckets.get(k))
            .flat_map(|v| v.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Similarity measure of a [`FuzzyDeduper`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Bigram Dice (the reference's fuzzy dedup).
    Dice,
    /// Bigram Jaccard (what MinHash estimates; the reference's `MinHashDedup`).
    Jaccard,
}

/// How a [`FuzzyDeduper`] prepares a text before taking its bigrams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextForm {
    /// [`normalize`]: lower-cased, whitespace runs collapsed (`crdt_merge.dedup`).
    Normalized,
    /// Lower-cased only (the merge's fuzzy row pass, `BigramDedup`).
    Lowercase,
}

impl TextForm {
    fn apply(self, text: &str) -> String {
        match self {
            TextForm::Normalized => normalize(text),
            TextForm::Lowercase => text.to_lowercase(),
        }
    }
}

/// Greedy near-duplicate filter: a text is a duplicate when its prepared
/// form equals a kept one's or its similarity to a kept text is at least
/// the threshold; kept texts go into an LSH index.
#[derive(Debug, Clone)]
pub struct FuzzyDeduper {
    measure: Measure,
    form: TextForm,
    threshold: f64,
    normalized: hashbrown::HashMap<String, u32>,
    kept: Vec<Vec<u64>>,
    lsh: LshIndex,
}

impl FuzzyDeduper {
    /// A filter for `measure` at `threshold` on normalized texts (a NaN
    /// threshold is an error).
    pub fn new(measure: Measure, threshold: f64) -> Result<FuzzyDeduper, ExtrasError> {
        Self::with_form(measure, threshold, TextForm::Normalized)
    }

    /// A filter preparing texts with `form`.
    pub fn with_form(
        measure: Measure,
        threshold: f64,
        form: TextForm,
    ) -> Result<FuzzyDeduper, ExtrasError> {
        if threshold.is_nan() {
            return Err(ExtrasError::Param {
                name: "threshold",
                msg: "NaN".into(),
            });
        }
        let j = match measure {
            Measure::Dice => dice_to_jaccard(threshold),
            Measure::Jaccard => threshold.clamp(0.0, 1.0),
        };
        Ok(FuzzyDeduper {
            measure,
            form,
            threshold,
            normalized: hashbrown::HashMap::new(),
            kept: Vec::new(),
            lsh: LshIndex::new(LshParams::for_jaccard(j)),
        })
    }

    fn sim(&self, a: &[u64], b: &[u64]) -> f64 {
        match self.measure {
            Measure::Dice => dice(a, b),
            Measure::Jaccard => jaccard(a, b),
        }
    }

    /// Offer a text: `Ok(None)` when it is new (and now kept), `Ok(Some(i))`
    /// when it duplicates the `i`-th kept text (the earliest kept match).
    pub fn add(&mut self, text: &str) -> Option<usize> {
        let norm = self.form.apply(text);
        if let Some(&i) = self.normalized.get(&norm) {
            return Some(i as usize);
        }
        let sh = shingles_of_normalized(&norm);
        if self.threshold <= 0.0 && !self.kept.is_empty() {
            // Every pair is at least 0 similar: LSH cannot find them all.
            return Some(0);
        }
        let keys = self.lsh.band_keys(&sh);
        if self.threshold <= 1.0 {
            for c in self.lsh.candidates_for_keys(&keys) {
                if self.sim(&sh, &self.kept[c as usize]) >= self.threshold {
                    return Some(c as usize);
                }
            }
        }
        let id = self.kept.len() as u32;
        self.lsh.insert_keys(id, &keys);
        self.kept.push(sh);
        self.normalized.insert(norm, id);
        None
    }

    /// Number of kept texts.
    pub fn kept(&self) -> usize {
        self.kept.len()
    }
}

/// The merge's fuzzy row pass (same text and Dice measure as
/// [`crate::table::merge::BigramDedup`], first row of each group kept) with
/// an LSH index instead of comparing every pair: plug it into
/// `MergeOptions::fuzzy`. A NaN threshold keeps every row.
#[derive(Debug, Clone, Default)]
pub struct LshRowDedup {
    /// The key column left out of the text.
    pub exclude: Option<String>,
}

impl crate::table::merge::RowDedup for LshRowDedup {
    fn dedup(&self, t: &mut crate::table::Table, threshold: f64) {
        let Ok(mut d) = FuzzyDeduper::with_form(Measure::Dice, threshold, TextForm::Lowercase)
        else {
            return;
        };
        let text = crate::table::merge::BigramDedup {
            exclude: self.exclude.clone(),
        };
        let rows = core::mem::take(&mut t.rows);
        t.rows = rows
            .into_iter()
            .filter(|row| d.add(&text.text_of(&t.columns, row)).is_none())
            .collect();
    }
}

/// Dedup method of [`dedup_list`] / [`dedup_records`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupMethod {
    /// Case-insensitive exact match.
    Exact,
    /// Bigram Dice similarity at a threshold.
    Fuzzy,
}

impl DedupMethod {
    /// Parse `"exact"` / `"fuzzy"`.
    pub fn from_name(name: &str) -> Result<DedupMethod, ExtrasError> {
        match name {
            "exact" => Ok(DedupMethod::Exact),
            "fuzzy" => Ok(DedupMethod::Fuzzy),
            _ => Err(ExtrasError::UnknownName {
                what: "dedup method",
                name: name.into(),
                valid: "exact, fuzzy",
            }),
        }
    }
}

/// Deduplicate texts in order (the reference's `dedup_list`): the indices
/// kept and the indices dropped as duplicates.
pub fn dedup_list<S: AsRef<str>>(
    items: &[S],
    method: DedupMethod,
    threshold: f64,
) -> Result<(Vec<usize>, Vec<usize>), ExtrasError> {
    let (mut keep, mut drop) = (Vec::new(), Vec::new());
    match method {
        DedupMethod::Exact => {
            let mut seen: hashbrown::HashSet<String> = hashbrown::HashSet::new();
            for (i, t) in items.iter().enumerate() {
                if seen.insert(t.as_ref().to_lowercase()) {
                    keep.push(i);
                } else {
                    drop.push(i);
                }
            }
        }
        DedupMethod::Fuzzy => {
            let mut d = FuzzyDeduper::new(Measure::Dice, threshold)?;
            for (i, t) in items.iter().enumerate() {
                match d.add(t.as_ref()) {
                    None => keep.push(i),
                    Some(_) => drop.push(i),
                }
            }
        }
    }
    Ok((keep, drop))
}

/// The text a record is compared by (the reference's `dedup_records`):
/// `" | ".join(str(r.get(c, "")))` over `columns`, or `"k=v"` over all
/// columns sorted by name.
pub fn record_text(record: &Value, columns: Option<&[String]>) -> String {
    let mut parts: Vec<String> = Vec::new();
    match columns {
        Some(cols) if !cols.is_empty() => {
            for c in cols {
                parts.push(record.get(c).map(py_str).unwrap_or_default());
            }
        }
        _ => {
            let mut entries: BTreeMap<&Value, &Value> = BTreeMap::new();
            for (k, v) in record.as_map().unwrap_or(&[]) {
                entries.insert(k, v);
            }
            for (k, v) in entries {
                let mut s = py_str(k);
                s.push('=');
                s.push_str(&py_str(v));
                parts.push(s);
            }
        }
    }
    parts.join(" | ")
}

/// Deduplicate dict rows: the rows kept, in order, and how many were dropped.
pub fn dedup_records(
    rows: &[Value],
    columns: Option<&[String]>,
    method: DedupMethod,
    threshold: f64,
) -> Result<(Vec<Value>, usize), ExtrasError> {
    let mut texts = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if r.as_map().is_none() {
            return Err(ExtrasError::NotARecord {
                what: "records",
                index: i,
                found: r.type_name(),
            });
        }
        texts.push(record_text(r, columns));
    }
    let (keep, drop) = dedup_list(&texts, method, threshold)?;
    Ok((
        keep.into_iter().map(|i| rows[i].clone()).collect(),
        drop.len(),
    ))
}

/// Near-duplicate filter by bigram Jaccard similarity (the reference's
/// `MinHashDedup`, whose default threshold is 0.5). The reference compares
/// MinHash *estimates* built on Python's per-process `hash()` with every
/// kept item; here candidates come from LSH and are checked with the exact
/// Jaccard similarity, so the result no longer depends on the hash seed.
#[derive(Debug, Clone)]
pub struct MinHashDedup {
    inner: FuzzyDeduper,
}

impl MinHashDedup {
    /// A filter at Jaccard `threshold`.
    pub fn new(threshold: f64) -> Result<MinHashDedup, ExtrasError> {
        Ok(MinHashDedup {
            inner: FuzzyDeduper::new(Measure::Jaccard, threshold)?,
        })
    }

    /// Offer a text; true when it is unique (and now kept).
    pub fn add(&mut self, text: &str) -> bool {
        self.inner.add(text).is_none()
    }

    /// The indices of the unique texts, in order.
    pub fn dedup<S: AsRef<str>>(&mut self, texts: &[S]) -> Vec<usize> {
        (0..texts.len())
            .filter(|&i| self.add(texts[i].as_ref()))
            .collect()
    }
}

/// A mergeable dedup index (the reference's `DedupIndex`): the set of seen
/// hashes and, for fuzzy lookups, the text behind each fuzzy hash. Merge is
/// union (for one hash held with two texts, the smaller text), so it is
/// commutative, associative and idempotent; the LSH index behind
/// [`DedupIndex::add_fuzzy`] is derived and rebuilt after a merge.
#[derive(Debug, Clone, Default)]
pub struct DedupIndex {
    /// Seen hashes (exact and fuzzy identities).
    pub seen: BTreeSet<String>,
    /// Fuzzy hash → the text first kept under it.
    pub content: BTreeMap<String, String>,
    lsh: Option<FuzzyCache>,
}

/// The derived fuzzy-lookup state of a [`DedupIndex`]: the threshold it was
/// built for, the LSH buckets, and per id the kept hash and its shingles.
type FuzzyCache = (f64, LshIndex, Vec<(String, Vec<u64>)>);

impl PartialEq for DedupIndex {
    fn eq(&self, other: &Self) -> bool {
        self.seen == other.seen && self.content == other.content
    }
}

impl DedupIndex {
    /// An empty index.
    pub fn new() -> DedupIndex {
        DedupIndex::default()
    }

    /// Record `text` for exact dedup; true when it was not seen before
    /// (case-insensitive, whitespace significant).
    pub fn add_exact(&mut self, text: &str) -> bool {
        self.seen.insert(exact_hash(text))
    }

    fn lsh_for(&mut self, threshold: f64) -> &mut FuzzyCache {
        let stale = !matches!(&self.lsh, Some((t, _, ids)) if *t == threshold && ids.len() == self.content.len());
        if stale {
            let mut lsh = LshIndex::new(LshParams::for_jaccard(dice_to_jaccard(threshold)));
            let mut ids = Vec::with_capacity(self.content.len());
            for (h, text) in &self.content {
                let sh = shingles(text);
                lsh.insert_keys(ids.len() as u32, &lsh.band_keys(&sh));
                ids.push((h.clone(), sh));
            }
            self.lsh = Some((threshold, lsh, ids));
        }
        self.lsh.as_mut().expect("just built")
    }

    /// Offer `text` for fuzzy dedup at Dice `threshold`: `(true, None)` when
    /// new (now kept), else `(false, Some(hash))` of the kept text it
    /// matches (its own normalized hash when seen; otherwise the most
    /// similar kept text, ties by smaller hash; the reference returns the
    /// first kept in insertion order).
    pub fn add_fuzzy(
        &mut self,
        text: &str,
        threshold: f64,
    ) -> Result<(bool, Option<String>), ExtrasError> {
        if threshold.is_nan() {
            return Err(ExtrasError::Param {
                name: "threshold",
                msg: "NaN".into(),
            });
        }
        let h = normalized_hash(text);
        if self.seen.contains(&h) {
            return Ok((false, Some(h)));
        }
        let sh = shingles(text);
        let (_, lsh, ids) = self.lsh_for(threshold);
        let keys = lsh.band_keys(&sh);
        let cands: Vec<u32> = if threshold <= 0.0 {
            (0..ids.len() as u32).collect()
        } else {
            lsh.candidates_for_keys(&keys)
        };
        let mut best: Option<(f64, &String)> = None;
        for c in cands {
            let (kh, ks) = &ids[c as usize];
            let s = dice(&sh, ks);
            if s >= threshold && best.is_none_or(|(bs, bh)| s > bs || (s == bs && kh < bh)) {
                best = Some((s, kh));
            }
        }
        if let Some((_, kh)) = best {
            return Ok((false, Some(kh.clone())));
        }
        lsh.insert_keys(ids.len() as u32, &keys);
        ids.push((h.clone(), sh));
        self.seen.insert(h.clone());
        self.content.insert(h, text.into());
        Ok((true, None))
    }

    /// Number of seen hashes.
    pub fn size(&self) -> usize {
        self.seen.len()
    }
}

impl Merge for DedupIndex {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut content = self.content.clone();
        for (h, t) in &other.content {
            match content.get_mut(h) {
                Some(mine) if *t < *mine => *mine = t.clone(),
                Some(_) => {}
                None => {
                    content.insert(h.clone(), t.clone());
                }
            }
        }
        Ok(DedupIndex {
            seen: self.seen.union(&other.seen).cloned().collect(),
            content,
            lsh: None,
        })
    }
}

//! `ContextMerge`: merge memory lists from several agents.
//!
//! Memories are keyed by their fact. Two memories with the same fact merge
//! field by field exactly as the reference merges their sidecars: highest
//! confidence, latest timestamp, largest non-empty source and topic, tag
//! union, key-wise metadata (larger `str(value)`; ties ordered by value).
//! That per-fact merge is a join of a semilattice, so the set merge
//! ([`MemorySet`]) is commutative, associative and idempotent. The filters
//! (`min_confidence`, then `budget`: keep the highest confidence, ties by
//! smaller fact) are applied once, after all inputs are merged, and the
//! survivors are sorted by fact.
//!
//! Strategies: the reference's strategies only decide between two
//! *different* facts sharing a 64-bit fact id (a SHA-256 prefix collision).
//! We key by the whole fact, so distinct facts never compete and the
//! strategy only labels the manifest; every strategy yields the same
//! memories, as the reference's do on every input we could construct.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::hash::{sha256_hex, Sha256};
use super::manifest::ContextManifest;
use super::{fmax, merge_metadata, union_sorted, Memory};
use crate::error::MergeError;
use crate::traits::Merge;
use crate::value::Value;

/// The reference's conflict strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// `lww`: latest timestamp wins.
    Lww,
    /// `max_confidence`: highest confidence wins.
    MaxConfidence,
    /// `priority`: agent priority ordering.
    Priority,
    /// `union`: keep all unique memories.
    Union,
}

impl Strategy {
    /// Every strategy name, sorted.
    pub const NAMES: [&'static str; 4] = ["lww", "max_confidence", "priority", "union"];

    /// The strategy's name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Lww => "lww",
            Strategy::MaxConfidence => "max_confidence",
            Strategy::Priority => "priority",
            Strategy::Union => "union",
        }
    }

    /// Parse a strategy name; the error names the choices.
    pub fn parse(s: &str) -> Result<Strategy, String> {
        match s {
            "lww" => Ok(Strategy::Lww),
            "max_confidence" => Ok(Strategy::MaxConfidence),
            "priority" => Ok(Strategy::Priority),
            "union" => Ok(Strategy::Union),
            _ => Err(format!(
                "unknown strategy {s:?}; choose from lww, max_confidence, priority, union"
            )),
        }
    }
}

/// The merged state of one fact (the reference's merged sidecar fields).
#[derive(Debug, Clone)]
pub struct MemoryState {
    /// Highest confidence seen.
    pub confidence: f64,
    /// Largest source ("" is the bottom).
    pub source: String,
    /// Latest effective timestamp.
    pub ts: f64,
    /// Largest topic ("" is the bottom).
    pub topic: String,
    /// Union of tags, sorted.
    pub tags: Vec<String>,
    /// Key-wise merged metadata.
    pub metadata: BTreeMap<String, Value>,
}

impl PartialEq for MemoryState {
    fn eq(&self, o: &Self) -> bool {
        self.confidence.total_cmp(&o.confidence).is_eq()
            && self.ts.total_cmp(&o.ts).is_eq()
            && self.source == o.source
            && self.topic == o.topic
            && self.tags == o.tags
            && self.metadata == o.metadata
    }
}

impl MemoryState {
    /// The state of a single memory, with `now` for a missing or zero `ts`.
    pub fn of(m: &Memory, now: f64) -> MemoryState {
        MemoryState {
            confidence: m.confidence,
            source: m.source.clone(),
            ts: m.effective_ts(now),
            topic: m.topic.clone(),
            tags: norm_tags(&m.tags),
            metadata: m.metadata.clone(),
        }
    }

    /// Join another state of the same fact into this one.
    pub fn join(&mut self, o: &MemoryState) {
        self.confidence = fmax(self.confidence, o.confidence);
        self.ts = fmax(self.ts, o.ts);
        if o.source > self.source {
            self.source.clone_from(&o.source);
        }
        if o.topic > self.topic {
            self.topic.clone_from(&o.topic);
        }
        if o.tags != self.tags {
            self.tags = union_sorted(&self.tags, &o.tags);
        }
        if !o.metadata.is_empty() {
            self.metadata = merge_metadata(&self.metadata, &o.metadata);
        }
    }

    /// Join a memory directly (avoids building its state first).
    fn join_memory(&mut self, m: &Memory, now: f64) {
        self.confidence = fmax(self.confidence, m.confidence);
        self.ts = fmax(self.ts, m.effective_ts(now));
        if m.source > self.source {
            self.source.clone_from(&m.source);
        }
        if m.topic > self.topic {
            self.topic.clone_from(&m.topic);
        }
        if m.tags != self.tags {
            self.tags = union_sorted(&self.tags, &norm_tags(&m.tags));
        }
        if !m.metadata.is_empty() {
            self.metadata = merge_metadata(&self.metadata, &m.metadata);
        }
    }

    /// The memory for `fact` with this state.
    pub fn to_memory(&self, fact: &str) -> Memory {
        Memory {
            fact: fact.to_string(),
            confidence: self.confidence,
            source: self.source.clone(),
            ts: Some(self.ts),
            topic: self.topic.clone(),
            tags: self.tags.clone(),
            metadata: self.metadata.clone(),
        }
    }
}

/// Tags sorted and deduplicated (a no-op copy when they already are).
fn norm_tags(t: &[String]) -> Vec<String> {
    let mut v = t.to_vec();
    if !t.windows(2).all(|w| w[0] < w[1]) {
        v.sort();
        v.dedup();
    }
    v
}

/// A set of memories keyed by fact: the mergeable state behind
/// [`ContextMerge`] (a map of per-fact semilattices).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemorySet {
    /// Fact → merged state, sorted by fact.
    pub entries: BTreeMap<String, MemoryState>,
}

impl MemorySet {
    /// An empty set.
    pub fn new() -> Self {
        MemorySet::default()
    }

    /// Build from memories (`now` replaces missing or zero timestamps).
    pub fn from_memories<'a>(memories: impl IntoIterator<Item = &'a Memory>, now: f64) -> Self {
        let mut s = MemorySet::new();
        for m in memories {
            s.insert(m, now);
        }
        s
    }

    /// Add one memory, merging with an existing one of the same fact.
    pub fn insert(&mut self, m: &Memory, now: f64) {
        match self.entries.get_mut(m.fact.as_str()) {
            Some(st) => st.join_memory(m, now),
            None => {
                self.entries.insert(m.fact.clone(), MemoryState::of(m, now));
            }
        }
    }

    /// Number of distinct facts.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every memory, sorted by fact.
    pub fn memories(&self) -> Vec<Memory> {
        self.entries.iter().map(|(f, s)| s.to_memory(f)).collect()
    }
}

impl Merge for MemorySet {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let (big, small) = if self.len() >= other.len() {
            (self, other)
        } else {
            (other, self)
        };
        let mut out = big.clone();
        for (f, s) in &small.entries {
            match out.entries.get_mut(f) {
                Some(st) => st.join(s),
                None => {
                    out.entries.insert(f.clone(), s.clone());
                }
            }
        }
        Ok(out)
    }
}

/// Result of [`ContextMerge::merge_many`].
#[derive(Debug, Clone, PartialEq)]
pub struct MergeOutcome {
    /// Surviving memories, sorted by fact.
    pub memories: Vec<Memory>,
    /// The manifest of this merge.
    pub manifest: ContextManifest,
}

/// One fact range merged by [`ContextMerge::merge_part`].
#[derive(Debug, Clone, PartialEq)]
pub struct MergedPart {
    /// Survivors of `min_confidence`, sorted by fact.
    pub memories: Vec<Memory>,
    /// Memories that went in.
    pub total: usize,
    /// Distinct facts among them.
    pub distinct: usize,
}

/// Result of [`ContextMerge::finish_parts`]: the surviving memories, still
/// split by fact range (concatenated in order they are sorted by fact).
#[derive(Debug, Clone, PartialEq)]
pub struct PartsOutcome {
    /// Survivors per fact range, in range order.
    pub parts: Vec<Vec<Memory>>,
    /// The manifest of the whole merge.
    pub manifest: ContextManifest,
}

/// Splits memories into fact ranges of about equal size (from a sample), so
/// that each range merges on its own thread. Equal facts always land in the
/// same range, and ranges are ordered: concatenating sorted ranges gives the
/// globally sorted result. Any splitters give the same merge result; the
/// sample only balances the work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactPartitioner {
    splitters: Vec<u128>,
}

impl FactPartitioner {
    /// Splitters for `parts` ranges from an evenly spaced sample of the inputs.
    pub fn sample<L: AsRef<[Memory]>>(inputs: &[L], parts: usize) -> FactPartitioner {
        let parts = parts.max(1);
        let total: usize = inputs.iter().map(|l| l.as_ref().len()).sum();
        let want = (parts * 64).min(total.max(1));
        let step = (total / want).max(1);
        let mut sample: Vec<u128> = inputs
            .iter()
            .flat_map(|l| l.as_ref().iter().step_by(step))
            .map(|m| prefix_key(&m.fact))
            .collect();
        sample.sort_unstable();
        let mut splitters: Vec<u128> = (1..parts)
            .filter_map(|i| sample.get(i * sample.len() / parts).copied())
            .collect();
        splitters.dedup();
        FactPartitioner { splitters }
    }

    /// Number of ranges.
    pub fn parts(&self) -> usize {
        self.splitters.len() + 1
    }

    /// The range a fact belongs to.
    pub fn part_of(&self, fact: &str) -> usize {
        let k = prefix_key(fact);
        self.splitters.partition_point(|s| *s <= k)
    }

    /// Split one list into its ranges (order within a range kept).
    pub fn split(&self, list: Vec<Memory>) -> Vec<Vec<Memory>> {
        let mut out: Vec<Vec<Memory>> = (0..self.parts())
            .map(|_| Vec::with_capacity(list.len() / self.parts() + 16))
            .collect();
        for m in list {
            let p = self.part_of(&m.fact);
            out[p].push(m);
        }
        out
    }
}

/// Merge options: the reference's `ContextMerge` arguments plus `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextMerge {
    /// Strategy (labels the manifest; see the module docs).
    pub strategy: Strategy,
    /// Keep at most this many memories (highest confidence, ties by smaller fact).
    pub budget: Option<usize>,
    /// Drop memories whose merged confidence is below this.
    pub min_confidence: f64,
    /// Agent priorities (higher wins) for `priority`; accepted for interface
    /// compatibility, without effect (see the module docs).
    pub agent_priority: BTreeMap<String, i64>,
    /// The clock, as an input: timestamp for memories without `ts` (or with
    /// `ts` 0) and for the manifest. Default 0.0.
    pub now: f64,
    /// Compute the manifest's `content_hash` (SHA-256 of every output line;
    /// costs about as much as writing the output). Default true; when false
    /// `content_hash` is empty and `manifest_id` hashes the counts only.
    pub hash_content: bool,
}

impl Default for ContextMerge {
    fn default() -> Self {
        ContextMerge {
            strategy: Strategy::Lww,
            budget: None,
            min_confidence: 0.0,
            agent_priority: BTreeMap::new(),
            now: 0.0,
            hash_content: true,
        }
    }
}

/// The first 16 bytes of a string, zero-padded, as a big-endian number: a
/// sort key that agrees with byte order whenever it differs.
fn prefix_key(s: &str) -> u128 {
    let b = s.as_bytes();
    let mut buf = [0u8; 16];
    let n = b.len().min(16);
    buf[..n].copy_from_slice(&b[..n]);
    u128::from_be_bytes(buf)
}

/// Sort memories by fact, comparing cheap prefixes first and moving each
/// memory once (much faster than sorting the large structs directly).
fn sort_by_fact(v: Vec<Memory>) -> Vec<Memory> {
    let mut keys: Vec<(u128, usize)> = v
        .iter()
        .enumerate()
        .map(|(i, m)| (prefix_key(&m.fact), i))
        .collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| v[a.1].fact.cmp(&v[b.1].fact)));
    let mut slots: Vec<Option<Memory>> = v.into_iter().map(Some).collect();
    keys.iter()
        .map(|k| slots[k.1].take().expect("each index once"))
        .collect()
}

/// Make `m` the accumulator of its fact's join: effective `ts`, normalized tags.
fn start_join(m: &mut Memory, now: f64) {
    m.ts = Some(m.effective_ts(now));
    if !m.tags.windows(2).all(|w| w[0] < w[1]) {
        m.tags = norm_tags(&m.tags);
    }
}

/// The merged memory of memories sharing one fact (the caller checks the
/// fact), as [`ContextMerge`] merges them: `None` for no memories.
pub fn join_group(members: impl IntoIterator<Item = Memory>, now: f64) -> Option<Memory> {
    let mut it = members.into_iter();
    let mut acc = it.next()?;
    start_join(&mut acc, now);
    for m in it {
        join_into(&mut acc, m, now);
    }
    Some(acc)
}

/// Which memories a `budget` keeps: the `budget` highest confidences,
/// ties to the smaller fact, over all `parts` together. `None` when every
/// memory is kept; otherwise one keep-mask per part.
pub fn budget_keep<T>(
    parts: &[&[T]],
    budget: usize,
    confidence: impl Fn(&T) -> f64,
    fact: impl Fn(&T) -> &str,
) -> Option<Vec<Vec<bool>>> {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    if n <= budget {
        return None;
    }
    let mut rank: Vec<(u32, u32)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, v)| (0..v.len()).map(move |i| (p as u32, i as u32)))
        .collect();
    let cmp = |x: &(u32, u32), y: &(u32, u32)| {
        let (mx, my) = (
            &parts[x.0 as usize][x.1 as usize],
            &parts[y.0 as usize][y.1 as usize],
        );
        confidence(my)
            .total_cmp(&confidence(mx))
            .then_with(|| fact(mx).cmp(fact(my)))
    };
    if budget == 0 {
        rank.clear();
    } else {
        rank.select_nth_unstable_by(budget - 1, cmp);
        rank.truncate(budget);
    }
    let mut keep: Vec<Vec<bool>> = parts.iter().map(|v| alloc::vec![false; v.len()]).collect();
    for (p, i) in rank {
        keep[p as usize][i as usize] = true;
    }
    Some(keep)
}

/// The manifest's `content_hash` of an output: SHA-256 (hex) of its lines
/// joined by newlines, given as the output text (each line ending in a newline).
pub fn content_hash(output: &[u8]) -> String {
    let body = output.strip_suffix(b"\n").unwrap_or(output);
    super::hash::hex(&super::hash::sha256(body))
}

/// Join memory `m` (same fact) into the accumulator `acc`, whose `ts` is already effective.
fn join_into(acc: &mut Memory, m: Memory, now: f64) {
    acc.confidence = fmax(acc.confidence, m.confidence);
    acc.ts = Some(fmax(acc.ts.unwrap_or(now), m.effective_ts(now)));
    if m.source > acc.source {
        acc.source = m.source;
    }
    if m.topic > acc.topic {
        acc.topic = m.topic;
    }
    if m.tags != acc.tags {
        acc.tags = union_sorted(&acc.tags, &norm_tags(&m.tags));
    }
    for (k, vb) in m.metadata {
        match acc.metadata.get_mut(&k) {
            Some(va) => {
                let j = super::merge_meta_value(va, &vb);
                *va = j;
            }
            None => {
                acc.metadata.insert(k, vb);
            }
        }
    }
}

impl ContextMerge {
    /// Options with a strategy and defaults elsewhere.
    pub fn new(strategy: Strategy) -> Self {
        ContextMerge {
            strategy,
            ..Default::default()
        }
    }

    /// Apply `min_confidence`, then `budget`, then sort by fact.
    pub fn filter(&self, mut memories: Vec<Memory>) -> Vec<Memory> {
        memories.retain(|m| m.confidence >= self.min_confidence);
        if let Some(b) = self.budget {
            if memories.len() > b {
                memories.sort_by(|x, y| {
                    y.confidence
                        .total_cmp(&x.confidence)
                        .then_with(|| x.fact.cmp(&y.fact))
                });
                memories.truncate(b);
            }
        }
        memories.sort_by(|x, y| x.fact.cmp(&y.fact));
        memories
    }

    /// The filtered, sorted memories of a merged set.
    pub fn select(&self, set: &MemorySet) -> Vec<Memory> {
        self.filter(set.memories())
    }

    /// Merge two memory lists (the reference's `ContextMerge.merge(a, b)`).
    pub fn merge(&self, a: &[Memory], b: &[Memory]) -> MergeOutcome {
        self.merge_many(&[a, b])
    }

    /// Merge any number of memory lists in one pass: dedup by fact, join
    /// duplicates, filter once, sort by fact, and describe it in a manifest.
    pub fn merge_many<L: AsRef<[Memory]>>(&self, inputs: &[L]) -> MergeOutcome {
        self.merge_owned(inputs.iter().map(|l| l.as_ref().to_vec()).collect())
    }

    /// [`ContextMerge::merge_many`] taking the inputs by value (no copies).
    pub fn merge_owned(&self, inputs: Vec<Vec<Memory>>) -> MergeOutcome {
        let sizes: Vec<usize> = inputs.iter().map(Vec::len).collect();
        let sources = Self::sources(&inputs);
        let part = self.merge_part(inputs);
        let mut out = self.finish_parts(alloc::vec![part], sources, &sizes);
        MergeOutcome {
            memories: out.parts.pop().unwrap_or_default(),
            manifest: out.manifest,
        }
    }

    /// The sorted distinct non-empty `source` names of the inputs (the manifest's `source_agents`).
    pub fn sources<L: AsRef<[Memory]>>(inputs: &[L]) -> Vec<String> {
        let mut set: hashbrown::HashSet<&str> = hashbrown::HashSet::new();
        for m in inputs.iter().flat_map(|l| l.as_ref()) {
            if !m.source.is_empty() {
                set.insert(m.source.as_str());
            }
        }
        let mut srcs: Vec<String> = set.into_iter().map(String::from).collect();
        srcs.sort_unstable();
        srcs
    }

    /// Merge one fact range (see [`FactPartitioner`]): dedup by fact, join
    /// duplicates, drop memories below `min_confidence`, sort by fact.
    /// Parts of disjoint fact ranges can run on separate threads;
    /// [`ContextMerge::finish_parts`] then applies the budget and builds the
    /// manifest, and the result equals [`ContextMerge::merge_owned`] of all inputs.
    pub fn merge_part(&self, inputs: Vec<Vec<Memory>>) -> MergedPart {
        use core::hash::BuildHasher;
        let total: usize = inputs.iter().map(Vec::len).sum();
        let state = hashbrown::DefaultHashBuilder::default();
        let mut table: hashbrown::HashTable<usize> = hashbrown::HashTable::with_capacity(total);
        let mut slots: Vec<Memory> = Vec::with_capacity(total);
        for list in inputs {
            for mut m in list {
                let h = state.hash_one(m.fact.as_str());
                match table.find(h, |&i| slots[i].fact == m.fact).copied() {
                    Some(i) => join_into(&mut slots[i], m, self.now),
                    None => {
                        start_join(&mut m, self.now);
                        slots.push(m);
                        table.insert_unique(h, slots.len() - 1, |&i| {
                            state.hash_one(slots[i].fact.as_str())
                        });
                    }
                }
            }
        }
        drop(table);
        let distinct = slots.len();
        slots.retain(|m| m.confidence >= self.min_confidence);
        MergedPart {
            memories: sort_by_fact(slots),
            total,
            distinct,
        }
    }

    /// Finish a merge from its parts, given in fact-range order: keep the
    /// `budget` highest-confidence memories across all parts (ties by
    /// smaller fact) and describe the merge in a manifest. `sources` is
    /// [`ContextMerge::sources`] of the inputs, `sizes` their lengths.
    pub fn finish_parts(
        &self,
        parts: Vec<MergedPart>,
        sources: Vec<String>,
        sizes: &[usize],
    ) -> PartsOutcome {
        let total: usize = parts.iter().map(|p| p.total).sum();
        let distinct: usize = parts.iter().map(|p| p.distinct).sum();
        let mut parts: Vec<Vec<Memory>> = parts.into_iter().map(|p| p.memories).collect();
        if let Some(b) = self.budget {
            let views: Vec<&[Memory]> = parts.iter().map(Vec::as_slice).collect();
            if let Some(keep) = budget_keep(&views, b, |m| m.confidence, |m| m.fact.as_str()) {
                for (v, k) in parts.iter_mut().zip(&keep) {
                    let mut it = k.iter();
                    v.retain(|_| *it.next().unwrap_or(&false));
                }
            }
        }
        let manifest = self.manifest(&parts, sources, total, distinct, sizes);
        PartsOutcome { parts, manifest }
    }

    /// The manifest of a merge whose survivors are `parts`, concatenated.
    fn manifest(
        &self,
        parts: &[Vec<Memory>],
        sources: Vec<String>,
        total: usize,
        distinct: usize,
        sizes: &[usize],
    ) -> ContextManifest {
        let memories = || parts.iter().flatten();
        let unique = memories().count();
        let quality = memories().fold(0.0, |acc, m| acc + m.confidence) / (unique.max(1) as f64);
        let content_hash = if self.hash_content {
            let mut h = Sha256::new();
            let mut line = String::new();
            for (i, m) in memories().enumerate() {
                if i > 0 {
                    h.update(b"\n");
                }
                line.clear();
                // Metadata from JSON input is always JSON-writable; anything else hashes its repr.
                if m.write_json_line(&mut line).is_err() {
                    line = crate::pyrepr::repr(&m.to_value());
                }
                h.update(line.as_bytes());
            }
            super::hash::hex(&h.finish())
        } else {
            String::new()
        };
        self.manifest_of(
            unique,
            quality,
            content_hash,
            sources,
            total,
            distinct,
            sizes,
        )
    }

    /// The manifest of a merge with `unique` survivors whose confidences
    /// sum (in output order, from 0.0) to `unique × quality`, `total` input
    /// memories of `distinct` facts in inputs of `sizes` memories, and
    /// `content_hash` ([`content_hash`] of the output; empty when not computed).
    #[allow(clippy::too_many_arguments)]
    pub fn manifest_of(
        &self,
        unique: usize,
        quality: f64,
        content_hash: String,
        sources: Vec<String>,
        total: usize,
        distinct: usize,
        sizes: &[usize],
    ) -> ContextManifest {
        let duplicates = (total - distinct) as i64;
        let mut id = sha256_hex(&format!("{total}-{unique}-{content_hash}"));
        id.truncate(16);
        let mut entry: Vec<(&str, Value)> = alloc::vec![
            ("operation", Value::str("merge")),
            ("timestamp", Value::Float(self.now))
        ];
        if sizes.len() == 2 {
            entry.push(("input_a_size", Value::Int(sizes[0] as i64)));
            entry.push(("input_b_size", Value::Int(sizes[1] as i64)));
        } else {
            entry.push((
                "input_sizes",
                Value::List(sizes.iter().map(|s| Value::Int(*s as i64)).collect()),
            ));
        }
        entry.push(("strategy", Value::str(self.strategy.name())));
        entry.push(("duplicates", Value::Int(duplicates)));
        entry.push(("conflicts", Value::Int(0)));
        let mut m = ContextManifest::new(
            id,
            self.now,
            sources,
            total as i64,
            unique as i64,
            duplicates,
            0,
            self.strategy.name().to_string(),
            quality,
            alloc::vec![Value::map(entry)],
        );
        m.content_hash = content_hash;
        m
    }
}

//! Gossip anti-entropy over a replicated key-value store with vector clocks
//! (the reference's `crdt_merge.gossip`): local updates and deletes, the
//! per-key digest, which keys to push and pull, applying received entries,
//! and convergence. No transport and no scheduling: the caller moves
//! digests and entries between nodes.
//!
//! The state is the wire payload [`GossipState`] (tag 0x43, entries 0x44, in
//! `crate::records::gossip`, which also holds the lawful state merge). A
//! received entry replaces the local one when its clock is causally after
//! it, or concurrent and `str(sorted(clock.items()))` is not smaller (the
//! reference's tiebreak); either way both sides of an exchange end up with
//! the same entry, so repeated push-pull rounds converge.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::memory::hash::sha256_hex;
use crate::ordered_map::OrderedMap;
use crate::pyrepr::{py_str, write_str_repr};
use crate::records::{GossipEntry, GossipState, VectorClockState};
use crate::value::Value;

/// A digest: key → 16 hex digits of the entry's hash.
pub type Digest = OrderedMap<String, String>;

/// An empty state for `node_id` (the reference's default fanout is 3).
pub fn new_state(node_id: &str, fanout: i64) -> GossipState {
    GossipState {
        node_id: node_id.into(),
        fanout,
        entries: OrderedMap::new(),
        clock: VectorClockState::default(),
        extra: Default::default(),
    }
}

/// Causal order of two clocks (absent nodes count 0): `Less` = before,
/// `Greater` = after, `Equal`, or `None` when concurrent.
pub fn compare_clocks(a: &VectorClockState, b: &VectorClockState) -> Option<Ordering> {
    let (mut less, mut greater) = (false, false);
    let get = |c: &VectorClockState, n: &String| c.clocks.get(n).copied().unwrap_or(0);
    for n in a.clocks.keys().chain(b.clocks.keys()) {
        match get(a, n).cmp(&get(b, n)) {
            Ordering::Less => less = true,
            Ordering::Greater => greater = true,
            Ordering::Equal => {}
        }
    }
    match (less, greater) {
        (true, true) => None,
        (true, false) => Some(Ordering::Less),
        (false, true) => Some(Ordering::Greater),
        (false, false) => Some(Ordering::Equal),
    }
}

/// Python `str(sorted(clock.items()))`, e.g. `[('a', 1), ('b', 2)]`
/// (zero counters are not part of a reference clock).
fn sorted_items_str(c: &VectorClockState) -> String {
    let mut items: Vec<(&String, &i64)> = c.clocks.iter().filter(|(_, n)| **n > 0).collect();
    items.sort();
    let mut s = String::from("[");
    for (i, (k, n)) in items.into_iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('(');
        write_str_repr(k, &mut s);
        s.push_str(", ");
        s.push_str(&alloc::format!("{n}"));
        s.push(')');
    }
    s.push(']');
    s
}

/// Whether an entry with clock `new` replaces one with clock `old`.
pub fn should_update(old: &VectorClockState, new: &VectorClockState) -> bool {
    match compare_clocks(old, new) {
        Some(Ordering::Less) => true,
        None => sorted_items_str(new) >= sorted_items_str(old),
        _ => false,
    }
}

fn increment(c: &VectorClockState, node: &str) -> VectorClockState {
    let mut out = c.clone();
    *out.clocks.entry_or_insert_with(node.into(), || 0) += 1;
    out
}

/// Insert or update `key` (the reference's `update`): the node clock ticks,
/// the entry's clock is the node clock (joined with `clock` when replaying a
/// remote event), and the entry is replaced if that clock wins. Returns the
/// new node clock.
pub fn update(
    state: &mut GossipState,
    key: &str,
    value: Value,
    clock: Option<&VectorClockState>,
) -> VectorClockState {
    state.clock = increment(&state.clock, &state.node_id);
    let entry_clock = match clock {
        Some(c) => c.join(&state.clock),
        None => state.clock.clone(),
    };
    let replace = state
        .entries
        .get(&String::from(key))
        .is_none_or(|e| should_update(&e.clock, &entry_clock));
    if replace {
        state.entries.insert(
            key.into(),
            GossipEntry {
                key: key.into(),
                value,
                clock: entry_clock,
                tombstone: false,
                extra: Default::default(),
            },
        );
    }
    state.clock.clone()
}

/// Tombstone `key` (kept so the delete propagates). Returns the new node clock.
pub fn delete(state: &mut GossipState, key: &str) -> VectorClockState {
    state.clock = increment(&state.clock, &state.node_id);
    let value = state
        .entries
        .get(&String::from(key))
        .map(|e| e.value.clone())
        .unwrap_or(Value::None);
    state.entries.insert(
        key.into(),
        GossipEntry {
            key: key.into(),
            value,
            clock: state.clock.clone(),
            tombstone: true,
            extra: Default::default(),
        },
    );
    state.clock.clone()
}

/// The live value of `key` (`None` when absent or tombstoned).
pub fn get<'a>(state: &'a GossipState, key: &str) -> Option<&'a Value> {
    state
        .entries
        .get(&String::from(key))
        .filter(|e| !e.tombstone)
        .map(|e| &e.value)
}

/// Number of live (not tombstoned) entries.
pub fn live_size(state: &GossipState) -> usize {
    state.entries.values().filter(|e| !e.tombstone).count()
}

/// The digest hash of one entry: the first 16 hex digits of SHA-256 over
/// `json.dumps({"v": str(value), "c": clock dict, "t": tombstone},
/// sort_keys=True)` (zero counters are not part of a reference clock).
pub fn entry_digest(e: &GossipEntry) -> String {
    let mut clocks: Vec<(Value, Value)> = e
        .clock
        .clocks
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (Value::Str(k.clone()), Value::Int(*n)))
        .collect();
    clocks.sort_by(|a, b| a.0.cmp(&b.0));
    let doc = Value::map([
        (
            "c",
            Value::map([
                ("clocks", Value::Map(clocks)),
                ("type", Value::str("vector_clock")),
            ]),
        ),
        ("t", Value::Bool(e.tombstone)),
        ("v", Value::Str(py_str(&e.value))),
    ]);
    // Only strings, ints and bools: always JSON.
    let text = crate::json::to_string(&doc).unwrap_or_default();
    let mut h = sha256_hex(&text);
    h.truncate(16);
    h
}

/// Digest of every entry, tombstones included.
pub fn digest(state: &GossipState) -> Digest {
    state
        .entries
        .iter()
        .map(|(k, e)| (k.clone(), entry_digest(e)))
        .collect()
}

/// Keys to send to a peer with `remote` digest: missing there or different.
pub fn push_keys(state: &GossipState, remote: &Digest) -> BTreeSet<String> {
    digest(state)
        .iter()
        .filter(|(k, h)| remote.get(k) != Some(h))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Keys to ask a peer with `remote` digest for: missing here or different.
pub fn pull_keys(state: &GossipState, remote: &Digest) -> BTreeSet<String> {
    let local = digest(state);
    remote
        .iter()
        .filter(|(k, h)| local.get(k) != Some(h))
        .map(|(k, _)| k.clone())
        .collect()
}

/// The entries held for `keys` (absent keys skipped).
pub fn entries_for(state: &GossipState, keys: &BTreeSet<String>) -> Vec<GossipEntry> {
    keys.iter()
        .filter_map(|k| state.entries.get(k).cloned())
        .collect()
}

/// Apply entries received from a peer: each replaces the local entry when
/// [`should_update`] says so, and the node clock joins its clock. Returns
/// how many entries changed the state.
pub fn apply_entries(state: &mut GossipState, entries: &[GossipEntry]) -> usize {
    let mut n = 0;
    for e in entries {
        let replace = state
            .entries
            .get(&e.key)
            .is_none_or(|old| should_update(&old.clock, &e.clock));
        if replace {
            let mut e = e.clone();
            e.extra = Default::default();
            state.clock = state.clock.join(&e.clock);
            state.entries.insert(e.key.clone(), e);
            n += 1;
        }
    }
    n
}

/// What two digests disagree on (the reference's `anti_entropy`), each
/// list sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AntiEntropy {
    /// Keys the remote has and the local side lacks.
    pub missing_local: Vec<String>,
    /// Keys the local side has and the remote lacks.
    pub missing_remote: Vec<String>,
    /// Keys on both sides with different hashes.
    pub different: Vec<String>,
}

/// Compare two digests.
pub fn anti_entropy(local: &Digest, remote: &Digest) -> AntiEntropy {
    let mut out = AntiEntropy::default();
    for (k, h) in local.iter() {
        match remote.get(k) {
            None => out.missing_remote.push(k.clone()),
            Some(r) if r != h => out.different.push(k.clone()),
            Some(_) => {}
        }
    }
    for k in remote.keys() {
        if !local.contains_key(k) {
            out.missing_local.push(k.clone());
        }
    }
    out.missing_local.sort();
    out.missing_remote.sort();
    out.different.sort();
    out
}

/// One push-pull exchange between two nodes: each sends the other the
/// entries the other's digest lacks or disagrees on, and applies what it
/// receives. Returns how many entries each side changed `(a, b)`.
pub fn exchange(a: &mut GossipState, b: &mut GossipState) -> (usize, usize) {
    let (da, db) = (digest(a), digest(b));
    let to_b = entries_for(a, &push_keys(a, &db));
    let to_a = entries_for(b, &push_keys(b, &da));
    (apply_entries(a, &to_a), apply_entries(b, &to_b))
}

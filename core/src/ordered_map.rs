//! [`OrderedMap`]: a map that remembers insertion order (as a Python dict
//! does) while looking keys up in O(log n). Typed states keep the order they
//! were decoded in, so decode → encode is byte-identical; equality ignores
//! order, as Python dict equality does.
//!
//! Layout: the entries in insertion order, and no cloned keys. When the
//! entries happen to be in strictly ascending key order (what merges
//! produce, and what a map built in key order is) there is no index at all
//! and lookups binary-search the entries. Otherwise an index of entry
//! positions sorted by key is kept in two parts: `main` sorts a prefix of the
//! entries and `tail` the entries appended since; the tail is folded into
//! `main` by a linear merge once it outgrows about √n, so an insert costs
//! O(√n) moves of `u32`s amortized and a lookup two binary searches.
//!
//! [`OrderedMap::merge_join`] walks two maps in key order in one pass and
//! builds the (sorted, index-free) result: the CRDT merges use it.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cmp::Ordering;

#[derive(Debug, Clone)]
struct Index {
    /// Positions `0..main.len()` sorted by key.
    main: Vec<u32>,
    /// Positions `main.len()..` sorted by key.
    tail: Vec<u32>,
}

/// Insertion-ordered map with binary-search lookups.
#[derive(Debug, Clone)]
pub struct OrderedMap<K: Ord + Clone, V> {
    entries: Vec<(K, V)>,
    /// `None`: `entries` are strictly ascending by key.
    index: Option<Box<Index>>,
}

impl<K: Ord + Clone, V> Default for OrderedMap<K, V> {
    fn default() -> Self {
        OrderedMap {
            entries: Vec::new(),
            index: None,
        }
    }
}

/// Merge two position lists, each sorted by key, into one.
fn merge_positions<K: Ord, V>(entries: &[(K, V)], a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if entries[b[j] as usize].0 < entries[a[i] as usize].0 {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Walks a map's entries in key order.
struct SortedIdx<'a, K, V> {
    entries: &'a [(K, V)],
    main: &'a [u32],
    tail: &'a [u32],
    /// No index: entries are sorted; `i` walks them.
    plain: bool,
    i: usize,
    j: usize,
}

impl<'a, K: Ord, V> Iterator for SortedIdx<'a, K, V> {
    type Item = &'a (K, V);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.plain {
            let e = self.entries.get(self.i)?;
            self.i += 1;
            return Some(e);
        }
        let p = match (self.main.get(self.i), self.tail.get(self.j)) {
            (Some(&a), Some(&b)) => {
                if self.entries[b as usize].0 < self.entries[a as usize].0 {
                    self.j += 1;
                    b
                } else {
                    self.i += 1;
                    a
                }
            }
            (Some(&a), None) => {
                self.i += 1;
                a
            }
            (None, Some(&b)) => {
                self.j += 1;
                b
            }
            (None, None) => return None,
        };
        Some(&self.entries[p as usize])
    }
}

impl<K: Ord + Clone, V> OrderedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        OrderedMap {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Position of `key` in `entries`.
    #[inline]
    fn find(&self, key: &K) -> Option<usize> {
        match &self.index {
            None => self.entries.binary_search_by(|e| e.0.cmp(key)).ok(),
            Some(ix) => {
                let by = |&p: &u32| self.entries[p as usize].0.cmp(key);
                if let Ok(i) = ix.main.binary_search_by(by) {
                    return Some(ix.main[i] as usize);
                }
                ix.tail
                    .binary_search_by(by)
                    .ok()
                    .map(|i| ix.tail[i] as usize)
            }
        }
    }
    /// The value for `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).map(|i| &self.entries[i].1)
    }
    /// Mutable value for `key`.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.find(key) {
            Some(i) => Some(&mut self.entries[i].1),
            None => None,
        }
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_some()
    }
    /// Append a key known to be absent; returns its position.
    fn push_new(&mut self, key: K, value: V) -> usize {
        let n = self.entries.len();
        if self.index.is_none() && self.entries.last().is_some_and(|l| l.0 >= key) {
            self.index = Some(Box::new(Index {
                main: (0..n as u32).collect(),
                tail: Vec::new(),
            }));
        }
        if let Some(ix) = &mut self.index {
            let entries = &self.entries;
            let at = ix.tail.partition_point(|&p| entries[p as usize].0 < key);
            ix.tail.insert(at, n as u32);
            self.entries.push((key, value));
            let limit = 32usize.max(1 << ((usize::BITS - n.leading_zeros()) / 2));
            if ix.tail.len() > limit {
                ix.main = merge_positions(&self.entries, &ix.main, &ix.tail);
                ix.tail.clear();
            }
        } else {
            self.entries.push((key, value));
        }
        n
    }
    /// Insert or replace; a new key goes to the end, an existing key keeps its
    /// place (Python dict semantics). Returns the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(i) = self.find(&key) {
            return Some(core::mem::replace(&mut self.entries[i].1, value));
        }
        self.push_new(key, value);
        None
    }
    /// The value for `key`, inserting `default()` at the end if absent.
    pub fn entry_or_insert_with(&mut self, key: K, default: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&key) {
            Some(i) => i,
            None => self.push_new(key, default()),
        };
        &mut self.entries[i].1
    }
    /// Remove `key`, keeping the order of the rest. O(n log n) when indexed.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key)?;
        let (_, v) = self.entries.remove(i);
        if self.index.is_some() {
            self.reindex();
        }
        Some(v)
    }
    /// Rebuild the index from scratch (none when the entries are sorted).
    fn reindex(&mut self) {
        if self.entries.windows(2).all(|w| w[0].0 < w[1].0) {
            self.index = None;
            return;
        }
        let entries = &self.entries;
        let mut main: Vec<u32> = (0..entries.len() as u32).collect();
        main.sort_unstable_by(|&a, &b| entries[a as usize].0.cmp(&entries[b as usize].0));
        self.index = Some(Box::new(Index {
            main,
            tail: Vec::new(),
        }));
    }
    /// Entries in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    fn sorted_idx(&self) -> SortedIdx<'_, K, V> {
        let (main, tail, plain): (&[u32], &[u32], bool) = match &self.index {
            None => (&[], &[], true),
            Some(ix) => (&ix.main, &ix.tail, false),
        };
        SortedIdx {
            entries: &self.entries,
            main,
            tail,
            plain,
            i: 0,
            j: 0,
        }
    }
    /// Entries in key order.
    pub fn iter_sorted(&self) -> impl Iterator<Item = (&K, &V)> {
        self.sorted_idx().map(|(k, v)| (k, v))
    }
    /// Keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }
    /// Values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
    /// Reorder entries by key (the canonical order merges produce).
    pub fn sort_keys(&mut self) {
        if self.index.is_some() {
            self.entries.sort_by(|a, b| a.0.cmp(&b.0));
            self.index = None;
        }
    }
    /// Whether the entries are in key order (as merges leave them).
    pub fn is_sorted_by_key(&self) -> bool {
        self.index.is_none()
    }
    /// One pass over the keys of `a` and `b` in key order: `f(key, value in
    /// a, value in b)` gives the value of `key` in the result, or `None` to
    /// leave the key out. The result is in key order; each kept key is
    /// cloned once.
    pub fn merge_join<A, B>(
        a: &OrderedMap<K, A>,
        b: &OrderedMap<K, B>,
        mut f: impl FnMut(&K, Option<&A>, Option<&B>) -> Option<V>,
    ) -> Self {
        let mut entries = Vec::with_capacity(a.len().max(b.len()));
        let mut ia = a.sorted_idx().peekable();
        let mut ib = b.sorted_idx().peekable();
        loop {
            let (k, va, vb) = match (ia.peek(), ib.peek()) {
                (Some(x), Some(y)) => match x.0.cmp(&y.0) {
                    Ordering::Less => (&x.0, Some(&x.1), None),
                    Ordering::Greater => (&y.0, None, Some(&y.1)),
                    Ordering::Equal => (&x.0, Some(&x.1), Some(&y.1)),
                },
                (Some(x), None) => (&x.0, Some(&x.1), None),
                (None, Some(y)) => (&y.0, None, Some(&y.1)),
                (None, None) => break,
            };
            if let Some(v) = f(k, va, vb) {
                entries.push((k.clone(), v));
            }
            if va.is_some() {
                ia.next();
            }
            if vb.is_some() {
                ib.next();
            }
        }
        OrderedMap {
            entries,
            index: None,
        }
    }
}

impl<K: Ord + Clone, V: PartialEq> PartialEq for OrderedMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        if self.index.is_none() && other.index.is_none() {
            return self
                .entries
                .iter()
                .zip(&other.entries)
                .all(|(x, y)| x.0 == y.0 && x.1 == y.1);
        }
        self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}
impl<K: Ord + Clone, V: Eq> Eq for OrderedMap<K, V> {}

impl<K: Ord + Clone, V> FromIterator<(K, V)> for OrderedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut m = OrderedMap::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn behaves_like_an_insertion_ordered_btreemap(ops in proptest::collection::vec((0u8..4, 0u16..300, any::<u8>()), 0..700)) {
            let mut m: OrderedMap<u16, u8> = OrderedMap::new();
            let mut order: Vec<u16> = Vec::new();
            let mut model: BTreeMap<u16, u8> = BTreeMap::new();
            for (op, k, v) in ops {
                match op {
                    0 | 1 => {
                        prop_assert_eq!(m.insert(k, v), model.insert(k, v));
                        if !order.contains(&k) { order.push(k); }
                    }
                    2 => {
                        prop_assert_eq!(m.remove(&k), model.remove(&k));
                        order.retain(|x| *x != k);
                    }
                    _ => { *m.entry_or_insert_with(k, || v) = v; model.insert(k, v); if !order.contains(&k) { order.push(k); } }
                }
                prop_assert_eq!(m.get(&k), model.get(&k));
            }
            prop_assert_eq!(m.keys().copied().collect::<Vec<_>>(), order);
            prop_assert_eq!(m.iter_sorted().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(), model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
            for k in 0..300u16 { prop_assert_eq!(m.get(&k), model.get(&k)); }
            let mut s = m.clone();
            s.sort_keys();
            prop_assert!(s == m);
            let j = OrderedMap::merge_join(&m, &s, |_, a, b| Some(*a.unwrap() ^ *b.unwrap()));
            prop_assert_eq!(j.len(), m.len());
            prop_assert!(j.values().all(|v| *v == 0));
        }
    }
}

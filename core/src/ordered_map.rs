//! [`OrderedMap`]: a map that remembers insertion order (as a Python dict
//! does) while looking keys up in O(log n). Typed states keep the order they
//! were decoded in, so decode → encode is byte-identical; equality ignores
//! order, as Python dict equality does.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Insertion-ordered map with ordered-index lookups.
#[derive(Debug, Clone)]
pub struct OrderedMap<K: Ord + Clone, V> {
    entries: Vec<(K, V)>,
    index: BTreeMap<K, usize>,
}

impl<K: Ord + Clone, V> Default for OrderedMap<K, V> {
    fn default() -> Self {
        OrderedMap { entries: Vec::new(), index: BTreeMap::new() }
    }
}

impl<K: Ord + Clone, V> OrderedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// The value for `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }
    /// Mutable value for `key`.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.index.get(key) {
            Some(&i) => Some(&mut self.entries[i].1),
            None => None,
        }
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &K) -> bool {
        self.index.contains_key(key)
    }
    /// Insert or replace; a new key goes to the end, an existing key keeps its
    /// place (Python dict semantics). Returns the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(&i) = self.index.get(&key) {
            return Some(core::mem::replace(&mut self.entries[i].1, value));
        }
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push((key, value));
        None
    }
    /// The value for `key`, inserting `default()` at the end if absent.
    pub fn entry_or_insert_with(&mut self, key: K, default: impl FnOnce() -> V) -> &mut V {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, default()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }
    /// Remove `key`, keeping the order of the rest. O(n).
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.index.remove(key)?;
        let (_, v) = self.entries.remove(i);
        for slot in self.index.values_mut() {
            if *slot > i {
                *slot -= 1;
            }
        }
        Some(v)
    }
    /// Entries in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    /// Entries in key order.
    pub fn iter_sorted(&self) -> impl Iterator<Item = (&K, &V)> {
        self.index.iter().map(move |(k, &i)| (k, &self.entries[i].1))
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
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (i, (k, _)) in self.entries.iter().enumerate() {
            *self.index.get_mut(k).expect("index holds every key") = i;
        }
    }
}

impl<K: Ord + Clone, V: PartialEq> PartialEq for OrderedMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}
impl<K: Ord + Clone, V: Eq> Eq for OrderedMap<K, V> {}

impl<K: Ord + Clone, V> FromIterator<(K, V)> for OrderedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = OrderedMap::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

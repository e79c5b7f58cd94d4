//! Matching the keys of two inputs (the index behind [`merge`](super::merge())):
//! a radix-partitioned hash join. Keys are hashed once, rows are split by
//! hash bits into partitions small enough for the CPU cache, and each
//! partition is joined with its own small table, so a million-row input does
//! not pay a cache miss per probe. The result is the merge's slot list:
//! A's keys in first-seen order, then B's new keys in first-seen order, each
//! with the last row of that key on each side (the reference's dict rules).
//!
//! The join works on key hashes and an equality callback, so inputs that
//! are not [`Table`](super::Table)s (the JSON-lines fast path of
//! `crdt-merge-io`, which keeps rows as bytes) share it: hash keys with a
//! [`KeyHasher`], then call [`join_hashed`].

use alloc::vec::Vec;
use core::hash::BuildHasher;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use hashbrown::HashTable;

use super::error::TableError;
use super::merge::{key_hash, keys_eq, row_key, RowKey};
use super::Cell;
use crate::value::Value;

const NONE: usize = usize::MAX;

/// Matched keys: `slots[k] = (A row, B row)` (`usize::MAX` = none), and the
/// rows with a null key on each side, in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMatch {
    /// Output slots in order: A's keys in first-seen order, then B's new
    /// keys; each the last A row and last B row of its key (`usize::MAX`
    /// when that side lacks the key).
    pub slots: Vec<(usize, usize)>,
    /// A's rows with a null key, in input order.
    pub null_a: Vec<usize>,
    /// B's rows with a null key, in input order.
    pub null_b: Vec<usize>,
}

/// A row's key hash and int-like key (the key as an `i64` when it is one
/// value Python `==` equates with an int), `None` for a null key.
pub type KeyHash = Option<(u64, Option<i64>)>;

/// A row of one input, for the equality callback of [`join_hashed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    /// Row of input A.
    A(usize),
    /// Row of input B.
    B(usize),
}

/// Hashes key values consistently with Python `==` (`1`, `1.0` and `True`
/// alike), with one random seed per hasher: hash both inputs of a join with
/// the same one.
#[derive(Clone, Default)]
pub struct KeyHasher {
    state: hashbrown::DefaultHashBuilder,
}

impl KeyHasher {
    /// A hasher with a fresh seed.
    pub fn new() -> KeyHasher {
        KeyHasher::default()
    }

    /// The key hash of one row's key values (`None` = absent): `Ok(None)`
    /// when any is null or absent, `Err(i)` when value `i` is unhashable
    /// (a list, dict or set).
    pub fn hash<'v, I>(&self, values: I) -> Result<KeyHash, usize>
    where
        I: Iterator<Item = Option<&'v Value>> + Clone,
    {
        key_hash(&self.state, values)
    }
}

#[derive(Clone, Copy)]
struct Entry {
    /// Slot in `locals`, with [`INT_FLAG`] for an int-like key.
    slot: usize,
    /// The key's hash, or the mixed int of an int-like key.
    key: u64,
}

/// Top bit of `Item::row` and `Entry::slot`: the key is int-like and `key`
/// holds [`mix`] of the int (no table has 2^63 rows, nor 2^31 on 32-bit
/// targets, where memory ends far sooner).
const INT_FLAG: usize = 1 << (usize::BITS - 1);

/// A bijection on 64-bit values (the SplitMix64 finaliser): equal ints map
/// to equal keys and different ints to different ones, so the int itself
/// need not be kept, and the mixed bits spread over the partitions.
fn mix(i: i64) -> u64 {
    let mut x = i as u64;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[derive(Clone, Copy)]
struct Local {
    first_a: usize,
    last_a: usize,
    first_b: usize,
    last_b: usize,
}

impl Local {
    /// A key first seen in A's row `i`.
    fn only_a(i: usize) -> Local {
        Local {
            first_a: i,
            last_a: i,
            first_b: NONE,
            last_b: NONE,
        }
    }

    /// A key first seen in B's row `j` (A lacks it).
    fn only_b(j: usize) -> Local {
        Local {
            first_a: NONE,
            last_a: NONE,
            first_b: j,
            last_b: j,
        }
    }
}

/// Hashes of every row's key (`None` for a null key), in order.
fn hash_all<S: BuildHasher>(
    state: &S,
    rows: &[Vec<Cell>],
    kidx: &[usize],
    names: &[alloc::string::String],
    side: &'static str,
) -> Result<Vec<KeyHash>, TableError> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        match row_key(state, r, kidx, names, side, i)? {
            RowKey::Null => out.push(None),
            RowKey::Hash(h, int) => out.push(Some((h, int))),
        }
    }
    Ok(out)
}

/// One keyed row in its partition: index (with [`INT_FLAG`]) and key
/// (hash, or mixed int), 16 bytes.
#[derive(Clone, Copy, Default)]
struct Item {
    row: usize,
    key: u64,
}

impl Item {
    fn of(row: usize, h: (u64, Option<i64>)) -> Item {
        match h.1 {
            Some(i) => Item {
                row: row | INT_FLAG,
                key: mix(i),
            },
            None => Item { row, key: h.0 },
        }
    }
}

/// Keyed rows grouped by partition (stable, hash and key carried along so
/// the join reads them sequentially), with each group's start.
fn partition(hashes: &[KeyHash], bits: u32) -> (Vec<Item>, Vec<usize>) {
    let parts = 1usize << bits;
    let part = |h: u64| ((h >> 40) as usize) & (parts - 1);
    let mut starts = alloc::vec![0usize; parts + 1];
    for (row, h) in hashes.iter().enumerate() {
        if let Some(h) = *h {
            starts[part(Item::of(row, h).key) + 1] += 1;
        }
    }
    for p in 0..parts {
        starts[p + 1] += starts[p];
    }
    let mut fill = starts.clone();
    let mut items = alloc::vec![Item::default(); starts[parts]];
    for (row, h) in hashes.iter().enumerate() {
        if let Some(h) = *h {
            let item = Item::of(row, h);
            let p = part(item.key);
            items[fill[p]] = item;
            fill[p] += 1;
        }
    }
    (items, starts)
}

/// Join the keys of two tables' rows. `bits` forces the number of
/// partition bits (tests); `None` picks it from the input size.
pub(crate) fn match_keys(
    a: &[Vec<Cell>],
    ka: &[usize],
    b: &[Vec<Cell>],
    kb: &[usize],
    names: &[alloc::string::String],
    bits: Option<u32>,
) -> Result<KeyMatch, TableError> {
    let state = hashbrown::DefaultHashBuilder::default();
    let ha = hash_all(&state, a, ka, names, "a")?;
    let hb = hash_all(&state, b, kb, names, "b")?;
    let eq = |x: RowRef, y: RowRef| {
        let (rx, kx) = match x {
            RowRef::A(i) => (&a[i], ka),
            RowRef::B(i) => (&b[i], kb),
        };
        let (ry, ky) = match y {
            RowRef::A(i) => (&a[i], ka),
            RowRef::B(i) => (&b[i], kb),
        };
        keys_eq(rx, kx, ry, ky)
    };
    Ok(join_hashed(&ha, &hb, eq, bits))
}

/// Join two inputs given each row's key hash (`ha[i]` for A's row `i`,
/// from one [`KeyHasher`]) and an equality test of two rows' keys (called
/// only for hash-equal keys that are not int-like). `bits` forces the
/// number of partition bits; `None` picks it from the input size. With the
/// `parallel` feature the partitions are joined on every core (same result).
pub fn join_hashed(
    ha: &[KeyHash],
    hb: &[KeyHash],
    eq: impl Fn(RowRef, RowRef) -> bool + Sync,
    bits: Option<u32>,
) -> KeyMatch {
    let nulls = |h: &[KeyHash]| -> Vec<usize> {
        h.iter()
            .enumerate()
            .filter_map(|(i, k)| k.is_none().then_some(i))
            .collect()
    };
    let (null_a, null_b) = (nulls(ha), nulls(hb));
    let total = ha.len() + hb.len();
    let bits = bits.unwrap_or_else(|| {
        // About 2k rows per partition, at most 1024 partitions.
        let mut k = 0;
        while k < 10 && (total >> k) > 2048 {
            k += 1;
        }
        k
    });
    #[cfg(feature = "parallel")]
    let ((ia, sa), (ib, sb)) = rayon::join(|| partition(ha, bits), || partition(hb, bits));
    #[cfg(not(feature = "parallel"))]
    let ((ia, sa), (ib, sb)) = (partition(ha, bits), partition(hb, bits));
    // Each row is in one partition, so partitions write disjoint entries
    // (relaxed atomics: plain stores, shared without locks).
    // `a` has room for every slot: the slot list is made in its memory.
    let mut a = Vec::with_capacity(ha.len() + hb.len());
    a.extend((0..ha.len()).map(|_| [AtomicUsize::new(NONE), AtomicUsize::new(NONE)]));
    let out = Out {
        a,
        b: (0..hb.len()).map(|_| AtomicUsize::new(NONE)).collect(),
    };
    let part = |p: usize, scratch: &mut Scratch| {
        let (ra, rb) = (&ia[sa[p]..sa[p + 1]], &ib[sb[p]..sb[p + 1]]);
        join_partition(ra, rb, &eq, scratch, &out);
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..(1usize << bits))
            .into_par_iter()
            .for_each_init(Scratch::default, |scratch, p| part(p, scratch));
    }
    #[cfg(not(feature = "parallel"))]
    {
        let mut scratch = Scratch::default();
        for p in 0..(1usize << bits) {
            part(p, &mut scratch);
        }
    }
    // Collected in place (same size and alignment), keeping the capacity
    // for B's slots: the slot list takes no fresh pages for A's part.
    let mut slots: Vec<(usize, usize)> = out
        .a
        .into_iter()
        .map(|[x, y]| (x.into_inner(), y.into_inner()))
        .filter(|s| s.0 != NONE)
        .collect();
    slots.extend(
        out.b
            .iter()
            .map(|j| j.load(Relaxed))
            .filter(|&j| j != NONE)
            .map(|j| (NONE, j)),
    );
    KeyMatch {
        slots,
        null_a,
        null_b,
    }
}

/// What the partitions of a join write: `a[i]` = (last A row, last B row)
/// for the first A row `i` of a key; `b[j]` = last B row for the first B
/// row `j` of a key A lacks.
struct Out {
    a: Vec<[AtomicUsize; 2]>,
    b: Vec<AtomicUsize>,
}

/// A partition join's table and key slots, reused from one partition to
/// the next.
#[derive(Default)]
struct Scratch {
    table: HashTable<Entry>,
    locals: Vec<Local>,
}

/// A key not seen before in the partition: its slot `l`, and its table
/// entry (`int` = [`INT_FLAG`] when the key is int-like).
fn new_key(table: &mut HashTable<Entry>, locals: &mut Vec<Local>, key: u64, int: usize, l: Local) {
    table.insert_unique(
        key,
        Entry {
            slot: locals.len() | int,
            key,
        },
        |e| e.key,
    );
    locals.push(l);
}

/// Join one partition's A items `ra` and B items `rb` into `out`.
fn join_partition(
    ra: &[Item],
    rb: &[Item],
    eq: &impl Fn(RowRef, RowRef) -> bool,
    scratch: &mut Scratch,
    out: &Out,
) {
    let Scratch { table, locals } = scratch;
    table.clear();
    table.reserve(ra.len() + rb.len(), |e| e.key);
    locals.clear();
    for &Item { row, key } in ra {
        let (i, int) = (row & !INT_FLAG, row & INT_FLAG);
        let found = table.find(key, |e| {
            e.key == key
                && e.slot & INT_FLAG == int
                && (int != 0 || eq(RowRef::A(locals[e.slot & !INT_FLAG].first_a), RowRef::A(i)))
        });
        match found {
            Some(e) => locals[e.slot & !INT_FLAG].last_a = i,
            None => new_key(table, locals, key, int, Local::only_a(i)),
        }
    }
    for &Item { row, key } in rb {
        let (j, int) = (row & !INT_FLAG, row & INT_FLAG);
        let found = table.find(key, |e| {
            e.key == key
                && e.slot & INT_FLAG == int
                && (int != 0 || {
                    let l = locals[e.slot & !INT_FLAG];
                    if l.first_a != NONE {
                        eq(RowRef::A(l.first_a), RowRef::B(j))
                    } else {
                        eq(RowRef::B(l.first_b), RowRef::B(j))
                    }
                })
        });
        match found {
            Some(e) => {
                let l = &mut locals[e.slot & !INT_FLAG];
                if l.first_b == NONE {
                    l.first_b = j;
                }
                l.last_b = j;
            }
            None => new_key(table, locals, key, int, Local::only_b(j)),
        }
    }
    for l in locals.iter() {
        if l.first_a != NONE {
            out.a[l.first_a][0].store(l.last_a, Relaxed);
            out.a[l.first_a][1].store(l.last_b, Relaxed);
        } else {
            out.b[l.first_b].store(l.last_b, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use alloc::string::String;
    use alloc::vec;

    fn rows(seed: u64, n: usize) -> Vec<Vec<Cell>> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let k = (x >> 33) % 300;
                let key = match k % 7 {
                    0 => Some(Value::Str(alloc::format!("s{}", k % 50))),
                    1 => Some(Value::Float((k % 40) as f64)),
                    2 => None,
                    3 => Some(Value::Float(0.5 + (k % 9) as f64)),
                    _ => Some(Value::Int((k % 120) as i64)),
                };
                vec![key, Some(Value::Int((k / 7) as i64 % 3))]
            })
            .collect()
    }

    /// The partitioned join gives the same slots as a single partition, for
    /// single and two-column keys, whatever the number of partitions.
    #[test]
    fn partitions_do_not_change_the_result() {
        let names: Vec<String> = vec!["k".into(), "v".into()];
        for seed in 0..20u64 {
            let (a, b) = (rows(seed, 200 + seed as usize * 13), rows(seed + 99, 150));
            for keys in [&[0usize][..], &[0usize, 1][..]] {
                let one = match_keys(&a, keys, &b, keys, &names, Some(0)).unwrap();
                for bits in [1, 3, 6] {
                    let many = match_keys(&a, keys, &b, keys, &names, Some(bits)).unwrap();
                    assert_eq!(one.slots, many.slots, "seed {seed} bits {bits}");
                    assert_eq!(one.null_a, many.null_a);
                    assert_eq!(one.null_b, many.null_b);
                }
            }
        }
    }
}

//! Streaming record merge over batches of rows (iterators of [`Table`]s).
//!
//! - [`merge_stream`]: B is indexed whole, A streams through in batches:
//!   memory O(|B| + batch). Each A row is merged with B's row of the same key
//!   (which is then used up), A rows otherwise pass through; B's rows never
//!   matched follow at the end, in B's order, in batches of `batch_size`.
//!   Same rows as [`merge`](super::merge()) without dedup when A's keys are
//!   unique; a key repeated in A is merged once (the first time) and passes
//!   through after, as in the reference's `merge_stream`.
//! - [`merge_sorted_stream`]: both sides sorted by key, merge-join, memory
//!   O(batch): at most one input batch per side and the output batch are
//!   held, since a side is read only when its next row is needed (never
//!   while a full output batch waits to be handed out). The sort order is
//!   checked once on every row: unsorted input is [`TableError::Unsorted`],
//!   keys that cannot be ordered (mixed types, NaN)
//!   [`TableError::IncomparableKeys`], a null key [`TableError::NullKey`];
//!   an error comes out after the batches completed before it.
//!
//! Rows merge exactly as in `merge` (same schema / timestamp / prefer rules;
//! the `_ts` default is decided on the first batches). Batches of one side
//! may bring new columns: they are appended to that side's columns, and an
//! output batch never mixes two column layouts. [`StreamStats`] counts rows
//! and batches; rows per second need a clock, which the caller passes in
//! (core has no clock).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use super::error::TableError;
use super::merge::{
    check_options, check_rows, key_indices, keys_eq, timestamp_column, ConflictSink, KeyIndex,
    MergeOptions, Origin, RowKey, RowMerger,
};
use super::pycmp::py_order;
use super::{Cell, Table};
use crate::pyrepr::repr;
use crate::value::Value;

/// Counters of a streaming merge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamStats {
    /// Rows emitted.
    pub rows_processed: usize,
    /// Rows whose key was on both sides.
    pub rows_merged: usize,
    /// Rows from A only (null keys included).
    pub rows_unique_a: usize,
    /// Rows from B only (null keys included).
    pub rows_unique_b: usize,
    /// Batches emitted.
    pub batches: usize,
    /// Largest batch emitted.
    pub peak_batch_size: usize,
    /// Seconds between the start and the last batch, by the caller's clock (0 without one).
    pub elapsed_secs: f64,
}

impl StreamStats {
    /// Rows emitted per second (0 when no time has passed or no clock was given).
    pub fn rows_per_sec(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.rows_processed as f64 / self.elapsed_secs
        } else {
            0.0
        }
    }
}

/// A clock giving seconds (any origin), e.g. `|| start.elapsed().as_secs_f64()`.
pub type Clock<'c> = Box<dyn Fn() -> f64 + 'c>;

struct NoSink;

impl ConflictSink for NoSink {
    const ACTIVE: bool = false;
    fn row(&mut self, _: usize, _: Origin) {}
    fn conflict(&mut self, _: usize, _: usize, _: Value, _: Value, _: &Value, _: &str) {}
}

struct Timer<'c> {
    clock: Option<Clock<'c>>,
    start: f64,
}

impl Timer<'_> {
    fn elapsed(&self) -> f64 {
        self.clock.as_ref().map_or(0.0, |c| c() - self.start)
    }
}

fn count_batch(stats: &mut StreamStats, timer: &Timer<'_>, n: usize) {
    stats.rows_processed += n;
    stats.batches += 1;
    stats.peak_batch_size = stats.peak_batch_size.max(n);
    stats.elapsed_secs = timer.elapsed();
}

/// Hash-join stream: see [`merge_stream`].
pub struct MergeStream<'o, I> {
    a: I,
    b: Table,
    kb: Vec<usize>,
    /// B row of each key slot (`usize::MAX` once used).
    slot_row: Vec<usize>,
    index: KeyIndex,
    /// B rows still to emit at the end (unique keys and null keys), by B position.
    pending_b: Vec<bool>,
    ts: Option<Option<String>>,
    opts: &'o MergeOptions,
    batch_size: usize,
    tail_pos: usize,
    stats: StreamStats,
    timer: Timer<'o>,
    failed: bool,
}

const USED: usize = usize::MAX;

/// Merge a stream of A batches with a whole B table (memory O(|B| + batch)).
pub fn merge_stream<'o, I: IntoIterator<Item = Table>>(
    a: I,
    b: Table,
    opts: &'o MergeOptions,
    batch_size: usize,
) -> Result<MergeStream<'o, I::IntoIter>, TableError> {
    if batch_size == 0 {
        return Err(TableError::ZeroBatchSize);
    }
    check_options(opts)?;
    check_rows(&b)?;
    let mut index = KeyIndex::with_capacity(b.rows.len());
    let mut slot_row: Vec<usize> = Vec::new();
    let mut pending_b = alloc::vec![false; b.rows.len()];
    let kb = if opts.key.is_empty() {
        Vec::new()
    } else {
        key_indices(&b.columns, &b.rows, &opts.key, "b")?
    };
    for (j, r) in b.rows.iter().enumerate() {
        if opts.key.is_empty() {
            pending_b[j] = true;
            continue;
        }
        match index.key(r, &kb, &opts.key, "b", j)? {
            RowKey::Null => pending_b[j] = true,
            RowKey::Hash(h, int) => {
                match index.find(h, int, |s| keys_eq(&b.rows[slot_row[s]], &kb, r, &kb)) {
                    // A repeated key in B keeps the last row, as `merge` does.
                    Some(s) => {
                        pending_b[slot_row[s]] = false;
                        slot_row[s] = j;
                    }
                    None => {
                        index.insert(h, int);
                        slot_row.push(j);
                    }
                }
                pending_b[j] = true;
            }
        }
    }
    Ok(MergeStream {
        a: a.into_iter(),
        b,
        kb,
        slot_row,
        index,
        pending_b,
        ts: None,
        opts,
        batch_size,
        tail_pos: 0,
        stats: StreamStats::default(),
        timer: Timer {
            clock: None,
            start: 0.0,
        },
        failed: false,
    })
}

impl<'o, I: Iterator<Item = Table>> MergeStream<'o, I> {
    /// Time the stream with this clock (seconds) so that stats carry rows per second.
    pub fn with_clock(mut self, clock: impl Fn() -> f64 + 'o) -> Self {
        self.timer.start = clock();
        self.timer.clock = Some(Box::new(clock));
        self
    }

    /// Counters so far (final once the iterator is exhausted).
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    fn merge_batch(&mut self, batch: Table) -> Result<Table, TableError> {
        check_rows(&batch)?;
        let ts = self
            .ts
            .get_or_insert_with(|| timestamp_column(self.opts, &batch, &self.b))
            .clone();
        let m = RowMerger::new(&batch.columns, &self.b.columns, self.opts, ts.as_deref());
        let mut rows = Vec::with_capacity(batch.rows.len());
        let row0 = self.stats.rows_unique_a + self.stats.rows_merged;
        if self.opts.key.is_empty() {
            for r in batch.rows {
                rows.push(m.widen_a(r));
                self.stats.rows_unique_a += 1;
            }
        } else {
            let ka = key_indices(&batch.columns, &batch.rows, &self.opts.key, "a")?;
            for (i, r) in batch.rows.into_iter().enumerate() {
                let found = match self.index.key(&r, &ka, &self.opts.key, "a", row0 + i)? {
                    RowKey::Null => None,
                    RowKey::Hash(h, int) => {
                        let (b, kb, slot_row) = (&self.b, &self.kb, &self.slot_row);
                        // An int-like key is matched inside the index, so
                        // a used slot (a key repeated in A) is checked here.
                        self.index
                            .find(h, int, |s| {
                                slot_row[s] != USED && keys_eq(&b.rows[slot_row[s]], kb, &r, &ka)
                            })
                            .filter(|&s| slot_row[s] != USED)
                    }
                };
                match found {
                    Some(s) => {
                        let j = self.slot_row[s];
                        self.slot_row[s] = USED;
                        self.pending_b[j] = false;
                        let rb = core::mem::take(&mut self.b.rows[j]);
                        rows.push(m.merge_pair(r, rb, &mut NoSink, 0));
                        self.stats.rows_merged += 1;
                    }
                    None => {
                        rows.push(m.widen_a(r));
                        self.stats.rows_unique_a += 1;
                    }
                }
            }
        }
        Ok(Table {
            columns: m.columns,
            rows,
        })
    }

    fn tail_batch(&mut self) -> Option<Table> {
        let mut rows = Vec::new();
        while self.tail_pos < self.b.rows.len() && rows.len() < self.batch_size {
            let j = self.tail_pos;
            self.tail_pos += 1;
            if self.pending_b[j] {
                rows.push(core::mem::take(&mut self.b.rows[j]));
            }
        }
        if rows.is_empty() {
            return None;
        }
        self.stats.rows_unique_b += rows.len();
        Some(Table {
            columns: self.b.columns.clone(),
            rows,
        })
    }
}

impl<I: Iterator<Item = Table>> Iterator for MergeStream<'_, I> {
    type Item = Result<Table, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let out = match self.a.next() {
            Some(batch) => match self.merge_batch(batch) {
                Ok(t) => t,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            },
            None => self.tail_batch()?,
        };
        count_batch(&mut self.stats, &self.timer, out.rows.len());
        Some(Ok(out))
    }
}

/// One input of the sorted merge-join.
struct Side<I> {
    iter: I,
    name: &'static str,
    columns: Vec<String>,
    rows: alloc::collections::VecDeque<Vec<Cell>>,
    kidx: Vec<usize>,
    seen: usize,
    prev: Option<Value>,
    /// Key of the front row once computed and checked (cleared by `pop`).
    front: Option<Value>,
    started: bool,
    changed: bool,
}

impl<I: Iterator<Item = Table>> Side<I> {
    fn new(iter: I, name: &'static str) -> Self {
        Side {
            iter,
            name,
            columns: Vec::new(),
            rows: Default::default(),
            kidx: Vec::new(),
            seen: 0,
            prev: None,
            front: None,
            started: false,
            changed: false,
        }
    }

    /// Make sure a row is buffered; false at the end.
    fn fill(&mut self, key: &[String]) -> Result<bool, TableError> {
        while self.rows.is_empty() {
            let Some(batch) = self.iter.next() else {
                return Ok(false);
            };
            check_rows(&batch)?;
            if batch.rows.is_empty() {
                continue;
            }
            if !self.started {
                // The reference's check: key columns on the very first row.
                key_indices(&batch.columns, &batch.rows, key, self.name)?;
                self.started = true;
            }
            let mut map = Vec::with_capacity(batch.columns.len());
            for c in &batch.columns {
                match self.columns.iter().position(|x| x == c) {
                    Some(i) => map.push(i),
                    None => {
                        map.push(self.columns.len());
                        self.columns.push(c.clone());
                        self.changed = true;
                    }
                }
            }
            let width = self.columns.len();
            let identity = map.len() == width && map.iter().enumerate().all(|(i, &j)| i == j);
            for mut r in batch.rows {
                if identity {
                    self.rows.push_back(r);
                } else {
                    let mut out: Vec<Cell> = alloc::vec![None; width];
                    for (i, &j) in map.iter().enumerate() {
                        out[j] = r[i].take();
                    }
                    self.rows.push_back(out);
                }
            }
            self.kidx = key
                .iter()
                .map(|k| {
                    self.columns
                        .iter()
                        .position(|c| c == k)
                        .unwrap_or(usize::MAX)
                })
                .collect();
        }
        Ok(true)
    }

    /// The key of the front row, checked against the previous key of this
    /// side (computed and checked once per row, then kept until `pop`).
    fn front_key(&mut self) -> Result<&Value, TableError> {
        if self.front.is_none() {
            let key = self.compute_front_key()?;
            if let Some(prev) = &self.prev {
                if compare(prev, &key, self.seen)? == Ordering::Greater {
                    return Err(TableError::Unsorted {
                        side: self.name,
                        row: self.seen,
                        previous: repr(prev),
                        current: repr(&key),
                    });
                }
            }
            self.front = Some(key);
        }
        Ok(self.front.get_or_insert(Value::None))
    }

    /// The front row's key: the cell itself for one key column, a list for several.
    fn compute_front_key(&self) -> Result<Value, TableError> {
        let r = &self.rows[0];
        let cell = |k: usize| match r.get(k) {
            Some(Some(v)) if !matches!(v, Value::None) => Ok(v.clone()),
            _ => Err(TableError::NullKey {
                side: self.name,
                row: self.seen,
            }),
        };
        match self.kidx.as_slice() {
            [k] => cell(*k),
            ks => ks
                .iter()
                .map(|&k| cell(k))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
        }
    }

    /// Take the front row (its key, checked by `front_key`, becomes the previous key).
    fn pop(&mut self) -> Vec<Cell> {
        self.prev = self.front.take();
        self.seen += 1;
        self.rows.pop_front().unwrap_or_default()
    }
}

fn first_row(columns: &[String], row: Option<&Vec<Cell>>) -> Table {
    Table {
        columns: columns.to_vec(),
        rows: row.cloned().into_iter().collect(),
    }
}

fn compare(x: &Value, y: &Value, row: usize) -> Result<Ordering, TableError> {
    let incomparable = || TableError::IncomparableKeys {
        left: x.type_name(),
        right: y.type_name(),
        row,
    };
    match py_order(x, y) {
        Ok(Some(o)) => Ok(o),
        _ => Err(incomparable()),
    }
}

/// Merge-join stream: see [`merge_sorted_stream`].
pub struct SortedMergeStream<'o, IA, IB> {
    a: Side<core::iter::Fuse<IA>>,
    b: Side<core::iter::Fuse<IB>>,
    opts: &'o MergeOptions,
    ts: Option<Option<String>>,
    batch_size: usize,
    stats: StreamStats,
    timer: Timer<'o>,
    done: bool,
}

/// Merge two streams of batches sorted by key (memory O(batch)).
pub fn merge_sorted_stream<'o, IA, IB>(
    a: IA,
    b: IB,
    opts: &'o MergeOptions,
    batch_size: usize,
) -> Result<SortedMergeStream<'o, IA::IntoIter, IB::IntoIter>, TableError>
where
    IA: IntoIterator<Item = Table>,
    IB: IntoIterator<Item = Table>,
{
    if batch_size == 0 {
        return Err(TableError::ZeroBatchSize);
    }
    check_options(opts)?;
    if opts.key.is_empty() {
        return Err(TableError::BadSchema(
            "a sorted stream needs key columns".into(),
        ));
    }
    Ok(SortedMergeStream {
        a: Side::new(a.into_iter().fuse(), "a"),
        b: Side::new(b.into_iter().fuse(), "b"),
        opts,
        ts: None,
        batch_size,
        stats: StreamStats::default(),
        timer: Timer {
            clock: None,
            start: 0.0,
        },
        done: false,
    })
}

impl<'o, IA: Iterator<Item = Table>, IB: Iterator<Item = Table>> SortedMergeStream<'o, IA, IB> {
    /// Time the stream with this clock (seconds) so that stats carry rows per second.
    pub fn with_clock(mut self, clock: impl Fn() -> f64 + 'o) -> Self {
        self.timer.start = clock();
        self.timer.clock = Some(Box::new(clock));
        self
    }

    /// Counters so far (final once the iterator is exhausted).
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    fn next_batch(&mut self) -> Result<Option<Table>, TableError> {
        let key = &self.opts.key;
        let mut has_a = self.a.fill(key)?;
        let mut has_b = self.b.fill(key)?;
        if !has_a && !has_b {
            return Ok(None);
        }
        if self.ts.is_none() {
            let fa = first_row(&self.a.columns, self.a.rows.front());
            let fb = first_row(&self.b.columns, self.b.rows.front());
            self.ts = Some(timestamp_column(self.opts, &fa, &fb));
        }
        self.a.changed = false;
        self.b.changed = false;
        let ts = self.ts.clone().flatten();
        let m = RowMerger::new(&self.a.columns, &self.b.columns, self.opts, ts.as_deref());
        let mut rows = Vec::with_capacity(self.batch_size);
        // A side is refilled only when its next row is needed, so no input
        // batch is pulled while a full output batch is still held.
        while has_a || has_b {
            let ord = match (has_a, has_b) {
                (true, true) => {
                    let row = self.a.seen;
                    let ka = self.a.front_key()?;
                    let kb = self.b.front_key()?;
                    let o = compare(ka, kb, row)?;
                    match o {
                        Ordering::Less => rows.push(m.widen_a(self.a.pop())),
                        Ordering::Greater => rows.push(m.remap_b(self.b.pop())),
                        Ordering::Equal => {
                            let (ra, rb) = (self.a.pop(), self.b.pop());
                            rows.push(m.merge_pair(ra, rb, &mut NoSink, 0));
                        }
                    }
                    o
                }
                (true, false) => {
                    self.a.front_key()?;
                    rows.push(m.widen_a(self.a.pop()));
                    Ordering::Less
                }
                _ => {
                    self.b.front_key()?;
                    rows.push(m.remap_b(self.b.pop()));
                    Ordering::Greater
                }
            };
            match ord {
                Ordering::Less => self.stats.rows_unique_a += 1,
                Ordering::Greater => self.stats.rows_unique_b += 1,
                Ordering::Equal => self.stats.rows_merged += 1,
            }
            if rows.len() >= self.batch_size {
                break;
            }
            has_a = self.a.fill(key)?;
            has_b = self.b.fill(key)?;
            if self.a.changed || self.b.changed {
                // New columns arrived: the next rows need another layout.
                break;
            }
        }
        Ok(Some(Table {
            columns: m.columns,
            rows,
        }))
    }
}

impl<IA: Iterator<Item = Table>, IB: Iterator<Item = Table>> Iterator
    for SortedMergeStream<'_, IA, IB>
{
    type Item = Result<Table, TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_batch() {
            Ok(Some(t)) => {
                count_batch(&mut self.stats, &self.timer, t.rows.len());
                Some(Ok(t))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

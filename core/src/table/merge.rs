//! Keyed record merge: [`merge`] / [`merge_owned`] (the reference's
//! `crdt_merge.merge` over rows), its [`MergeOptions`] and [`Prefer`].
//!
//! Semantics (matching the reference):
//! - Output columns: A's columns, then B's columns A lacks.
//! - Rows are matched by key (one or more columns, Python `==`: `1`, `1.0`
//!   and `True` are the same key). Within one input a repeated key keeps the
//!   last row, at the position of the first. Output order: A's keys in
//!   first-seen order, then B's new keys, then rows with a null key (any key
//!   column null or absent), A's before B's.
//! - A row on one side only is kept as it is (absent cells stay absent).
//!   A matched row carries every output column. Per cell: a null/absent side
//!   loses to a present value; equal values (Python `==`) keep A's; otherwise a
//!   conflict, resolved by the schema's strategy for that column when a schema
//!   is given, else by LWW on the timestamp column (equal timestamps: larger
//!   `str(value)`), else by `prefer` (`latest` = larger `str(value)`, A on ties).
//! - `timestamp_col` defaults to `_ts` when both inputs' first rows carry it.
//! - No key: A's rows then B's rows. Then `dedup` (exact, first kept) and,
//!   with a key, `fuzzy_dedup` on the text of the non-key columns.
//!
//! `merge_owned` moves cells, hashes each key once (hashbrown), and allocates
//! only the output rows; `merge` clones its inputs and calls it.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

use super::error::TableError;
use super::pycmp::{hash_key, hashable, parse_timestamp, py_eq, str_cmp};
use super::schema::{MergeSchema, Strategy};
use super::{Cell, Table};
use crate::value::Value;

pub use super::row_dedup::{BigramDedup, ExactDedup, RowDedup};

/// How a conflict is resolved when there is no schema and no timestamp column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Prefer {
    /// A's value wins.
    A,
    /// B's value wins.
    B,
    /// The larger `str(value)` wins (A on ties): commutative.
    #[default]
    Latest,
}

impl Prefer {
    /// Parse `"a"`, `"b"` or `"latest"`.
    pub fn parse(s: &str) -> Result<Prefer, TableError> {
        match s {
            "a" => Ok(Prefer::A),
            "b" => Ok(Prefer::B),
            "latest" => Ok(Prefer::Latest),
            other => Err(TableError::InvalidPrefer(other.to_string())),
        }
    }

    /// The option's spelling (`"a"`, `"b"`, `"latest"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Prefer::A => "a",
            Prefer::B => "b",
            Prefer::Latest => "latest",
        }
    }
}

/// Options of [`merge`] (the reference's keyword arguments).
#[derive(Clone)]
pub struct MergeOptions {
    /// Key columns; empty = no key (append then dedup).
    pub key: Vec<String>,
    /// Conflict rule without schema and timestamp column.
    pub prefer: Prefer,
    /// Timestamp column for LWW (default: `_ts` when both first rows have it).
    pub timestamp_col: Option<String>,
    /// Per-column strategies.
    pub schema: Option<MergeSchema>,
    /// Remove exact duplicate rows from the output (reference default: true).
    pub dedup: bool,
    /// Remove near-duplicate rows (only with a key).
    pub fuzzy_dedup: bool,
    /// Similarity threshold of the fuzzy pass (default 0.85).
    pub fuzzy_threshold: f64,
    /// The fuzzy pass to use; `None` = the reference's [`BigramDedup`].
    pub fuzzy: Option<Arc<dyn RowDedup + Send + Sync>>,
}

impl fmt::Debug for MergeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MergeOptions")
            .field("key", &self.key)
            .field("prefer", &self.prefer)
            .field("timestamp_col", &self.timestamp_col)
            .field("schema", &self.schema)
            .field("dedup", &self.dedup)
            .field("fuzzy_dedup", &self.fuzzy_dedup)
            .field("fuzzy_threshold", &self.fuzzy_threshold)
            .field("fuzzy", &self.fuzzy.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            key: Vec::new(),
            prefer: Prefer::Latest,
            timestamp_col: None,
            schema: None,
            dedup: true,
            fuzzy_dedup: false,
            fuzzy_threshold: 0.85,
            fuzzy: None,
        }
    }
}

impl MergeOptions {
    /// Default options with these key columns.
    pub fn keyed<S: Into<String>>(key: impl IntoIterator<Item = S>) -> MergeOptions {
        MergeOptions {
            key: key.into_iter().map(Into::into).collect(),
            ..MergeOptions::default()
        }
    }
}

/// Merge two tables by key (see the module docs). Clones the inputs.
pub fn merge(a: &Table, b: &Table, opts: &MergeOptions) -> Result<Table, TableError> {
    merge_owned(a.clone(), b.clone(), opts)
}

/// Merge two tables by key, consuming them (no per-cell clones).
pub fn merge_owned(a: Table, b: Table, opts: &MergeOptions) -> Result<Table, TableError> {
    merge_with_sink(a, b, opts, &mut NoSink)
}

/// Where a row of the output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Key in both inputs; cells merged.
    Merged,
    /// Key only in A.
    UniqueA,
    /// Key only in B.
    UniqueB,
    /// A row of A with a null key.
    NullKeyA,
    /// A row of B with a null key.
    NullKeyB,
}

/// Receives merge decisions (provenance); the no-op one compiles away.
pub(crate) trait ConflictSink {
    /// Whether decisions are recorded at all.
    const ACTIVE: bool;
    /// Output row `row` came from `origin`.
    fn row(&mut self, row: usize, origin: Origin);
    /// A conflict in output row `row`, column `col`.
    #[allow(clippy::too_many_arguments)]
    fn conflict(&mut self, row: usize, col: usize, a: Value, b: Value, winner: &Value, how: &str);
}

struct NoSink;

impl ConflictSink for NoSink {
    const ACTIVE: bool = false;
    fn row(&mut self, _: usize, _: Origin) {}
    fn conflict(&mut self, _: usize, _: usize, _: Value, _: Value, _: &Value, _: &str) {}
}

/// How one output column resolves conflicts.
enum Resolver<'s> {
    Schema(&'s Strategy),
    Lww,
    PreferA,
    PreferB,
    Latest,
}

impl Resolver<'_> {
    fn name(&self) -> &str {
        match self {
            Resolver::Schema(s) => s.name(),
            Resolver::Lww => "LWW",
            Resolver::PreferA => "prefer_a",
            Resolver::PreferB => "prefer_b",
            Resolver::Latest => "latest",
        }
    }

    fn resolve(&self, a: Value, b: Value, ts_a: f64, ts_b: f64) -> Value {
        match self {
            Resolver::Schema(s) => s.resolve(a, b, ts_a, ts_b),
            // The reference's LWWRegister merge with str(value) as node id.
            Resolver::Lww => {
                if ts_b > ts_a || (ts_b == ts_a && str_cmp(&b, &a).is_gt()) {
                    b
                } else {
                    a
                }
            }
            Resolver::PreferA => a,
            Resolver::PreferB => b,
            Resolver::Latest => {
                if str_cmp(&a, &b).is_ge() {
                    a
                } else {
                    b
                }
            }
        }
    }
}

/// Key of one row.
enum RowKey {
    /// Some key column is null or absent.
    Null,
    /// Hash of the key values.
    Hash(u64),
}

fn row_key<S: BuildHasher>(
    state: &S,
    row: &[Cell],
    kidx: &[usize],
    key_names: &[String],
    side: &'static str,
    row_no: usize,
) -> Result<RowKey, TableError> {
    for &k in kidx {
        if matches!(row[k], None | Some(Value::None)) {
            return Ok(RowKey::Null);
        }
    }
    let mut h = state.build_hasher();
    for (n, &k) in kidx.iter().enumerate() {
        let v = row[k].as_ref().unwrap_or(&Value::None);
        if !hashable(v) {
            return Err(TableError::UnhashableKey {
                column: key_names[n].clone(),
                type_name: v.type_name(),
                side,
                row: row_no,
            });
        }
        hash_key(v, &mut h);
    }
    Ok(RowKey::Hash(h.finish()))
}

fn keys_eq(x: &[Cell], xk: &[usize], y: &[Cell], yk: &[usize]) -> bool {
    xk.iter().zip(yk).all(|(&i, &j)| match (&x[i], &y[j]) {
        (Some(p), Some(q)) => py_eq(p, q),
        _ => false,
    })
}

fn check_rows(t: &Table) -> Result<(), TableError> {
    let n = t.columns.len();
    for (i, r) in t.rows.iter().enumerate() {
        if r.len() != n {
            return Err(TableError::RaggedRow {
                row: i,
                got: r.len(),
                expected: n,
            });
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct Slot {
    a: usize,
    b: usize,
}

const NONE: usize = usize::MAX;

/// The merge itself, reporting decisions to `sink`.
pub(crate) fn merge_with_sink<S: ConflictSink>(
    a: Table,
    b: Table,
    opts: &MergeOptions,
    sink: &mut S,
) -> Result<Table, TableError> {
    check_rows(&a)?;
    check_rows(&b)?;
    if let Some(s) = &opts.schema {
        s.validate()?;
    }
    if opts.fuzzy_dedup && !opts.key.is_empty() && !(0.0..=1.0).contains(&opts.fuzzy_threshold) {
        return Err(TableError::BadThreshold(opts.fuzzy_threshold));
    }
    // Output columns: A's, then B's new ones; b_pos[j] = output index of B's column j.
    let mut columns = a.columns;
    let a_width = columns.len();
    let mut b_pos = Vec::with_capacity(b.columns.len());
    for c in &b.columns {
        match columns.iter().position(|x| x == c) {
            Some(i) => b_pos.push(i),
            None => {
                b_pos.push(columns.len());
                columns.push(c.clone());
            }
        }
    }
    let width = columns.len();
    // out column -> B column
    let mut b_of = alloc::vec![NONE; width];
    for (j, &o) in b_pos.iter().enumerate() {
        b_of[o] = j;
    }
    let mut a_rows = a.rows;
    let mut b_rows = b.rows;

    let widen_a = |mut r: Vec<Cell>| -> Vec<Cell> {
        r.resize(width, None);
        r
    };
    let remap_b = |mut r: Vec<Cell>| -> Vec<Cell> {
        if width == r.len() && b_pos.iter().enumerate().all(|(j, &o)| j == o) {
            return r;
        }
        let mut out: Vec<Cell> = alloc::vec![None; width];
        for (j, &o) in b_pos.iter().enumerate() {
            out[o] = r[j].take();
        }
        out
    };

    let mut out = Table::with_columns(Vec::new());
    if opts.key.is_empty() {
        out.rows.reserve(a_rows.len() + b_rows.len());
        for r in a_rows {
            if S::ACTIVE {
                sink.row(out.rows.len(), Origin::UniqueA);
            }
            out.rows.push(widen_a(r));
        }
        for r in b_rows {
            if S::ACTIVE {
                sink.row(out.rows.len(), Origin::UniqueB);
            }
            out.rows.push(remap_b(r));
        }
        out.columns = columns;
        if opts.dedup {
            ExactDedup.dedup(&mut out, 1.0);
        }
        return Ok(out);
    }

    let ka = key_indices_rows(&columns[..a_width], &a_rows, &opts.key, "a")?;
    let kb = key_indices_rows(&b.columns, &b_rows, &opts.key, "b")?;

    // Timestamp column: explicit, or `_ts` when both first rows carry it.
    let ts_name: Option<&str> = match &opts.timestamp_col {
        Some(t) => Some(t.as_str()),
        None => {
            let has = |cols: &[String], rows: &[Vec<Cell>]| {
                rows.first().is_some_and(|r| {
                    cols.iter()
                        .position(|c| c == "_ts")
                        .is_some_and(|i| r[i].is_some())
                })
            };
            if has(&columns[..a_width], &a_rows) && has(&b.columns, &b_rows) {
                Some("_ts")
            } else {
                None
            }
        }
    };
    let ts_a_idx = ts_name.and_then(|t| columns[..a_width].iter().position(|c| c == t));
    let ts_b_idx = ts_name.and_then(|t| b.columns.iter().position(|c| c == t));

    let resolvers: Vec<Resolver<'_>> = columns
        .iter()
        .map(|c| match (&opts.schema, ts_name) {
            (Some(s), _) => Resolver::Schema(s.strategy_for(c)),
            (None, Some(_)) => Resolver::Lww,
            (None, None) => match opts.prefer {
                Prefer::A => Resolver::PreferA,
                Prefer::B => Resolver::PreferB,
                Prefer::Latest => Resolver::Latest,
            },
        })
        .collect();

    // Index both sides by key.
    let state = hashbrown::DefaultHashBuilder::default();
    let mut table: HashTable<usize> = HashTable::with_capacity(a_rows.len() + b_rows.len());
    let mut slots: Vec<Slot> = Vec::with_capacity(a_rows.len() + b_rows.len());
    let mut hashes: Vec<u64> = Vec::with_capacity(a_rows.len() + b_rows.len());
    let mut null_a: Vec<usize> = Vec::new();
    let mut null_b: Vec<usize> = Vec::new();
    for (i, r) in a_rows.iter().enumerate() {
        match row_key(&state, r, &ka, &opts.key, "a", i)? {
            RowKey::Null => null_a.push(i),
            RowKey::Hash(h) => {
                let found = table.find(h, |&s| keys_eq(&a_rows[slots[s].a], &ka, r, &ka));
                match found {
                    Some(&s) => slots[s].a = i,
                    None => {
                        let s = slots.len();
                        slots.push(Slot { a: i, b: NONE });
                        hashes.push(h);
                        table.insert_unique(h, s, |&s| hashes[s]);
                    }
                }
            }
        }
    }
    for (j, r) in b_rows.iter().enumerate() {
        match row_key(&state, r, &kb, &opts.key, "b", j)? {
            RowKey::Null => null_b.push(j),
            RowKey::Hash(h) => {
                let found = table.find(h, |&s| {
                    let sl = slots[s];
                    if sl.a != NONE {
                        keys_eq(&a_rows[sl.a], &ka, r, &kb)
                    } else {
                        keys_eq(&b_rows[sl.b], &kb, r, &kb)
                    }
                });
                match found {
                    Some(&s) => slots[s].b = j,
                    None => {
                        let s = slots.len();
                        slots.push(Slot { a: NONE, b: j });
                        hashes.push(h);
                        table.insert_unique(h, s, |&s| hashes[s]);
                    }
                }
            }
        }
    }
    drop(table);
    drop(hashes);

    out.rows.reserve(slots.len() + null_a.len() + null_b.len());
    for sl in slots {
        let n = out.rows.len();
        let row = if sl.b == NONE {
            if S::ACTIVE {
                sink.row(n, Origin::UniqueA);
            }
            widen_a(core::mem::take(&mut a_rows[sl.a]))
        } else if sl.a == NONE {
            if S::ACTIVE {
                sink.row(n, Origin::UniqueB);
            }
            remap_b(core::mem::take(&mut b_rows[sl.b]))
        } else {
            if S::ACTIVE {
                sink.row(n, Origin::Merged);
            }
            let mut ra = core::mem::take(&mut a_rows[sl.a]);
            let mut rb = core::mem::take(&mut b_rows[sl.b]);
            let ts_a = ts_a_idx.map_or(0.0, |i| parse_timestamp(ra[i].as_ref()));
            let ts_b = ts_b_idx.map_or(0.0, |i| parse_timestamp(rb[i].as_ref()));
            ra.resize(width, None);
            for (o, cell) in ra.iter_mut().enumerate() {
                let va = cell.take().unwrap_or(Value::None);
                let vb = match b_of[o] {
                    NONE => Value::None,
                    j => rb[j].take().unwrap_or(Value::None),
                };
                let v = match (&va, &vb) {
                    (Value::None, _) => vb,
                    (_, Value::None) => va,
                    _ if py_eq(&va, &vb) => va,
                    _ => {
                        let r = &resolvers[o];
                        if S::ACTIVE {
                            let w = r.resolve(va.clone(), vb.clone(), ts_a, ts_b);
                            sink.conflict(n, o, va, vb, &w, r.name());
                            w
                        } else {
                            r.resolve(va, vb, ts_a, ts_b)
                        }
                    }
                };
                *cell = Some(v);
            }
            ra
        };
        out.rows.push(row);
    }
    for i in null_a {
        if S::ACTIVE {
            sink.row(out.rows.len(), Origin::NullKeyA);
        }
        out.rows.push(widen_a(core::mem::take(&mut a_rows[i])));
    }
    for j in null_b {
        if S::ACTIVE {
            sink.row(out.rows.len(), Origin::NullKeyB);
        }
        out.rows.push(remap_b(core::mem::take(&mut b_rows[j])));
    }
    out.columns = columns;
    if opts.dedup && !S::ACTIVE {
        ExactDedup.dedup(&mut out, 1.0);
    }
    if opts.fuzzy_dedup && !S::ACTIVE {
        match &opts.fuzzy {
            Some(d) => d.dedup(&mut out, opts.fuzzy_threshold),
            None => BigramDedup {
                exclude: Some(opts.key[0].clone()),
            }
            .dedup(&mut out, opts.fuzzy_threshold),
        }
    }
    Ok(out)
}

fn key_indices_rows(
    columns: &[String],
    rows: &[Vec<Cell>],
    key: &[String],
    side: &'static str,
) -> Result<Vec<usize>, TableError> {
    key.iter()
        .map(|k| {
            let idx = columns.iter().position(|c| c == k);
            match (idx, rows.first()) {
                // The reference checks the key columns on the first row only.
                (Some(i), Some(first)) if first[i].is_some() => Ok(i),
                (_, None) => Ok(idx.unwrap_or(NONE)),
                _ => Err(TableError::MissingKeyColumn {
                    column: k.clone(),
                    side,
                }),
            }
        })
        .collect()
}

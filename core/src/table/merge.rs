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
use super::schema::{Choice, MergeSchema, Strategy};
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
    /// Options from a dict, as every binding receives them: `key` (a string,
    /// a list of strings or null), `prefer`, `timestamp_col`, `schema` (the
    /// reference's `MergeSchema.to_dict()`), `dedup`, `fuzzy_dedup`,
    /// `fuzzy_threshold`; camelCase spellings (`timestampCol`, ...) are
    /// accepted too. Null means the default; unknown names are errors.
    pub fn from_value(v: &Value) -> Result<MergeOptions, TableError> {
        let bad = |name: &str, message: &str| TableError::BadOption {
            name: name.into(),
            message: message.into(),
        };
        let mut o = MergeOptions::default();
        let entries = match v {
            Value::None => return Ok(o),
            Value::Map(e) => e,
            _ => return Err(bad("options", "must be a dict")),
        };
        for (k, v) in entries {
            let name = k
                .as_str()
                .ok_or_else(|| bad("options", "names must be strings"))?;
            match (name, v) {
                (_, Value::None) if name != "key" => {}
                ("key", Value::None) => o.key.clear(),
                ("key", Value::Str(s)) => o.key = alloc::vec![s.clone()],
                ("key", Value::List(items)) => {
                    o.key = items
                        .iter()
                        .map(|x| x.as_str().map(String::from))
                        .collect::<Option<_>>()
                        .ok_or_else(|| bad("key", "columns must be strings"))?
                }
                ("prefer", Value::Str(s)) => o.prefer = Prefer::parse(s)?,
                ("timestamp_col" | "timestampCol", Value::Str(s)) => o.timestamp_col = Some(s.clone()),
                ("schema", d) => o.schema = Some(MergeSchema::from_dict(d)?),
                ("dedup", Value::Bool(b)) => o.dedup = *b,
                ("fuzzy_dedup" | "fuzzyDedup", Value::Bool(b)) => o.fuzzy_dedup = *b,
                ("fuzzy_threshold" | "fuzzyThreshold", x) => {
                    let t = x.as_f64().ok_or_else(|| bad(name, "must be a number"))?;
                    if !(0.0..=1.0).contains(&t) {
                        return Err(TableError::BadThreshold(t));
                    }
                    o.fuzzy_threshold = t;
                }
                ("key" | "prefer" | "timestamp_col" | "timestampCol" | "dedup" | "fuzzy_dedup" | "fuzzyDedup", _) => {
                    return Err(bad(name, "has the wrong type"))
                }
                _ => return Err(bad(name, "unknown option (known: key, prefer, timestamp_col, schema, dedup, fuzzy_dedup, fuzzy_threshold)")),
            }
        }
        Ok(o)
    }

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
            _ => self.choose(&a, &b, ts_a, ts_b).take(a, b),
        }
    }

    fn choose(&self, a: &Value, b: &Value, ts_a: f64, ts_b: f64) -> Choice {
        match self {
            Resolver::Schema(s) => s.choose(a, b, ts_a, ts_b),
            // The reference's LWWRegister merge with str(value) as node id:
            // on equal timestamps B wins only with the greater str().
            Resolver::Lww => self
                .choose_by_time(ts_a, ts_b)
                .unwrap_or_else(|| Choice::pick(!str_cmp(b, a).is_gt())),
            Resolver::PreferA => Choice::A,
            Resolver::PreferB => Choice::B,
            Resolver::Latest => Choice::pick(str_cmp(a, b).is_ge()),
        }
    }

    /// The winner when it does not depend on the values. (`Lww` here keeps
    /// A when a timestamp is NaN; the schema's `LWW` compares the values.)
    fn choose_by_time(&self, ts_a: f64, ts_b: f64) -> Option<Choice> {
        match self {
            Resolver::Schema(s) => s.choose_by_time(ts_a, ts_b),
            Resolver::Lww if ts_b > ts_a => Some(Choice::B),
            Resolver::Lww if ts_b == ts_a => None,
            Resolver::Lww => Some(Choice::A),
            Resolver::Latest => None,
            Resolver::PreferA => Some(Choice::A),
            Resolver::PreferB => Some(Choice::B),
        }
    }
}

/// Key of one row.
pub(crate) enum RowKey {
    /// Some key column is null or absent.
    Null,
    /// Hash of the key values, and the key as an i64 when it is one
    /// int-like value (int, bool, integral float), compared without the row.
    Hash(u64, Option<i64>),
}

/// A single key value as the integer Python `==` would equate it with.
fn int_like(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(*b as i64),
        Value::Float(f)
            if libm::trunc(*f) == *f
                && (-9.223372036854776e18..9.223372036854776e18).contains(f) =>
        {
            Some(*f as i64)
        }
        _ => None,
    }
}

pub(crate) fn row_key<S: BuildHasher>(
    state: &S,
    row: &[Cell],
    kidx: &[usize],
    key_names: &[String],
    side: &'static str,
    row_no: usize,
) -> Result<RowKey, TableError> {
    let values = kidx.iter().map(|&k| row[k].as_ref());
    match key_hash(state, values) {
        Ok(None) => Ok(RowKey::Null),
        Ok(Some((h, tag))) => Ok(RowKey::Hash(h, tag)),
        Err(n) => Err(TableError::UnhashableKey {
            column: key_names[n].clone(),
            type_name: row[kidx[n]].as_ref().unwrap_or(&Value::None).type_name(),
            side,
            row: row_no,
        }),
    }
}

/// Hash of one row's key values (see [`KeyHasher`](super::key_join::KeyHasher)):
/// `Ok(None)` for a null key, `Err(i)` when value `i` is unhashable.
pub(crate) fn key_hash<'v, S, I>(state: &S, values: I) -> Result<Option<(u64, Option<i64>)>, usize>
where
    S: BuildHasher,
    I: Iterator<Item = Option<&'v Value>> + Clone,
{
    if values
        .clone()
        .any(|v| matches!(v, None | Some(Value::None)))
    {
        return Ok(None);
    }
    let mut h = state.build_hasher();
    let mut single = None;
    for (n, v) in values.enumerate() {
        let v = v.unwrap_or(&Value::None);
        if !hashable(v) {
            return Err(n);
        }
        hash_key(v, &mut h);
        single = if n == 0 { int_like(v) } else { None };
    }
    Ok(Some((h.finish(), single)))
}

pub(crate) fn keys_eq(x: &[Cell], xk: &[usize], y: &[Cell], yk: &[usize]) -> bool {
    xk.iter().zip(yk).all(|(&i, &j)| match (&x[i], &y[j]) {
        (Some(p), Some(q)) => py_eq(p, q),
        _ => false,
    })
}

pub(crate) fn check_rows(t: &Table) -> Result<(), TableError> {
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

const NONE: usize = usize::MAX;

/// Lays rows of A and B out in the output columns and merges matched pairs:
/// the per-row half of [`merge`], for callers that match keys themselves
/// (streams, the JSON-lines fast path of `crdt-merge-io`).
pub struct RowMerger<'o> {
    /// Output columns: A's, then B's new ones.
    pub(crate) columns: Vec<String>,
    /// Output index of each B column.
    b_pos: Vec<usize>,
    /// B column of each output column (`NONE` if B lacks it).
    b_of: Vec<usize>,
    /// B's layout is already the output layout.
    b_identity: bool,
    resolvers: Vec<Resolver<'o>>,
    ts_a: Option<usize>,
    ts_b: Option<usize>,
}

/// The timestamp column: explicit, or `_ts` when both first rows carry it.
pub(crate) fn timestamp_column(opts: &MergeOptions, a: &Table, b: &Table) -> Option<String> {
    let has = |t: &Table| {
        t.rows.first().is_some_and(|r| {
            t.column_index("_ts")
                .is_some_and(|i| r.get(i).is_some_and(Option::is_some))
        })
    };
    timestamp_column_for(opts, has(a), has(b))
}

/// The timestamp column of a merge: `opts.timestamp_col`, else `_ts` when
/// the first rows of both inputs carry a `_ts` cell (the reference's rule).
pub fn timestamp_column_for(
    opts: &MergeOptions,
    a_first_has_ts: bool,
    b_first_has_ts: bool,
) -> Option<String> {
    if let Some(t) = &opts.timestamp_col {
        return Some(t.clone());
    }
    (a_first_has_ts && b_first_has_ts).then(|| "_ts".to_string())
}

impl<'o> RowMerger<'o> {
    /// A merger for inputs with these columns; `ts_name` is the timestamp
    /// column (see [`timestamp_column_for`]).
    pub fn new(
        a_cols: &[String],
        b_cols: &[String],
        opts: &'o MergeOptions,
        ts_name: Option<&str>,
    ) -> RowMerger<'o> {
        let mut columns = a_cols.to_vec();
        let mut b_pos = Vec::with_capacity(b_cols.len());
        for c in b_cols {
            match columns.iter().position(|x| x == c) {
                Some(i) => b_pos.push(i),
                None => {
                    b_pos.push(columns.len());
                    columns.push(c.clone());
                }
            }
        }
        let width = columns.len();
        let mut b_of = alloc::vec![NONE; width];
        for (j, &o) in b_pos.iter().enumerate() {
            b_of[o] = j;
        }
        let b_identity = b_cols.len() == width && b_pos.iter().enumerate().all(|(j, &o)| j == o);
        let resolvers = columns
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
        RowMerger {
            ts_a: ts_name.and_then(|t| a_cols.iter().position(|c| c == t)),
            ts_b: ts_name.and_then(|t| b_cols.iter().position(|c| c == t)),
            columns,
            b_pos,
            b_of,
            b_identity,
            resolvers,
        }
    }

    /// The output columns: A's, then B's new ones.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Merge a matched pair (A's row, B's row, each in its input's layout)
    /// cell by cell into a row in the output layout.
    pub fn merge_rows(&self, ra: Vec<Cell>, rb: Vec<Cell>) -> Vec<Cell> {
        self.merge_pair(ra, rb, &mut NoSink, 0)
    }

    /// An A row in the output layout.
    pub fn widen_a(&self, mut r: Vec<Cell>) -> Vec<Cell> {
        r.resize(self.columns.len(), None);
        r
    }

    /// A B row in the output layout.
    pub fn remap_b(&self, mut r: Vec<Cell>) -> Vec<Cell> {
        if self.b_identity {
            return r;
        }
        let mut out: Vec<Cell> = alloc::vec![None; self.columns.len()];
        for (j, &o) in self.b_pos.iter().enumerate() {
            if let Some(c) = r.get_mut(j) {
                out[o] = c.take();
            }
        }
        out
    }

    /// Merge a matched pair cell by cell (output row `n`, for the sink).
    pub(crate) fn merge_pair<S: ConflictSink>(
        &self,
        mut ra: Vec<Cell>,
        mut rb: Vec<Cell>,
        sink: &mut S,
        n: usize,
    ) -> Vec<Cell> {
        let ts_a = self
            .ts_a
            .map_or(0.0, |i| parse_timestamp(ra.get(i).and_then(Option::as_ref)));
        let ts_b = self
            .ts_b
            .map_or(0.0, |i| parse_timestamp(rb.get(i).and_then(Option::as_ref)));
        ra.resize(self.columns.len(), None);
        for (o, cell) in ra.iter_mut().enumerate() {
            let va = cell.take().unwrap_or(Value::None);
            let vb = match self.b_of[o] {
                NONE => Value::None,
                j => rb.get_mut(j).and_then(Option::take).unwrap_or(Value::None),
            };
            let v = if S::ACTIVE {
                match (&va, &vb) {
                    (Value::None, _) => vb,
                    (_, Value::None) => va,
                    _ if py_eq(&va, &vb) => va,
                    _ => {
                        let r = &self.resolvers[o];
                        let w = r.resolve(va.clone(), vb.clone(), ts_a, ts_b);
                        sink.conflict(n, o, va, vb, &w, r.name());
                        w
                    }
                }
            } else {
                self.merge_cell(o, va, vb, ts_a, ts_b)
            };
            *cell = Some(v);
        }
        ra
    }

    /// Merge one cell of a matched pair: `va` and `vb` are A's and B's
    /// values of output column `o` (`Value::None` when null or absent),
    /// `ts_a` and `ts_b` the rows' timestamps (`parse_timestamp` of their
    /// [`timestamp_columns`](Self::timestamp_columns) cells, 0 without).
    pub fn merge_cell(&self, o: usize, va: Value, vb: Value, ts_a: f64, ts_b: f64) -> Value {
        match (&va, &vb) {
            (Value::None, _) => vb,
            (_, Value::None) => va,
            _ if py_eq(&va, &vb) => va,
            _ => self.resolvers[o].resolve(va, vb, ts_a, ts_b),
        }
    }

    /// [`merge_cell`](Self::merge_cell) without taking the values: which
    /// of them the merged cell is, or the new value made from both.
    pub fn choose_cell(&self, o: usize, va: &Value, vb: &Value, ts_a: f64, ts_b: f64) -> Choice {
        match (va, vb) {
            (Value::None, _) => Choice::B,
            (_, Value::None) => Choice::A,
            _ if py_eq(va, vb) => Choice::A,
            _ => self.resolvers[o].choose(va, vb, ts_a, ts_b),
        }
    }

    /// The merged cell of two present values known to differ by Python `==`,
    /// when the rule of column `o` picks a side without looking at them
    /// (prefer a / b, last-writer-wins on different timestamps); `None`
    /// when the values are needed ([`choose_cell`](Self::choose_cell)).
    pub fn choose_unequal(&self, o: usize, ts_a: f64, ts_b: f64) -> Option<Choice> {
        self.resolvers[o].choose_by_time(ts_a, ts_b)
    }

    /// The timestamp column's position in A's and in B's layout, if any.
    pub fn timestamp_columns(&self) -> (Option<usize>, Option<usize>) {
        (self.ts_a, self.ts_b)
    }

    /// The output position of each of B's columns.
    pub fn b_positions(&self) -> &[usize] {
        &self.b_pos
    }
}

/// Check the options that do not depend on the rows.
pub(crate) fn check_options(opts: &MergeOptions) -> Result<(), TableError> {
    if let Some(s) = &opts.schema {
        s.validate()?;
    }
    if opts.fuzzy_dedup && !opts.key.is_empty() && !(0.0..=1.0).contains(&opts.fuzzy_threshold) {
        return Err(TableError::BadThreshold(opts.fuzzy_threshold));
    }
    Ok(())
}

/// One entry of a [`KeyIndex`]: the slot, and the key itself when it is int-like.
#[derive(Clone, Copy)]
struct Entry {
    slot: u32,
    has_int: bool,
    int: i64,
}

/// A key index over rows: slot per distinct key, in first-seen order.
/// Int-like single keys are compared inside the table (no row access).
pub(crate) struct KeyIndex {
    state: hashbrown::DefaultHashBuilder,
    table: HashTable<Entry>,
    hashes: Vec<u64>,
}

impl KeyIndex {
    pub(crate) fn with_capacity(n: usize) -> KeyIndex {
        KeyIndex {
            state: hashbrown::DefaultHashBuilder::default(),
            table: HashTable::with_capacity(n),
            hashes: Vec::with_capacity(n),
        }
    }

    /// Hash of a row's key (`Null` when a key cell is null or absent).
    pub(crate) fn key(
        &self,
        row: &[Cell],
        kidx: &[usize],
        names: &[String],
        side: &'static str,
        row_no: usize,
    ) -> Result<RowKey, TableError> {
        row_key(&self.state, row, kidx, names, side, row_no)
    }

    /// The slot holding this key: int-like keys compare directly, other
    /// keys through `eq` (given the candidate slot).
    pub(crate) fn find(
        &self,
        h: u64,
        int: Option<i64>,
        mut eq: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        self.table
            .find(h, |e| match (int, e.has_int) {
                (Some(i), true) => e.int == i,
                // An int-like key never equals a non-int-like one.
                (Some(_), false) | (None, true) => false,
                (None, false) => eq(e.slot as usize),
            })
            .map(|e| e.slot as usize)
    }

    /// Add a slot (the next number) with hash `h`; returns it.
    pub(crate) fn insert(&mut self, h: u64, int: Option<i64>) -> usize {
        let s = self.hashes.len();
        self.hashes.push(h);
        let hashes = &self.hashes;
        let e = Entry {
            slot: u32::try_from(s).unwrap_or(u32::MAX),
            has_int: int.is_some(),
            int: int.unwrap_or(0),
        };
        self.table.insert_unique(h, e, |e| hashes[e.slot as usize]);
        s
    }
}

/// Key column positions, checked on the first row as the reference does.
pub(crate) fn key_indices(
    columns: &[String],
    rows: &[Vec<Cell>],
    key: &[String],
    side: &'static str,
) -> Result<Vec<usize>, TableError> {
    key.iter()
        .map(|k| {
            let idx = columns.iter().position(|c| c == k);
            match (idx, rows.first()) {
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

/// The merge itself, reporting decisions to `sink`.
pub(crate) fn merge_with_sink<S: ConflictSink>(
    a: Table,
    b: Table,
    opts: &MergeOptions,
    sink: &mut S,
) -> Result<Table, TableError> {
    check_rows(&a)?;
    check_rows(&b)?;
    check_options(opts)?;
    let ts_name = timestamp_column(opts, &a, &b);
    let m = RowMerger::new(&a.columns, &b.columns, opts, ts_name.as_deref());
    let mut out = Table::default();
    let mut a_rows = a.rows;
    let mut b_rows = b.rows;

    if opts.key.is_empty() {
        out.rows.reserve(a_rows.len() + b_rows.len());
        for r in a_rows {
            if S::ACTIVE {
                sink.row(out.rows.len(), Origin::UniqueA);
            }
            out.rows.push(m.widen_a(r));
        }
        for r in b_rows {
            if S::ACTIVE {
                sink.row(out.rows.len(), Origin::UniqueB);
            }
            out.rows.push(m.remap_b(r));
        }
        out.columns = m.columns;
        if !S::ACTIVE {
            apply_dedup(&mut out, opts);
        }
        return Ok(out);
    }

    let ka = key_indices(&a.columns, &a_rows, &opts.key, "a")?;
    let kb = key_indices(&b.columns, &b_rows, &opts.key, "b")?;

    // Match the keys: slot = (A row, B row), in first-seen order.
    let super::key_join::KeyMatch {
        slots,
        null_a,
        null_b,
    } = super::key_join::match_keys(&a_rows, &ka, &b_rows, &kb, &opts.key, None)?;

    out.rows.reserve(slots.len() + null_a.len() + null_b.len());
    for (sa, sb) in slots {
        let n = out.rows.len();
        let row = if sb == NONE {
            if S::ACTIVE {
                sink.row(n, Origin::UniqueA);
            }
            m.widen_a(core::mem::take(&mut a_rows[sa]))
        } else if sa == NONE {
            if S::ACTIVE {
                sink.row(n, Origin::UniqueB);
            }
            m.remap_b(core::mem::take(&mut b_rows[sb]))
        } else {
            if S::ACTIVE {
                sink.row(n, Origin::Merged);
            }
            let ra = core::mem::take(&mut a_rows[sa]);
            let rb = core::mem::take(&mut b_rows[sb]);
            m.merge_pair(ra, rb, sink, n)
        };
        out.rows.push(row);
    }
    for i in null_a {
        if S::ACTIVE {
            sink.row(out.rows.len(), Origin::NullKeyA);
        }
        out.rows.push(m.widen_a(core::mem::take(&mut a_rows[i])));
    }
    for j in null_b {
        if S::ACTIVE {
            sink.row(out.rows.len(), Origin::NullKeyB);
        }
        out.rows.push(m.remap_b(core::mem::take(&mut b_rows[j])));
    }
    out.columns = m.columns;
    if !S::ACTIVE {
        let kidx = ka_out(&out.columns, &opts.key);
        apply_dedup_keyed(&mut out, opts, &kidx);
    }
    Ok(out)
}

/// Key column positions in the output (for the keyed dedup shortcut).
fn ka_out(columns: &[String], key: &[String]) -> Vec<usize> {
    key.iter()
        .filter_map(|k| columns.iter().position(|c| c == k))
        .collect()
}

/// Whether a keyed output row can be an exact duplicate of another: rows
/// with distinct non-null keys differ in their key cells, except for NaN
/// keys (never `==`, yet the same value).
fn may_duplicate(row: &[Cell], kidx: &[usize]) -> bool {
    kidx.is_empty()
        || kidx.iter().any(|&k| match row.get(k) {
            None | Some(None) | Some(Some(Value::None)) => true,
            Some(Some(Value::Float(f))) => f.is_nan(),
            Some(Some(_)) => false,
        })
}

/// [`apply_dedup`] for a keyed merge: the exact pass only looks at rows
/// that [`may_duplicate`] (same result, without hashing every row).
pub(crate) fn apply_dedup_keyed(out: &mut Table, opts: &MergeOptions, kidx: &[usize]) {
    if !(opts.dedup && kidx.len() == opts.key.len()) {
        return apply_dedup(out, opts);
    }
    let candidates = (0..out.rows.len()).filter(|&i| may_duplicate(&out.rows[i], kidx));
    let drop = super::row_dedup::duplicates_among(&out.rows, candidates);
    if !drop.is_empty() {
        let mut d = drop.into_iter().peekable();
        let mut i = 0usize;
        out.rows.retain(|_| {
            let gone = d.next_if_eq(&i).is_some();
            i += 1;
            !gone
        });
    }
    let fuzzy_only = MergeOptions {
        dedup: false,
        ..opts.clone()
    };
    apply_dedup(out, &fuzzy_only);
}

/// The dedup passes `merge` runs on its output (exact, then fuzzy with a key).
pub(crate) fn apply_dedup(out: &mut Table, opts: &MergeOptions) {
    if opts.dedup {
        ExactDedup.dedup(out, 1.0);
    }
    if opts.fuzzy_dedup && !opts.key.is_empty() {
        match &opts.fuzzy {
            Some(d) => d.dedup(out, opts.fuzzy_threshold),
            None => BigramDedup {
                exclude: Some(opts.key[0].clone()),
            }
            .dedup(out, opts.fuzzy_threshold),
        }
    }
}

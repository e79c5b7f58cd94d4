//! Count-Min sketch with cell-wise max merge, bit-identical to the
//! reference's `MergeableCms`.
//!
//! Row `i` of an item counts in column `(h1 + i·h2) mod width` with
//! `h1 = h64(item, 0)` and `h2 = h64(item, 7)` (exact integer arithmetic).
//! `estimate` is the minimum over the rows. Merge takes the cell-wise max
//! and the max of the totals (a max, not a sum: counts added on two
//! replicas are not added together). Equality compares width, depth and the
//! table, as the reference's `__eq__` does; `total` is not compared.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use super::hash::ItemHash;
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const NAME: &str = "cms";

/// Most cells (`width · depth`) accepted, from a constructor or a payload.
pub const MAX_CELLS: u64 = 1 << 28;
/// Most rows accepted.
pub const MAX_DEPTH: u64 = 1 << 16;

/// Seed of the first column hash.
pub const SEED_H1: u32 = 0;
/// Seed of the column step hash.
pub const SEED_H2: u32 = 7;

/// A mergeable Count-Min sketch. Counters are i64 and saturate (the
/// reference's unbounded ints could not be encoded beyond int64 anyway).
#[derive(Debug, Clone)]
pub struct MergeableCms {
    width: u64,
    depth: u64,
    /// Row-major, `depth` rows of `width` cells.
    table: Vec<i64>,
    total: i64,
}

impl PartialEq for MergeableCms {
    fn eq(&self, other: &Self) -> bool {
        self.width == other.width && self.depth == other.depth && self.table == other.table
    }
}
impl Eq for MergeableCms {}

fn check_dims(width: i64, depth: i64) -> Result<(u64, u64), DecodeError> {
    if width < 1 || depth < 1 {
        return Err(DecodeError::shape(
            NAME,
            format!("width and depth must be >= 1, got ({width}, {depth})"),
        ));
    }
    let (w, d) = (width as u64, depth as u64);
    if d > MAX_DEPTH || w.checked_mul(d).is_none_or(|c| c > MAX_CELLS) {
        return Err(DecodeError::shape(NAME, format!("width × depth = {width} × {depth} exceeds {MAX_CELLS} cells (depth at most {MAX_DEPTH})")));
    }
    Ok((w, d))
}

impl MergeableCms {
    /// An empty sketch. Errors unless `width, depth >= 1` and
    /// `width · depth <= MAX_CELLS`.
    pub fn new(width: i64, depth: i64) -> Result<Self, DecodeError> {
        let (w, d) = check_dims(width, depth)?;
        Ok(MergeableCms {
            width: w,
            depth: d,
            table: vec![0; (w * d) as usize],
            total: 0,
        })
    }

    /// Columns per row.
    pub fn width(&self) -> u64 {
        self.width
    }
    /// Rows.
    pub fn depth(&self) -> u64 {
        self.depth
    }
    /// The sum of counts added here (after a merge: the max of the inputs').
    pub fn total(&self) -> i64 {
        self.total
    }
    /// Row `r` of the table.
    pub fn row(&self, r: usize) -> &[i64] {
        let w = self.width as usize;
        &self.table[r * w..(r + 1) * w]
    }

    /// Add `count` occurrences of any item.
    pub fn add(&mut self, item: &Value, count: i64) {
        self.add_hash(&ItemHash::of_value(item), count);
    }
    /// Add a `str` without building a [`Value`].
    pub fn add_str(&mut self, s: &str, count: i64) {
        self.add_hash(&ItemHash::of_str(s), count);
    }
    /// Add an `int` without building a [`Value`].
    pub fn add_int(&mut self, i: i64, count: i64) {
        self.add_hash(&ItemHash::of_int(i), count);
    }
    /// Add each item once.
    pub fn add_all<'a>(&mut self, items: impl IntoIterator<Item = &'a Value>) {
        for item in items {
            self.add(item, 1);
        }
    }

    /// Add `count` occurrences of an absorbed item.
    pub fn add_hash(&mut self, item: &ItemHash, count: i64) {
        let (h1, h2) = item.h64_pair(SEED_H1, SEED_H2);
        self.add_h1h2(h1, h2, count);
    }

    /// Add each `int` once (same result as `add_int(i, 1)` on each; hashed
    /// in parallel lanes, and on several threads for large inputs with `std`).
    pub fn add_ints(&mut self, items: &[i64]) {
        self.add_hashed(|f| super::hash::for_each_h64_pair_int(items, SEED_H1, SEED_H2, f));
    }

    /// Add each `str` once (same result as `add_str(s, 1)` on each).
    pub fn add_strs<S: AsRef<str> + Sync>(&mut self, items: &[S]) {
        self.add_hashed(|f| {
            super::hash::for_each_h64_pair(
                items,
                SEED_H1,
                SEED_H2,
                |s| ItemHash::of_str(s.as_ref()),
                f,
            )
        });
    }

    /// Add each item once (same result as `add(item, 1)` on each).
    pub fn add_values(&mut self, items: &[Value]) {
        self.add_hashed(|f| {
            super::hash::for_each_h64_pair(items, SEED_H1, SEED_H2, ItemHash::of_value, f)
        });
    }

    /// Add the items whose hash pairs `hash_all` hands to its callback.
    fn add_hashed(&mut self, hash_all: impl FnOnce(&mut dyn FnMut(u64, u64))) {
        let mut table = core::mem::take(&mut self.table);
        let (w, d) = (self.width, self.depth);
        let mut added = 0i64;
        hash_all(&mut |h1, h2| {
            for_each_column(h1, h2, w, d, |row, col| {
                let c = &mut table[row * w as usize + col as usize];
                *c = c.saturating_add(1);
            });
            added = added.saturating_add(1);
        });
        self.table = table;
        // Saturating per item, exactly like repeated `add_hash(.., 1)`.
        self.total = self.total.saturating_add(added);
    }

    /// Add `count` for an item given its hashes under seeds 0 and 7.
    #[inline]
    pub fn add_h1h2(&mut self, h1: u64, h2: u64, count: i64) {
        let w = self.width as usize;
        let table = &mut self.table;
        for_each_column(h1, h2, self.width, self.depth, |row, col| {
            let c = &mut table[row * w + col as usize];
            *c = c.saturating_add(count);
        });
        self.total = self.total.saturating_add(count);
    }

    /// Estimated count of any item (minimum over rows; never an undercount
    /// for non-negative additions).
    pub fn estimate(&self, item: &Value) -> i64 {
        self.estimate_hash(&ItemHash::of_value(item))
    }
    /// [`MergeableCms::estimate`] for a `str`.
    pub fn estimate_str(&self, s: &str) -> i64 {
        self.estimate_hash(&ItemHash::of_str(s))
    }
    /// [`MergeableCms::estimate`] for an `int`.
    pub fn estimate_int(&self, i: i64) -> i64 {
        self.estimate_hash(&ItemHash::of_int(i))
    }
    /// [`MergeableCms::estimate`] for an absorbed item.
    pub fn estimate_hash(&self, item: &ItemHash) -> i64 {
        let (h1, h2) = item.h64_pair(SEED_H1, SEED_H2);
        let w = self.width as usize;
        let mut min = i64::MAX;
        for_each_column(h1, h2, self.width, self.depth, |row, col| {
            min = min.min(self.table[row * w + col as usize])
        });
        min
    }

    /// The frame, byte-identical to [`crate::wire::encode_typed`] but
    /// without building a [`Value`] per cell.
    pub fn to_bytes(&self, compress: bool) -> Result<Vec<u8>, DecodeError> {
        super::frame_with(
            TypeTag::Cms,
            compress,
            96 + 5 * self.depth as usize + 2 * self.table.len(),
            |out| self.encode_payload(out),
        )
    }

    /// Encode the payload straight into bytes.
    pub fn encode_payload(&self, out: &mut Vec<u8>) {
        use super::wirefast::*;
        map_header(out, 5);
        str_entry(out, "type", NAME);
        key(out, "width");
        int(out, self.width as i64);
        key(out, "depth");
        int(out, self.depth as i64);
        key(out, "table");
        list_header(out, self.depth as usize);
        for row in self.table.chunks_exact(self.width as usize) {
            list_header(out, row.len());
            for &c in row {
                int(out, c);
            }
        }
        key(out, "total");
        int(out, self.total);
    }
}

/// Call `f(row, (h1 + row·h2) mod width)` for each row, in exact arithmetic
/// (operands reduced mod `width` first, so nothing overflows).
#[inline]
fn for_each_column(h1: u64, h2: u64, width: u64, depth: u64, mut f: impl FnMut(usize, u64)) {
    let mut col = h1 % width;
    let step = h2 % width;
    for row in 0..depth as usize {
        f(row, col);
        col += step;
        if col >= width {
            col -= width;
        }
    }
}

impl Merge for MergeableCms {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        if self.width != other.width || self.depth != other.depth {
            return Err(MergeError::ParameterMismatch {
                type_name: NAME,
                detail: format!(
                    "(width, depth) ({}, {}) vs ({}, {})",
                    self.width, self.depth, other.width, other.depth
                ),
            });
        }
        let table = self
            .table
            .iter()
            .zip(&other.table)
            .map(|(a, b)| *a.max(b))
            .collect();
        Ok(MergeableCms {
            width: self.width,
            depth: self.depth,
            table,
            total: self.total.max(other.total),
        })
    }
}

impl WireType for MergeableCms {
    const TAG: TypeTag = TypeTag::Cms;

    fn to_value(&self) -> Value {
        let rows = self
            .table
            .chunks_exact(self.width as usize)
            .map(|r| Value::List(r.iter().map(|&c| Value::Int(c)).collect()))
            .collect();
        Value::map([
            ("type", Value::str(NAME)),
            ("width", Value::Int(self.width as i64)),
            ("depth", Value::Int(self.depth as i64)),
            ("table", Value::List(rows)),
            ("total", Value::Int(self.total)),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let bad = |m: &str| DecodeError::shape(NAME, m);
        super::check_payload(v, NAME)?;
        let int_field = |k: &str| super::int_field(v, NAME, k);
        let (width, depth) = check_dims(int_field("width")?, int_field("depth")?)?;
        let rows = v.get("table").ok_or_else(|| bad("missing field 'table'"))?;
        let rows = rows
            .as_list()
            .ok_or_else(|| bad("field 'table' must be a list of rows"))?;
        if rows.len() as u64 != depth {
            return Err(DecodeError::shape(
                NAME,
                format!("field 'table' must have {depth} rows, got {}", rows.len()),
            ));
        }
        for (r, row) in rows.iter().enumerate() {
            let n = row.as_list().map(<[Value]>::len);
            if n.map(|n| n as u64) != Some(width) {
                return Err(DecodeError::shape(
                    NAME,
                    format!("field 'table'[{r}] must be a list of {width} ints"),
                ));
            }
        }
        let mut table = Vec::with_capacity((width * depth) as usize);
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.as_list().unwrap_or_default().iter().enumerate() {
                table.push(cell.as_int().ok_or_else(|| {
                    DecodeError::shape(NAME, format!("field 'table'[{r}][{c}] must be an int"))
                })?);
            }
        }
        let total = match v.get("total") {
            None => 0,
            Some(t) => t
                .as_int()
                .ok_or_else(|| bad("field 'total' must be an int"))?,
        };
        Ok(MergeableCms {
            width,
            depth,
            table,
            total,
        })
    }
}

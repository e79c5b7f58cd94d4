//! Keyed merge of two JSON-lines files without building tables: the fast
//! path behind `crdt-merge merge A.jsonl B.jsonl -o OUT.jsonl`.
//!
//! A [`Table`] costs a heap object per cell;
//! for millions of rows most of the time goes to allocating and zeroing
//! memory for rows that are then written back unchanged. Here rows stay
//! bytes of the input:
//!
//! 1. Both inputs are cut into chunks at line ends and scanned in parallel:
//!    each line is validated (the same scanner as [`read_jsonl`](super::jsonl::read_jsonl)),
//!    its key values hashed with the core's [`KeyHasher`], and the line is
//!    marked *canonical* when its bytes are exactly what the writer would
//!    produce for it (`json.dumps` separators, printable-ASCII strings without
//!    escapes, ints and floats in Python `repr` form, no nested values, keys in
//!    output column order). A line with the previous canonical line's keys
//!    is checked in one pass against that template; other lines take the
//!    full scanner.
//! 2. Keys are matched by the core's [`join_hashed`] (the join [`merge`](crdt_merge_core::table::merge()) uses).
//! 3. Output slots are formatted in parallel and written in order: a row on
//!    one side only is copied when canonical, else parsed and written; a
//!    matched pair of canonical lines is merged cell by cell on its text
//!    (the core's [`RowMerger::choose_cell`] says which text wins, and only
//!    new values are written); other pairs are parsed and merged by the
//!    [`RowMerger`]; rows with a null key go through the core's exact dedup.
//!
//! The result is byte for byte the output of reading both files into tables,
//! [`merge_owned`](crdt_merge_core::table::merge_owned) and
//! [`write_jsonl`](super::jsonl::write_jsonl) (tested on generated inputs).
//! Anything the fast path does not take (invalid input of any kind, a
//! missing key column, key types that cannot match, unhashable keys, options
//! other than key/prefer/timestamp/schema) is [`FastMerge::NotTaken`]: the
//! caller then runs the table path, which reports errors with file and line.

use std::io::Write;

use rayon::prelude::*;

use crdt_merge_core::table::pycmp::{parse_timestamp, py_eq};
use crdt_merge_core::table::{
    join_hashed, timestamp_column_for, Cell, Choice, ExactDedup, KeyHash, KeyHasher, MergeOptions,
    RowDedup, RowMerger, RowRef, Table,
};
use crdt_merge_core::value::Value;

use super::error::{one_line, TableIoError};
use super::json_scan::{
    bytes_at, canonical_value_end, plain_string_end, small_int, Columns, Scanner,
};
use super::jsonl::{push_cells, push_json};

/// What [`merge_jsonl`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FastMerge {
    /// The merge was written; counts of the output.
    Done(FastStats),
    /// Nothing was written: the inputs or options need the table path (why).
    NotTaken(&'static str),
}

/// Counts of a fast merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FastStats {
    /// Rows written.
    pub rows: usize,
    /// Matched pairs merged.
    pub merged: usize,
    /// Rows copied from the input unchanged.
    pub copied: usize,
}

/// Bytes per scan chunk (lines are never split).
const SCAN_CHUNK: usize = 8 << 20;
/// Output slots formatted per task.
const OUT_CHUNK: usize = 4096;
/// Distinct key layouts tracked per chunk; lines with others are rewritten.
const MAX_LAYOUTS: usize = 256;
/// `LineInfo::layout` of a line that is not canonical.
const NOT_CANONICAL: u32 = u32::MAX;

/// One non-blank line of an input.
#[derive(Clone, Copy)]
struct LineInfo {
    /// Offset of the object's `{` in the file.
    start: usize,
    /// Length of the object text (`{` to `}`).
    len: u32,
    /// Chunk-local key layout, [`NOT_CANONICAL`] if the text is not canonical.
    layout: u32,
    /// Offset and length of the (single) key value's text in the object.
    key_off: u32,
    key_len: u32,
}

/// Kinds of key values, for the check that the two inputs' keys can match.
const KIND_NUMBER: u8 = 1;
const KIND_STR: u8 = 2;

/// What one chunk's scan found.
struct ChunkScan {
    /// Lines written to the chunk's part of the line arrays.
    lines: usize,
    cols: Columns,
    layouts: Vec<Vec<u32>>,
    /// Per key column: kinds of the non-null values seen.
    kinds: Vec<u8>,
    /// The chunk's first line: (carries every key column, carries `_ts`).
    first: Option<(bool, bool)>,
}

/// One input after the scan.
struct Input<'a> {
    bytes: &'a [u8],
    lines: Vec<LineInfo>,
    hashes: Vec<KeyHash>,
    columns: Vec<String>,
    /// Distinct key layouts of canonical lines, in input-column ids
    /// (`LineInfo::layout` indexes this).
    layouts: Vec<Vec<u32>>,
    kinds: Vec<u8>,
    first: (bool, bool),
}

impl Input<'_> {
    /// The object text of line `i`.
    fn bytes_of(&self, i: usize) -> &[u8] {
        let l = self.lines[i];
        &self.bytes[l.start..l.start + l.len as usize]
    }

    /// The object text of line `i` as a string (validated UTF-8 in the scan;
    /// checked again, as the file may have changed under the mapping).
    fn text(&self, i: usize) -> &str {
        std::str::from_utf8(self.bytes_of(i)).unwrap_or("")
    }
}

/// Merge two JSON-lines texts by key into `w` (see the module docs), or
/// report [`FastMerge::NotTaken`] having written nothing. `progress` is
/// told the number of input bytes scanned as the scan goes.
pub fn merge_jsonl(
    file: &str,
    a: &[u8],
    b: &[u8],
    opts: &MergeOptions,
    w: &mut (dyn Write + Send),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<FastMerge, TableIoError> {
    if opts.key.is_empty() || opts.fuzzy_dedup || !opts.dedup || opts.fuzzy.is_some() {
        return Ok(FastMerge::NotTaken("options need the table path"));
    }
    if let Some(s) = &opts.schema {
        if s.validate().is_err() {
            return Ok(FastMerge::NotTaken("invalid schema"));
        }
    }
    let hasher = KeyHasher::new();
    let (ia, ib) = rayon::join(
        || scan_input(a, &opts.key, &hasher, progress),
        || scan_input(b, &opts.key, &hasher, progress),
    );
    let (Ok(mut ia), Ok(mut ib)) = (ia, ib) else {
        return Ok(FastMerge::NotTaken("input needs the table path"));
    };
    if !(ia.first.0 && ib.first.0) {
        return Ok(FastMerge::NotTaken("a first row lacks a key column"));
    }
    for (x, y) in ia.kinds.iter().zip(&ib.kinds) {
        if *x != 0 && *y != 0 && x & y == 0 {
            return Ok(FastMerge::NotTaken("key types differ"));
        }
    }

    let ts = timestamp_column_for(opts, ia.first.1, ib.first.1);
    let merger = RowMerger::new(&ia.columns, &ib.columns, opts, ts.as_deref());
    let out_cols = merger.columns();
    mark_copyable(&mut ia, out_cols);
    mark_copyable(&mut ib, out_cols);

    let single_key = opts.key.len() == 1;
    let (ra, rb) = (&ia, &ib);
    let eq = |x: RowRef, y: RowRef| keys_equal(ra, rb, x, y, single_key, &opts.key);
    let m = join_hashed(&ia.hashes, &ib.hashes, eq, None);
    drop((
        std::mem::take(&mut ia.hashes),
        std::mem::take(&mut ib.hashes),
    ));

    let io = |e: std::io::Error| TableIoError::Io {
        file: file.to_string(),
        msg: one_line(e),
    };
    let keys: Vec<String> = merger
        .columns()
        .iter()
        .map(|c| {
            let mut s = String::new();
            crdt_merge_core::json::write::write_str(c, &mut s);
            s
        })
        .collect();
    let ctx = Ctx {
        file,
        a: &ia,
        b: &ib,
        merger: &merger,
        keys: &keys,
        a_key_len: key_text_lengths(&ia.columns),
        b_key_len: key_text_lengths(&ib.columns),
    };
    let mut stats = FastStats::default();
    let chunks: Vec<&[(usize, usize)]> = m.slots.chunks(OUT_CHUNK).collect();
    let group = rayon::current_num_threads().max(1) * 4;
    // Output buffers go to the writer thread and come back for reuse, so
    // the output is formatted into the same few pages over and over.
    let pool = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
    let take = || {
        pool.lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| Vec::with_capacity(OUT_CHUNK * 256))
    };
    std::thread::scope(|s| -> Result<(), TableIoError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(group);
        let pool = &pool;
        let writer = s.spawn(move || -> std::io::Result<()> {
            for mut buf in rx {
                w.write_all(&buf)?;
                buf.clear();
                if let Ok(mut p) = pool.lock() {
                    p.push(buf);
                }
            }
            Ok(())
        });
        let mut failed = None;
        'groups: for g in chunks.chunks(group) {
            let bufs: Vec<Result<(Vec<u8>, FastStats), TableIoError>> =
                g.par_iter().map(|c| ctx.format_slots(c, take())).collect();
            for r in bufs {
                match r {
                    Ok((buf, st)) => {
                        stats.rows += st.rows;
                        stats.merged += st.merged;
                        stats.copied += st.copied;
                        if tx.send(buf).is_err() {
                            break 'groups;
                        }
                    }
                    Err(e) => {
                        failed = Some(e);
                        break 'groups;
                    }
                }
            }
        }
        if failed.is_none() {
            match ctx.format_null_rows(&m.null_a, &m.null_b) {
                Ok((buf, n)) => {
                    stats.rows += n;
                    let _ = tx.send(buf.into_bytes());
                }
                Err(e) => failed = Some(e),
            }
        }
        drop(tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("output writer stopped")));
        match failed {
            Some(e) => Err(e),
            None => written.map_err(io),
        }
    })?;

    Ok(FastMerge::Done(stats))
}

/// Per column: the length of `"name": ` as a canonical line spells it.
fn key_text_lengths(columns: &[String]) -> Vec<usize> {
    columns
        .iter()
        .map(|c| {
            let mut t = String::new();
            crdt_merge_core::json::write::write_str(c, &mut t);
            t.len() + 2
        })
        .collect()
}

/// Keys of two rows equal (Python `==` on every key value).
fn keys_equal(a: &Input, b: &Input, x: RowRef, y: RowRef, single: bool, key: &[String]) -> bool {
    let side = |r: RowRef| match r {
        RowRef::A(i) => (a, i),
        RowRef::B(i) => (b, i),
    };
    let ((ix, i), (iy, j)) = (side(x), side(y));
    if single {
        fn span<'x>(inp: &'x Input, i: usize) -> &'x [u8] {
            let l = inp.lines[i];
            let s = l.start + l.key_off as usize;
            &inp.bytes[s..s + l.key_len as usize]
        }
        // The same text is the same value (JSON has no NaN).
        if span(ix, i) == span(iy, j) {
            return true;
        }
    }
    match (key_values(ix.text(i), key), key_values(iy.text(j), key)) {
        (Some(p), Some(q)) => p
            .iter()
            .zip(&q)
            .all(|(u, v)| matches!((u, v), (Some(u), Some(v)) if py_eq(u, v))),
        _ => false,
    }
}

/// The key values of one (valid) line, last occurrence of each.
fn key_values(text: &str, key: &[String]) -> Option<Vec<Option<Value>>> {
    let mut out: Vec<Option<Value>> = vec![None; key.len()];
    let mut s = Scanner::new(text);
    // The line was validated by the scan; the checks below only keep a file
    // changed under the mapping from reading out of bounds.
    s.ws();
    if s.peek() != Some(b'{') {
        return None;
    }
    s.pos += 1;
    s.ws();
    if s.peek() == Some(b'}') {
        return Some(out);
    }
    loop {
        s.ws();
        let k = s.string().ok()?;
        s.ws();
        if s.peek() != Some(b':') {
            return None;
        }
        s.pos += 1;
        match key.iter().position(|c| *c == k) {
            Some(n) => out[n] = Some(s.value(1).ok()?),
            None => {
                s.skip_value(1).ok()?;
            }
        }
        s.ws();
        match s.peek() {
            Some(b',') => s.pos += 1,
            _ => return Some(out),
        }
    }
}

/// Split `bytes` into chunks of about [`SCAN_CHUNK`] ending at a newline;
/// each with the most lines it can hold (its newlines + 1).
fn chunk_bounds(bytes: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + SCAN_CHUNK).min(bytes.len());
        if end < bytes.len() {
            end = match memchr::memchr(b'\n', &bytes[end..]) {
                Some(i) => end + i + 1,
                None => bytes.len(),
            };
        }
        out.push((start, end, 0));
        start = end;
    }
    out.par_iter_mut()
        .for_each(|c| c.2 = memchr::memchr_iter(b'\n', &bytes[c.0..c.1]).count() + 1);
    out
}

/// Scan one input in parallel chunks and join the chunks' findings. Line
/// records go straight into two arrays sized once (each chunk fills its own
/// part), so the scan touches every page of them once.
fn scan_input<'a>(
    bytes: &'a [u8],
    key: &[String],
    hasher: &KeyHasher,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Input<'a>, ()> {
    let bounds = chunk_bounds(bytes);
    let total: usize = bounds.iter().map(|c| c.2).sum();
    let empty = LineInfo {
        start: 0,
        len: 0,
        layout: NOT_CANONICAL,
        key_off: 0,
        key_len: 0,
    };
    let mut lines = vec![empty; total];
    let mut hashes: Vec<KeyHash> = vec![None; total];
    let mut parts = Vec::with_capacity(bounds.len());
    {
        let (mut lrest, mut hrest) = (&mut lines[..], &mut hashes[..]);
        for &(s, e, n) in &bounds {
            let (l, lr) = lrest.split_at_mut(n);
            let (h, hr) = hrest.split_at_mut(n);
            (lrest, hrest) = (lr, hr);
            parts.push((s, e, l, h));
        }
    }
    let scans: Vec<Result<ChunkScan, ()>> = parts
        .into_par_iter()
        .map(|(s, e, l, h)| {
            let r = scan_chunk(bytes, s, e, key, hasher, l, h);
            progress((e - s) as u64);
            r
        })
        .collect();
    let mut columns = Columns::default();
    let mut layouts: Vec<Vec<u32>> = Vec::new();
    let mut layout_ids: std::collections::HashMap<Vec<u32>, u32> = Default::default();
    let mut kinds = vec![0u8; key.len()];
    let mut first = None;
    let mut fill = 0usize;
    let mut at = 0usize;
    for (scan, &(_, _, cap)) in scans.into_iter().zip(&bounds) {
        let scan = scan?;
        // Chunk column ids -> input column ids (first-seen order overall).
        let ids: Vec<u32> = scan
            .cols
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| columns.lookup(i, n) as u32)
            .collect();
        if first.is_none() {
            first = scan.first;
        }
        for (k, m) in kinds.iter_mut().zip(&scan.kinds) {
            *k |= m;
        }
        let global: Vec<u32> = scan
            .layouts
            .iter()
            .map(|l| {
                let l: Vec<u32> = l.iter().map(|&c| ids[c as usize]).collect();
                *layout_ids.entry(l.clone()).or_insert_with(|| {
                    layouts.push(l);
                    (layouts.len() - 1) as u32
                })
            })
            .collect();
        // Move this chunk's lines down over the unused tail of earlier
        // chunks (blank lines), translating layouts to input-wide ids.
        for k in 0..scan.lines {
            let mut l = lines[at + k];
            if l.layout != NOT_CANONICAL {
                l.layout = global[l.layout as usize];
            }
            lines[fill + k] = l;
            hashes[fill + k] = hashes[at + k];
        }
        fill += scan.lines;
        at += cap;
    }
    lines.truncate(fill);
    hashes.truncate(fill);
    Ok(Input {
        bytes,
        lines,
        hashes,
        columns: columns.names,
        layouts,
        kinds,
        first: first.ok_or(())?,
    })
}

/// Keep the copy mark only on lines whose keys come in output column order
/// (each at most once): their text is what the writer would produce.
fn mark_copyable(inp: &mut Input, out_cols: &[String]) {
    let pos: Vec<usize> = inp
        .columns
        .iter()
        .map(|c| out_cols.iter().position(|o| o == c).unwrap_or(usize::MAX))
        .collect();
    let ok: Vec<bool> = inp
        .layouts
        .iter()
        .map(|l| {
            l.windows(2)
                .all(|w| pos[w[0] as usize] < pos[w[1] as usize])
        })
        .collect();
    for l in &mut inp.lines {
        if l.layout != NOT_CANONICAL && !ok[l.layout as usize] {
            l.layout = NOT_CANONICAL;
        }
    }
}

/// Per-chunk state of the line scan.
struct LineScan<'k> {
    key: &'k [String],
    cols: Columns,
    layouts: Vec<Vec<u32>>,
    layout_ids: std::collections::HashMap<Vec<u32>, u32>,
    last_layout: u32,
    cur: Vec<u32>,
    /// The previous canonical line's keys as text (`"name": `) and column.
    template: Vec<(Vec<u8>, u32)>,
    /// Per template key: its position in the key, if a key column.
    template_key: Vec<Option<usize>>,
    /// The layout of the template's line ([`NOT_CANONICAL`] past the cap).
    template_layout: u32,
    /// Per chunk column: its position in the key, if a key column.
    key_of: Vec<Option<usize>>,
    /// Per key column: (value text start, end) in the line, last occurrence.
    spans: Vec<Option<(usize, usize)>>,
    kinds: Vec<u8>,
}

/// Scan the lines of `bytes[start..end]` into `lines_out` / `hashes_out`
/// (room for every line).
fn scan_chunk(
    bytes: &[u8],
    start: usize,
    end: usize,
    key: &[String],
    hasher: &KeyHasher,
    lines_out: &mut [LineInfo],
    hashes_out: &mut [KeyHash],
) -> Result<ChunkScan, ()> {
    // UTF-8 is checked per line, and only for lines off the template path
    // (a line that matches the template is made of valid pieces).
    let text = &bytes[start..end];
    let mut st = LineScan {
        key,
        cols: Columns::default(),
        layouts: Vec::new(),
        layout_ids: Default::default(),
        last_layout: NOT_CANONICAL,
        cur: Vec::new(),
        key_of: Vec::new(),
        template: Vec::new(),
        template_key: Vec::new(),
        template_layout: NOT_CANONICAL,
        spans: vec![None; key.len()],
        kinds: vec![0; key.len()],
    };
    let mut n = 0usize;
    let mut first = None;
    let mut keyvals: Vec<Value> = Vec::with_capacity(key.len());
    let mut p = 0usize;
    while p < text.len() {
        let e = memchr::memchr(b'\n', &text[p..]).map_or(text.len(), |i| p + i);
        let line = &text[p..e];
        let line_start = start + p;
        p = e + 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        let same = st.line_like_template(line);
        let (obj_start, obj_end, canonical) = match same {
            Some(end) => (0, end, true),
            None => st.line(std::str::from_utf8(line).map_err(|_| ())?)?,
        };
        // Key values: parsed from their text (last occurrence wins).
        keyvals.clear();
        let mut present = true;
        for sp in &st.spans {
            match sp {
                Some((s, e)) => keyvals.push(value_of(&line[*s..*e]).ok_or(())?),
                None => {
                    present = false;
                    keyvals.push(Value::None);
                }
            }
        }
        for (k, v) in st.kinds.iter_mut().zip(&keyvals) {
            *k |= match v {
                Value::None => 0,
                Value::Bool(_) | Value::Int(_) | Value::Float(_) => KIND_NUMBER,
                Value::Str(_) => KIND_STR,
                _ => return Err(()),
            };
        }
        if first.is_none() {
            let has_ts = st.cur.iter().any(|&c| st.cols.names[c as usize] == "_ts");
            first = Some((present, has_ts));
        }
        let h = if present {
            hasher.hash(keyvals.iter().map(Some)).map_err(|_| ())?
        } else {
            None
        };
        let (key_off, key_len) = match st.spans.first() {
            Some(Some((s, e))) if key.len() == 1 => ((s - obj_start) as u32, (e - s) as u32),
            _ => (0, 0),
        };
        let layout = match (same, canonical) {
            (Some(_), _) => st.template_layout,
            (None, true) => {
                st.set_template();
                st.template_layout = st.layout_id();
                st.template_layout
            }
            (None, false) => NOT_CANONICAL,
        };
        *lines_out.get_mut(n).ok_or(())? = LineInfo {
            start: line_start + obj_start,
            len: u32::try_from(obj_end - obj_start).map_err(|_| ())?,
            layout,
            key_off,
            key_len,
        };
        hashes_out[n] = h;
        n += 1;
    }
    Ok(ChunkScan {
        lines: n,
        cols: st.cols,
        layouts: st.layouts,
        kinds: st.kinds,
        first,
    })
}

impl LineScan<'_> {
    /// The common case: a canonical line with the template's keys, in its
    /// order, and nothing around the object. Records the key value spans
    /// and returns the object's end; `None` sends the line to
    /// [`line`](Self::line) (which also reports what is wrong with it).
    #[inline]
    fn line_like_template(&mut self, b: &[u8]) -> Option<usize> {
        if self.template.is_empty() || b.first() != Some(&b'{') {
            return None;
        }
        for sp in &mut self.spans {
            *sp = None;
        }
        let last = self.template.len() - 1;
        let mut p = 1;
        for (k, (text, _)) in self.template.iter().enumerate() {
            if !bytes_at(b, p, text) {
                return None;
            }
            p += text.len();
            let e = canonical_value_end(b, p)?;
            if let Some(n) = self.template_key[k] {
                self.spans[n] = Some((p, e));
            }
            p = e;
            if k < last {
                if !bytes_at(b, p, b", ") {
                    return None;
                }
                p += 2;
            }
        }
        (b.get(p) == Some(&b'}') && p + 1 == b.len()).then_some(p + 1)
    }

    /// Validate one line (one JSON object and nothing else), recording its
    /// key order in `cur` and key value spans in `spans`. Returns the
    /// object's start and end in the line and whether its text is canonical.
    fn line(&mut self, line: &str) -> Result<(usize, usize, bool), ()> {
        let b = line.as_bytes();
        let mut s = Scanner::new(line);
        self.cur.clear();
        for sp in &mut self.spans {
            *sp = None;
        }
        s.ws();
        if s.peek() != Some(b'{') {
            return Err(());
        }
        let obj_start = s.pos;
        s.pos += 1;
        let mut canonical = true;
        let p0 = s.pos;
        s.ws();
        canonical &= s.pos == p0;
        if s.peek() == Some(b'}') {
            s.pos += 1;
        } else {
            loop {
                if s.peek() != Some(b'"') {
                    return Err(());
                }
                // Most lines repeat the previous line's keys: `"name": `
                // compared as bytes stands for parsing and looking it up.
                let k = self.cur.len();
                let v0 = match self.template.get(k) {
                    Some((text, col)) if b[s.pos..].starts_with(text) => {
                        self.cur.push(*col);
                        s.pos += text.len();
                        canonical &= !matches!(b.get(s.pos), Some(b' ' | b'\t' | b'\r' | b'\n'));
                        s.pos
                    }
                    _ => {
                        let (ok, v0) = self.key_slow(&mut s, b)?;
                        canonical &= ok;
                        v0
                    }
                };
                let n_key = self.key_of[self.cur[k] as usize];
                canonical &= s.skip_value(1).map_err(|_| ())?;
                if let Some(n) = n_key {
                    self.spans[n] = Some((v0, s.pos));
                }
                let p = s.pos;
                s.ws();
                canonical &= s.pos == p;
                match s.peek() {
                    Some(b',') => {
                        s.pos += 1;
                        canonical &= b.get(s.pos) == Some(&b' ') && b.get(s.pos + 1) == Some(&b'"');
                        s.ws();
                    }
                    Some(b'}') => {
                        s.pos += 1;
                        break;
                    }
                    _ => return Err(()),
                }
            }
        }
        let obj_end = s.pos;
        s.ws_inline();
        if s.pos < b.len() {
            return Err(());
        }
        Ok((obj_start, obj_end, canonical))
    }

    /// One key the slow way (parse, look up), up to its value; returns
    /// whether its text and the `": "` after it are canonical, and where the
    /// value starts.
    fn key_slow(&mut self, s: &mut Scanner, b: &[u8]) -> Result<(bool, usize), ()> {
        let k = s.string().map_err(|_| ())?;
        let mut canonical = matches!(k, std::borrow::Cow::Borrowed(t)
            if t.bytes().fold(true, |ok, c| ok & (c.wrapping_sub(0x20) < 0x5f)));
        let col = self.cols.lookup(self.cur.len(), &k);
        if col >= self.key_of.len() {
            let key = self.key;
            let names = &self.cols.names;
            self.key_of
                .extend((self.key_of.len()..=col).map(|c| key.iter().position(|n| *n == names[c])));
        }
        self.cur.push(col as u32);
        let p = s.pos;
        s.ws();
        if s.peek() != Some(b':') {
            return Err(());
        }
        canonical &= s.pos == p;
        s.pos += 1;
        canonical &= b.get(s.pos) == Some(&b' ');
        s.ws();
        canonical &= s.pos == p + 2;
        Ok((canonical, s.pos))
    }

    /// After a canonical line: its keys become the template for the next.
    fn set_template(&mut self) {
        if self.template.len() == self.cur.len()
            && self.template.iter().zip(&self.cur).all(|(t, c)| t.1 == *c)
        {
            return;
        }
        self.template = self
            .cur
            .iter()
            .map(|&c| {
                let mut t = String::new();
                crdt_merge_core::json::write::write_str(&self.cols.names[c as usize], &mut t);
                t.push_str(": ");
                (t.into_bytes(), c)
            })
            .collect();
        self.template_key = self.cur.iter().map(|&c| self.key_of[c as usize]).collect();
    }

    /// The interned id of the current layout, [`NOT_CANONICAL`] past the cap.
    fn layout_id(&mut self) -> u32 {
        if let Some(l) = self.layouts.get(self.last_layout as usize) {
            if *l == self.cur {
                return self.last_layout;
            }
        }
        let id = match self.layout_ids.get(&self.cur) {
            Some(&id) => id,
            None if self.layouts.len() < MAX_LAYOUTS => {
                let id = self.layouts.len() as u32;
                self.layouts.push(self.cur.clone());
                self.layout_ids.insert(self.cur.clone(), id);
                id
            }
            None => return NOT_CANONICAL,
        };
        self.last_layout = id;
        id
    }
}

/// `PairScratch` span of a column the line lacks.
const ABSENT: usize = usize::MAX;

/// Reused buffers of [`Ctx::merge_spans`]: each side's value span per
/// output column, and a formatting buffer.
struct PairScratch {
    a: Vec<(usize, usize)>,
    b: Vec<(usize, usize)>,
    /// Per output column: the last conflicting values read from each side
    /// (a column's strings reuse their buffers from pair to pair).
    va: Vec<Value>,
    vb: Vec<Value>,
    text: String,
}

impl PairScratch {
    fn new(width: usize) -> PairScratch {
        PairScratch {
            a: vec![(ABSENT, 0); width],
            b: vec![(ABSENT, 0); width],
            va: vec![Value::None; width],
            vb: vec![Value::None; width],
            text: String::new(),
        }
    }
}

/// The value of one JSON value text: a small int read directly, anything
/// else through the scanner; `None` if it is not valid.
fn value_of(t: &[u8]) -> Option<Value> {
    if let Some(n) = small_int(t) {
        return Some(Value::Int(n));
    }
    let t = std::str::from_utf8(t).ok()?;
    Scanner::new(t).value(1).ok()
}

/// Read the value text `t` of a canonical line into `dst`, reusing its
/// string buffer when both are strings.
fn read_value(t: &[u8], dst: &mut Value) {
    if let [b'"', body @ .., b'"'] = t {
        // A string of a canonical line has no escapes.
        if let Ok(body) = std::str::from_utf8(body) {
            match dst {
                Value::Str(s) => {
                    s.clear();
                    s.push_str(body);
                }
                _ => *dst = Value::Str(body.to_string()),
            }
            return;
        }
    }
    *dst = value_of(t).unwrap_or(Value::None);
}

/// The value spans of canonical line `i` by output column (`pos` maps input
/// columns to output ones; `None` = the same), given each input column's key
/// text length (`"name": `); returns the span of column `ts`, if present.
fn field_spans(
    inp: &Input,
    i: usize,
    key_len: &[usize],
    pos: Option<&[usize]>,
    dst: &mut [(usize, usize)],
    ts: Option<usize>,
) -> Option<(usize, usize)> {
    for d in dst.iter_mut() {
        *d = (ABSENT, 0);
    }
    let text = inp.bytes_of(i);
    let layout = &inp.layouts[inp.lines[i].layout as usize];
    let mut p = 1;
    let mut ts_span = None;
    for &c in layout {
        let c = c as usize;
        p += key_len[c];
        let Some(e) = known_value_end(text, p) else {
            break;
        };
        let o = pos.map_or(c, |m| m[c]);
        dst[o] = (p, e);
        if ts == Some(c) {
            ts_span = Some((p, e));
        }
        p = e + 2;
    }
    ts_span
}

/// The end of the value at `p` of a line the scan found canonical: a string
/// (without escapes) ends after its next quote, anything else (a number or
/// literal) at the next `,` or `}`. `None` only if the file changed under
/// the mapping.
#[inline]
fn known_value_end(b: &[u8], p: usize) -> Option<usize> {
    if b.get(p) == Some(&b'"') {
        return plain_string_end(b, p);
    }
    let mut e = p;
    while let Some(&c) = b.get(e) {
        if c == b',' || c == b'}' {
            return Some(e);
        }
        e += 1;
    }
    None
}

/// Two different canonical value texts whose values surely differ by
/// Python `==` too: a string and anything else, two strings, two ints, two
/// bools, two floats other than `0.0` and `-0.0`. (`1` and `1.0`, or `true`
/// and `1`, are equal values in different texts.)
fn surely_unequal(a: &[u8], b: &[u8]) -> bool {
    #[derive(PartialEq)]
    enum Kind {
        Str,
        Bool,
        Int,
        Float,
    }
    let kind = |t: &[u8]| match t.first() {
        Some(b'"') => Some(Kind::Str),
        Some(b't' | b'f') => Some(Kind::Bool),
        Some(b'-' | b'0'..=b'9') if t.iter().all(|c| c.is_ascii_digit() || *c == b'-') => {
            Some(Kind::Int)
        }
        Some(b'-' | b'0'..=b'9') => Some(Kind::Float),
        _ => None,
    };
    let zero = |t: &[u8]| t.strip_prefix(b"-").unwrap_or(t) == b"0.0";
    match (kind(a), kind(b)) {
        (Some(Kind::Str), Some(_)) | (Some(_), Some(Kind::Str)) => true,
        (Some(Kind::Float), Some(Kind::Float)) => !(zero(a) && zero(b)),
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// What the output workers share.
struct Ctx<'c, 'a> {
    file: &'c str,
    a: &'c Input<'a>,
    b: &'c Input<'a>,
    merger: &'c RowMerger<'c>,
    /// Output column names as JSON strings.
    keys: &'c [String],
    /// Per input column: length of its key text `"name": ` in a canonical line.
    a_key_len: Vec<usize>,
    b_key_len: Vec<usize>,
}

impl Ctx<'_, '_> {
    /// One line parsed into cells in its input's column layout.
    fn parse(&self, inp: &Input, cols: &mut Columns, i: usize) -> Vec<Cell> {
        let mut s = Scanner::new(inp.text(i));
        let mut r = s.row(cols).unwrap_or_default();
        r.resize(inp.columns.len(), None);
        r
    }

    /// Format a run of output slots into `out`.
    fn format_slots(
        &self,
        slots: &[(usize, usize)],
        mut out: Vec<u8>,
    ) -> Result<(Vec<u8>, FastStats), TableIoError> {
        let mut ca = Columns::from_names(self.a.columns.clone());
        let mut cb = Columns::from_names(self.b.columns.clone());
        let mut line = String::new();
        let mut pair = PairScratch::new(self.merger.columns().len());
        let mut st = FastStats::default();
        for &(sa, sb) in slots {
            st.rows += 1;
            let row = match (sa, sb) {
                (i, usize::MAX) if self.a.lines[i].layout != NOT_CANONICAL => {
                    out.extend_from_slice(self.a.bytes_of(i));
                    out.push(b'\n');
                    st.copied += 1;
                    continue;
                }
                (usize::MAX, j) if self.b.lines[j].layout != NOT_CANONICAL => {
                    out.extend_from_slice(self.b.bytes_of(j));
                    out.push(b'\n');
                    st.copied += 1;
                    continue;
                }
                (i, usize::MAX) => self.merger.widen_a(self.parse(self.a, &mut ca, i)),
                (usize::MAX, j) => self.merger.remap_b(self.parse(self.b, &mut cb, j)),
                (i, j)
                    if self.a.lines[i].layout != NOT_CANONICAL
                        && self.b.lines[j].layout != NOT_CANONICAL =>
                {
                    st.merged += 1;
                    self.merge_spans(i, j, &mut out, &mut pair)?;
                    continue;
                }
                (i, j) => {
                    st.merged += 1;
                    let ra = self.parse(self.a, &mut ca, i);
                    let rb = self.parse(self.b, &mut cb, j);
                    self.merger.merge_rows(ra, rb)
                }
            };
            line.clear();
            push_cells(
                self.file,
                self.merger.columns(),
                self.keys,
                &row,
                st.rows,
                &mut line,
            )?;
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        Ok((out, st))
    }

    /// Merge a matched pair of canonical lines cell by cell on their text:
    /// a cell null or absent on one side, or the same text on both, is
    /// copied; only real conflicts are parsed and resolved by the core
    /// ([`RowMerger::merge_cell`]) and written. Same bytes as merging the
    /// parsed rows and writing the result.
    fn merge_spans(
        &self,
        i: usize,
        j: usize,
        out: &mut Vec<u8>,
        pair: &mut PairScratch,
    ) -> Result<(), TableIoError> {
        let (ts_a, ts_b) = self.merger.timestamp_columns();
        let ta = field_spans(self.a, i, &self.a_key_len, None, &mut pair.a, ts_a);
        let tb = field_spans(
            self.b,
            j,
            &self.b_key_len,
            Some(self.merger.b_positions()),
            &mut pair.b,
            ts_b,
        );
        let (text_a, text_b) = (self.a.bytes_of(i), self.b.bytes_of(j));
        let ts = |text: &[u8], span: Option<(usize, usize)>| match span {
            Some((s, e)) => {
                let mut v = Value::None;
                read_value(&text[s..e], &mut v);
                parse_timestamp(Some(&v))
            }
            None => parse_timestamp(None),
        };
        let (ts_a, ts_b) = (ts(text_a, ta), ts(text_b, tb));
        out.push(b'{');
        for (o, key) in self.keys.iter().enumerate() {
            if o > 0 {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b": ");
            let present = |text: &[u8], sp: (usize, usize)| -> Option<(usize, usize)> {
                (sp.0 != ABSENT && &text[sp.0..sp.1] != b"null").then_some(sp)
            };
            let (sa, sb) = (present(text_a, pair.a[o]), present(text_b, pair.b[o]));
            match (sa, sb) {
                (None, None) => out.extend_from_slice(b"null"),
                (None, Some((s, e))) => out.extend_from_slice(&text_b[s..e]),
                (Some((s, e)), None) => out.extend_from_slice(&text_a[s..e]),
                (Some((s, e)), Some((u, v))) if text_a[s..e] == text_b[u..v] => {
                    out.extend_from_slice(&text_a[s..e])
                }
                (Some(x), Some(y)) => {
                    let (ta, tb) = (&text_a[x.0..x.1], &text_b[y.0..y.1]);
                    let choice = match surely_unequal(ta, tb)
                        .then(|| self.merger.choose_unequal(o, ts_a, ts_b))
                        .flatten()
                    {
                        Some(c) => c,
                        None => {
                            let (va, vb) = (&mut pair.va[o], &mut pair.vb[o]);
                            read_value(ta, va);
                            read_value(tb, vb);
                            self.merger.choose_cell(o, va, vb, ts_a, ts_b)
                        }
                    };
                    match choice {
                        Choice::A => out.extend_from_slice(ta),
                        Choice::B => out.extend_from_slice(tb),
                        Choice::New(merged) => {
                            pair.text.clear();
                            push_json(&merged, &mut pair.text).map_err(|msg| {
                                TableIoError::Unwritable {
                                    file: self.file.to_string(),
                                    row: i,
                                    column: self.merger.columns()[o].clone(),
                                    msg,
                                }
                            })?;
                            out.extend_from_slice(pair.text.as_bytes());
                        }
                    }
                }
            }
        }
        out.extend_from_slice(b"}\n");
        Ok(())
    }

    /// The rows with a null key (A's, then B's), exact duplicates removed.
    fn format_null_rows(
        &self,
        na: &[usize],
        nb: &[usize],
    ) -> Result<(String, usize), TableIoError> {
        let mut ca = Columns::from_names(self.a.columns.clone());
        let mut cb = Columns::from_names(self.b.columns.clone());
        let mut t = Table::with_columns(self.merger.columns().to_vec());
        for &i in na {
            t.rows
                .push(self.merger.widen_a(self.parse(self.a, &mut ca, i)));
        }
        for &j in nb {
            t.rows
                .push(self.merger.remap_b(self.parse(self.b, &mut cb, j)));
        }
        ExactDedup.dedup(&mut t, 1.0);
        let mut out = String::new();
        for (n, row) in t.rows.iter().enumerate() {
            push_cells(self.file, &t.columns, self.keys, row, n, &mut out)?;
            out.push('\n');
        }
        Ok((out, t.rows.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<bool>().prop_map(Value::Bool),
            (-3i64..4).prop_map(Value::Int),
            any::<i64>().prop_map(Value::Int),
            prop::sample::select(vec![0.0, -0.0, 1.0, -1.0, 0.5, 1e16, -1e-7, 3.0, 2.5])
                .prop_map(Value::Float),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::Float),
            prop::sample::select(vec!["", "1", "true", "1.0", "a"]).prop_map(Value::str),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20000))]

        /// Whenever two written value texts are called surely unequal, the
        /// values differ by Python `==`.
        #[test]
        fn surely_unequal_values_differ(a in value(), b in value()) {
            let (mut ta, mut tb) = (String::new(), String::new());
            push_json(&a, &mut ta).unwrap();
            push_json(&b, &mut tb).unwrap();
            if ta != tb && surely_unequal(ta.as_bytes(), tb.as_bytes()) {
                prop_assert!(!py_eq(&a, &b), "{ta} and {tb}");
            }
        }
    }

    #[test]
    fn equal_values_in_different_texts_are_not_surely_unequal() {
        for (a, b) in [
            ("1", "1.0"),
            ("true", "1"),
            ("0.0", "-0.0"),
            ("false", "0.0"),
        ] {
            assert!(!surely_unequal(a.as_bytes(), b.as_bytes()), "{a} {b}");
        }
        for (a, b) in [
            ("1", "2"),
            ("\"1\"", "1"),
            ("1.5", "2.5"),
            ("true", "false"),
        ] {
            assert!(surely_unequal(a.as_bytes(), b.as_bytes()), "{a} {b}");
        }
    }
}

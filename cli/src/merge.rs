//! `crdt-merge merge A B --key COL[,COL...] [--prefer a|b|latest]
//! [--timestamp-col COL] [--schema SCHEMA.json] [--provenance LOG.json] -o OUT`:
//! keyed merge of two table files (CSV, JSON-lines, JSON array, Parquet,
//! chosen by extension) with the reference's semantics (core `table::merge`).
//!
//! The two inputs are read and parsed on two threads; the output streams
//! through a buffer into a temporary file in OUT's directory that is renamed
//! into place only when everything (OUT and the provenance log) is complete.
//! Checks before merging, each a one-line error naming the file: key columns
//! present, key values of comparable types in both inputs.

use std::io::{BufWriter, Write};
use std::path::Path;

use crdt_merge_core::table::{
    merge_owned, merge_with_provenance, MergeOptions, MergeSchema, Prefer, Table, TableError,
};
use crdt_merge_core::value::Value;
use crdt_merge_io::table::jsonl::read_jsonl_from;
use crdt_merge_io::table::jsonl_merge::{self, FastMerge};
use crdt_merge_io::table::{read_table, write_table, TableFormat, TableIoError};

use crate::error::{CliError, Result};
use crate::files;
use crate::progress;

/// Arguments of `crdt-merge merge`.
pub struct MergeArgs<'a> {
    /// Input A.
    pub a: &'a Path,
    /// Input B.
    pub b: &'a Path,
    /// `--key`, comma separated.
    pub key: &'a str,
    /// `--prefer`.
    pub prefer: &'a str,
    /// `--timestamp-col`.
    pub timestamp_col: Option<&'a str>,
    /// `--schema` file.
    pub schema: Option<&'a Path>,
    /// `--provenance` file.
    pub provenance: Option<&'a Path>,
    /// `-o`.
    pub output: &'a Path,
}

fn name(p: &Path) -> String {
    p.display().to_string()
}

/// Read table files in parallel (one thread each), with a progress bar on a terminal.
pub(crate) fn read_tables(paths: &[&Path], what: &str) -> Result<Vec<Table>> {
    // A bad extension fails before any file is read.
    for p in paths {
        TableFormat::from_path(p)?;
    }
    let mut total = 0;
    for p in paths {
        total += files::file_size(p)?;
    }
    let bar = progress::bar(total, paths.len(), what);
    let results: Vec<Result<Table>> = std::thread::scope(|s| {
        let handles: Vec<_> = paths
            .iter()
            .map(|p| {
                let bar = bar.clone();
                s.spawn(move || -> Result<Table> {
                    if TableFormat::from_path(p)? == TableFormat::Jsonl {
                        // JSON lines stream through the bar as they are read.
                        let f = std::fs::File::open(p).map_err(CliError::io(*p))?;
                        let t = read_jsonl_from(&name(p), bar.wrap_read(f))?;
                        return Ok(t);
                    }
                    let t = read_table(p)?;
                    bar.inc(files::file_size(p).unwrap_or(0));
                    Ok(t)
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(paths)
            .map(|(h, p)| {
                h.join().unwrap_or_else(|_| {
                    Err(CliError::Data {
                        place: name(p),
                        msg: "internal error while reading".into(),
                    })
                })
            })
            .collect()
    });
    bar.finish_and_clear();
    results.into_iter().collect()
}

/// Write a table (and optional extra files) atomically: all to temporary
/// files first, renamed into place only when every one is complete.
pub(crate) fn write_outputs(out: &Path, t: &Table, extra: &[(&Path, &[u8])]) -> Result<()> {
    let format = TableFormat::from_path(out)?;
    let tmp = files::temp_for(out)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, files::Writeback::new(tmp.as_file()));
        write_table(&name(out), format, t, &mut w)?;
        w.flush().map_err(CliError::io(out))?;
    }
    let mut temps = vec![(out, tmp)];
    for (p, data) in extra {
        let mut tmp = files::temp_for(p)?;
        tmp.write_all(data).map_err(CliError::io(*p))?;
        temps.push((p, tmp));
    }
    files::rename_all(temps)
}

/// Kind of a key value for the type check: numbers (bool, int, float) compare
/// equal across types in Python, everything else only within its type.
fn key_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) | Value::Int(_) | Value::Float(_) => "number",
        other => other.type_name(),
    }
}

/// The first row's key kinds of each key column, and where a kind first appears.
fn key_kinds(t: &Table, col: usize) -> Vec<(&'static str, usize)> {
    let mut kinds: Vec<(&'static str, usize)> = Vec::new();
    for (ri, r) in t.rows.iter().enumerate() {
        if let Some(v) = &r[col] {
            if !matches!(v, Value::None) {
                let k = key_kind(v);
                if !kinds.iter().any(|(x, _)| *x == k) {
                    kinds.push((k, ri));
                }
            }
        }
    }
    kinds
}

/// Key columns present in both inputs and holding comparable types.
pub(crate) fn check_keys(
    keys: &[String],
    a: &Table,
    pa: &Path,
    b: &Table,
    pb: &Path,
) -> Result<()> {
    let mut idx = Vec::new();
    for (t, p) in [(a, pa), (b, pb)] {
        for k in keys {
            match t.column_index(k) {
                Some(i) => idx.push(i),
                None => {
                    return Err(CliError::Data {
                        place: name(p),
                        msg: format!(
                            "key column {k:?} not found (columns: {})",
                            t.columns.join(", ")
                        ),
                    })
                }
            }
        }
    }
    for (n, k) in keys.iter().enumerate() {
        let ka = key_kinds(a, idx[n]);
        let kb = key_kinds(b, idx[keys.len() + n]);
        if ka.is_empty() || kb.is_empty() {
            continue;
        }
        if !kb.iter().any(|(x, _)| ka.iter().any(|(y, _)| x == y)) {
            let (kind_b, row_b) = kb[0];
            return Err(CliError::Data {
                place: name(pb),
                msg: format!(
                    "row {}: key column {k:?} holds {kind_b} values but {}'s hold {}",
                    row_b + 1,
                    name(pa),
                    ka.iter().map(|(x, _)| *x).collect::<Vec<_>>().join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// A core merge error, named by the input it is about.
pub(crate) fn merge_error(e: TableError, pa: &Path, pb: &Path) -> CliError {
    let place = match &e {
        TableError::MissingKeyColumn { side: "b", .. } => name(pb),
        TableError::UnhashableKey { side: "b", .. } => name(pb),
        TableError::MissingKeyColumn { .. } | TableError::UnhashableKey { .. } => name(pa),
        _ => format!("{}, {}", name(pa), name(pb)),
    };
    CliError::Data {
        place,
        msg: e.to_string(),
    }
}

/// The fast path for JSON-lines in and out (`crdt_merge_io::table::jsonl_merge`):
/// both files mapped into memory, rows kept as bytes. Returns `false`, having
/// written nothing, when the inputs need the table path (which then reports
/// any error with its file and line).
fn merge_jsonl_files(args: &MergeArgs, opts: &MergeOptions) -> Result<bool> {
    let jsonl = |p: &Path| TableFormat::from_path(p).ok() == Some(TableFormat::Jsonl);
    if !(jsonl(args.a) && jsonl(args.b) && jsonl(args.output)) {
        return Ok(false);
    }
    let map = |p: &Path| -> Option<memmap2::Mmap> {
        let f = std::fs::File::open(p).ok()?;
        // SAFETY: the mapping is read-only and dropped before we return; a
        // file changed by another process while we read it is the caller's
        // race, as with any reader.
        unsafe { memmap2::MmapOptions::new().populate().map(&f) }.ok()
    };
    // Mapped at once: `populate` spends a few ms per 100 MB on page tables.
    let (ma, mb) = std::thread::scope(|s| {
        let mb = s.spawn(|| map(args.b));
        (map(args.a), mb.join().ok().flatten())
    });
    let (Some(ma), Some(mb)) = (ma, mb) else {
        return Ok(false);
    };
    let bar = progress::bar((ma.len() + mb.len()) as u64, 2, "merging");
    let tmp = files::temp_for(args.output)?;
    let outcome = {
        // No BufWriter: the fast path hands over buffers of about 1 MiB.
        let mut w = files::Writeback::new(tmp.as_file());
        let r =
            jsonl_merge::merge_jsonl(&name(args.output), &ma, &mb, opts, &mut w, &|n| bar.inc(n))?;
        w.flush().map_err(CliError::io(args.output))?;
        r
    };
    bar.finish_and_clear();
    match outcome {
        FastMerge::NotTaken(_) => Ok(false),
        FastMerge::Done(_) => {
            files::rename_all(vec![(args.output, tmp)])?;
            Ok(true)
        }
    }
}

/// Run `crdt-merge merge`.
pub fn run(args: &MergeArgs) -> Result<()> {
    let keys: Vec<String> = args.key.split(',').map(|k| k.trim().to_string()).collect();
    if keys.iter().any(String::is_empty) {
        return Err(CliError::BadOption {
            name: "--key",
            msg: format!("empty column name in {:?}", args.key),
        });
    }
    let prefer = Prefer::parse(args.prefer).map_err(|e| CliError::BadOption {
        name: "--prefer",
        msg: e.to_string(),
    })?;
    let schema = match args.schema {
        None => None,
        Some(p) => {
            let bytes = std::fs::read(p).map_err(CliError::io(p))?;
            let text = std::str::from_utf8(&bytes).map_err(|e| CliError::NotUtf8 {
                path: p.to_path_buf(),
                offset: e.valid_up_to(),
            })?;
            Some(MergeSchema::from_json(text).map_err(|e| CliError::Data {
                place: name(p),
                msg: e.to_string(),
            })?)
        }
    };
    // Fail on a bad output name before any work.
    TableFormat::from_path(args.output)?;
    if let Some(p) = args.provenance {
        if p.extension().and_then(|e| e.to_str()) != Some("json") {
            return Err(CliError::Table(TableIoError::UnknownFormat {
                file: name(p),
            }));
        }
    }
    let opts = MergeOptions {
        key: keys,
        prefer,
        timestamp_col: args.timestamp_col.map(str::to_string),
        schema,
        ..MergeOptions::default()
    };
    if args.provenance.is_none() && merge_jsonl_files(args, &opts)? {
        return Ok(());
    }
    let mut tables = read_tables(&[args.a, args.b], "reading tables")?;
    let b = tables.pop().unwrap_or_default();
    let a = tables.pop().unwrap_or_default();
    check_keys(&opts.key, &a, args.a, &b, args.b)?;
    match args.provenance {
        None => {
            let merged = merge_owned(a, b, &opts).map_err(|e| merge_error(e, args.a, args.b))?;
            write_outputs(args.output, &merged, &[])
        }
        Some(log_path) => {
            let (merged, log) =
                merge_with_provenance(&a, &b, &opts).map_err(|e| merge_error(e, args.a, args.b))?;
            drop((a, b));
            let text = log.to_json().map_err(|e| CliError::Data {
                place: name(log_path),
                msg: e.to_string(),
            })?;
            write_outputs(
                args.output,
                &merged,
                &[(log_path, format!("{text}\n").as_bytes())],
            )
        }
    }
}

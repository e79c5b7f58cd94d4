//! `crdt-merge memory merge`: merge agents' memory files (JSON lines of the
//! reference's memory dicts) with the core's `ContextMerge`. Thin: read and
//! validate lines, call the core, write the surviving memories (and the
//! manifest) atomically.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crdt_merge_core::memory::context::{ContextMerge, FactPartitioner, Strategy};
use crdt_merge_core::memory::{parse_memory_line, Memory};

use crate::error::{CliError, Result};
use crate::files;
use crate::progress;

/// Options of `memory merge`, as given on the command line (validated here).
pub struct MergeOptions<'a> {
    /// Input files, two or more.
    pub inputs: &'a [PathBuf],
    /// Strategy name.
    pub strategy: &'a str,
    /// Budget as typed (must be a non-negative integer).
    pub budget: Option<&'a str>,
    /// Minimum confidence as typed (a number).
    pub min_confidence: Option<&'a str>,
    /// `NAME=INT` agent priorities.
    pub agent_priority: &'a [String],
    /// Where to write the manifest.
    pub manifest: Option<&'a Path>,
    /// Where to write the merged memories.
    pub output: &'a Path,
}

fn build(opts: &MergeOptions<'_>) -> Result<ContextMerge> {
    let strategy = Strategy::parse(opts.strategy).map_err(|msg| CliError::BadOption {
        name: "--strategy",
        msg,
    })?;
    let mut cm = ContextMerge::new(strategy);
    if let Some(b) = opts.budget {
        let n: i64 = b.trim().parse().map_err(|_| CliError::BadOption {
            name: "--budget",
            msg: format!("must be a non-negative integer, got {b:?}"),
        })?;
        if n < 0 {
            return Err(CliError::BadOption {
                name: "--budget",
                msg: format!("must be a non-negative integer, got {n}"),
            });
        }
        cm.budget = Some(n as usize);
    }
    if let Some(m) = opts.min_confidence {
        let x: f64 = m.trim().parse().map_err(|_| CliError::BadOption {
            name: "--min-confidence",
            msg: format!("must be a number, got {m:?}"),
        })?;
        if x.is_nan() {
            return Err(CliError::BadOption {
                name: "--min-confidence",
                msg: "must be a number, got NaN".into(),
            });
        }
        cm.min_confidence = x;
    }
    let mut prio = BTreeMap::new();
    for p in opts.agent_priority {
        let (name, v) = p.split_once('=').ok_or_else(|| CliError::BadOption {
            name: "--agent-priority",
            msg: format!("expected NAME=INT, got {p:?}"),
        })?;
        let v: i64 = v.trim().parse().map_err(|_| CliError::BadOption {
            name: "--agent-priority",
            msg: format!("priority of {name:?} must be an integer, got {v:?}"),
        })?;
        prio.insert(name.to_string(), v);
    }
    cm.agent_priority = prio;
    // The content hash is only reported in the manifest.
    cm.hash_content = opts.manifest.is_some();
    Ok(cm)
}

/// Read one JSON-lines file of memories; blank lines are skipped.
pub fn read_memories(path: &Path, bar: &indicatif::ProgressBar) -> Result<Vec<Memory>> {
    let file = File::open(path).map_err(CliError::io(path))?;
    if !file.metadata().map_err(CliError::io(path))?.is_file() {
        return Err(CliError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let size = file.metadata().map_err(CliError::io(path))?.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    // Reserve for the whole file up front (memory lines are rarely under
    // 96 bytes): a growing Vec of a million memories would copy itself
    // into fresh pages again and again.
    let mut out = Vec::with_capacity((size / 96).min(1 << 24) as usize);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut unreported = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(CliError::io(path))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        unreported += n as u64;
        if unreported >= 1 << 20 {
            bar.inc(unreported);
            unreported = 0;
        }
        let text = std::str::from_utf8(&buf).map_err(|e| CliError::Line {
            path: path.to_path_buf(),
            line: line_no,
            msg: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        out.push(parse_memory_line(text).map_err(|e| CliError::Line {
            path: path.to_path_buf(),
            line: line_no,
            msg: e.to_string(),
        })?);
    }
    bar.inc(unreported);
    Ok(out)
}

/// Format memories as JSON lines (one string).
fn format_lines(memories: &[Memory]) -> std::result::Result<String, crdt_merge_core::DecodeError> {
    let mut text = String::with_capacity(memories.len() * 160);
    for m in memories {
        m.write_json_line(&mut text)?;
        text.push('\n');
    }
    Ok(text)
}

/// Run `f` on each item on its own scoped thread; results in item order.
fn par_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items.into_iter().map(|it| s.spawn(move || f(it))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Run `memory merge`.
///
/// Parallel plan (the result is the same as one sequential merge): parse
/// each file on its own thread; split every list into fact ranges (one per
/// core, from a sample); merge each range on its own thread (dedup, join,
/// filter, sort); apply the budget across ranges; format each range's lines
/// on its own thread; write the parts in range order.
pub fn merge(opts: &MergeOptions<'_>) -> Result<()> {
    let cm = build(opts)?;
    let mut total = 0u64;
    for p in opts.inputs {
        total += files::file_size(p)?;
    }
    let bar = progress::bar(total, opts.inputs.len(), "reading memories");
    let lists: Vec<Vec<Memory>> = par_map(opts.inputs.iter().collect(), |p| read_memories(p, &bar))
        .into_iter()
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    let sizes: Vec<usize> = lists.iter().map(Vec::len).collect();
    let sources = ContextMerge::sources(&lists);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    let partitioner = FactPartitioner::sample(&lists, threads);
    let split: Vec<Vec<Vec<Memory>>> = par_map(lists, |l| partitioner.split(l));
    let mut by_part: Vec<Vec<Vec<Memory>>> = (0..partitioner.parts())
        .map(|_| Vec::with_capacity(split.len()))
        .collect();
    for list_parts in split {
        for (p, piece) in list_parts.into_iter().enumerate() {
            by_part[p].push(piece);
        }
    }
    let parts = par_map(by_part, |lists| cm.merge_part(lists));
    let outcome = cm.finish_parts(parts, sources, &sizes);
    let text: Vec<String> = par_map(outcome.parts.iter().collect(), |p: &Vec<Memory>| {
        format_lines(p)
    })
    .into_iter()
    .collect::<std::result::Result<_, _>>()
    .map_err(CliError::encode(opts.output))?;
    let manifest = match opts.manifest {
        Some(mpath) => Some((
            mpath,
            outcome
                .manifest
                .to_json_pretty()
                .map_err(CliError::encode(mpath))?
                + "\n",
        )),
        None => None,
    };
    let text_parts: Vec<&[u8]> = text
        .iter()
        .map(|p| p.as_bytes())
        .filter(|p| !p.is_empty())
        .collect();
    let manifest_parts: Vec<&[u8]> = manifest.iter().map(|(_, json)| json.as_bytes()).collect();
    let mut outputs: Vec<(&Path, &[&[u8]])> = vec![(opts.output, &text_parts)];
    if let Some((mpath, _)) = &manifest {
        outputs.push((mpath, &manifest_parts));
    }
    files::write_atomic_all(&outputs)?;
    // The process ends right after this: freeing millions of small
    // allocations one by one would only delay the exit (the OS reclaims it).
    std::mem::forget(outputs);
    std::mem::forget(text_parts);
    std::mem::forget(text);
    std::mem::forget(outcome);
    Ok(())
}

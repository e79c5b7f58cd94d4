//! `crdt-merge memory merge`: merge agents' memory files (JSON lines of the
//! reference's memory dicts) with the core's `ContextMerge` semantics, and
//! write the surviving memories (and the manifest) atomically.
//!
//! Plan (the result is that of one sequential `ContextMerge` over all
//! inputs): map the files and parse chunks of lines on every core
//! ([`input`]: simple lines stay in place as field positions), merge fact
//! ranges on every core ([`plan`]: sort, join duplicates, filter, size each
//! output line), apply the budget, then every range writes its lines at its
//! own offset of the output file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crdt_merge_core::memory::context::{ContextMerge, Strategy};

use crate::error::{CliError, Result};
use crate::files;
use crate::progress;

mod input;
mod plan;

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

/// The manifest's `content_hash` of an output text: what the core's
/// `context::content_hash` computes (SHA-256 hex of the lines joined by
/// newlines), with a SHA-256 that uses the CPU's SHA instructions.
fn content_hash(output: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let body = output.strip_suffix(b"\n").unwrap_or(output);
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
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

/// Run `memory merge` (see the module docs for the plan).
pub fn merge(opts: &MergeOptions<'_>) -> Result<()> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    merge_with(opts, threads, None)
}

/// [`merge`] on `threads` workers, with chunks of `chunk_bytes` (default:
/// about a quarter of each worker's share, 1 MiB to 1 GiB).
fn merge_with(opts: &MergeOptions<'_>, threads: usize, chunk_bytes: Option<usize>) -> Result<()> {
    let cm = build(opts)?;
    let mut total_bytes = 0u64;
    for p in opts.inputs {
        total_bytes += files::file_size(p)?;
    }
    let bar = progress::bar(total_bytes, opts.inputs.len(), "reading memories");
    // mapping reads the files in: a few at a time, in parallel
    let mut maps: Vec<input::Bytes> = Vec::with_capacity(opts.inputs.len());
    for batch in opts.inputs.chunks(threads) {
        for m in par_map(batch.iter().collect(), |p: &PathBuf| input::open(p)) {
            maps.push(m?);
        }
    }
    let target = chunk_bytes
        .unwrap_or((total_bytes / (threads as u64 * 4)).clamp(1 << 20, 1 << 30) as usize);
    let chunks = input::chunks(&maps, target);
    let paths: Vec<&Path> = opts.inputs.iter().map(PathBuf::as_path).collect();
    let want_manifest = opts.manifest.is_some();
    let parsed = input::parse_all(
        &paths,
        &maps,
        &chunks,
        threads,
        want_manifest,
        cm.now,
        &|n| bar.inc(n),
    )?;
    bar.finish_and_clear();
    let mut sizes = vec![0usize; maps.len()];
    for (c, p) in chunks.iter().zip(&parsed) {
        sizes[c.file] += p.len();
    }

    let inputs = plan::Inputs::new(&parsed);
    let splitters = inputs.splitters(threads);
    let parts: Vec<usize> = (0..=splitters.len()).collect();
    let mut ranges: Vec<plan::Range<'_>> =
        par_map(parts, |p| plan::merge_range(&inputs, &splitters, p, &cm))
            .into_iter()
            .collect::<std::result::Result<_, _>>()
            .map_err(CliError::encode(opts.output))?;
    plan::apply_budget(&mut ranges, cm.budget);

    let mut offsets = Vec::with_capacity(ranges.len());
    let mut end = 0u64;
    for r in &ranges {
        offsets.push(end);
        end += r.bytes();
    }
    let tmp = files::temp_for(opts.output)?;
    let jobs: Vec<(&plan::Range<'_>, u64)> = ranges.iter().zip(offsets).collect();
    for (r, w) in jobs.iter().zip(par_map(jobs.clone(), |(r, off)| {
        r.write(tmp.as_file(), off, cm.now)
    })) {
        if w.map_err(CliError::io(opts.output))? != r.0.bytes() {
            return Err(plan::size_mismatch(opts.output));
        }
    }

    let manifest = match opts.manifest {
        Some(mpath) => {
            let unique: usize = ranges.iter().map(plan::Range::count).sum();
            let quality =
                ranges.iter().fold(0.0, |acc, r| r.sum_confidence(acc)) / (unique.max(1) as f64);
            let hash = if cm.hash_content {
                content_hash(&input::open(tmp.path())?)
            } else {
                String::new()
            };
            let sources: BTreeSet<&String> = parsed.iter().flat_map(|p| &p.sources).collect();
            let total: usize = ranges.iter().map(|r| r.total).sum();
            let distinct: usize = ranges.iter().map(|r| r.distinct).sum();
            let m = cm.manifest_of(
                unique,
                quality,
                hash,
                sources.into_iter().cloned().collect(),
                total,
                distinct,
                &sizes,
            );
            Some((
                mpath,
                m.to_json_pretty().map_err(CliError::encode(mpath))? + "\n",
            ))
        }
        None => None,
    };
    let manifest_parts: Vec<&[u8]> = manifest.iter().map(|(_, json)| json.as_bytes()).collect();
    let mut extra: Vec<(&Path, &[&[u8]])> = Vec::new();
    if let Some((mpath, _)) = &manifest {
        extra.push((mpath, &manifest_parts));
    }
    files::persist_synced(vec![(opts.output, tmp)], &extra)?;
    // The process ends right after this: freeing millions of entries and
    // unmapping the inputs would only delay the exit (the OS reclaims it).
    std::mem::forget(jobs);
    std::mem::forget(ranges);
    std::mem::forget(parsed);
    std::mem::forget(maps);
    Ok(())
}

#[cfg(test)]
mod tests;

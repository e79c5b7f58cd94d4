//! Reading memory files for `memory merge`: each file is mapped (not
//! copied), cut into chunks at line ends, and each chunk is parsed on a
//! worker thread into [`FlatLine`]s (field positions, no copies) or, for the
//! lines the flat parser does not take, owned [`Memory`] values. The first
//! bad line (in file order) is reported exactly as a line-by-line reader
//! reports it: file, 1-based line number, and the parser's message.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crdt_merge_core::memory::flat::ByteCount;
use crdt_merge_core::memory::{parse_memory_line, FlatJoin, FlatLine, Memory};

use crate::error::{CliError, Result};

/// One input file's bytes: mapped, or read when mapping is not possible.
pub enum Bytes {
    /// A read-only map of the file.
    Map(memmap2::Mmap),
    /// The file's bytes read into memory (empty files, special files).
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Map(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// Map a whole input file (which must be a regular file).
pub fn open(path: &Path) -> Result<Bytes> {
    let file = File::open(path).map_err(CliError::io(path))?;
    let meta = file.metadata().map_err(CliError::io(path))?;
    if !meta.is_file() {
        return Err(CliError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if meta.len() == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    let mut opts = memmap2::MmapOptions::new();
    #[cfg(target_os = "linux")]
    opts.populate();
    // SAFETY: the map is read-only and private to this process; like every
    // tool that maps its inputs, we rely on the file not being truncated by
    // another process while the command runs (it is read once, up front).
    #[allow(unsafe_code)]
    let map = unsafe { opts.map(&file) };
    match map {
        Ok(m) => Ok(Bytes::Map(m)),
        Err(_) => {
            let mut v = Vec::with_capacity(meta.len() as usize);
            std::io::Read::read_to_end(&mut &file, &mut v).map_err(CliError::io(path))?;
            Ok(Bytes::Owned(v))
        }
    }
}

/// A piece of one input: whole lines `start..end` of file `file`.
#[derive(Debug, Clone, Copy)]
pub struct Chunk {
    /// Index of the input file.
    pub file: usize,
    /// First byte (a line start).
    pub start: usize,
    /// One past the last byte (after a newline, or the end of the file).
    pub end: usize,
}

/// Cut every file into chunks of about `target` bytes, at line ends.
pub fn chunks(files: &[Bytes], target: usize) -> Vec<Chunk> {
    let target = target.max(1);
    let mut out = Vec::new();
    for (f, b) in files.iter().enumerate() {
        let mut start = 0;
        while start < b.len() {
            let want = start.saturating_add(target).min(b.len());
            let end = match memchr::memchr(b'\n', &b[want.max(start)..]) {
                Some(i) if want < b.len() => want + i + 1,
                _ => b.len(),
            };
            out.push(Chunk {
                file: f,
                start,
                end,
            });
            start = end;
        }
    }
    out
}

/// What one chunk holds.
pub struct Parsed<'a> {
    /// The chunk's text; [`Parsed::flats`] point into it.
    pub text: &'a str,
    /// Simple lines, by position.
    pub flats: Vec<FlatLine>,
    /// Output length (with newline) of each simple line merged alone.
    pub lens: Vec<u32>,
    /// Every other memory line, parsed.
    pub fulls: Vec<Memory>,
    /// The first fact of the chunk and the length of the prefix every fact
    /// of the chunk shares with it (`None` for a chunk without memories).
    pub prefix: Option<(Vec<u8>, usize)>,
    /// Distinct non-empty sources (only when asked for).
    pub sources: HashSet<String>,
}

impl Parsed<'_> {
    /// Number of memories.
    pub fn len(&self) -> usize {
        self.flats.len() + self.fulls.len()
    }
}

/// Length of the common prefix of `a` and `b`.
pub fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn note_fact(prefix: &mut Option<(Vec<u8>, usize)>, fact: &str) {
    match prefix {
        None => *prefix = Some((fact.as_bytes().to_vec(), fact.len())),
        Some((first, n)) => {
            if *n > 0 && (fact.len() < *n || fact.as_bytes()[..*n] != first[..*n]) {
                *n = common_prefix(&first[..*n], fact.as_bytes());
            }
        }
    }
}

fn line_error(path: &Path, bytes: &[u8], at: usize, msg: String) -> CliError {
    CliError::Line {
        path: path.to_path_buf(),
        line: memchr::memchr_iter(b'\n', &bytes[..at]).count() + 1,
        msg,
    }
}

/// Parse one chunk of file `bytes` (named `path`).
pub fn parse_chunk<'a>(
    path: &Path,
    bytes: &'a [u8],
    c: Chunk,
    want_sources: bool,
    now: f64,
) -> Result<Parsed<'a>> {
    let raw = &bytes[c.start..c.end];
    // Lines before the first invalid byte are parsed (their errors come first).
    let (text, bad_utf8) = match std::str::from_utf8(raw) {
        Ok(t) => (t, None),
        Err(e) => {
            let at = e.valid_up_to();
            let line_start = raw[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let text = std::str::from_utf8(&raw[..line_start]).unwrap_or_default();
            (text, Some((line_start, at - line_start)))
        }
    };
    let mut p = Parsed {
        text,
        flats: Vec::with_capacity(text.len() / 128 + 1),
        lens: Vec::with_capacity(text.len() / 128 + 1),
        fulls: Vec::new(),
        prefix: None,
        sources: HashSet::new(),
    };
    let b = text.as_bytes();
    let mut pos = 0;
    let mut j = FlatJoin::new();
    while pos < b.len() {
        let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i);
        if let Some(fl) = FlatLine::parse(text, pos, end) {
            note_fact(&mut p.prefix, fl.fact(text));
            if want_sources {
                let s = fl.source(text);
                if !s.is_empty() && !p.sources.contains(s) {
                    p.sources.insert(s.to_string());
                }
            }
            let len = fl.single_len(text).unwrap_or_else(|| {
                j.start(text, &fl, now);
                j.finish();
                let mut n = ByteCount(0);
                j.write_line(&mut n);
                n.0
            });
            p.lens.push(u32::try_from(len + 1).unwrap_or(u32::MAX));
            p.flats.push(fl);
        } else {
            let line = text[pos..end].trim();
            if !line.is_empty() {
                let m = parse_memory_line(line)
                    .map_err(|e| line_error(path, bytes, c.start + pos, e.to_string()))?;
                note_fact(&mut p.prefix, &m.fact);
                if want_sources && !m.source.is_empty() {
                    p.sources.insert(m.source.clone());
                }
                p.fulls.push(m);
            }
        }
        pos = end + 1;
    }
    if let Some((line_start, off)) = bad_utf8 {
        return Err(line_error(
            path,
            bytes,
            c.start + line_start,
            format!("invalid UTF-8 at byte {off}"),
        ));
    }
    Ok(p)
}

/// Parse every chunk on `threads` workers; results in chunk order, or the
/// error of the first bad line in file order. `done(bytes)` is called as
/// chunks finish (for progress).
pub fn parse_all<'a>(
    paths: &[&Path],
    files: &'a [Bytes],
    chunks: &[Chunk],
    threads: usize,
    want_sources: bool,
    now: f64,
    done: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Parsed<'a>>> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<Parsed<'a>>>>> =
        Mutex::new((0..chunks.len()).map(|_| None).collect());
    // Once a chunk fails, later chunks need not be parsed.
    let first_bad = AtomicUsize::new(usize::MAX);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1).min(chunks.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= chunks.len() || i > first_bad.load(Ordering::Relaxed) {
                    break;
                }
                let c = chunks[i];
                let r = parse_chunk(paths[c.file], &files[c.file], c, want_sources, now);
                if r.is_err() {
                    first_bad.fetch_min(i, Ordering::Relaxed);
                }
                done((c.end - c.start) as u64);
                if let Ok(mut v) = slots.lock() {
                    v[i] = Some(r);
                }
            });
        }
    });
    let slots = slots.into_inner().unwrap_or_default();
    let mut out = Vec::with_capacity(slots.len());
    for r in slots {
        match r {
            Some(r) => out.push(r?),
            // skipped after an earlier chunk failed; that error came first
            None => break,
        }
    }
    Ok(out)
}

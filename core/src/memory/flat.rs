//! Memory lines read in place, for merging millions of memories without
//! building a [`Memory`] per line.
//!
//! [`FlatLine`] records where the fields of a *simple* memory line are (a
//! JSON object whose keys are only the reserved ones, each at most once;
//! strings without escapes or control characters; JSON numbers; a list of
//! such strings for `tags`) together with its two numbers. Every other line
//! is left to [`parse_memory_line`](super::parse_memory_line): the parser
//! answers `None` rather than guess, and never reports errors itself.
//!
//! [`FlatJoin`] is the merge of flat lines sharing a fact, with the same
//! rules as [`ContextMerge`](super::ContextMerge)'s join (the greatest
//! confidence and effective timestamp under the IEEE total order, the
//! largest source and topic, the union of tags), and
//! [`FlatJoin::write_line`] writes the merged memory exactly as
//! [`Memory::write_json_line`] writes it. Numbers whose input text already
//! is Python's `repr` of their value are copied, not formatted again.
//!
//! `memory_flat.rs` checks, on random lines, that the parse, the join and the
//! written line equal the [`Memory`] path.

use alloc::string::String;
use alloc::vec::Vec;

use super::{fmax, Memory};
use crate::json::write::{write_float, write_str};

/// A byte range of a text buffer (start and length).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// Number of bytes.
    pub len: u32,
}

impl Span {
    /// The text of this span in `buf` (empty when out of range).
    pub fn get(self, buf: &str) -> &str {
        let s = self.start as usize;
        buf.get(s..s + self.len as usize).unwrap_or("")
    }
}

const HAS_TS: u8 = 1;
/// Every string byte is printable ASCII other than `"` and `\`: written as is.
const PLAIN: u8 = 2;
const CONF_REPR: u8 = 4;
const TS_REPR: u8 = 8;
const TAGS_SORTED: u8 = 16;

/// Where the fields of one simple memory line are in its buffer (see the
/// module docs), with its confidence and timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlatLine {
    fact: Span,
    source: Span,
    topic: Span,
    tags: Span,
    confidence: f64,
    ts: f64,
    conf_at: u32,
    ts_at: u32,
    conf_len: u8,
    ts_len: u8,
    flags: u8,
}

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
    end: usize,
    plain: bool,
}

impl Cur<'_> {
    fn ws(&mut self) {
        while self.i < self.end && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        (self.i < self.end).then(|| self.b[self.i])
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(c)).then(|| self.i += 1)
    }

    /// A string without escapes or control characters; the span of its content.
    fn string(&mut self) -> Option<(usize, usize)> {
        const L: u64 = 0x0101_0101_0101_0101;
        const H: u64 = 0x8080_8080_8080_8080;
        self.eat(b'"')?;
        let start = self.i;
        let (b, end) = (self.b, self.end);
        let mut i = start;
        // eight bytes at a time while none is `"`, `\`, a control, DEL or non-ASCII
        while let Some(w) = b.get(i..i + 8).filter(|_| i + 8 <= end) {
            let w = w.try_into().map(u64::from_le_bytes).unwrap_or(H);
            let zero = |x: u64| x.wrapping_sub(L) & !x;
            let special = zero(w ^ (L * u64::from(b'"')))
                | zero(w ^ (L * u64::from(b'\\')))
                | zero(w ^ (L * 0x7f))
                | (w.wrapping_sub(L * 0x20) & !w)
                | w;
            if special & H != 0 {
                break;
            }
            i += 8;
        }
        while i < end {
            match b[i] {
                b'"' => {
                    self.i = i + 1;
                    return Some((start, i));
                }
                b'\\' | 0..=0x1f => return None,
                0x7f.. => {
                    self.plain = false;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// One of the reserved keys (its index in `RESERVED_KEYS`), quoted.
    fn key(&mut self) -> Option<u8> {
        self.eat(b'"')?;
        let rest = &self.b[self.i..self.end];
        let (k, name): (u8, &[u8]) = match *rest.first()? {
            b'f' => (0, b"fact\""),
            b'c' => (1, b"confidence\""),
            b's' => (2, b"source\""),
            b't' => match rest.get(1)? {
                b's' => (3, b"ts\""),
                b'o' => (4, b"topic\""),
                _ => (5, b"tags\""),
            },
            _ => return None,
        };
        if !rest.starts_with(name) {
            return None;
        }
        self.i += name.len();
        Some(k)
    }

    /// A JSON number, read by the JSON parser's rules; its start and value.
    fn number(&mut self, text: &str) -> Option<(usize, f64)> {
        self.ws();
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        if self.i == digits || (self.b[digits] == b'0' && self.i - digits > 1) {
            return None;
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.i += 1;
            let f = self.i;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            if self.i == f {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            float = true;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            let e = self.i;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
            if self.i == e {
                return None;
            }
        }
        let t = text.get(start..self.i)?;
        let v = match decimal_fast(t.as_bytes()) {
            Some(v) => v,
            None if float => t.parse::<f64>().ok()?,
            None => t.parse::<i64>().ok()? as f64,
        };
        Some((start, v))
    }
}

/// Powers of ten that are exact doubles.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a JSON number without exponent and with at most 15 digits,
/// computed exactly as a correctly rounded parse gives it (digits and the
/// power of ten are exact doubles, so one IEEE division rounds correctly);
/// `None` for any other text.
fn decimal_fast(t: &[u8]) -> Option<f64> {
    let (neg, body) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    if body.is_empty() || body.len() > 16 {
        return None;
    }
    let mut m: u64 = 0;
    let mut digits = 0usize;
    let mut frac: Option<usize> = None;
    for &c in body {
        match c {
            b'0'..=b'9' => {
                m = m * 10 + u64::from(c - b'0');
                digits += 1;
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            _ => return None,
        }
    }
    if digits > 15 {
        return None;
    }
    match frac {
        // an integer: `-0` is the int 0, so +0.0
        None if neg && m != 0 => Some(-(m as f64)),
        None => Some(m as f64),
        Some(f) => {
            let v = m as f64 / POW10[f];
            Some(if neg { -v } else { v })
        }
    }
}

/// Whether `t` (a JSON number's text) is exactly Python's `repr` of the float
/// it denotes: positional notation with a fraction, no redundant zeros, at
/// most 15 significant digits (so the digits are the shortest round trip).
pub fn is_float_repr(t: &str) -> bool {
    let body = t.strip_prefix('-').unwrap_or(t).as_bytes();
    let Some(dot) = body.iter().position(|&b| b == b'.') else {
        return false;
    };
    let (int, frac) = (&body[..dot], &body[dot + 1..]);
    if int.is_empty()
        || frac.is_empty()
        || !int.iter().chain(frac).all(u8::is_ascii_digit)
        || (int.len() > 1 && int[0] == b'0')
    {
        return false;
    }
    if frac.len() > 1 && frac[frac.len() - 1] == b'0' {
        return false;
    }
    if int == b"0" {
        if frac == b"0" {
            return true;
        }
        let zeros = frac.iter().take_while(|&&b| b == b'0').count();
        zeros <= 3 && frac.len() - zeros <= 15
    } else if int.len() > 16 {
        false
    } else if frac == b"0" {
        int.iter().rposition(|&b| b != b'0').map_or(0, |p| p + 1) <= 15
    } else {
        int.len() + frac.len() <= 15
    }
}

/// The length of `t` when it is its value's `repr` (see [`is_float_repr`]).
fn repr_len(t: &str) -> Option<u8> {
    u8::try_from(t.len()).ok().filter(|_| is_float_repr(t))
}

impl FlatLine {
    /// Parse the line `buf[start..end]` (without its newline) if it is a
    /// simple memory line; `None` for anything else, including every
    /// invalid line. Spans are offsets into `buf`, so `buf` must be at most
    /// `u32::MAX` bytes long.
    pub fn parse(buf: &str, start: usize, end: usize) -> Option<FlatLine> {
        if buf.len() > u32::MAX as usize || start > end || end > buf.len() {
            return None;
        }
        let mut c = Cur {
            b: buf.as_bytes(),
            i: start,
            end,
            plain: true,
        };
        let span = |(s, e): (usize, usize)| Span {
            start: s as u32,
            len: (e - s) as u32,
        };
        let mut line = FlatLine {
            fact: Span::default(),
            source: Span::default(),
            topic: Span::default(),
            tags: Span::default(),
            confidence: 1.0,
            ts: 0.0,
            conf_at: 0,
            ts_at: 0,
            conf_len: 0,
            ts_len: 0,
            flags: TAGS_SORTED,
        };
        let mut seen = 0u8;
        c.eat(b'{')?;
        loop {
            let key = c.key()?;
            if seen & (1 << key) != 0 {
                return None;
            }
            seen |= 1 << key;
            c.eat(b':')?;
            match key {
                0 => line.fact = span(c.string()?),
                1 => {
                    let (at, v) = c.number(buf)?;
                    line.confidence = v;
                    line.conf_at = at as u32;
                    if let Some(n) = repr_len(buf.get(at..c.i).unwrap_or("")) {
                        line.conf_len = n;
                        line.flags |= CONF_REPR;
                    }
                }
                2 => line.source = span(c.string()?),
                3 => {
                    let (at, v) = c.number(buf)?;
                    line.ts = v;
                    line.ts_at = at as u32;
                    line.flags |= HAS_TS;
                    if let Some(n) = repr_len(buf.get(at..c.i).unwrap_or("")) {
                        line.ts_len = n;
                        line.flags |= TS_REPR;
                    }
                }
                4 => line.topic = span(c.string()?),
                _ => {
                    c.eat(b'[')?;
                    let first = c.i;
                    c.ws();
                    if c.peek() == Some(b']') {
                        c.i += 1;
                    } else {
                        let mut prev: Option<&[u8]> = None;
                        loop {
                            let (s, e) = c.string()?;
                            let t = &c.b[s..e];
                            if prev.is_some_and(|p| p >= t) {
                                line.flags &= !TAGS_SORTED;
                            }
                            prev = Some(t);
                            c.ws();
                            match c.peek()? {
                                b',' => c.i += 1,
                                b']' => {
                                    line.tags = span((first, c.i));
                                    c.i += 1;
                                    break;
                                }
                                _ => return None,
                            }
                        }
                    }
                }
            }
            c.ws();
            match c.peek()? {
                b',' => c.i += 1,
                b'}' => {
                    c.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        c.ws();
        if c.i != end || seen & 1 == 0 {
            return None;
        }
        if c.plain {
            line.flags |= PLAIN;
        }
        Some(line)
    }

    /// The fact.
    pub fn fact<'a>(&self, buf: &'a str) -> &'a str {
        self.fact.get(buf)
    }

    /// The source ("" when absent).
    pub fn source<'a>(&self, buf: &'a str) -> &'a str {
        self.source.get(buf)
    }

    /// The topic ("" when absent).
    pub fn topic<'a>(&self, buf: &'a str) -> &'a str {
        self.topic.get(buf)
    }

    /// The confidence (1.0 when absent).
    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// The timestamp, if given.
    pub fn ts(&self) -> Option<f64> {
        (self.flags & HAS_TS != 0).then_some(self.ts)
    }

    /// The tags as written (maybe unsorted, maybe repeated).
    pub fn tags<'a>(&self, buf: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let mut rest = self.tags.get(buf);
        core::iter::from_fn(move || {
            let b = rest.as_bytes();
            let s = b.iter().position(|&c| c == b'"')? + 1;
            let e = s + b[s..].iter().position(|&c| c == b'"')?;
            let t = rest.get(s..e)?;
            rest = rest.get(e + 1..)?;
            Some(t)
        })
    }

    /// The length of the line [`FlatJoin::write_line`] writes for this line
    /// merged alone, computed without building it; `None` when that needs
    /// formatting (escaped strings, numbers to reformat, more than eight
    /// unsorted tags), and then the caller builds the [`FlatJoin`].
    pub fn single_len(&self, buf: &str) -> Option<usize> {
        if self.flags & PLAIN == 0 || self.flags & CONF_REPR == 0 {
            return None;
        }
        // a missing or zero timestamp (replaced by `now`) is formatted: None
        let ts = self.ts_text(buf)?.len();
        let mut tags = 0usize;
        if self.flags & TAGS_SORTED != 0 {
            for (i, t) in self.tags(buf).enumerate() {
                tags += t.len() + if i > 0 { 4 } else { 2 };
            }
        } else {
            let mut v: [&str; 8] = [""; 8];
            let mut n = 0;
            for t in self.tags(buf) {
                *v.get_mut(n)? = t;
                n += 1;
            }
            let v = &mut v[..n];
            v.sort_unstable();
            for (i, t) in v.iter().enumerate() {
                if i > 0 && v[i - 1] == *t {
                    continue;
                }
                tags += t.len() + if tags > 0 { 4 } else { 2 };
            }
        }
        Some(
            9 + self.fact.len as usize
                + 2
                + 16
                + usize::from(self.conf_len)
                + 12
                + self.source.len as usize
                + 2
                + 8
                + ts
                + 11
                + self.topic.len as usize
                + 2
                + 11
                + tags
                + 2,
        )
    }

    /// The [`Memory`] this line denotes (what `parse_memory_line` returns for it).
    pub fn to_memory(&self, buf: &str) -> Memory {
        let mut tags: Vec<String> = self.tags(buf).map(String::from).collect();
        tags.sort_unstable();
        tags.dedup();
        Memory {
            fact: self.fact(buf).into(),
            confidence: self.confidence,
            source: self.source(buf).into(),
            ts: self.ts(),
            topic: self.topic(buf).into(),
            tags,
            metadata: Default::default(),
        }
    }
}

/// Where a written line goes: a `String`, or a byte counter that sizes the
/// output before it is written.
pub trait LineSink {
    /// Append `s`.
    fn put(&mut self, s: &str);
}

impl LineSink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// A [`LineSink`] that only counts bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteCount(pub usize);

impl LineSink for ByteCount {
    fn put(&mut self, s: &str) {
        self.0 += s.len();
    }
}

/// The merged memory of flat lines sharing one fact. Reusable: [`FlatJoin::start`]
/// resets it, so one value (and its tag buffer) serves a whole merge.
#[derive(Debug, Clone, Default)]
pub struct FlatJoin<'a> {
    fact: &'a str,
    confidence: f64,
    conf_text: Option<&'a str>,
    ts: f64,
    ts_text: Option<&'a str>,
    source: &'a str,
    topic: &'a str,
    tags: Vec<&'a str>,
    sorted: bool,
    plain: bool,
}

impl<'a> FlatJoin<'a> {
    /// An empty join (call [`FlatJoin::start`] before anything else).
    pub fn new() -> Self {
        Self::default()
    }

    /// Start over with `line` of `buf`; `now` replaces a missing or zero `ts`.
    pub fn start(&mut self, buf: &'a str, line: &FlatLine, now: f64) {
        self.fact = line.fact(buf);
        self.confidence = line.confidence;
        self.conf_text = line.conf_text(buf);
        self.ts = super::effective_ts(line.ts(), now);
        self.ts_text = line.ts_text(buf);
        self.source = line.source(buf);
        self.topic = line.topic(buf);
        self.tags.clear();
        self.tags.extend(line.tags(buf));
        self.sorted = line.flags & TAGS_SORTED != 0;
        self.plain = line.flags & PLAIN != 0;
    }

    /// Join another line of the same fact (the caller checks the fact).
    pub fn join(&mut self, buf: &'a str, line: &FlatLine, now: f64) {
        let c = fmax(self.confidence, line.confidence);
        if c.to_bits() != self.confidence.to_bits() {
            self.confidence = c;
            self.conf_text = line.conf_text(buf);
        }
        let ts = super::effective_ts(line.ts(), now);
        let t = fmax(self.ts, ts);
        if t.to_bits() != self.ts.to_bits() {
            self.ts = t;
            self.ts_text = line.ts_text(buf);
        }
        let source = line.source(buf);
        if source > self.source {
            self.source = source;
        }
        let topic = line.topic(buf);
        if topic > self.topic {
            self.topic = topic;
        }
        let before = self.tags.len();
        self.tags.extend(line.tags(buf));
        if self.tags.len() != before {
            self.sorted = false;
        }
        self.plain &= line.flags & PLAIN != 0;
    }

    /// The merged confidence.
    pub fn confidence(&self) -> f64 {
        self.confidence
    }

    /// The fact.
    pub fn fact(&self) -> &'a str {
        self.fact
    }

    /// Sort and deduplicate the tags (needed once before writing).
    pub fn finish(&mut self) {
        if !self.sorted {
            self.tags.sort_unstable();
            self.tags.dedup();
            self.sorted = true;
        }
    }

    /// Write the merged memory as [`Memory::write_json_line`] writes it (no
    /// newline). Call [`FlatJoin::finish`] first.
    pub fn write_line<O: LineSink>(&self, out: &mut O) {
        let s = |x: &str, out: &mut O| {
            if self.plain {
                out.put("\"");
                out.put(x);
                out.put("\"");
            } else {
                let mut t = String::new();
                write_str(x, &mut t);
                out.put(&t);
            }
        };
        let n = |v: f64, text: Option<&str>, out: &mut O| match text {
            Some(t) => out.put(t),
            None => {
                let mut t = String::new();
                write_float(v, &mut t);
                out.put(&t);
            }
        };
        out.put("{\"fact\": ");
        s(self.fact, out);
        out.put(", \"confidence\": ");
        n(self.confidence, self.conf_text, out);
        out.put(", \"source\": ");
        s(self.source, out);
        out.put(", \"ts\": ");
        n(self.ts, self.ts_text, out);
        out.put(", \"topic\": ");
        s(self.topic, out);
        out.put(", \"tags\": [");
        for (i, t) in self.tags.iter().enumerate() {
            if i > 0 {
                out.put(", ");
            }
            s(t, out);
        }
        out.put("]}");
    }
}

impl FlatLine {
    /// The timestamp's text when it is both used (not zero) and already its repr.
    fn ts_text<'a>(&self, buf: &'a str) -> Option<&'a str> {
        let span = Span {
            start: self.ts_at,
            len: u32::from(self.ts_len),
        };
        (self.flags & TS_REPR != 0 && self.ts != 0.0).then(|| span.get(buf))
    }

    /// The confidence's text when it already is its repr.
    fn conf_text<'a>(&self, buf: &'a str) -> Option<&'a str> {
        let span = Span {
            start: self.conf_at,
            len: u32::from(self.conf_len),
        };
        (self.flags & CONF_REPR != 0).then(|| span.get(buf))
    }
}

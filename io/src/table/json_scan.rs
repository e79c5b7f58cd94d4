//! A fast JSON scanner over one in-memory text: values straight into
//! [`Value`], objects of a table straight into aligned row cells (no
//! per-row map). Python `json` semantics: integers without fraction or
//! exponent are ints, others floats; duplicate keys keep the last value at
//! the first position. Not accepted (typed errors, never panics): `NaN` /
//! `Infinity` literals, integers outside int64, lone surrogate escapes,
//! nesting deeper than [`MAX_DEPTH`].

use std::collections::HashMap;

use crdt_merge_core::table::Cell;
use crdt_merge_core::value::Value;

/// Deepest nesting of lists/objects accepted (bounded stack use).
pub const MAX_DEPTH: usize = 128;

/// The length of a number at the start of `b` whose text is exactly what
/// Python's `json.dumps` writes for its value, found without converting it:
/// an int of at most 18 digits other than `-0`, or a float `I.F` with at
/// most 15 significant digits, `I` below 1e16, no trailing zero in `F`
/// (except `F` = `0`) and magnitude at least 1e-4 or zero. Such a float
/// converts to a double whose shortest `repr` is the same text (15 digits
/// always survive the round trip), and it is finite. `None`: not simple
/// (the caller converts and compares).
pub(crate) fn simple_number(b: &[u8]) -> Option<usize> {
    let neg = b.first() == Some(&b'-');
    let mut p = neg as usize;
    let int_start = p;
    while p < b.len() && b[p].is_ascii_digit() {
        p += 1;
    }
    let int_len = p - int_start;
    if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
        return None;
    }
    let next = b.get(p).copied();
    if next != Some(b'.') {
        if matches!(next, Some(b'e' | b'E')) || int_len > 18 {
            return None;
        }
        if neg && int_len == 1 && b[int_start] == b'0' {
            return None;
        }
        return Some(p);
    }
    p += 1;
    let frac_start = p;
    while p < b.len() && b[p].is_ascii_digit() {
        p += 1;
    }
    let frac = &b[frac_start..p];
    if frac.is_empty() || matches!(b.get(p), Some(b'e' | b'E')) || int_len > 16 {
        return None;
    }
    if frac.len() > 1 && frac[frac.len() - 1] == b'0' {
        return None;
    }
    let int = &b[int_start..int_start + int_len];
    let sig = if int == b"0" {
        let zeros = frac.iter().take_while(|&&c| c == b'0').count();
        if zeros == frac.len() {
            // 0.0 (or -0.0): repr as written.
            return (frac.len() == 1).then_some(p);
        }
        if zeros > 3 {
            return None; // below 1e-4: repr switches to exponent form
        }
        frac.len() - zeros
    } else {
        int_len + frac.len()
    };
    (sig <= 15).then_some(p)
}

/// The index of the first byte at or after `i` that is not printable ASCII
/// other than `"` and `\` (`b.len()` if none): the end of a string body
/// written back byte for byte. Eight bytes at a time.
#[inline]
pub(crate) fn plain_run(b: &[u8], mut i: usize) -> usize {
    const L: u64 = 0x0101_0101_0101_0101;
    const H: u64 = 0x8080_8080_8080_8080;
    // High bit of each zero byte of x; only the lowest one is exact (a
    // borrow starts at a zero byte), which is the one used.
    let zero = |x: u64| x.wrapping_sub(L) & !x & H;
    while let Some(w) = b.get(i..i + 8) {
        let w = w.try_into().map_or(H, u64::from_le_bytes);
        let special = zero(w ^ (L * u64::from(b'"')))
            | zero(w ^ (L * u64::from(b'\\')))
            | zero(w ^ (L * 0x7f))
            | (w.wrapping_sub(L * 0x20) & !w & H)
            | (w & H);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c.wrapping_sub(0x20) >= 0x5f || c == b'"' || c == b'\\' {
            break;
        }
        i += 1;
    }
    i
}

/// The end (after the closing quote) of the string whose opening quote is
/// at `p`, when its body is printable ASCII without escapes (written back
/// byte for byte); `None` otherwise.
#[inline]
pub(crate) fn plain_string_end(b: &[u8], p: usize) -> Option<usize> {
    let e = plain_run(b, p + 1);
    (b.get(e) == Some(&b'"')).then_some(e + 1)
}

/// The end of the value at `p` when its text is what the writer would
/// write for it (a printable-ASCII string without escapes, a
/// [`simple_number`], `true`, `false`, `null`); `None` otherwise (the caller
/// then scans it the long way).
#[inline]
pub(crate) fn canonical_value_end(b: &[u8], p: usize) -> Option<usize> {
    let lit = |w: &[u8]| b[p..].starts_with(w).then_some(p + w.len());
    match *b.get(p)? {
        b'"' => plain_string_end(b, p),
        b'-' | b'0'..=b'9' => simple_number(&b[p..]).map(|n| p + n),
        b't' => lit(b"true"),
        b'f' => lit(b"false"),
        b'n' => lit(b"null"),
        _ => None,
    }
}

/// The value of an int text of at most 18 digits (JSON syntax: optional
/// `-`, no leading zero), read without building a scanner; `None` for
/// anything else.
#[inline]
pub(crate) fn small_int(t: &[u8]) -> Option<i64> {
    let (neg, digits) = match t.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 18 || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(if neg { -n } else { n })
}

/// Whether `b` holds `t` at `p` (short `t` compared in machine words).
#[inline]
pub(crate) fn bytes_at(b: &[u8], p: usize, t: &[u8]) -> bool {
    let Some(s) = b.get(p..p + t.len()) else {
        return false;
    };
    let n = t.len();
    let w4 = |x: &[u8], i: usize| x[i..i + 4].try_into().map_or(0, u32::from_le_bytes);
    let w8 = |x: &[u8], i: usize| x[i..i + 8].try_into().map_or(0, u64::from_le_bytes);
    match n {
        4..=8 => w4(s, 0) == w4(t, 0) && w4(s, n - 4) == w4(t, n - 4),
        9..=16 => w8(s, 0) == w8(t, 0) && w8(s, n - 8) == w8(t, n - 8),
        _ => s == t,
    }
}

/// Scanner state: the text and a byte position in it.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    /// Current byte position.
    pub pos: usize,
}

/// A scan error: byte position and message (the caller adds file/line).
pub(crate) type ScanResult<T> = Result<T, (usize, String)>;

/// Column names of a table being built and their indices.
#[derive(Default)]
pub(crate) struct Columns {
    /// Names in first-seen order.
    pub names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    /// Columns known in advance (a table's), in order.
    pub fn from_names(names: Vec<String>) -> Columns {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Columns { names, index }
    }

    /// Index of a column name, added at the end when new; `hint` is the
    /// index to try first (the key's position in its object).
    pub fn lookup(&mut self, hint: usize, key: &str) -> usize {
        if let Some(n) = self.names.get(hint) {
            if n == key {
                return hint;
            }
        }
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.names.len();
        self.names.push(key.to_string());
        self.index.insert(key.to_string(), i);
        i
    }
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            b: text.as_bytes(),
            pos: 0,
        }
    }

    fn err<T>(&self, msg: impl Into<String>) -> ScanResult<T> {
        Err((self.pos, msg.into()))
    }

    /// Skip JSON whitespace.
    #[inline]
    pub fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Skip spaces and tabs only (inside one JSON-lines line).
    #[inline]
    pub fn ws_inline(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            if c == b' ' || c == b'\t' || c == b'\r' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The byte at the position, if any.
    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn expect(&mut self, c: u8) -> ScanResult<()> {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(format!("expected '{}' {}", c as char, self.found()))
        }
    }

    fn found(&self) -> String {
        match self.text[self.pos..].chars().next() {
            None => "at end of input".to_string(),
            Some(c) => format!("found {c:?}"),
        }
    }

    /// One JSON object as a table row: keys become columns of `cols`.
    pub fn row(&mut self, cols: &mut Columns) -> ScanResult<Vec<Cell>> {
        self.ws();
        if self.peek() != Some(b'{') {
            return self.err(format!("expected a JSON object {}", self.found()));
        }
        self.pos += 1;
        let mut cells: Vec<Cell> = vec![None; cols.names.len()];
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(cells);
        }
        let mut k = 0usize;
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return self.err(format!("expected a string key {}", self.found()));
            }
            let key = self.string_cow()?;
            let i = cols.lookup(k, &key);
            self.expect(b':')?;
            let v = self.value(1)?;
            if i >= cells.len() {
                cells.resize(i + 1, None);
            }
            cells[i] = Some(v);
            k += 1;
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(cells);
                }
                _ => return self.err(format!("expected ',' or '}}' {}", self.found())),
            }
        }
    }

    /// Any JSON value.
    pub fn value(&mut self, depth: usize) -> ScanResult<Value> {
        self.ws();
        match self.peek() {
            Some(b'"') => Ok(Value::Str(self.string_cow()?.into_owned())),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.lit("true", Value::Bool(true)),
            Some(b'f') => self.lit("false", Value::Bool(false)),
            Some(b'n') => self.lit("null", Value::None),
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return self.err("nesting too deep");
                }
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::List(items));
                        }
                        _ => return self.err(format!("expected ',' or ']' {}", self.found())),
                    }
                }
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return self.err("nesting too deep");
                }
                self.pos += 1;
                let mut entries: Vec<(Value, Value)> = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Map(entries));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return self.err(format!("expected a string key {}", self.found()));
                    }
                    let k = Value::Str(self.string_cow()?.into_owned());
                    self.expect(b':')?;
                    let v = self.value(depth + 1)?;
                    match entries.iter_mut().find(|(ek, _)| *ek == k) {
                        Some(e) => e.1 = v,
                        None => entries.push((k, v)),
                    }
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Map(entries));
                        }
                        _ => return self.err(format!("expected ',' or '}}' {}", self.found())),
                    }
                }
            }
            Some(b'N' | b'I') => self.err("NaN and Infinity are not accepted"),
            _ => self.err(format!("expected a JSON value {}", self.found())),
        }
    }

    /// Check one value without building it (strings and numbers allocate
    /// nothing); returns whether its text is byte for byte what the
    /// JSON-lines writer (`json.dumps`) writes for it: printable-ASCII
    /// strings without escapes, ints other than `-0`, floats in `repr`
    /// form, literals. Lists and objects are parsed and reported as not
    /// canonical.
    pub fn skip_value(&mut self, depth: usize) -> ScanResult<bool> {
        self.ws();
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b'-' | b'0'..=b'9') => {
                if let Some(end) = simple_number(&self.b[self.pos..]) {
                    self.pos += end;
                    return Ok(true);
                }
                let start = self.pos;
                let text = &self.b[start..];
                match self.number()? {
                    Value::Int(_) => Ok(&text[..self.pos - start] != b"-0"),
                    Value::Float(f) => {
                        let mut buf = [0u8; 40];
                        Ok(crdt_merge_core::table::pycmp::float_repr_bytes(f, &mut buf)
                            == &text[..self.pos - start])
                    }
                    _ => Ok(false),
                }
            }
            Some(b't' | b'f' | b'n') => self.value(depth).map(|_| true),
            _ => self.value(depth).map(|_| false),
        }
    }

    /// Check the string at the position (which is `"`) and step over it;
    /// returns whether it is printable ASCII without escapes (written back
    /// byte for byte).
    pub fn skip_string(&mut self) -> ScanResult<bool> {
        if let Some(end) = plain_string_end(self.b, self.pos) {
            self.pos = end;
            return Ok(true);
        }
        self.string_cow().map(|_| false)
    }

    /// The string at the position, unescaped (an error unless it starts there).
    pub fn string(&mut self) -> ScanResult<std::borrow::Cow<'a, str>> {
        if self.peek() != Some(b'"') {
            return self.err(format!("expected a string {}", self.found()));
        }
        self.string_cow()
    }

    fn lit(&mut self, word: &str, v: Value) -> ScanResult<Value> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            self.err(format!("expected a JSON value {}", self.found()))
        }
    }

    fn number(&mut self) -> ScanResult<Value> {
        let start = self.pos;
        let b = self.b;
        let mut p = self.pos;
        let neg = b.get(p) == Some(&b'-');
        if neg {
            p += 1;
        }
        let int_start = p;
        match b.get(p) {
            Some(b'0') => p += 1,
            Some(b'1'..=b'9') => {
                while matches!(b.get(p), Some(b'0'..=b'9')) {
                    p += 1;
                }
            }
            _ => {
                if b.get(p) == Some(&b'I') {
                    return Err((start, "NaN and Infinity are not accepted".into()));
                }
                return Err((p, "malformed number".into()));
            }
        }
        let int_end = p;
        let mut is_float = false;
        if b.get(p) == Some(&b'.') && matches!(b.get(p + 1), Some(b'0'..=b'9')) {
            is_float = true;
            p += 1;
            while matches!(b.get(p), Some(b'0'..=b'9')) {
                p += 1;
            }
        }
        if matches!(b.get(p), Some(b'e' | b'E')) {
            let mut q = p + 1;
            if matches!(b.get(q), Some(b'+' | b'-')) {
                q += 1;
            }
            if matches!(b.get(q), Some(b'0'..=b'9')) {
                is_float = true;
                p = q;
                while matches!(b.get(p), Some(b'0'..=b'9')) {
                    p += 1;
                }
            }
        }
        self.pos = p;
        if !is_float {
            let digits = &b[int_start..int_end];
            if digits.len() <= 18 {
                let mut n: i64 = 0;
                for &d in digits {
                    n = n * 10 + (d - b'0') as i64;
                }
                return Ok(Value::Int(if neg { -n } else { n }));
            }
            return match self.text[start..p].parse::<i64>() {
                Ok(n) => Ok(Value::Int(n)),
                Err(_) => Err((start, "integer outside the 64-bit range".into())),
            };
        }
        match self.text[start..p].parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err((start, "number outside the float range".into())),
        }
    }

    /// A JSON string at the position (which is `"`), unescaped.
    fn string_cow(&mut self) -> ScanResult<std::borrow::Cow<'a, str>> {
        let start = self.pos + 1;
        let b = self.b;
        let Some(off) = memchr::memchr2(b'"', b'\\', &b[start..]) else {
            return Err((self.pos, "unterminated string".into()));
        };
        let end = start + off;
        if b[end] == b'"' {
            if let Some(c) = b[start..end].iter().position(|&c| c < 0x20) {
                return Err((start + c, "control character in string".into()));
            }
            self.pos = end + 1;
            return Ok(std::borrow::Cow::Borrowed(&self.text[start..end]));
        }
        // Slow path: escapes.
        let mut out = String::with_capacity(end - start + 16);
        let mut p = start;
        loop {
            let Some(off) = memchr::memchr2(b'"', b'\\', &b[p..]) else {
                return Err((self.pos, "unterminated string".into()));
            };
            let q = p + off;
            if let Some(c) = b[p..q].iter().position(|&c| c < 0x20) {
                return Err((p + c, "control character in string".into()));
            }
            out.push_str(&self.text[p..q]);
            if b[q] == b'"' {
                self.pos = q + 1;
                return Ok(std::borrow::Cow::Owned(out));
            }
            let esc = b.get(q + 1).copied();
            p = q + 2;
            match esc {
                Some(b'"') => out.push('"'),
                Some(b'\\') => out.push('\\'),
                Some(b'/') => out.push('/'),
                Some(b'b') => out.push('\u{8}'),
                Some(b'f') => out.push('\u{c}'),
                Some(b'n') => out.push('\n'),
                Some(b'r') => out.push('\r'),
                Some(b't') => out.push('\t'),
                Some(b'u') => {
                    let hi = self.hex4(p)?;
                    p += 4;
                    let c = if (0xd800..0xdc00).contains(&hi) {
                        if b.get(p) == Some(&b'\\') && b.get(p + 1) == Some(&b'u') {
                            let lo = self.hex4(p + 2)?;
                            if !(0xdc00..0xe000).contains(&lo) {
                                return Err((q, "lone surrogate escape".into()));
                            }
                            p += 6;
                            0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                        } else {
                            return Err((q, "lone surrogate escape".into()));
                        }
                    } else if (0xdc00..0xe000).contains(&hi) {
                        return Err((q, "lone surrogate escape".into()));
                    } else {
                        hi
                    };
                    match char::from_u32(c) {
                        Some(c) => out.push(c),
                        None => return Err((q, "invalid \\u escape".into())),
                    }
                }
                _ => return Err((q, "invalid escape".into())),
            }
        }
    }

    fn hex4(&self, p: usize) -> ScanResult<u32> {
        let s = self
            .b
            .get(p..p + 4)
            .ok_or((p, "truncated \\u escape".to_string()))?;
        let mut n = 0u32;
        for &c in s {
            let d = (c as char)
                .to_digit(16)
                .ok_or((p, "invalid \\u escape".to_string()))?;
            n = n * 16 + d;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> ScanResult<Value> {
        Scanner::new(s).value(0)
    }

    #[test]
    fn scalars_follow_python_json() {
        assert_eq!(v("12").unwrap(), Value::Int(12));
        assert_eq!(v("-0").unwrap(), Value::Int(0));
        assert_eq!(v("1.5e3").unwrap(), Value::Float(1500.0));
        assert_eq!(v("1E2").unwrap(), Value::Float(100.0));
        assert_eq!(v("9223372036854775807").unwrap(), Value::Int(i64::MAX));
        assert!(v("9223372036854775808").is_err());
        assert!(v("NaN").is_err());
        assert!(v("-Infinity").is_err());
        assert!(v("1e999").is_err());
        assert_eq!(
            v(r#""a\u00e9\ud83d\ude00\n""#).unwrap(),
            Value::str("aé😀\n")
        );
        assert!(v(r#""\ud800""#).is_err());
        assert!(v("\"abc").is_err());
        assert!(v("[1,").is_err());
    }

    /// `simple_number` only accepts texts that are their own `repr`.
    #[test]
    fn simple_numbers_are_their_own_repr() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "7",
            "-12",
            "00",
            "1.0",
            "1.50",
            "0.0",
            "-0.0",
            "0.00",
            "0.0001",
            "0.00001",
            "123456789012345.0",
            "1234567890123456.0",
            "0.123456789012345",
            "0.1234567890123456",
            "9999999999999999.0",
            "1e5",
            "1.5e3",
            "12345678901234567",
            "123456789012345678",
            "1234567890123456789",
            "-0.5",
            "3.14159",
            "0.30000000000000004",
            "100.25",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x);
            if f.is_finite() {
                cases.push(crdt_merge_core::pyrepr::float_repr(f).to_string());
            }
            // Decimals of 1 to 18 digits with 0 to 6 of them after the point.
            let digits = (x % 18) as u32 + 1;
            let d = (x >> 8) % 10u64.pow(digits);
            let point = ((x >> 40) % 7) as usize;
            let t = format!("{d:0>w$}", w = point + 1);
            let (i, f) = t.split_at(t.len() - point);
            cases.push(if point == 0 {
                i.to_string()
            } else {
                format!("{i}.{f}")
            });
        }
        let mut accepted = 0;
        for c in cases {
            let Some(n) = simple_number(c.as_bytes()) else {
                continue;
            };
            accepted += 1;
            assert_eq!(n, c.len(), "{c}");
            let v = Scanner::new(&c).value(0).unwrap();
            let mut out = String::new();
            crate::table::jsonl::push_json(&v, &mut out).unwrap();
            assert_eq!(out, c, "simple_number accepted {c}");
        }
        assert!(
            accepted > 5_000,
            "only {accepted} cases exercised the accepting path"
        );
        assert_eq!(simple_number(b"1.25, "), Some(4));
        assert_eq!(simple_number(b"-0"), None);
        assert_eq!(simple_number(b"0.00001"), None);
        assert_eq!(simple_number(b"1.10"), None);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "[".repeat(100_000);
        assert!(v(&s).is_err());
    }

    #[test]
    fn rows_share_columns_and_keep_last_duplicate() {
        let mut cols = Columns::default();
        let r1 = Scanner::new(r#"{"a": 1, "b": "x", "a": 2}"#)
            .row(&mut cols)
            .unwrap();
        let r2 = Scanner::new(r#"{"c": null, "b": "y"}"#)
            .row(&mut cols)
            .unwrap();
        assert_eq!(cols.names, vec!["a", "b", "c"]);
        assert_eq!(r1, vec![Some(Value::Int(2)), Some(Value::str("x"))]);
        assert_eq!(r2, vec![None, Some(Value::str("y")), Some(Value::None)]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The word-at-a-time helpers agree with byte-by-byte definitions.
        #[test]
        fn word_helpers_match_bytewise(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![0x20u8..0x7f, proptest::prelude::any::<u8>(),
                    proptest::sample::select(vec![b'"', b'\\', 0x7f, 0x1f, 0x80])],
                0..40,
            ),
            from in 0usize..40,
            t in proptest::collection::vec(0x20u8..0x24, 0..20),
        ) {
            let from = from.min(bytes.len());
            let want = (from..bytes.len())
                .find(|&i| !(0x20..0x7f).contains(&bytes[i]) || bytes[i] == b'"' || bytes[i] == b'\\')
                .unwrap_or(bytes.len());
            proptest::prop_assert_eq!(plain_run(&bytes, from), want);
            let hay: Vec<u8> = bytes.iter().map(|c| 0x20 + c % 4).collect();
            proptest::prop_assert_eq!(bytes_at(&hay, from, &t), hay[from..].starts_with(&t));
        }
    }

    /// `small_int` reads what the scanner reads as an int, and nothing else.
    #[test]
    fn small_ints_match_the_scanner() {
        for t in [
            "0",
            "-0",
            "7",
            "-12",
            "007",
            "1.0",
            "1e3",
            "-",
            "",
            "123456789012345678",
            "1234567890123456789",
            "12a",
        ] {
            let mut sc = Scanner::new(t);
            let full = sc.value(1).ok().filter(|_| sc.pos == t.len());
            match small_int(t.as_bytes()) {
                Some(n) => assert_eq!(full, Some(Value::Int(n)), "{t}"),
                None => assert!(!matches!(full, Some(Value::Int(_))) || t.len() > 18, "{t}"),
            }
        }
    }

    /// `canonical_value_end` accepts only what the writer writes.
    #[test]
    fn canonical_values() {
        for (t, end) in [
            ("\"ab c\", ", Some(6)),
            ("\"a\\\"b\"", None),
            ("\"caf\u{e9}\"", None),
            ("12, ", Some(2)),
            ("-0", None),
            ("1.50", None),
            ("true}", Some(4)),
            ("tru", None),
            ("null", Some(4)),
            ("[1]", None),
        ] {
            assert_eq!(canonical_value_end(t.as_bytes(), 0), end, "{t}");
        }
    }
}

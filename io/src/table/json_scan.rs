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
    fn lookup(&mut self, hint: usize, key: &str) -> usize {
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
}

//! CSV tables (RFC 4180: comma separated, `"` quoting with `""` escapes,
//! quoted fields may hold newlines; first record is the header). Typing:
//! an empty cell is null; otherwise a column whose non-empty cells all read
//! as integers (`[+-]?digits`, int64) is int, else one whose cells all read
//! as decimal floats is float, else every cell is a string. `nan` / `inf`
//! stay strings (no NaN enters a table). Blank lines are skipped.

use std::borrow::Cow;
use std::io::Write;

use crdt_merge_core::json::write::write_float;
use crdt_merge_core::table::{Cell, Table};
use crdt_merge_core::value::Value;

use super::error::TableIoError;
use super::jsonl::{push_json, utf8};

/// One record's fields and the byte offset where the record starts.
type Record<'a> = (usize, Vec<Cow<'a, str>>);

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, pos: usize, msg: impl Into<String>) -> TableIoError {
        TableIoError::syntax_at(self.file, self.b, pos, msg.into())
    }

    /// Next non-blank record, or None at the end.
    fn record(&mut self) -> Result<Option<Record<'a>>, TableIoError> {
        let b = self.b;
        while self.pos < b.len() && (b[self.pos] == b'\n' || b[self.pos] == b'\r') {
            self.pos += 1;
        }
        if self.pos >= b.len() {
            return Ok(None);
        }
        let start = self.pos;
        let mut fields = Vec::new();
        loop {
            let p = self.pos;
            if b.get(p) == Some(&b'"') {
                // quoted field
                let mut out: Option<String> = None;
                let mut q = p + 1;
                let mut seg = q;
                loop {
                    let Some(off) = memchr::memchr(b'"', &b[q..]) else {
                        return Err(self.err(p, "unterminated quoted field"));
                    };
                    let at = q + off;
                    if b.get(at + 1) == Some(&b'"') {
                        let o = out.get_or_insert_with(String::new);
                        o.push_str(&self.text[seg..at + 1]);
                        q = at + 2;
                        seg = q;
                        continue;
                    }
                    let field = match out {
                        Some(mut o) => {
                            o.push_str(&self.text[seg..at]);
                            Cow::Owned(o)
                        }
                        None => Cow::Borrowed(&self.text[p + 1..at]),
                    };
                    fields.push(field);
                    self.pos = at + 1;
                    break;
                }
                match b.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    None | Some(b'\n') => break,
                    Some(b'\r') if matches!(b.get(self.pos + 1), None | Some(b'\n')) => break,
                    _ => {
                        return Err(self.err(self.pos, "unexpected character after a closing quote"))
                    }
                }
            } else {
                let off = memchr::memchr3(b',', b'\n', b'"', &b[p..]).unwrap_or(b.len() - p);
                let at = p + off;
                if b.get(at) == Some(&b'"') {
                    return Err(self.err(at, "quote inside an unquoted field"));
                }
                let mut end = at;
                if end > p && b[end - 1] == b'\r' && b.get(at) != Some(&b',') {
                    end -= 1;
                }
                fields.push(Cow::Borrowed(&self.text[p..end]));
                self.pos = at;
                if b.get(at) == Some(&b',') {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        if self.pos < b.len() && b[self.pos] == b'\r' {
            self.pos += 1;
        }
        if self.pos < b.len() && b[self.pos] == b'\n' {
            self.pos += 1;
        }
        Ok(Some((start, fields)))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Int,
    Float,
    Str,
}

fn is_int(s: &str) -> bool {
    let d = s.strip_prefix(['+', '-']).unwrap_or(s);
    !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) && s.parse::<i64>().is_ok()
}

fn parse_float(s: &str) -> Option<f64> {
    let d = s.strip_prefix(['+', '-']).unwrap_or(s);
    let first = d.bytes().next()?;
    if !(first.is_ascii_digit() || first == b'.') {
        return None;
    }
    if !d
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parse CSV text into a typed table.
pub fn read_csv(file: &str, bytes: &[u8]) -> Result<Table, TableIoError> {
    let text = utf8(file, bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut r = Reader {
        file,
        text,
        b: text.as_bytes(),
        pos: 0,
    };
    let Some((_, header)) = r.record()? else {
        return Err(TableIoError::Empty {
            file: file.to_string(),
        });
    };
    let columns: Vec<String> = header.into_iter().map(Cow::into_owned).collect();
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(r.err(0, format!("duplicate column name {c:?} in the header")));
        }
    }
    let n = columns.len();
    let mut raw: Vec<Vec<Cow<str>>> = Vec::new();
    while let Some((start, fields)) = r.record()? {
        if fields.len() != n {
            return Err(r.err(
                start,
                format!(
                    "expected {n} fields as in the header, found {}",
                    fields.len()
                ),
            ));
        }
        raw.push(fields);
    }
    let mut kinds = vec![Kind::Int; n];
    for (ci, kind) in kinds.iter_mut().enumerate() {
        for row in &raw {
            let s: &str = &row[ci];
            if s.is_empty() {
                continue;
            }
            if *kind == Kind::Int && !is_int(s) {
                *kind = Kind::Float;
            }
            if *kind == Kind::Float && parse_float(s).is_none() {
                *kind = Kind::Str;
                break;
            }
        }
    }
    let rows = raw
        .into_iter()
        .map(|fields| {
            fields
                .into_iter()
                .zip(&kinds)
                .map(|(s, k)| -> Cell {
                    Some(if s.is_empty() {
                        Value::None
                    } else {
                        match k {
                            Kind::Int => Value::Int(s.parse().unwrap_or(0)),
                            Kind::Float => Value::Float(parse_float(&s).unwrap_or(0.0)),
                            Kind::Str => Value::Str(s.into_owned()),
                        }
                    })
                })
                .collect()
        })
        .collect();
    Ok(Table { columns, rows })
}

fn push_field(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Write a table as CSV: header, then one record per row. Null and absent
/// cells are empty; ints and floats as Python `str` writes them; booleans
/// `True` / `False`; lists and dicts as JSON text; bytes are an error.
pub fn write_csv(file: &str, t: &Table, w: &mut dyn Write) -> Result<(), TableIoError> {
    let mut out = String::with_capacity(1 << 20);
    let io = |e: std::io::Error| TableIoError::Io {
        file: file.to_string(),
        msg: super::error::one_line(e),
    };
    for (i, c) in t.columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(c, &mut out);
    }
    out.push('\n');
    let mut tmp = String::new();
    for (ri, row) in t.rows.iter().enumerate() {
        for (ci, cell) in row.iter().enumerate() {
            if ci > 0 {
                out.push(',');
            }
            match cell {
                None | Some(Value::None) => {}
                Some(Value::Int(i)) => out.push_str(&i.to_string()),
                Some(Value::Float(f)) => write_float(*f, &mut out),
                Some(Value::Bool(b)) => out.push_str(if *b { "True" } else { "False" }),
                Some(Value::Str(s)) => push_field(s, &mut out),
                Some(v) => {
                    tmp.clear();
                    push_json(v, &mut tmp).map_err(|msg| TableIoError::Unwritable {
                        file: file.to_string(),
                        row: ri,
                        column: t.columns[ci].clone(),
                        msg,
                    })?;
                    push_field(&tmp, &mut out);
                }
            }
        }
        out.push('\n');
        if out.len() >= 1 << 20 {
            w.write_all(out.as_bytes()).map_err(io)?;
            out.clear();
        }
    }
    w.write_all(out.as_bytes()).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_per_column() {
        let t = read_csv("t.csv", b"id,x,y,z\n1,2,a,1.5\n-3,,b,2\n+4,5.5,,\n").unwrap();
        assert_eq!(t.columns, vec!["id", "x", "y", "z"]);
        assert_eq!(t.rows[0][0], Some(Value::Int(1)));
        assert_eq!(t.rows[2][0], Some(Value::Int(4)));
        assert_eq!(t.rows[0][1], Some(Value::Float(2.0)));
        assert_eq!(t.rows[1][1], Some(Value::None));
        assert_eq!(t.rows[0][2], Some(Value::str("a")));
        assert_eq!(t.rows[1][3], Some(Value::Float(2.0)));
        assert_eq!(t.rows[2][3], Some(Value::None));
    }

    #[test]
    fn quotes_crlf_and_blank_lines() {
        let t = read_csv("t.csv", b"a,b\r\n\"x,\"\"y\"\"\nz\",nan\r\n\r\n2,inf\r\n").unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0][0], Some(Value::str("x,\"y\"\nz")));
        assert_eq!(t.rows[0][1], Some(Value::str("nan")));
        assert_eq!(t.rows[1][0], Some(Value::str("2")));
    }

    #[test]
    fn malformed_lines_are_named() {
        let e = read_csv("t.csv", b"a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv:3:1: expected 2 fields as in the header, found 1"
        );
        let e = read_csv("t.csv", b"a,b\n1,\"2\n").unwrap_err();
        assert!(e.to_string().starts_with("t.csv:2:3: unterminated"), "{e}");
        assert!(matches!(
            read_csv("t.csv", b"").unwrap_err(),
            TableIoError::Empty { .. }
        ));
    }

    #[test]
    fn roundtrip() {
        let src = b"id,name,score\n1,\"a, b\",1.5\n2,,2.25\n";
        let t = read_csv("t.csv", src).unwrap();
        let mut out = Vec::new();
        write_csv("o.csv", &t, &mut out).unwrap();
        assert_eq!(out, src);
    }
}

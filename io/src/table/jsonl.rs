//! JSON-lines (`.jsonl`: one object per line) and JSON array (`.json`:
//! `[{...}, ...]`) tables. Rows may carry different keys: a key missing from
//! a row is an absent cell (`None`), not a null. Output follows Python's
//! `json.dumps` (`", "` / `": "` separators, ASCII escapes, float `repr`).

use std::io::Write;

use crdt_merge_core::json::write::{write_float, write_str};
use crdt_merge_core::table::{Cell, Table};
use crdt_merge_core::value::Value;

use super::error::TableIoError;
use super::json_scan::{Columns, Scanner};

pub(crate) fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, TableIoError> {
    std::str::from_utf8(bytes).map_err(|e| {
        TableIoError::syntax_at(file, bytes, e.valid_up_to(), "invalid UTF-8".to_string())
    })
}

fn finish(cols: Columns, mut rows: Vec<Vec<Cell>>) -> Table {
    let n = cols.names.len();
    for r in &mut rows {
        if r.len() < n {
            r.resize(n, None);
        }
    }
    Table {
        columns: cols.names,
        rows,
    }
}

/// Parse JSON-lines text: one object per non-blank line.
pub fn read_jsonl(file: &str, bytes: &[u8]) -> Result<Table, TableIoError> {
    let text = utf8(file, bytes)?;
    if text.trim().is_empty() {
        return Err(TableIoError::Empty {
            file: file.to_string(),
        });
    }
    let mut cols = Columns::default();
    let mut rows = Vec::with_capacity(bytes.len() / 64 + 1);
    let mut start = 0;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line = &text[start..end];
        if !line.trim_ascii().is_empty() {
            let mut s = Scanner::new(line);
            let row = s
                .row(&mut cols)
                .and_then(|r| {
                    s.ws_inline();
                    if s.pos < line.len() {
                        Err((s.pos, "extra data after the object".to_string()))
                    } else {
                        Ok(r)
                    }
                })
                .map_err(|(p, m)| TableIoError::syntax_at(file, bytes, start + p, m))?;
            rows.push(row);
        }
        start = end + 1;
    }
    Ok(finish(cols, rows))
}

/// Parse a JSON array of objects.
pub fn read_json_array(file: &str, bytes: &[u8]) -> Result<Table, TableIoError> {
    let text = utf8(file, bytes)?;
    if text.trim().is_empty() {
        return Err(TableIoError::Empty {
            file: file.to_string(),
        });
    }
    let err = |(p, m): (usize, String)| TableIoError::syntax_at(file, bytes, p, m);
    let mut s = Scanner::new(text);
    let mut cols = Columns::default();
    let mut rows = Vec::new();
    s.ws();
    if s.peek() != Some(b'[') {
        return Err(err((s.pos, "expected a JSON array of objects".into())));
    }
    s.pos += 1;
    s.ws();
    if s.peek() == Some(b']') {
        s.pos += 1;
    } else {
        loop {
            rows.push(s.row(&mut cols).map_err(err)?);
            s.ws();
            match s.peek() {
                Some(b',') => s.pos += 1,
                Some(b']') => {
                    s.pos += 1;
                    break;
                }
                _ => return Err(err((s.pos, "expected ',' or ']'".into()))),
            }
        }
    }
    s.ws();
    if s.pos < text.len() {
        return Err(err((s.pos, "extra data after the array".into())));
    }
    Ok(finish(cols, rows))
}

/// Append one value as `json.dumps` writes it.
pub(crate) fn push_json(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::None => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => {
            let mut b = itoa_buf();
            out.push_str(fmt_i64(*i, &mut b));
        }
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) => write_str(s, out),
        other => out
            .push_str(&crdt_merge_core::json::write::to_string(other).map_err(|e| e.to_string())?),
    }
    Ok(())
}

fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

fn fmt_i64(i: i64, buf: &mut [u8; 20]) -> &str {
    let neg = i < 0;
    let mut n = i.unsigned_abs();
    let mut p = buf.len();
    loop {
        p -= 1;
        buf[p] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        p -= 1;
        buf[p] = b'-';
    }
    std::str::from_utf8(&buf[p..]).unwrap_or("0")
}

/// Append one row as a JSON object (absent cells left out).
fn push_row(
    file: &str,
    t: &Table,
    keys: &[String],
    ri: usize,
    out: &mut String,
) -> Result<(), TableIoError> {
    out.push('{');
    let mut first = true;
    for (ci, cell) in t.rows[ri].iter().enumerate() {
        let Some(v) = cell else { continue };
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push_str(&keys[ci]);
        out.push_str(": ");
        push_json(v, out).map_err(|msg| TableIoError::Unwritable {
            file: file.to_string(),
            row: ri,
            column: t.columns[ci].clone(),
            msg,
        })?;
    }
    out.push('}');
    Ok(())
}

fn quoted_keys(t: &Table) -> Vec<String> {
    t.columns
        .iter()
        .map(|c| {
            let mut s = String::new();
            write_str(c, &mut s);
            s
        })
        .collect()
}

const FLUSH: usize = 1 << 20;

/// Write rows as JSON lines.
pub fn write_jsonl(file: &str, t: &Table, w: &mut dyn Write) -> Result<(), TableIoError> {
    let keys = quoted_keys(t);
    let mut out = String::with_capacity(FLUSH + 4096);
    let io = |e: std::io::Error| TableIoError::Io {
        file: file.to_string(),
        msg: super::error::one_line(e),
    };
    for ri in 0..t.rows.len() {
        push_row(file, t, &keys, ri, &mut out)?;
        out.push('\n');
        if out.len() >= FLUSH {
            w.write_all(out.as_bytes()).map_err(io)?;
            out.clear();
        }
    }
    w.write_all(out.as_bytes()).map_err(io)?;
    Ok(())
}

/// Write rows as one JSON array, one object per line.
pub fn write_json_array(file: &str, t: &Table, w: &mut dyn Write) -> Result<(), TableIoError> {
    let keys = quoted_keys(t);
    let mut out = String::with_capacity(FLUSH + 4096);
    let io = |e: std::io::Error| TableIoError::Io {
        file: file.to_string(),
        msg: super::error::one_line(e),
    };
    out.push('[');
    for ri in 0..t.rows.len() {
        out.push_str(if ri == 0 { "\n" } else { ",\n" });
        push_row(file, t, &keys, ri, &mut out)?;
        if out.len() >= FLUSH {
            w.write_all(out.as_bytes()).map_err(io)?;
            out.clear();
        }
    }
    out.push_str("\n]\n");
    w.write_all(out.as_bytes()).map_err(io)?;
    Ok(())
}

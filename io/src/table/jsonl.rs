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
    read_jsonl_from(file, bytes)
}

/// Bytes read at a time by [`read_jsonl_from`].
const CHUNK: usize = 4 << 20;

/// Parse JSON-lines from a reader, a few MB at a time: memory holds the
/// table and one buffer, never the whole file.
pub fn read_jsonl_from(file: &str, mut r: impl std::io::Read) -> Result<Table, TableIoError> {
    let mut cols = Columns::default();
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    let (mut start, mut end) = (0usize, 0usize);
    let mut line_no = 0usize;
    let mut line = |bytes: &[u8], cols: &mut Columns, rows: &mut Vec<Vec<Cell>>| {
        line_no += 1;
        if bytes.trim_ascii().is_empty() {
            return Ok(());
        }
        let syntax = |pos: usize, msg: String| TableIoError::Syntax {
            file: file.to_string(),
            line: line_no,
            column: String::from_utf8_lossy(&bytes[..pos.min(bytes.len())])
                .chars()
                .count()
                + 1,
            msg: super::error::one_line(msg),
        };
        let text = std::str::from_utf8(bytes)
            .map_err(|e| syntax(e.valid_up_to(), "invalid UTF-8".into()))?;
        let mut s = Scanner::new(text);
        let row = s.row(cols).map_err(|(p, m)| syntax(p, m))?;
        s.ws_inline();
        if s.pos < text.len() {
            return Err(syntax(s.pos, "extra data after the object".into()));
        }
        rows.push(row);
        Ok(())
    };
    loop {
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        if end == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = loop {
            match r.read(&mut buf[end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(TableIoError::Io {
                        file: file.to_string(),
                        msg: super::error::one_line(e),
                    })
                }
            }
        };
        end += n;
        let eof = n == 0;
        while let Some(i) = memchr::memchr(b'\n', &buf[start..end]) {
            line(&buf[start..start + i], &mut cols, &mut rows)?;
            start += i + 1;
        }
        if eof {
            if start < end {
                line(&buf[start..end], &mut cols, &mut rows)?;
            }
            break;
        }
    }
    if rows.is_empty() && cols.names.is_empty() {
        return Err(TableIoError::Empty {
            file: file.to_string(),
        });
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
    push_cells(file, &t.columns, keys, &t.rows[ri], ri, out)
}

/// Append one row's cells as a JSON object (absent cells left out);
/// `keys` are the column names as JSON strings, `ri` names the row in errors.
pub(crate) fn push_cells(
    file: &str,
    columns: &[String],
    keys: &[String],
    cells: &[Cell],
    ri: usize,
    out: &mut String,
) -> Result<(), TableIoError> {
    out.push('{');
    let mut first = true;
    for (ci, cell) in cells.iter().enumerate() {
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
            column: columns[ci].clone(),
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

/// Rows per chunk formatted by one worker thread.
const CHUNK_ROWS: usize = 16_384;

/// Write rows as JSON lines. Large tables are formatted in chunks on worker
/// threads (up to 4) and written in order by the calling thread.
pub fn write_jsonl(file: &str, t: &Table, w: &mut dyn Write) -> Result<(), TableIoError> {
    let keys = quoted_keys(t);
    let io = |e: std::io::Error| TableIoError::Io {
        file: file.to_string(),
        msg: super::error::one_line(e),
    };
    let n = t.rows.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(4);
    let format = |c: usize| -> Result<String, TableIoError> {
        let rows = c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(n);
        let mut out = String::with_capacity(rows.len() * 160);
        for ri in rows {
            push_row(file, t, &keys, ri, &mut out)?;
            out.push('\n');
        }
        Ok(out)
    };
    let chunks = n.div_ceil(CHUNK_ROWS);
    if threads < 2 || chunks < 4 {
        for c in 0..chunks {
            w.write_all(format(c)?.as_bytes()).map_err(io)?;
        }
        return Ok(());
    }
    std::thread::scope(|s| {
        let format = &format;
        let rxs: Vec<_> = (0..threads)
            .map(|k| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Result<String, TableIoError>>(2);
                s.spawn(move || {
                    for c in (k..chunks).step_by(threads) {
                        let r = format(c);
                        let failed = r.is_err();
                        if tx.send(r).is_err() || failed {
                            break;
                        }
                    }
                });
                rx
            })
            .collect();
        for c in 0..chunks {
            let chunk = rxs[c % threads].recv().map_err(|_| TableIoError::Io {
                file: file.to_string(),
                msg: "output worker stopped".into(),
            })??;
            w.write_all(chunk.as_bytes()).map_err(io)?;
        }
        Ok(())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_writer_keeps_row_order() {
        let rows: Vec<Value> = (0..100_000)
            .map(|i| Value::map([("id", Value::Int(i)), ("x", Value::Float(i as f64 / 4.0))]))
            .collect();
        let t = Table::from_dict_rows(&rows);
        let mut out = Vec::new();
        write_jsonl("o.jsonl", &t, &mut out).unwrap();
        let back = read_jsonl("o.jsonl", &out).unwrap();
        assert_eq!(back, t);
        let line = out.split(|&b| b == b'\n').nth(99_999).unwrap();
        assert_eq!(line, b"{\"id\": 99999, \"x\": 24999.75}");
    }

    #[test]
    fn long_lines_and_errors_across_chunks() {
        let long = "y".repeat(CHUNK + 10);
        let text = format!("{{\"id\": 1, \"s\": \"{long}\"}}\n\n{{\"id\": 2,}}\n");
        let e = read_jsonl("t.jsonl", text.as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.jsonl:3:10: expected a string key found '}'"
        );
        let e = read_jsonl("t.jsonl", b"{\"a\": 1} x\n").unwrap_err();
        assert_eq!(e.to_string(), "t.jsonl:1:10: extra data after the object");
        assert!(matches!(
            read_jsonl("t.jsonl", b" \n\n"),
            Err(TableIoError::Empty { .. })
        ));
    }
}

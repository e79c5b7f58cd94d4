//! [`Value`] → JSON text exactly as CPython's `json.dumps(obj)` writes it
//! with default options: `", "` and `": "` separators, `ensure_ascii`
//! escapes, floats by `repr`, `NaN` / `Infinity` for non-finite floats,
//! non-string keys converted as Python converts them (`1` → `"1"`,
//! `True` → `"true"`, `None` → `"null"`). Bytes, sets and list/dict keys
//! have no JSON form: writing them is an error.

use alloc::string::String;
use core::fmt::Write;

use crate::error::DecodeError;
use crate::pyrepr::float_repr;
use crate::value::Value;

/// `json.dumps(v)`.
pub fn to_string(v: &Value) -> Result<String, DecodeError> {
    let mut out = String::new();
    write_value(v, &mut out, None, 0)?;
    Ok(out)
}

/// `json.dumps(v, indent=2)`.
pub fn to_string_pretty(v: &Value) -> Result<String, DecodeError> {
    let mut out = String::new();
    write_value(v, &mut out, Some(2), 0)?;
    Ok(out)
}

fn not_json(what: &str) -> DecodeError {
    DecodeError::Json {
        line: 0,
        column: 0,
        msg: alloc::format!("{what} is not JSON serializable"),
    }
}

fn newline(out: &mut String, indent: Option<usize>, level: usize) {
    if let Some(n) = indent {
        out.push('\n');
        for _ in 0..n * level {
            out.push(' ');
        }
    }
}

fn write_value(
    v: &Value,
    out: &mut String,
    indent: Option<usize>,
    level: usize,
) -> Result<(), DecodeError> {
    let item_sep = if indent.is_some() { "," } else { ", " };
    match v {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => write_float(*f, out),
        Value::Str(s) => write_str(s, out),
        Value::Bytes(_) => return Err(not_json("bytes")),
        Value::Set(_) => return Err(not_json("set")),
        Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, indent, level + 1);
                write_value(item, out, indent, level + 1)?;
            }
            newline(out, indent, level);
            out.push(']');
        }
        Value::Map(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, indent, level + 1);
                match k {
                    Value::Str(s) => write_str(s, out),
                    Value::Int(i) => {
                        let _ = write!(out, "\"{i}\"");
                    }
                    Value::Float(f) => {
                        out.push('"');
                        write_float(*f, out);
                        out.push('"');
                    }
                    Value::Bool(b) => out.push_str(if *b { "\"true\"" } else { "\"false\"" }),
                    Value::None => out.push_str("\"null\""),
                    other => return Err(not_json(&alloc::format!("a {} key", other.type_name()))),
                }
                out.push_str(": ");
                write_value(val, out, indent, level + 1)?;
            }
            newline(out, indent, level);
            out.push('}');
        }
    }
    Ok(())
}

/// A float as `json.dumps` writes it: `repr`, or `NaN` / `Infinity` / `-Infinity`.
pub fn write_float(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f == f64::INFINITY {
        out.push_str("Infinity");
    } else if f == f64::NEG_INFINITY {
        out.push_str("-Infinity");
    } else {
        out.push_str(&float_repr(f));
    }
}

/// A JSON string with `ensure_ascii=True` escaping.
pub fn write_str(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        // copy the plain run, then escape one character
        out.push_str(&s[start..i]);
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => {
                let u = c as u32;
                if u > 0xffff {
                    let v = u - 0x10000;
                    let _ = write!(
                        out,
                        "\\u{:04x}\\u{:04x}",
                        0xd800 + (v >> 10),
                        0xdc00 + (v & 0x3ff)
                    );
                } else {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
        }
        i += c.len_utf8();
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn matches_json_dumps() {
        let v = Value::map([
            ("type", Value::str("vector_clock")),
            (
                "clocks",
                Value::map([("a", Value::Int(3)), ("é", Value::Float(1e16))]),
            ),
            (
                "l",
                Value::List(vec![
                    Value::Bool(true),
                    Value::None,
                    Value::Float(f64::NAN),
                    Value::Float(0.5),
                ]),
            ),
            ("e", Value::List(vec![])),
        ]);
        assert_eq!(
            to_string(&v).unwrap(),
            r#"{"type": "vector_clock", "clocks": {"a": 3, "\u00e9": 1e+16}, "l": [true, null, NaN, 0.5], "e": []}"#
        );
        assert_eq!(
            to_string(&Value::str("😀\x01\"")).unwrap(),
            r#""\ud83d\ude00\u0001\"""#
        );
        let m = Value::Map(vec![
            (Value::Int(1), Value::Int(2)),
            (Value::Bool(true), Value::None),
        ]);
        assert_eq!(to_string(&m).unwrap(), r#"{"1": 2, "true": null}"#);
        assert!(to_string(&Value::Bytes(vec![1])).is_err());
    }

    #[test]
    fn pretty_matches_indent_2() {
        let v = Value::map([
            ("a", Value::List(vec![Value::Int(1), Value::Int(2)])),
            ("b", Value::map::<&str>([])),
        ]);
        assert_eq!(
            to_string_pretty(&v).unwrap(),
            "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}"
        );
    }
}

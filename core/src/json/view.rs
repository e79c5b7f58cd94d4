//! The canonical JSON view: a lossless mapping of any [`Value`] onto plain
//! JSON, shared by the CLI (`wire to-json` / `from-json`), the golden
//! manifest and every binding.
//!
//! Plain JSON carries None, bool, int (no `.`), finite float (always with `.`
//! or an exponent, as Python writes it), str, list, and maps whose keys are
//! all strings. Everything else is an object with one `$`-key:
//!
//! | value | view |
//! |---|---|
//! | bytes | `{"$bytes": "<lowercase hex>"}` |
//! | set | `{"$set": [items…]}` |
//! | NaN / ±inf | `{"$float": "nan" \| "inf" \| "-inf"}` |
//! | map with a non-string key, or a single key starting with `$` | `{"$map": [[k, v], …]}` |

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::error::DecodeError;
use crate::value::Value;

/// Map any value to its JSON-safe view.
pub fn to_view(v: &Value) -> Value {
    match v {
        Value::Float(f) if !f.is_finite() => {
            let s = if f.is_nan() {
                "nan"
            } else if *f > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            Value::map([("$float", Value::str(s))])
        }
        Value::Bytes(b) => {
            let mut hex = String::with_capacity(b.len() * 2);
            for byte in b {
                hex.push(char::from_digit((byte >> 4) as u32, 16).expect("nibble"));
                hex.push(char::from_digit((byte & 15) as u32, 16).expect("nibble"));
            }
            Value::map([("$bytes", Value::Str(hex))])
        }
        Value::Set(items) => {
            Value::map([("$set", Value::List(items.iter().map(to_view).collect()))])
        }
        Value::List(items) => Value::List(items.iter().map(to_view).collect()),
        Value::Map(entries) => {
            let plain = entries.iter().all(|(k, _)| matches!(k, Value::Str(_)))
                && !(entries.len() == 1
                    && matches!(&entries[0].0, Value::Str(s) if s.starts_with('$')));
            if plain {
                Value::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), to_view(v)))
                        .collect(),
                )
            } else {
                let pairs = entries
                    .iter()
                    .map(|(k, v)| Value::List(vec![to_view(k), to_view(v)]))
                    .collect();
                Value::map([("$map", Value::List(pairs))])
            }
        }
        other => other.clone(),
    }
}

fn bad(msg: &str) -> DecodeError {
    DecodeError::shape("json view", msg)
}

/// Invert [`to_view`].
pub fn from_view(v: &Value) -> Result<Value, DecodeError> {
    Ok(match v {
        Value::List(items) => Value::List(items.iter().map(from_view).collect::<Result<_, _>>()?),
        Value::Map(entries)
            if entries.len() == 1
                && matches!(&entries[0].0, Value::Str(s) if s.starts_with('$')) =>
        {
            let (Value::Str(tag), body) = &entries[0] else {
                unreachable!()
            };
            match tag.as_str() {
                "$bytes" => {
                    let hex = body
                        .as_str()
                        .ok_or_else(|| bad("$bytes needs a hex string"))?;
                    if hex.len() % 2 != 0 {
                        return Err(bad("$bytes hex has odd length"));
                    }
                    let mut out = Vec::with_capacity(hex.len() / 2);
                    for pair in hex.as_bytes().chunks(2) {
                        let s = core::str::from_utf8(pair).map_err(|_| bad("$bytes is not hex"))?;
                        out.push(u8::from_str_radix(s, 16).map_err(|_| bad("$bytes is not hex"))?);
                    }
                    Value::Bytes(out)
                }
                "$set" => {
                    let items = body.as_list().ok_or_else(|| bad("$set needs a list"))?;
                    Value::Set(items.iter().map(from_view).collect::<Result<_, _>>()?)
                }
                "$float" => match body.as_str() {
                    Some("nan") => Value::Float(f64::NAN),
                    Some("inf") => Value::Float(f64::INFINITY),
                    Some("-inf") => Value::Float(f64::NEG_INFINITY),
                    _ => return Err(bad("$float must be \"nan\", \"inf\" or \"-inf\"")),
                },
                "$map" => {
                    let pairs = body
                        .as_list()
                        .ok_or_else(|| bad("$map needs a list of [key, value] pairs"))?;
                    let mut out = Vec::with_capacity(pairs.len());
                    for p in pairs {
                        match p.as_list() {
                            Some([k, v]) => out.push((from_view(k)?, from_view(v)?)),
                            _ => return Err(bad("$map entries must be [key, value] pairs")),
                        }
                    }
                    Value::Map(out)
                }
                _ => Value::Map(alloc::vec![(Value::Str(tag.clone()), from_view(body)?)]),
            }
        }
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), from_view(v)?)))
                .collect::<Result<_, DecodeError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossless() {
        let v = Value::Map(vec![
            (Value::Int(1), Value::Bytes(vec![0, 255])),
            (
                Value::str("s"),
                Value::Set(vec![Value::Int(1), Value::str("a")]),
            ),
        ]);
        let back = from_view(&to_view(&v)).unwrap();
        assert_eq!(back, v);
        let odd = Value::map([("$bytes", Value::Int(1))]);
        assert_eq!(from_view(&to_view(&odd)).unwrap(), odd);
        let nan = Value::Float(f64::NAN);
        assert_eq!(from_view(&to_view(&nan)).unwrap(), nan);
    }
}

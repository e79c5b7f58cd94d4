//! Payloads of the JSON-payload types (tags 0x40–0x47 and 0x50–0x55).
//!
//! The reference writes `json.dumps(to_dict()).encode()` unless the optional
//! `msgpack` module is installed, in which case it writes
//! `msgpack.packb(d, use_bin_type=True)`; readers try msgpack and fall back
//! to JSON. We decode both and report which one was found, so a roundtrip can
//! re-encode with the same one; new frames are written as JSON.

use alloc::string::String;
use alloc::vec::Vec;

use super::Limits;
use crate::error::DecodeError;
use crate::json;
use crate::value::Value;

/// Which encoding a JSON-type payload used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonEncoding {
    /// UTF-8 JSON text as `json.dumps` writes it.
    Json,
    /// msgpack as `msgpack.packb(d, use_bin_type=True)` writes it.
    Msgpack,
}

/// Decode a payload: msgpack if it parses completely to a map, else JSON.
///
/// The payload is always a `to_dict()`, so the top level must be a map (the
/// reference's `from_dict` fails on anything else). Requiring it also keeps
/// the two encodings apart: JSON text such as `0` is also valid msgpack (the
/// int 48), but no JSON object is a msgpack map and vice versa, so a decoded
/// payload re-encodes to bytes that decode the same way.
pub fn decode(
    payload: &[u8],
    limits: &Limits,
    type_name: &'static str,
) -> Result<(Value, JsonEncoding), DecodeError> {
    if let Ok(v @ Value::Map(_)) = msgpack::decode(payload, limits) {
        return Ok((v, JsonEncoding::Msgpack));
    }
    let text =
        core::str::from_utf8(payload).map_err(|e| DecodeError::InvalidUtf8(e.valid_up_to()))?;
    let v = json::parse(text)?;
    if !matches!(v, Value::Map(_)) {
        return Err(DecodeError::shape(
            type_name,
            alloc::format!("payload must be a dict, found {}", v.type_name()),
        ));
    }
    Ok((v, JsonEncoding::Json))
}

/// Encode a payload value.
pub fn encode(v: &Value, enc: JsonEncoding) -> Result<Vec<u8>, DecodeError> {
    match enc {
        JsonEncoding::Json => Ok(json::to_string(v)?.into_bytes()),
        JsonEncoding::Msgpack => {
            let mut out = Vec::new();
            msgpack::encode(v, &mut out);
            Ok(out)
        }
    }
}

/// A minimal msgpack reader/writer covering what Python's `msgpack` emits.
pub mod msgpack {
    use super::*;

    fn err(offset: usize, msg: &str) -> DecodeError {
        DecodeError::Msgpack {
            offset,
            msg: msg.into(),
        }
    }

    /// Decode exactly one msgpack object spanning all of `data`.
    pub fn decode(data: &[u8], limits: &Limits) -> Result<Value, DecodeError> {
        let mut r = Reader {
            d: data,
            pos: 0,
            max_depth: limits.max_depth,
        };
        let v = r.value(0)?;
        if r.pos != data.len() {
            return Err(err(r.pos, "extra data after the object"));
        }
        Ok(v)
    }

    struct Reader<'a> {
        d: &'a [u8],
        pos: usize,
        max_depth: usize,
    }

    impl<'a> Reader<'a> {
        fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
            if n > self.d.len() - self.pos {
                return Err(err(self.pos, "truncated"));
            }
            let s = &self.d[self.pos..self.pos + n];
            self.pos += n;
            Ok(s)
        }
        fn uint(&mut self, n: usize) -> Result<u64, DecodeError> {
            Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
        }
        fn len_checked(&mut self, n: usize, min_item: usize) -> Result<usize, DecodeError> {
            let l = self.uint(n)? as usize;
            if l.saturating_mul(min_item) > self.d.len() - self.pos {
                return Err(err(self.pos, "length exceeds the data"));
            }
            Ok(l)
        }
        fn str(&mut self, n: usize) -> Result<Value, DecodeError> {
            let at = self.pos;
            let b = self.take(n)?;
            Ok(Value::Str(String::from(
                core::str::from_utf8(b).map_err(|_| err(at, "invalid UTF-8"))?,
            )))
        }
        fn array(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(self.value(depth + 1)?);
            }
            Ok(Value::List(items))
        }
        fn map(&mut self, n: usize, depth: usize) -> Result<Value, DecodeError> {
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let k = self.value(depth + 1)?;
                let v = self.value(depth + 1)?;
                entries.push((k, v));
            }
            Ok(Value::Map(entries))
        }
        fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
            if depth >= self.max_depth {
                return Err(err(self.pos, "nesting too deep"));
            }
            let at = self.pos;
            let b = self.take(1)?[0];
            Ok(match b {
                0x00..=0x7f => Value::Int(b as i64),
                0xe0..=0xff => Value::Int(b as i8 as i64),
                0x80..=0x8f => {
                    let n = (b & 0x0f) as usize;
                    self.map(n, depth)?
                }
                0x90..=0x9f => {
                    let n = (b & 0x0f) as usize;
                    self.array(n, depth)?
                }
                0xa0..=0xbf => self.str((b & 0x1f) as usize)?,
                0xc0 => Value::None,
                0xc2 => Value::Bool(false),
                0xc3 => Value::Bool(true),
                0xc4..=0xc6 => {
                    let n = self.len_checked(1 << (b - 0xc4), 1)?;
                    Value::Bytes(self.take(n)?.to_vec())
                }
                0xca => Value::Float(f32::from_bits(self.uint(4)? as u32) as f64),
                0xcb => Value::Float(f64::from_bits(self.uint(8)?)),
                0xcc..=0xcf => {
                    let u = self.uint(1 << (b - 0xcc))?;
                    Value::Int(i64::try_from(u).map_err(|_| err(at, "integer beyond int64"))?)
                }
                0xd0..=0xd3 => {
                    let n = 1usize << (b - 0xd0);
                    let u = self.uint(n)?;
                    let shift = 64 - 8 * n as u32;
                    Value::Int(((u << shift) as i64) >> shift)
                }
                0xd9..=0xdb => {
                    let n = self.len_checked(1 << (b - 0xd9), 1)?;
                    self.str(n)?
                }
                0xdc | 0xdd => {
                    let n = self.len_checked(if b == 0xdc { 2 } else { 4 }, 1)?;
                    self.array(n, depth)?
                }
                0xde | 0xdf => {
                    let n = self.len_checked(if b == 0xde { 2 } else { 4 }, 2)?;
                    self.map(n, depth)?
                }
                _ => return Err(err(at, "unsupported msgpack type")),
            })
        }
    }

    /// Encode as Python's `msgpack.packb(v, use_bin_type=True)` does.
    /// Sets are written as arrays (msgpack has no set).
    pub fn encode(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::None => out.push(0xc0),
            Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
            Value::Int(i) => {
                let i = *i;
                if (0..=0x7f).contains(&i) || (-32..0).contains(&i) {
                    out.push(i as u8);
                } else if i >= 0 {
                    if i <= 0xff {
                        out.extend_from_slice(&[0xcc, i as u8]);
                    } else if i <= 0xffff {
                        out.push(0xcd);
                        out.extend_from_slice(&(i as u16).to_be_bytes());
                    } else if i <= 0xffff_ffff {
                        out.push(0xce);
                        out.extend_from_slice(&(i as u32).to_be_bytes());
                    } else {
                        out.push(0xcf);
                        out.extend_from_slice(&(i as u64).to_be_bytes());
                    }
                } else if i >= -128 {
                    out.extend_from_slice(&[0xd0, i as i8 as u8]);
                } else if i >= -32768 {
                    out.push(0xd1);
                    out.extend_from_slice(&(i as i16).to_be_bytes());
                } else if i >= -(1 << 31) {
                    out.push(0xd2);
                    out.extend_from_slice(&(i as i32).to_be_bytes());
                } else {
                    out.push(0xd3);
                    out.extend_from_slice(&i.to_be_bytes());
                }
            }
            Value::Float(f) => {
                out.push(0xcb);
                out.extend_from_slice(&f.to_bits().to_be_bytes());
            }
            Value::Str(s) => {
                let n = s.len();
                if n < 32 {
                    out.push(0xa0 | n as u8);
                } else if n <= 0xff {
                    out.extend_from_slice(&[0xd9, n as u8]);
                } else if n <= 0xffff {
                    out.push(0xda);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                } else {
                    out.push(0xdb);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                out.extend_from_slice(s.as_bytes());
            }
            Value::Bytes(b) => {
                let n = b.len();
                if n <= 0xff {
                    out.extend_from_slice(&[0xc4, n as u8]);
                } else if n <= 0xffff {
                    out.push(0xc5);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                } else {
                    out.push(0xc6);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                out.extend_from_slice(b);
            }
            Value::List(items) | Value::Set(items) => {
                let n = items.len();
                if n < 16 {
                    out.push(0x90 | n as u8);
                } else if n <= 0xffff {
                    out.push(0xdc);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                } else {
                    out.push(0xdd);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                for item in items {
                    encode(item, out);
                }
            }
            Value::Map(entries) => {
                let n = entries.len();
                if n < 16 {
                    out.push(0x80 | n as u8);
                } else if n <= 0xffff {
                    out.push(0xde);
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                } else {
                    out.push(0xdf);
                    out.extend_from_slice(&(n as u32).to_be_bytes());
                }
                for (k, val) in entries {
                    encode(k, out);
                    encode(val, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn json_text_is_not_taken_for_msgpack() {
        let (v, enc) = decode(
            br#"{"type": "vector_clock", "clocks": {"a": 1}}"#,
            &Limits::DEFAULT,
            "test",
        )
        .unwrap();
        assert_eq!(enc, JsonEncoding::Json);
        assert_eq!(v.get("type"), Some(&Value::str("vector_clock")));
    }

    #[test]
    fn top_level_must_be_a_map() {
        // "0 " is JSON for 0; "0" is also msgpack for 48: both are refused,
        // as are lists in either encoding.
        assert!(matches!(
            decode(b"0 ", &Limits::DEFAULT, "test"),
            Err(DecodeError::Shape { .. })
        ));
        for p in [&b"0 "[..], b"0", b"[1]", b"\x93\x01\x02\x03", b"null"] {
            assert!(decode(p, &Limits::DEFAULT, "test").is_err(), "{p:?}");
        }
        assert_eq!(
            decode(b"{}", &Limits::DEFAULT, "test").unwrap(),
            (Value::Map(vec![]), JsonEncoding::Json)
        );
        assert_eq!(
            decode(b"\x80", &Limits::DEFAULT, "test").unwrap(),
            (Value::Map(vec![]), JsonEncoding::Msgpack)
        );
    }

    #[test]
    fn msgpack_roundtrip() {
        let v = Value::map([
            (
                "a",
                Value::List(vec![
                    Value::Int(-33),
                    Value::Int(300),
                    Value::Int(-70000),
                    Value::Int(1 << 40),
                    Value::Float(1.5),
                ]),
            ),
            ("s", Value::str("x".repeat(40))),
            ("n", Value::None),
        ]);
        let b = encode(&v, JsonEncoding::Msgpack).unwrap();
        let (back, enc) = decode(&b, &Limits::DEFAULT, "test").unwrap();
        assert_eq!(enc, JsonEncoding::Msgpack);
        assert_eq!(back, v);
    }
}

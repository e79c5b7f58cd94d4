//! The compact tagged value codec: one tag byte, then big-endian data.
//!
//! | tag | value | data |
//! |---|---|---|
//! | 0x00 | None | — |
//! | 0x01 / 0x02 | True / False | — |
//! | 0x09 | int in -128..=127 | i8 |
//! | 0x03 | other int | i64 |
//! | 0x04 | float | f64 |
//! | 0x05 | str | u32 length + UTF-8 |
//! | 0x06 | bytes | u32 length + raw |
//! | 0x07 | list | u32 count + items |
//! | 0x08 | dict | u32 count + key, value pairs |
//! | 0x0A | set | u32 count + items |
//!
//! Decoding is bounded: counts are checked against the bytes left before
//! anything is allocated, and nesting is capped by [`Limits::max_depth`].

use alloc::string::String;
use alloc::vec::Vec;

use super::Limits;
use crate::error::DecodeError;
use crate::value::Value;

/// Value tags.
pub mod tag {
    /// None.
    pub const NONE: u8 = 0x00;
    /// True.
    pub const TRUE: u8 = 0x01;
    /// False.
    pub const FALSE: u8 = 0x02;
    /// int64.
    pub const INT64: u8 = 0x03;
    /// float64.
    pub const FLOAT64: u8 = 0x04;
    /// str.
    pub const STR: u8 = 0x05;
    /// bytes.
    pub const BYTES: u8 = 0x06;
    /// list.
    pub const LIST: u8 = 0x07;
    /// dict.
    pub const DICT: u8 = 0x08;
    /// int8.
    pub const SMALLINT: u8 = 0x09;
    /// set.
    pub const SET: u8 = 0x0A;
}

/// Encode a value, appending to `out`.
pub fn encode_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::None => out.push(tag::NONE),
        Value::Bool(true) => out.push(tag::TRUE),
        Value::Bool(false) => out.push(tag::FALSE),
        Value::Int(i) => {
            if (-128..=127).contains(i) {
                out.push(tag::SMALLINT);
                out.push(*i as i8 as u8);
            } else {
                out.push(tag::INT64);
                out.extend_from_slice(&i.to_be_bytes());
            }
        }
        Value::Float(f) => {
            out.push(tag::FLOAT64);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Value::Str(s) => {
            out.push(tag::STR);
            out.extend_from_slice(&(s.len() as u32).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(tag::BYTES);
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        }
        Value::List(items) | Value::Set(items) => {
            out.push(if matches!(v, Value::Set(_)) {
                tag::SET
            } else {
                tag::LIST
            });
            out.extend_from_slice(&(items.len() as u32).to_be_bytes());
            for item in items {
                encode_value(item, out);
            }
        }
        Value::Map(entries) => {
            out.push(tag::DICT);
            out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
            for (k, val) in entries {
                encode_value(k, out);
                encode_value(val, out);
            }
        }
    }
}

/// Encode a value into a new buffer.
pub fn encode_to_vec(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    encode_value(v, &mut out);
    out
}

/// Decode exactly one value spanning all of `data` (trailing bytes are an error).
pub fn decode_value(data: &[u8], limits: &Limits) -> Result<Value, DecodeError> {
    let mut d = Decoder {
        data,
        pos: 0,
        max_depth: limits.max_depth,
    };
    let v = d.value(0)?;
    if d.pos != data.len() {
        return Err(DecodeError::TrailingBytes(data.len() - d.pos));
    }
    Ok(v)
}

/// Decode one value from the start of `data`, returning it and the bytes used.
pub fn decode_prefix(data: &[u8], limits: &Limits) -> Result<(Value, usize), DecodeError> {
    let mut d = Decoder {
        data,
        pos: 0,
        max_depth: limits.max_depth,
    };
    let v = d.value(0)?;
    Ok((v, d.pos))
}

struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let left = self.data.len() - self.pos;
        if n > left {
            return Err(DecodeError::Truncated {
                offset: self.pos,
                needed: n - left,
            });
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u32(&mut self) -> Result<usize, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    /// A count of items, each at least `min_item` bytes: must fit in what is left.
    fn count(&mut self, min_item: usize) -> Result<usize, DecodeError> {
        let at = self.pos;
        let n = self.u32()?;
        let left = self.data.len() - self.pos;
        if n.saturating_mul(min_item) > left {
            return Err(DecodeError::Truncated {
                offset: at,
                needed: n.saturating_mul(min_item) - left,
            });
        }
        Ok(n)
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        let at = self.pos;
        let t = self.take(1)?[0];
        Ok(match t {
            tag::NONE => Value::None,
            tag::TRUE => Value::Bool(true),
            tag::FALSE => Value::Bool(false),
            tag::SMALLINT => Value::Int(self.take(1)?[0] as i8 as i64),
            tag::INT64 => {
                let b = self.take(8)?;
                Value::Int(i64::from_be_bytes(b.try_into().expect("8 bytes")))
            }
            tag::FLOAT64 => {
                let b = self.take(8)?;
                Value::Float(f64::from_bits(u64::from_be_bytes(
                    b.try_into().expect("8 bytes"),
                )))
            }
            tag::STR => {
                let n = self.u32()?;
                let start = self.pos;
                let b = self.take(n)?;
                Value::Str(String::from(
                    core::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8(start))?,
                ))
            }
            tag::BYTES => {
                let n = self.u32()?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            tag::LIST | tag::SET => {
                self.enter(depth)?;
                let n = self.count(1)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                if t == tag::SET {
                    Value::Set(items)
                } else {
                    Value::List(items)
                }
            }
            tag::DICT => {
                self.enter(depth)?;
                let n = self.count(2)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    let v = self.value(depth + 1)?;
                    entries.push((k, v));
                }
                Value::Map(entries)
            }
            other => {
                return Err(DecodeError::UnknownValueTag {
                    tag: other,
                    offset: at,
                })
            }
        })
    }

    fn enter(&self, depth: usize) -> Result<(), DecodeError> {
        if depth >= self.max_depth {
            return Err(DecodeError::LimitExceeded {
                what: "nesting depth",
                limit: self.max_depth,
                got: depth + 1,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn worked_example_from_wire_facts() {
        // {"a": [1, 2.5, None, True]}
        let v = Value::map([(
            "a",
            Value::List(vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::None,
                Value::Bool(true),
            ]),
        )]);
        let bytes = encode_to_vec(&v);
        let want = "0800000001050000000161070000000409010440040000000000000001";
        let hex: String = bytes.iter().map(|b| alloc::format!("{b:02x}")).collect();
        assert_eq!(hex, want);
        assert_eq!(decode_value(&bytes, &Limits::DEFAULT).unwrap(), v);
    }

    #[test]
    fn int_boundaries() {
        for (i, len) in [
            (127i64, 2usize),
            (-128, 2),
            (128, 9),
            (-129, 9),
            (i64::MIN, 9),
        ] {
            let b = encode_to_vec(&Value::Int(i));
            assert_eq!(b.len(), len, "{i}");
            assert_eq!(decode_value(&b, &Limits::DEFAULT).unwrap(), Value::Int(i));
        }
    }

    #[test]
    fn hostile_counts_do_not_allocate() {
        // list claiming 4 billion items in 5 bytes
        let b = [tag::LIST, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode_value(&b, &Limits::DEFAULT),
            Err(DecodeError::Truncated { .. })
        ));
        let b = [tag::DICT, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00];
        assert!(decode_value(&b, &Limits::DEFAULT).is_err());
    }

    #[test]
    fn deep_nesting_is_capped() {
        let mut b = Vec::new();
        for _ in 0..100_000 {
            b.extend_from_slice(&[tag::LIST, 0, 0, 0, 1]);
        }
        b.push(tag::NONE);
        assert!(matches!(
            decode_value(&b, &Limits::DEFAULT),
            Err(DecodeError::LimitExceeded { .. })
        ));
    }

    #[test]
    fn errors_are_typed() {
        assert!(matches!(
            decode_value(&[0x0b], &Limits::DEFAULT),
            Err(DecodeError::UnknownValueTag {
                tag: 0x0b,
                offset: 0
            })
        ));
        assert!(matches!(
            decode_value(&[tag::STR, 0, 0, 0, 1, 0xff], &Limits::DEFAULT),
            Err(DecodeError::InvalidUtf8(5))
        ));
        assert!(matches!(
            decode_value(&[0x00, 0x00], &Limits::DEFAULT),
            Err(DecodeError::TrailingBytes(1))
        ));
        assert!(matches!(
            decode_value(&[], &Limits::DEFAULT),
            Err(DecodeError::Truncated { .. })
        ));
    }
}

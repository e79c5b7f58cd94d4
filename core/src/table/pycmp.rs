//! Python value semantics the record merge depends on: `==` across numeric
//! types (`1 == 1.0 == True`), the rich comparisons `>=` / `<=` (which raise
//! `TypeError` across unrelated types), `str(v)` ordering, `str.strip()`,
//! truthiness, dict-key hashing consistent with `==`, and the reference's
//! timestamp parsing (numbers, numeric strings, ISO-8601).

use alloc::borrow::Cow;
use alloc::string::String;
use core::cmp::Ordering;
use core::hash::{Hash, Hasher};

use crate::pyrepr;
use crate::value::Value;

/// Python `str(v)`, borrowed when `v` is already a string.
pub fn py_str(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Str(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(pyrepr::repr(other)),
    }
}

/// `str(a)` compared with `str(b)` (code-point order, as Python compares strings).
pub fn str_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.as_str().cmp(y.as_str()),
        (Value::Int(x), Value::Int(y)) => {
            let mut bx = [0u8; 24];
            let mut by = [0u8; 24];
            int_digits(*x, &mut bx).cmp(int_digits(*y, &mut by))
        }
        _ => py_str(a).as_ref().cmp(py_str(b).as_ref()),
    }
}

/// Decimal digits of `i` written into `buf` (no allocation).
fn int_digits(i: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut n = i.unsigned_abs();
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// A number as Python sees it for cross-type comparison.
#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::I(*b as i64)),
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

/// Exact comparison of an int with a float; `None` when the float is NaN.
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Less
        } else {
            Ordering::Greater
        });
    }
    let fi = i as f64;
    match fi.partial_cmp(&f) {
        Some(Ordering::Equal) => {
            // `f` is integral here and within i128; compare exactly.
            Some((i as i128).cmp(&(f as i128)))
        }
        o => o,
    }
}

fn num_cmp(a: Num, b: Num) -> Option<Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
        (Num::I(x), Num::F(y)) => cmp_int_float(x, y),
        (Num::F(x), Num::I(y)) => cmp_int_float(y, x).map(Ordering::reverse),
    }
}

/// Python `a == b` (numbers across bool/int/float, NaN never equal, dicts by content).
pub fn py_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
        return num_cmp(x, y) == Some(Ordering::Equal);
    }
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .rev()
                        .find(|(k2, _)| py_eq(k, k2))
                        .is_some_and(|(_, v2)| py_eq(v, v2))
                })
        }
        (Value::Set(x), Value::Set(y)) => {
            x.len() == y.len() && x.iter().all(|p| y.iter().any(|q| py_eq(p, q)))
        }
        _ => false,
    }
}

/// Python would raise `TypeError` here (the values cannot be ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeError;

/// Outcome of a Python rich comparison: a bool, or [`TypeError`].
pub type PyCmp = Result<bool, TypeError>;

/// Python ordering of two values: `Ok(None)` when unordered (NaN), `Err(TypeError)`
/// when Python raises `TypeError` (unrelated types, dicts, `None`).
pub fn py_order(a: &Value, b: &Value) -> Result<Option<Ordering>, TypeError> {
    if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
        return Ok(num_cmp(x, y));
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.as_str().cmp(y.as_str()))),
        (Value::Bytes(x), Value::Bytes(y)) => Ok(Some(x.cmp(y))),
        (Value::List(x), Value::List(y)) => {
            // Lexicographic: the first pair that is not ==, then that pair decides.
            for (p, q) in x.iter().zip(y) {
                if !py_eq(p, q) {
                    return py_order(p, q);
                }
            }
            Ok(Some(x.len().cmp(&y.len())))
        }
        _ => Err(TypeError),
    }
}

fn subset(x: &[Value], y: &[Value]) -> bool {
    x.iter().all(|p| y.iter().any(|q| py_eq(p, q)))
}

/// Python `a >= b`.
pub fn py_ge(a: &Value, b: &Value) -> PyCmp {
    if let (Value::Set(x), Value::Set(y)) = (a, b) {
        return Ok(subset(y, x));
    }
    py_order(a, b).map(|o| matches!(o, Some(Ordering::Greater | Ordering::Equal)))
}

/// Python `a <= b`.
pub fn py_le(a: &Value, b: &Value) -> PyCmp {
    py_ge(b, a)
}

/// Python `a < b`.
pub fn py_lt(a: &Value, b: &Value) -> PyCmp {
    if let (Value::Set(x), Value::Set(y)) = (a, b) {
        return Ok(subset(x, y) && x.len() < y.len());
    }
    py_order(a, b).map(|o| o == Some(Ordering::Less))
}

/// Python truthiness (`if v:`).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::None => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Bytes(b) => !b.is_empty(),
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        Value::Set(s) => !s.is_empty(),
    }
}

/// Python's `str.isspace()` for one character.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python `s.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Whether a value can be a dict key in Python (lists, dicts and sets cannot).
pub fn hashable(v: &Value) -> bool {
    !matches!(v, Value::List(_) | Value::Map(_) | Value::Set(_))
}

/// Hash a hashable value consistently with [`py_eq`]: `1`, `1.0` and `True`
/// hash alike. NaN hashes by its bits (it never equals anything anyway).
pub fn hash_key<H: Hasher>(v: &Value, h: &mut H) {
    match v {
        Value::None => 0u8.hash(h),
        Value::Bool(b) => {
            1u8.hash(h);
            (*b as i64).hash(h)
        }
        Value::Int(i) => {
            1u8.hash(h);
            i.hash(h)
        }
        Value::Float(f) => {
            let f = *f;
            if f.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&f) {
                1u8.hash(h);
                (f as i64).hash(h)
            } else {
                2u8.hash(h);
                f.to_bits().hash(h)
            }
        }
        Value::Str(s) => {
            3u8.hash(h);
            s.hash(h)
        }
        Value::Bytes(b) => {
            4u8.hash(h);
            b.hash(h)
        }
        other => {
            5u8.hash(h);
            other.hash(h)
        }
    }
}

/// The reference's `_parse_timestamp`: `None` → 0, numbers as floats, numeric
/// strings, ISO-8601 strings (naive times taken as UTC), anything else → 0.
pub fn parse_timestamp(v: Option<&Value>) -> f64 {
    match v {
        None | Some(Value::None) => 0.0,
        Some(Value::Bool(b)) => *b as i64 as f64,
        Some(Value::Int(i)) => *i as f64,
        Some(Value::Float(f)) => *f,
        Some(Value::Str(s)) => parse_ts_str(s).unwrap_or(0.0),
        Some(_) => 0.0,
    }
}

fn parse_ts_str(s: &str) -> Option<f64> {
    let t = py_strip(s);
    if let Some(f) = py_float(t) {
        return Some(f);
    }
    iso_timestamp(s)
}

/// Python `float(str)` for the common spellings (digits, exponent, inf, nan, `_` between digits).
pub fn py_float(t: &str) -> Option<f64> {
    if t.is_empty() {
        return None;
    }
    let lower: String = t.chars().map(|c| c.to_ascii_lowercase()).collect();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 {
        return None;
    }
    let neg = lower.starts_with('-');
    match unsigned {
        "inf" | "infinity" => {
            return Some(if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if !unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-' | b'_'))
    {
        return None;
    }
    let cleaned: Cow<'_, str> = if lower.contains('_') {
        let bytes = lower.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'_' {
                let ok = i > 0
                    && i + 1 < bytes.len()
                    && bytes[i - 1].is_ascii_digit()
                    && bytes[i + 1].is_ascii_digit();
                if !ok {
                    return None;
                }
            }
        }
        Cow::Owned(lower.replace('_', ""))
    } else {
        Cow::Borrowed(lower.as_str())
    };
    cleaned.parse::<f64>().ok()
}

fn digits(s: &[u8], n: usize) -> Option<i64> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        s[..n]
            .iter()
            .fold(0i64, |acc, d| acc * 10 + (d - b'0') as i64),
    )
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()` for
/// `YYYY-MM-DD[(T| )HH[:MM[:SS[.f+]]][Z|±HH[:MM]]]`; naive times are UTC.
pub fn iso_timestamp(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let y = digits(b, 4)?;
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let m = digits(&b[5..], 2)?;
    if b.get(7) != Some(&b'-') {
        return None;
    }
    let d = digits(&b[8..], 2)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || y < 1 {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) as f64 * 86400.0;
    let mut rest = &b[10..];
    if rest.is_empty() {
        return Some(secs);
    }
    if !rest[0].is_ascii() || rest[0].is_ascii_digit() {
        return None;
    }
    rest = &rest[1..];
    let hh = digits(rest, 2)?;
    rest = &rest[2..];
    let (mut mm, mut ss, mut frac) = (0i64, 0i64, 0.0f64);
    if rest.first() == Some(&b':') {
        mm = digits(&rest[1..], 2)?;
        rest = &rest[3..];
        if rest.first() == Some(&b':') {
            ss = digits(&rest[1..], 2)?;
            rest = &rest[3..];
            if matches!(rest.first(), Some(b'.') | Some(b',')) {
                let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if n == 0 || n > 9 {
                    return None;
                }
                let f = digits(&rest[1..], n)?;
                frac = f as f64 / 10f64.powi(n as i32);
                // datetime keeps microseconds only.
                frac = ((frac * 1e6) as i64) as f64 / 1e6;
                rest = &rest[1 + n..];
            }
        }
    }
    if hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    secs += (hh * 3600 + mm * 60 + ss) as f64;
    let mut offset = 0i64;
    if !rest.is_empty() {
        let sign = match rest[0] {
            b'Z' if rest.len() == 1 => {
                rest = &[];
                0
            }
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        if sign != 0 {
            let oh = digits(&rest[1..], 2)?;
            rest = &rest[3..];
            let mut om = 0;
            if rest.first() == Some(&b':') {
                om = digits(&rest[1..], 2)?;
                rest = &rest[3..];
            } else if rest.len() >= 2 {
                om = digits(rest, 2)?;
                rest = &rest[2..];
            }
            if !rest.is_empty() || oh > 23 || om > 59 {
                return None;
            }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    Some(secs - offset as f64 + frac)
}

//! Mergeable sketches, bit-identical to the reference for the same items:
//! [`hash`] (MD5 of Python `repr` + seed), [`hll`] (HyperLogLog),
//! [`bloom`] (Bloom filter), [`cms`] (Count-Min sketch).
//!
//! Each sketch takes items as a [`crate::Value`] (`add`), or through the
//! allocation-free `add_str` / `add_int` paths, which hash exactly like the
//! corresponding `Value::Str` / `Value::Int`.

pub mod bloom;
pub mod cms;
pub mod hash;
pub mod hll;

pub use bloom::MergeableBloom;
pub use cms::MergeableCms;
pub use hash::{h128, h64, h64_int, h64_str, ItemHash};
pub use hll::MergeableHll;

/// Natural log as the reference's platform (glibc) computes it: the system
/// libm with `std`, the portable `libm` crate without.
#[inline]
pub(crate) fn ln(x: f64) -> f64 {
    #[cfg(feature = "std")]
    {
        x.ln()
    }
    #[cfg(not(feature = "std"))]
    {
        libm::log(x)
    }
}

/// Shape checks shared by the sketch decoders: the payload is a dict whose
/// optional `type` names the sketch.
pub(crate) fn check_payload(
    v: &crate::Value,
    name: &'static str,
) -> Result<(), crate::DecodeError> {
    if v.as_map().is_none() {
        return Err(crate::DecodeError::shape(name, "payload is not a dict"));
    }
    match v.get("type") {
        Some(t) if t.as_str() != Some(name) => Err(crate::DecodeError::shape(
            name,
            alloc::format!("field 'type' must be \"{name}\""),
        )),
        _ => Ok(()),
    }
}

/// A required int field of a sketch payload.
pub(crate) fn int_field(
    v: &crate::Value,
    name: &'static str,
    k: &str,
) -> Result<i64, crate::DecodeError> {
    v.get(k)
        .ok_or_else(|| crate::DecodeError::shape(name, alloc::format!("missing field '{k}'")))?
        .as_int()
        .ok_or_else(|| {
            crate::DecodeError::shape(name, alloc::format!("field '{k}' must be an int"))
        })
}

/// Direct writers for the compact codec, so big register / bit / table
/// arrays are encoded without building one [`crate::Value`] per cell. Each
/// writes exactly what [`crate::wire::codec::encode_value`] would.
pub(crate) mod wirefast {
    use crate::wire::codec::tag;
    use alloc::vec::Vec;

    pub fn map_header(out: &mut Vec<u8>, n: usize) {
        out.push(tag::DICT);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }

    pub fn list_header(out: &mut Vec<u8>, n: usize) {
        out.push(tag::LIST);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }

    pub fn string(out: &mut Vec<u8>, s: &str) {
        out.push(tag::STR);
        out.extend_from_slice(&(s.len() as u32).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }

    pub fn key(out: &mut Vec<u8>, k: &str) {
        string(out, k);
    }

    pub fn str_entry(out: &mut Vec<u8>, k: &str, v: &str) {
        string(out, k);
        string(out, v);
    }

    #[inline]
    pub fn int(out: &mut Vec<u8>, i: i64) {
        if (-128..=127).contains(&i) {
            out.push(tag::SMALLINT);
            out.push(i as i8 as u8);
        } else {
            out.push(tag::INT64);
            out.extend_from_slice(&i.to_be_bytes());
        }
    }

    pub fn float(out: &mut Vec<u8>, f: f64) {
        out.push(tag::FLOAT64);
        out.extend_from_slice(&f.to_bits().to_be_bytes());
    }
}

/// Wrap a directly encoded payload in a frame (same bytes as
/// [`crate::wire::encode_typed`]).
pub(crate) fn frame_from_payload(
    tag: crate::wire::TypeTag,
    payload: alloc::vec::Vec<u8>,
    compress: bool,
) -> Result<alloc::vec::Vec<u8>, crate::DecodeError> {
    crate::wire::frame::build(tag, payload, compress)
}

/// A frame whose payload `write` appends (room for about `cap` bytes):
/// uncompressed frames are written in place behind the header, without
/// copying the payload; compressed ones go through [`frame_from_payload`].
pub(crate) fn frame_with(
    tag: crate::wire::TypeTag,
    compress: bool,
    cap: usize,
    write: impl FnOnce(&mut alloc::vec::Vec<u8>),
) -> Result<alloc::vec::Vec<u8>, crate::DecodeError> {
    use crate::wire::header::{Header, HEADER_SIZE, PROTOCOL_VERSION};
    if compress {
        let mut payload = alloc::vec::Vec::with_capacity(cap);
        write(&mut payload);
        return frame_from_payload(tag, payload, compress);
    }
    let mut out = alloc::vec::Vec::with_capacity(HEADER_SIZE + cap);
    out.resize(HEADER_SIZE, 0);
    write(&mut out);
    let got = out.len() - HEADER_SIZE;
    let payload_len = u32::try_from(got).map_err(|_| crate::DecodeError::LimitExceeded {
        what: "payload length",
        limit: u32::MAX as usize,
        got,
    })?;
    out[..HEADER_SIZE].copy_from_slice(
        &Header {
            version: PROTOCOL_VERSION,
            tag,
            flags: 0,
            payload_len,
        }
        .to_bytes(),
    );
    Ok(out)
}

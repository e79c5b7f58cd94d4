//! zlib for frame payloads: level 6, used only when strictly smaller (the
//! reference's rule). With the `zlib` feature the bytes come from C zlib and
//! match the reference exactly; without it (no_std, wasm) miniz_oxide writes
//! a valid but different stream. Decompression always goes through
//! miniz_oxide with an output cap, so a zlib bomb is an error, not an OOM.

use alloc::format;
use alloc::vec::Vec;

use crate::error::DecodeError;

/// Compression level the reference uses.
pub const LEVEL: u32 = 6;

/// Compress `payload`; `None` when the result would not be strictly smaller.
pub fn compress_if_smaller(payload: &[u8]) -> Option<Vec<u8>> {
    let c = compress(payload);
    (c.len() < payload.len()).then_some(c)
}

/// zlib-compress at level 6.
#[cfg(feature = "zlib")]
pub fn compress(payload: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(payload.len() / 2 + 64),
        flate2::Compression::new(LEVEL),
    );
    enc.write_all(payload)
        .expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// zlib-compress at level 6 (miniz_oxide: valid, not byte-identical to C zlib).
#[cfg(not(feature = "zlib"))]
pub fn compress(payload: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(payload, LEVEL as u8)
}

/// Whether compressed output is byte-identical to the reference's.
pub const BYTE_EXACT: bool = cfg!(feature = "zlib");

/// Inflate a zlib stream, failing once the output would exceed `max_out`.
pub fn decompress(data: &[u8], max_out: usize) -> Result<Vec<u8>, DecodeError> {
    use miniz_oxide::inflate::TINFLStatus;
    match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(data, max_out) {
        Ok(v) => Ok(v),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => Err(DecodeError::LimitExceeded {
            what: "decompressed payload",
            limit: max_out,
            got: max_out.saturating_add(1),
        }),
        Err(e) => Err(DecodeError::Decompress(format!("{:?}", e.status))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_bomb() {
        let data = alloc::vec![7u8; 100_000];
        let c = compress_if_smaller(&data).unwrap();
        assert_eq!(decompress(&c, 1 << 20).unwrap(), data);
        assert!(matches!(
            decompress(&c, 1000),
            Err(DecodeError::LimitExceeded { .. })
        ));
        assert!(compress_if_smaller(b"ab").is_none());
        assert!(matches!(
            decompress(b"\x78\x9cgarbage", 1000),
            Err(DecodeError::Decompress(_))
        ));
    }
}

//! Batches: u32 BE count, then for each frame a u32 BE length and the frame.

use alloc::format;
use alloc::vec::Vec;

use super::Limits;
use crate::error::DecodeError;

/// Join encoded frames into a batch.
pub fn encode_batch<F: AsRef<[u8]>>(frames: &[F]) -> Vec<u8> {
    let total: usize = frames.iter().map(|f| f.as_ref().len() + 4).sum();
    let mut out = Vec::with_capacity(4 + total);
    out.extend_from_slice(&(frames.len() as u32).to_be_bytes());
    for f in frames {
        let f = f.as_ref();
        out.extend_from_slice(&(f.len() as u32).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// Split a batch into its frames (not decoded). The batch must be consumed
/// exactly: missing or extra bytes are errors.
pub fn split_batch<'a>(data: &'a [u8], limits: &Limits) -> Result<Vec<&'a [u8]>, DecodeError> {
    if data.len() < 4 {
        return Err(DecodeError::Batch(format!(
            "too short: {} bytes, need at least 4",
            data.len()
        )));
    }
    let count = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    if count > limits.max_batch_items {
        return Err(DecodeError::LimitExceeded {
            what: "batch item count",
            limit: limits.max_batch_items,
            got: count,
        });
    }
    if count.saturating_mul(4) > data.len() - 4 {
        return Err(DecodeError::Batch(format!(
            "count {count} does not fit in {} bytes",
            data.len() - 4
        )));
    }
    let mut out = Vec::with_capacity(count);
    let mut pos = 4;
    for i in 0..count {
        if data.len() - pos < 4 {
            return Err(DecodeError::Batch(format!(
                "truncated before item {i} of {count}"
            )));
        }
        let n =
            u32::from_be_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]) as usize;
        pos += 4;
        if n > data.len() - pos {
            return Err(DecodeError::Batch(format!(
                "item {i} declares {n} bytes, {} left",
                data.len() - pos
            )));
        }
        out.push(&data[pos..pos + n]);
        pos += n;
    }
    if pos != data.len() {
        return Err(DecodeError::Batch(format!(
            "{} trailing bytes after {count} items",
            data.len() - pos
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_roundtrip_and_errors() {
        let frames: [&[u8]; 2] = [b"abc", b""];
        let b = encode_batch(&frames);
        assert_eq!(b, [0, 0, 0, 2, 0, 0, 0, 3, b'a', b'b', b'c', 0, 0, 0, 0]);
        assert_eq!(split_batch(&b, &Limits::DEFAULT).unwrap(), frames);
        assert!(split_batch(&b[..b.len() - 1], &Limits::DEFAULT).is_err());
        assert!(split_batch(&[0xff, 0xff, 0xff, 0xff], &Limits::DEFAULT).is_err());
        let mut extra = b.clone();
        extra.push(1);
        assert!(split_batch(&extra, &Limits::DEFAULT).is_err());
    }
}

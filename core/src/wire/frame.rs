//! One frame: header + payload. Encoding picks the payload codec from the
//! type tag and compresses only when asked and strictly smaller; decoding
//! validates the header, the exact length, the caps in [`Limits`], and
//! decompresses under a cap.

use alloc::vec::Vec;

use super::compress;
use super::header::{Header, PayloadKind, TypeTag, FLAG_COMPRESSED, HEADER_SIZE, PROTOCOL_VERSION};
use super::json_payload::{self, JsonEncoding};
use super::{codec, Limits};
use crate::error::DecodeError;
use crate::traits::WireType;
use crate::value::Value;

/// How a decoded frame's payload was encoded (to re-encode it the same way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadEncoding {
    /// The compact value codec.
    Codec,
    /// JSON text.
    Json,
    /// msgpack.
    Msgpack,
}

impl PayloadEncoding {
    /// The encoding new frames of `tag` are written with.
    pub fn default_for(tag: TypeTag) -> PayloadEncoding {
        match tag.payload_kind() {
            PayloadKind::Codec => PayloadEncoding::Codec,
            PayloadKind::Json => PayloadEncoding::Json,
        }
    }
}

/// A decoded frame: header, payload value and the payload's encoding.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The header as read.
    pub header: Header,
    /// The payload value (the reference's `to_dict()`).
    pub value: Value,
    /// How the payload was encoded.
    pub encoding: PayloadEncoding,
}

/// Validate the header and length of a frame and return its (decompressed) payload bytes.
pub fn frame_payload<'a>(
    data: &'a [u8],
    limits: &Limits,
) -> Result<(Header, alloc::borrow::Cow<'a, [u8]>), DecodeError> {
    let header = Header::parse(data)?;
    let declared = header.payload_len as usize;
    if declared > limits.max_payload_bytes {
        return Err(DecodeError::LimitExceeded {
            what: "payload length",
            limit: limits.max_payload_bytes,
            got: declared,
        });
    }
    let actual = data.len() - HEADER_SIZE;
    if actual != declared {
        return Err(DecodeError::LengthMismatch { declared, actual });
    }
    let raw = &data[HEADER_SIZE..];
    if header.compressed() {
        Ok((
            header,
            alloc::borrow::Cow::Owned(compress::decompress(raw, limits.max_decompressed_bytes)?),
        ))
    } else {
        Ok((header, alloc::borrow::Cow::Borrowed(raw)))
    }
}

/// Decode one frame to its header and payload value.
pub fn decode_frame(data: &[u8], limits: &Limits) -> Result<Frame, DecodeError> {
    let (header, payload) = frame_payload(data, limits)?;
    let (value, encoding) = match header.tag.payload_kind() {
        PayloadKind::Codec => (
            codec::decode_value(&payload, limits)?,
            PayloadEncoding::Codec,
        ),
        PayloadKind::Json => match json_payload::decode(&payload, limits, header.tag.name())? {
            (v, JsonEncoding::Json) => (v, PayloadEncoding::Json),
            (v, JsonEncoding::Msgpack) => (v, PayloadEncoding::Msgpack),
        },
    };
    Ok(Frame {
        header,
        value,
        encoding,
    })
}

/// Encode a payload value as a frame of `tag`.
///
/// `encoding` must fit the tag (codec for codec tags; JSON or msgpack for
/// JSON tags). Errors only when a JSON payload holds something JSON cannot
/// carry (bytes, sets) or the payload exceeds 4 GiB.
pub fn encode_frame(
    tag: TypeTag,
    value: &Value,
    encoding: PayloadEncoding,
    compress: bool,
) -> Result<Vec<u8>, DecodeError> {
    let payload = match (tag.payload_kind(), encoding) {
        (PayloadKind::Codec, _) => codec::encode_to_vec(value),
        (PayloadKind::Json, PayloadEncoding::Msgpack) => {
            json_payload::encode(value, JsonEncoding::Msgpack)?
        }
        (PayloadKind::Json, _) => json_payload::encode(value, JsonEncoding::Json)?,
    };
    build(tag, payload, compress)
}

/// Wrap already-encoded payload bytes in a frame.
pub fn build(tag: TypeTag, payload: Vec<u8>, compress: bool) -> Result<Vec<u8>, DecodeError> {
    let (payload, flags) = match compress
        .then(|| compress::compress_if_smaller(&payload))
        .flatten()
    {
        Some(c) => (c, FLAG_COMPRESSED),
        None => (payload, 0),
    };
    let len = u32::try_from(payload.len()).map_err(|_| DecodeError::LimitExceeded {
        what: "payload length",
        limit: u32::MAX as usize,
        got: payload.len(),
    })?;
    let header = Header {
        version: PROTOCOL_VERSION,
        tag,
        flags,
        payload_len: len,
    };
    let mut out = Vec::with_capacity(HEADER_SIZE + payload.len());
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Encode a typed object (new frames: codec or JSON payload).
pub fn encode_typed<T: WireType>(obj: &T, compress: bool) -> Result<Vec<u8>, DecodeError> {
    encode_frame(
        T::TAG,
        &obj.to_value(),
        PayloadEncoding::default_for(T::TAG),
        compress,
    )
}

/// Decode a frame that must be of type `T`.
pub fn decode_typed<T: WireType>(data: &[u8], limits: &Limits) -> Result<T, DecodeError> {
    let frame = decode_frame(data, limits)?;
    if frame.header.tag != T::TAG {
        return Err(DecodeError::WrongType {
            expected: T::TAG.name(),
            found: frame.header.tag.name(),
        });
    }
    T::from_value(&frame.value)
}

/// The type name of a frame without decoding its payload.
pub fn peek_type(data: &[u8]) -> Result<&'static str, DecodeError> {
    Ok(Header::parse(data)?.tag.name())
}

/// Size facts of a frame, the fields of the reference's `wire_size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireSize {
    /// Bytes of the whole frame.
    pub total_bytes: usize,
    /// Always 12.
    pub header_bytes: usize,
    /// Payload bytes as stored (after compression).
    pub payload_bytes: usize,
    /// Whether the payload is compressed.
    pub compressed: bool,
    /// Protocol version.
    pub protocol_version: u16,
    /// `peek_type` name.
    pub type_name: &'static str,
}

/// Size facts of a frame (header validated, payload not decoded).
pub fn wire_size(data: &[u8]) -> Result<WireSize, DecodeError> {
    let h = Header::parse(data)?;
    Ok(WireSize {
        total_bytes: data.len(),
        header_bytes: HEADER_SIZE,
        payload_bytes: h.payload_len as usize,
        compressed: h.compressed(),
        protocol_version: h.version,
        type_name: h.tag.name(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn hex(b: &[u8]) -> alloc::string::String {
        b.iter().map(|x| alloc::format!("{x:02x}")).collect()
    }

    #[test]
    fn generic_worked_example() {
        let v = Value::map([(
            "a",
            Value::List(vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::None,
                Value::Bool(true),
            ]),
        )]);
        let f = encode_frame(TypeTag::Generic, &v, PayloadEncoding::Codec, false).unwrap();
        assert_eq!(
            hex(&f),
            "43524454000120000000001d0800000001050000000161070000000409010440040000000000000001"
        );
        let d = decode_frame(&f, &Limits::DEFAULT).unwrap();
        assert_eq!(d.value, v);
        assert_eq!(peek_type(&f).unwrap(), "generic");
    }

    #[test]
    fn bad_frames_are_typed_errors() {
        let v = Value::List(vec![Value::Int(1); 100]);
        let f = encode_frame(TypeTag::Generic, &v, PayloadEncoding::Codec, true).unwrap();
        assert!(wire_size(&f).unwrap().compressed);
        assert_eq!(decode_frame(&f, &Limits::DEFAULT).unwrap().value, v);
        let l = Limits::DEFAULT;
        assert!(matches!(
            decode_frame(&f[..f.len() - 1], &l),
            Err(DecodeError::LengthMismatch { .. })
        ));
        let mut g = f.clone();
        g.push(0);
        assert!(matches!(
            decode_frame(&g, &l),
            Err(DecodeError::LengthMismatch { .. })
        ));
        let mut g = f.clone();
        g[0] = b'X';
        assert!(matches!(
            decode_frame(&g, &l),
            Err(DecodeError::BadMagic { .. })
        ));
        let mut g = f.clone();
        g[5] = 2;
        assert!(matches!(
            decode_frame(&g, &l),
            Err(DecodeError::UnsupportedVersion(2))
        ));
        let mut g = f.clone();
        g[6] = 0x7f;
        assert!(matches!(
            decode_frame(&g, &l),
            Err(DecodeError::UnknownTypeTag(0x7f))
        ));
        assert!(matches!(
            decode_frame(&f[..5], &l),
            Err(DecodeError::Truncated { .. })
        ));
        let small = Limits {
            max_decompressed_bytes: 10,
            ..Limits::DEFAULT
        };
        assert!(matches!(
            decode_frame(&f, &small),
            Err(DecodeError::LimitExceeded { .. })
        ));
    }
}

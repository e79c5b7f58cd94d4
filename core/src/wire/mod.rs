//! The binary wire format, byte-compatible with the reference 0.8.3.
//!
//! - [`header`]: the 12-byte frame header and the type tags.
//! - [`codec`]: the compact tagged value codec (payload of the classic types).
//! - [`json_payload`]: JSON / msgpack payloads of the 0x40.. and 0x50.. types.
//! - [`compress`]: zlib (C zlib with the `zlib` feature, else miniz_oxide).
//! - [`frame`]: encode / decode / peek / size of one frame, with [`Limits`].
//! - [`batch`]: many frames in one buffer.

pub mod batch;
pub mod codec;
pub mod compress;
pub mod frame;
pub mod header;
pub mod json_payload;

pub use frame::{
    decode_frame, decode_typed, encode_frame, encode_typed, peek_type, wire_size, Frame,
    PayloadEncoding, WireSize,
};
pub use header::{Header, PayloadKind, TypeTag, HEADER_SIZE, MAGIC, PROTOCOL_VERSION};

/// Caps that keep decoding of untrusted bytes bounded in memory and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload (as stored, before decompression) accepted.
    pub max_payload_bytes: usize,
    /// Largest payload after decompression.
    pub max_decompressed_bytes: usize,
    /// Deepest nesting of lists/maps/sets.
    pub max_depth: usize,
    /// Most frames in one batch.
    pub max_batch_items: usize,
}

impl Limits {
    /// 256 MiB payloads, 256 MiB decompressed, depth 256, 16M batch items.
    pub const DEFAULT: Limits = Limits {
        max_payload_bytes: 256 << 20,
        max_decompressed_bytes: 256 << 20,
        max_depth: 256,
        max_batch_items: 1 << 24,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

//! The 12-byte frame header: magic `CRDT`, u16 BE protocol version (1),
//! u8 type tag, u8 flags (bit 0: zlib), u32 BE payload length; and the
//! registry of type tags with the names the reference's `peek_type` returns.

use crate::error::DecodeError;

/// `CRDT`.
pub const MAGIC: [u8; 4] = *b"CRDT";
/// The only protocol version written and read.
pub const PROTOCOL_VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER_SIZE: usize = 12;
/// Flag bit: payload is zlib-compressed.
pub const FLAG_COMPRESSED: u8 = 0x01;

/// How a type's payload is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// The compact tagged value codec ([`super::codec`]).
    Codec,
    /// UTF-8 JSON (or msgpack when the writer had it) of the `to_dict()`.
    Json,
}

macro_rules! type_tags {
    ($( $(#[$doc:meta])* $variant:ident = $tag:literal, $name:literal, $kind:ident; )*) => {
        /// Every type tag: the reference's and this project's extensions (0x60..).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum TypeTag { $( $(#[$doc])* $variant = $tag, )* }

        impl TypeTag {
            /// Every tag, in numeric order.
            pub const ALL: &'static [TypeTag] = &[$(TypeTag::$variant,)*];
            /// The tag for a byte.
            pub fn from_u8(b: u8) -> Option<TypeTag> {
                match b { $($tag => Some(TypeTag::$variant),)* _ => None }
            }
            /// The name `peek_type` returns (`g_counter`, `hll`, ...).
            pub fn name(self) -> &'static str {
                match self { $(TypeTag::$variant => $name,)* }
            }
            /// The tag for a `peek_type` name.
            pub fn from_name(name: &str) -> Option<TypeTag> {
                match name { $($name => Some(TypeTag::$variant),)* _ => None }
            }
            /// Compact codec or JSON payload.
            pub fn payload_kind(self) -> PayloadKind {
                match self { $(TypeTag::$variant => PayloadKind::$kind,)* }
            }
        }
    };
}

type_tags! {
    /// Grow-only counter.
    GCounter = 0x01, "g_counter", Codec;
    /// Positive-negative counter.
    PNCounter = 0x02, "pn_counter", Codec;
    /// Last-writer-wins register.
    LwwRegister = 0x03, "lww_register", Codec;
    /// Observed-remove set (add-wins).
    OrSet = 0x04, "or_set", Codec;
    /// Map of LWW registers with tombstones.
    LwwMap = 0x05, "lww_map", Codec;
    /// Record delta (added / modified / removed).
    Delta = 0x10, "delta", Codec;
    /// Any dict or list.
    Generic = 0x20, "generic", Codec;
    /// HyperLogLog.
    Hll = 0x30, "hll", Codec;
    /// Bloom filter.
    Bloom = 0x31, "bloom", Codec;
    /// Count-min sketch.
    Cms = 0x32, "cms", Codec;
    /// Vector clock.
    VectorClock = 0x40, "vector_clock", Json;
    /// Dotted version vector.
    DottedVersionVector = 0x41, "dotted_version_vector", Json;
    /// Merkle tree over records.
    MerkleTree = 0x42, "merkle_tree", Json;
    /// Gossip state.
    GossipState = 0x43, "gossip_state", Json;
    /// One gossip entry.
    GossipEntry = 0x44, "gossip_entry", Json;
    /// Result of a schema evolution.
    SchemaEvolutionResult = 0x45, "schema_evolution_result", Json;
    /// One schema change.
    SchemaChange = 0x46, "schema_change", Json;
    /// Difference of two Merkle trees.
    MerkleDiff = 0x47, "merkle_diff", Json;
    /// A parsed MergeQL statement.
    MergeqlQuery = 0x50, "mergeql_query", Json;
    /// A MergeQL execution plan.
    MergePlan = 0x51, "merge_plan", Json;
    /// A MergeQL result summary.
    MergeqlResult = 0x52, "mergeql_result", Json;
    /// Metadata of a self-merging Parquet file.
    ParquetMergeMetadata = 0x53, "parquet_merge_metadata", Json;
    /// Provenance of one record merge (the reference's MergeRecord).
    ConflictRecord = 0x54, "conflict_record", Json;
    /// A provenance log (the reference's ProvenanceLog).
    ConflictTopology = 0x55, "conflict_topology", Json;
    /// Multi-value register (extension; not in the reference).
    MvRegister = 0x60, "mv_register", Codec;
    /// Hybrid logical clock (extension; not in the reference).
    HybridLogicalClock = 0x61, "hybrid_logical_clock", Codec;
    /// Model merge state (extension; the reference's `CRDTMergeState.to_dict()` + `shadowed`, see wire-spec/model.md).
    CrdtMergeState = 0x63, "crdt_merge_state", Codec;
    /// One agent's memory state (extension; payload is the reference's `AgentState.to_dict()`).
    AgentState = 0x64, "agent_state", Codec;
    /// Merged agent states (extension; the reference's `SharedKnowledge.to_dict()`).
    SharedKnowledge = 0x65, "shared_knowledge", Codec;
    /// Sharded Bloom filter over facts (extension; own hash, see wire-spec/memory.md).
    ContextBloom = 0x66, "context_bloom", Codec;
    /// Record of a memory merge (extension; the reference's `ContextManifest.to_dict()` + `content_hash`).
    ContextManifest = 0x67, "context_manifest", Json;
}

impl core::fmt::Display for TypeTag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed, validated frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Protocol version (always 1 after validation).
    pub version: u16,
    /// Type tag.
    pub tag: TypeTag,
    /// Raw flags byte.
    pub flags: u8,
    /// Payload length as declared.
    pub payload_len: u32,
}

impl Header {
    /// Whether the payload is zlib-compressed.
    pub fn compressed(&self) -> bool {
        self.flags & FLAG_COMPRESSED != 0
    }

    /// Serialize to 12 bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut h = [0u8; HEADER_SIZE];
        h[..4].copy_from_slice(&MAGIC);
        h[4..6].copy_from_slice(&self.version.to_be_bytes());
        h[6] = self.tag as u8;
        h[7] = self.flags;
        h[8..12].copy_from_slice(&self.payload_len.to_be_bytes());
        h
    }

    /// Parse and validate the first 12 bytes: magic, version 1, a known tag,
    /// no unknown flag bits. Does not look at the payload.
    pub fn parse(data: &[u8]) -> Result<Header, DecodeError> {
        if data.len() < HEADER_SIZE {
            return Err(DecodeError::Truncated {
                offset: 0,
                needed: HEADER_SIZE - data.len(),
            });
        }
        let magic: [u8; 4] = [data[0], data[1], data[2], data[3]];
        if magic != MAGIC {
            return Err(DecodeError::BadMagic { found: magic });
        }
        let version = u16::from_be_bytes([data[4], data[5]]);
        if version != PROTOCOL_VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let tag = TypeTag::from_u8(data[6]).ok_or(DecodeError::UnknownTypeTag(data[6]))?;
        let flags = data[7];
        if flags & !FLAG_COMPRESSED != 0 {
            return Err(DecodeError::UnknownFlags(flags));
        }
        let payload_len = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
        Ok(Header {
            version,
            tag,
            flags,
            payload_len,
        })
    }
}

//! [`AnyCrdt`]: one value of any wire type, chosen at run time from the
//! frame's tag. The CLI, the conformance runners and every binding go through
//! it, so adding a type means adding one line to the `any_crdt!` list below.

use alloc::vec::Vec;

use crate::error::{DecodeError, MergeError};
use crate::json;
#[allow(unused_imports)]
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::{self, Limits, PayloadEncoding, TypeTag};

/// A frame of a tag that has no typed implementation in this build: kept as
/// its payload value so it still round-trips; it has no merge.
#[derive(Debug, Clone, PartialEq)]
pub struct RawObject {
    /// The frame's tag.
    pub tag: TypeTag,
    /// The payload value.
    pub value: Value,
}

macro_rules! any_crdt {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// A decoded object of any wire type.
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyCrdt {
            $(
                #[doc = concat!("A [`", stringify!($ty), "`].")]
                $variant($ty),
            )*
            /// A tag without a typed implementation.
            Raw(RawObject),
        }

        impl AnyCrdt {
            /// Build from a payload value for `tag`.
            pub fn from_value(tag: TypeTag, v: &Value) -> Result<AnyCrdt, DecodeError> {
                $(if tag == <$ty as WireType>::TAG { return Ok(AnyCrdt::$variant(<$ty>::from_value(v)?)); })*
                Ok(AnyCrdt::Raw(RawObject { tag, value: v.clone() }))
            }

            /// Build from a canonical payload view for `tag` (after `$`-tags are undone).
            fn from_view_value(tag: TypeTag, v: &Value) -> Result<AnyCrdt, DecodeError> {
                $(if tag == <$ty as WireType>::TAG { return Ok(AnyCrdt::$variant(<$ty>::from_view(v)?)); })*
                Ok(AnyCrdt::Raw(RawObject { tag, value: v.clone() }))
            }

            /// The wire tag.
            pub fn tag(&self) -> TypeTag {
                match self {
                    $(AnyCrdt::$variant(_) => <$ty as WireType>::TAG,)*
                    AnyCrdt::Raw(r) => r.tag,
                }
            }

            /// The payload value (the reference's `to_dict()`).
            pub fn to_value(&self) -> Value {
                match self {
                    $(AnyCrdt::$variant(x) => x.to_value(),)*
                    AnyCrdt::Raw(r) => r.value.clone(),
                }
            }

            /// The canonical payload view (before `$`-tagging).
            fn view_value(&self) -> Value {
                match self {
                    $(AnyCrdt::$variant(x) => x.to_view(),)*
                    AnyCrdt::Raw(r) => r.value.sorted(),
                }
            }

            /// Merge two objects of the same type.
            pub fn merge(&self, other: &AnyCrdt) -> Result<AnyCrdt, MergeError> {
                match (self, other) {
                    $((AnyCrdt::$variant(a), AnyCrdt::$variant(b)) => Ok(AnyCrdt::$variant(a.merge(b)?)),)*
                    (a, b) if a.tag() != b.tag() => Err(MergeError::TypeMismatch { left: a.type_name(), right: b.type_name() }),
                    (a, _) => Err(MergeError::Unsupported(a.type_name())),
                }
            }
        }
    };
}

any_crdt! {
    GCounter(crate::crdt::GCounter),
    PNCounter(crate::crdt::PNCounter),
    LwwRegister(crate::crdt::LwwRegister),
    OrSet(crate::crdt::OrSet),
    LwwMap(crate::crdt::LwwMap),
    Delta(crate::crdt::Delta),
    Generic(crate::crdt::Generic),
    VectorClock(crate::crdt::VectorClock),
    DottedVersionVector(crate::crdt::DottedVersionVector),
    MvRegister(crate::crdt::MvRegister),
    HybridLogicalClock(crate::crdt::HybridLogicalClock),
    Hll(crate::sketch::hll::MergeableHll),
    Bloom(crate::sketch::bloom::MergeableBloom),
    Cms(crate::sketch::cms::MergeableCms),
    AgentState(crate::memory::agent::AgentState),
    SharedKnowledge(crate::memory::agent::SharedKnowledge),
    ContextBloom(crate::memory::bloom::ContextBloom),
    ContextManifest(crate::memory::manifest::ContextManifest),
    MerkleTree(crate::records::merkle::MerkleTree),
    MerkleDiff(crate::records::merkle::MerkleDiff),
    GossipState(crate::records::gossip::GossipState),
    GossipEntry(crate::records::gossip::GossipEntry),
    SchemaEvolutionResult(crate::records::schema_evolution::SchemaEvolutionResult),
    SchemaChange(crate::records::schema_evolution::SchemaChange),
    MergeqlQuery(crate::records::mergeql::MergeqlQuery),
    MergePlan(crate::records::mergeql::MergePlan),
    MergeqlResult(crate::records::mergeql::MergeqlResult),
    ParquetMergeMetadata(crate::records::parquet_meta::ParquetMergeMetadata),
    ConflictRecord(crate::records::provenance::ConflictRecord),
    ConflictTopology(crate::records::provenance::ConflictTopology),
    CrdtMergeState(crate::model::state::CrdtMergeState),
}

impl AnyCrdt {
    /// The `peek_type` name.
    pub fn type_name(&self) -> &'static str {
        self.tag().name()
    }

    /// Decode a frame; also returns how its payload was encoded.
    pub fn decode(data: &[u8], limits: &Limits) -> Result<(AnyCrdt, PayloadEncoding), DecodeError> {
        if let Ok((header, payload)) = wire::frame::frame_payload(data, limits) {
            if header.tag == TypeTag::GCounter {
                if let Some(g) =
                    crate::crdt::GCounter::decode_codec_payload(&payload, limits.max_depth)
                {
                    return Ok((AnyCrdt::GCounter(g), PayloadEncoding::Codec));
                }
            }
        }
        let frame = wire::decode_frame(data, limits)?;
        Ok((
            AnyCrdt::from_value(frame.header.tag, &frame.value)?,
            frame.encoding,
        ))
    }

    /// Encode as a new frame (codec or JSON payload by tag).
    pub fn encode(&self, compress: bool) -> Result<Vec<u8>, DecodeError> {
        self.encode_with(PayloadEncoding::default_for(self.tag()), compress)
    }

    /// Encode with a given payload encoding (to reproduce a decoded frame).
    pub fn encode_with(
        &self,
        encoding: PayloadEncoding,
        compress: bool,
    ) -> Result<Vec<u8>, DecodeError> {
        if let (AnyCrdt::GCounter(g), false) = (self, compress) {
            let mut out = Vec::with_capacity(64 + 24 * g.counts().size_hint().0);
            out.resize(wire::header::HEADER_SIZE, 0);
            g.encode_codec_payload(&mut out);
            let payload_len = out.len() - wire::header::HEADER_SIZE;
            if let Ok(payload_len) = u32::try_from(payload_len) {
                let header = wire::header::Header {
                    version: wire::header::PROTOCOL_VERSION,
                    tag: TypeTag::GCounter,
                    flags: 0,
                    payload_len,
                };
                out[..wire::header::HEADER_SIZE].copy_from_slice(&header.to_bytes());
                return Ok(out);
            }
        }
        wire::encode_frame(self.tag(), &self.to_value(), encoding, compress)
    }

    /// The canonical JSON view `{"type": name, "value": view}` (plain JSON values only).
    pub fn to_json_view(&self) -> Value {
        Value::map([
            ("type", Value::str(self.type_name())),
            ("value", json::to_view(&self.view_value())),
        ])
    }

    /// Rebuild from a canonical JSON view.
    pub fn from_json_view(v: &Value) -> Result<AnyCrdt, DecodeError> {
        let bad = |m: &str| DecodeError::shape("json view", m);
        let name = v
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("missing string field \"type\""))?;
        let tag = TypeTag::from_name(name)
            .ok_or_else(|| bad(&alloc::format!("unknown type {name:?}")))?;
        let body = v
            .get("value")
            .ok_or_else(|| bad("missing field \"value\""))?;
        AnyCrdt::from_view_value(tag, &json::from_view(body)?)
    }

    /// Merge a non-empty list left to right.
    pub fn merge_all(items: &[AnyCrdt]) -> Result<AnyCrdt, MergeError> {
        let (first, rest) = items.split_first().ok_or(MergeError::Empty)?;
        rest.iter().try_fold(first.clone(), |acc, x| acc.merge(x))
    }
}

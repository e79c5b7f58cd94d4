//! `ContextConsolidator`: bundle many memories into indexed blocks of at
//! most `block_size` (each with a fact-id → sidecar index for O(1)
//! filtering), query them, merge two block lists, and unbundle them again.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::hash::sha256_hex;
use super::sidecar::{MemorySidecar, SidecarFilter};
use super::{get_f64, shape, Memory};
use crate::error::DecodeError;
use crate::traits::Merge;
use crate::value::Value;

const TY: &str = "consolidated_block";

/// A fact with its sidecar (the reference's `MemoryChunk`).
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryChunk {
    /// The fact.
    pub fact: String,
    /// Its sidecar.
    pub sidecar: MemorySidecar,
}

impl MemoryChunk {
    /// The chunk of a memory (`now` for a missing or zero `ts`).
    pub fn from_memory(m: &Memory, now: f64) -> Self {
        MemoryChunk {
            fact: m.fact.clone(),
            sidecar: MemorySidecar::from_memory(m, now),
        }
    }

    /// Back to an input-style memory (access count and TTL are dropped).
    pub fn to_memory(&self) -> Memory {
        Memory {
            fact: self.fact.clone(),
            confidence: self.sidecar.confidence,
            source: self.sidecar.source_agent.clone(),
            ts: Some(self.sidecar.timestamp),
            topic: self.sidecar.topic.clone(),
            tags: self.sidecar.tags.clone(),
            metadata: self.sidecar.metadata.clone(),
        }
    }

    /// `{"fact": ..., "sidecar": {...}}`.
    pub fn to_value(&self) -> Value {
        Value::map([
            ("fact", Value::str(self.fact.as_str())),
            ("sidecar", self.sidecar.to_value()),
        ])
    }

    /// Read `{"fact": ..., "sidecar": {...}}`.
    pub fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let fact = v
            .get("fact")
            .and_then(Value::as_str)
            .ok_or_else(|| shape("memory_chunk", "missing string field \"fact\""))?;
        let sc = v
            .get("sidecar")
            .ok_or_else(|| shape("memory_chunk", "missing field \"sidecar\""))?;
        Ok(MemoryChunk {
            fact: fact.into(),
            sidecar: MemorySidecar::from_value(sc)?,
        })
    }
}

/// A block of memories with its sidecar index.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsolidatedBlock {
    /// First 16 hex digits of SHA-256 of the block's sorted fact ids joined by `|`.
    pub block_id: String,
    /// The memories, in block order.
    pub memories: Vec<MemoryChunk>,
    /// Fact id → merged sidecar of the block's memories with that id.
    pub sidecar_index: BTreeMap<String, MemorySidecar>,
    /// Creation time (the caller's `now`).
    pub created_at: f64,
}

impl ConsolidatedBlock {
    /// Number of memories.
    pub fn size(&self) -> usize {
        self.memories.len()
    }

    /// The reference's `to_dict()` shape.
    pub fn to_value(&self) -> Value {
        Value::map([
            ("block_id", Value::str(self.block_id.as_str())),
            (
                "memories",
                Value::List(self.memories.iter().map(MemoryChunk::to_value).collect()),
            ),
            (
                "sidecar_index",
                Value::Map(
                    self.sidecar_index
                        .iter()
                        .map(|(k, v)| (Value::str(k.as_str()), v.to_value()))
                        .collect(),
                ),
            ),
            ("created_at", Value::Float(self.created_at)),
        ])
    }

    /// Read the reference's `to_dict()` shape.
    pub fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let block_id = v
            .get("block_id")
            .and_then(Value::as_str)
            .ok_or_else(|| shape(TY, "missing string field \"block_id\""))?;
        let memories = match v.get("memories") {
            None => Vec::new(),
            Some(Value::List(l)) => l
                .iter()
                .map(MemoryChunk::from_value)
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(shape(TY, "memories must be a list")),
        };
        let sidecar_index = match v.get("sidecar_index") {
            None => BTreeMap::new(),
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, s)| {
                    Ok((
                        k.as_str()
                            .ok_or_else(|| shape(TY, "sidecar_index keys must be strings"))?
                            .into(),
                        MemorySidecar::from_value(s)?,
                    ))
                })
                .collect::<Result<_, DecodeError>>()?,
            Some(_) => return Err(shape(TY, "sidecar_index must be a dict")),
        };
        Ok(ConsolidatedBlock {
            block_id: block_id.into(),
            memories,
            sidecar_index,
            created_at: get_f64(v, "created_at", 0.0, TY)?,
        })
    }
}

/// Bundles memories into blocks of at most `block_size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextConsolidator {
    /// Maximum memories per block (at least 1).
    pub block_size: usize,
}

impl Default for ContextConsolidator {
    fn default() -> Self {
        ContextConsolidator { block_size: 1000 }
    }
}

impl ContextConsolidator {
    /// A consolidator; a zero `block_size` becomes 1.
    pub fn new(block_size: usize) -> Self {
        ContextConsolidator {
            block_size: block_size.max(1),
        }
    }

    /// Cut `memories` (in their order) into blocks stamped `created_at`.
    pub fn consolidate(&self, memories: &[MemoryChunk], created_at: f64) -> Vec<ConsolidatedBlock> {
        memories
            .chunks(self.block_size)
            .map(|slice| {
                let mut index: BTreeMap<String, MemorySidecar> = BTreeMap::new();
                for mc in slice {
                    match index.get_mut(&mc.sidecar.fact_id) {
                        Some(s) => *s = s.merge(&mc.sidecar).expect("sidecar merge is total"),
                        None => {
                            index.insert(mc.sidecar.fact_id.clone(), mc.sidecar.clone());
                        }
                    }
                }
                let ids: Vec<&str> = index.keys().map(String::as_str).collect();
                let mut block_id = sha256_hex(&ids.join("|"));
                block_id.truncate(16);
                ConsolidatedBlock {
                    block_id,
                    memories: slice.to_vec(),
                    sidecar_index: index,
                    created_at,
                }
            })
            .collect()
    }

    /// Every memory of the blocks, in block order (the inverse of [`Self::consolidate`]).
    pub fn unconsolidate(blocks: &[ConsolidatedBlock]) -> Vec<MemoryChunk> {
        blocks
            .iter()
            .flat_map(|b| b.memories.iter().cloned())
            .collect()
    }

    /// Memories of the blocks matching the filter, in block order.
    pub fn query(blocks: &[ConsolidatedBlock], filter: &SidecarFilter) -> Vec<MemoryChunk> {
        blocks
            .iter()
            .flat_map(|b| {
                b.memories
                    .iter()
                    .filter(|m| m.sidecar.matches(filter))
                    .cloned()
            })
            .collect()
    }

    /// Merge two block lists: memories with the same fact join their
    /// sidecars; the result is re-consolidated in fact order, so it does not
    /// depend on the order of the inputs (the reference keeps first-seen
    /// order; see `wire-spec/memory.md`).
    pub fn merge_blocks(
        &self,
        a: &[ConsolidatedBlock],
        b: &[ConsolidatedBlock],
        created_at: f64,
    ) -> Vec<ConsolidatedBlock> {
        let mut seen: BTreeMap<&str, MemorySidecar> = BTreeMap::new();
        for mc in a.iter().chain(b).flat_map(|blk| blk.memories.iter()) {
            match seen.get_mut(mc.fact.as_str()) {
                Some(s) => *s = s.merge(&mc.sidecar).expect("sidecar merge is total"),
                None => {
                    seen.insert(mc.fact.as_str(), mc.sidecar.clone());
                }
            }
        }
        let all: Vec<MemoryChunk> = seen
            .into_iter()
            .map(|(f, s)| MemoryChunk {
                fact: f.into(),
                sidecar: s,
            })
            .collect();
        self.consolidate(&all, created_at)
    }
}

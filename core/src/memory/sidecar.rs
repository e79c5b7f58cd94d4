//! `MemorySidecar`: precomputed metadata of one memory (fact id, content
//! hash, topic, confidence, source, timestamp, access count, TTL, tags,
//! metadata) so filters by agent, time, topic, confidence and tags are O(1)
//! without reading the fact. Its merge is the reference's field-wise join,
//! made order-free where the reference's is not (see `wire-spec/memory.md`).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::{fmax, get_f64, get_i64, get_str, hash, merge_metadata, shape, union_sorted, Memory};
use crate::error::{DecodeError, MergeError};
use crate::traits::Merge;
use crate::value::Value;

const TY: &str = "memory_sidecar";

/// Per-memory metadata (the reference's `MemorySidecar.to_dict()` fields).
#[derive(Debug, Clone)]
pub struct MemorySidecar {
    /// First 16 hex digits of the content hash.
    pub fact_id: String,
    /// Hex SHA-256 of the fact.
    pub content_hash: String,
    /// Topic ("" when none).
    pub topic: String,
    /// Confidence.
    pub confidence: f64,
    /// Source agent ("" when none).
    pub source_agent: String,
    /// Timestamp.
    pub timestamp: f64,
    /// Access count (grow-only).
    pub access_count: i64,
    /// Time to live in seconds; `None` never expires.
    pub ttl: Option<f64>,
    /// Tags, sorted and unique.
    pub tags: Vec<String>,
    /// Other metadata.
    pub metadata: BTreeMap<String, Value>,
}

impl PartialEq for MemorySidecar {
    fn eq(&self, o: &Self) -> bool {
        let feq = |a: f64, b: f64| a.total_cmp(&b).is_eq();
        self.fact_id == o.fact_id
            && self.content_hash == o.content_hash
            && self.topic == o.topic
            && feq(self.confidence, o.confidence)
            && self.source_agent == o.source_agent
            && feq(self.timestamp, o.timestamp)
            && self.access_count == o.access_count
            && match (self.ttl, o.ttl) {
                (None, None) => true,
                (Some(a), Some(b)) => feq(a, b),
                _ => false,
            }
            && self.tags == o.tags
            && self.metadata == o.metadata
    }
}

/// Filter criteria for [`MemorySidecar::matches`]; `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SidecarFilter {
    /// Required topic.
    pub topic: Option<String>,
    /// Minimum confidence (inclusive).
    pub min_confidence: f64,
    /// Required source agent.
    pub source_agent: Option<String>,
    /// Tags that must all be present.
    pub tags: Option<Vec<String>>,
    /// Earliest timestamp (inclusive).
    pub since: Option<f64>,
    /// Latest timestamp (inclusive).
    pub until: Option<f64>,
}

impl MemorySidecar {
    /// The sidecar of a fact (timestamp 0.0, no TTL, confidence as given).
    pub fn from_fact(fact: &str, source_agent: &str, topic: &str, confidence: f64) -> Self {
        let content_hash = hash::sha256_hex(fact);
        MemorySidecar {
            fact_id: String::from(&content_hash[..16]),
            content_hash,
            topic: topic.into(),
            confidence,
            source_agent: source_agent.into(),
            timestamp: 0.0,
            access_count: 0,
            ttl: None,
            tags: Vec::new(),
            metadata: BTreeMap::new(),
        }
    }

    /// The sidecar of a memory (`now` for a missing or zero `ts`).
    pub fn from_memory(m: &Memory, now: f64) -> Self {
        let mut s = MemorySidecar::from_fact(&m.fact, &m.source, &m.topic, m.confidence);
        s.timestamp = m.effective_ts(now);
        s.tags = m.tags.clone();
        s.metadata = m.metadata.clone();
        s
    }

    /// Whether the TTL has elapsed at `now` (strictly more than `ttl` seconds).
    pub fn is_expired(&self, now: f64) -> bool {
        self.ttl.is_some_and(|ttl| now - self.timestamp > ttl)
    }

    /// The reference's `matches_filter` (AND of the given criteria).
    pub fn matches_filter(
        &self,
        topic: Option<&str>,
        min_confidence: f64,
        source_agent: Option<&str>,
        tags: Option<&[String]>,
    ) -> bool {
        topic.is_none_or(|t| self.topic == t)
            && self.confidence >= min_confidence
            && source_agent.is_none_or(|a| self.source_agent == a)
            && tags.is_none_or(|ts| ts.iter().all(|t| self.tags.binary_search(t).is_ok()))
    }

    /// [`MemorySidecar::matches_filter`] plus a time window.
    pub fn matches(&self, f: &SidecarFilter) -> bool {
        self.matches_filter(
            f.topic.as_deref(),
            f.min_confidence,
            f.source_agent.as_deref(),
            f.tags.as_deref(),
        ) && f.since.is_none_or(|s| self.timestamp >= s)
            && f.until.is_none_or(|u| self.timestamp <= u)
    }

    /// The reference's `to_dict()` shape.
    pub fn to_value(&self) -> Value {
        Value::map([
            ("fact_id", Value::str(self.fact_id.as_str())),
            ("content_hash", Value::str(self.content_hash.as_str())),
            ("topic", Value::str(self.topic.as_str())),
            ("confidence", Value::Float(self.confidence)),
            ("source_agent", Value::str(self.source_agent.as_str())),
            ("timestamp", Value::Float(self.timestamp)),
            ("access_count", Value::Int(self.access_count)),
            ("ttl", self.ttl.map_or(Value::None, Value::Float)),
            (
                "tags",
                Value::List(self.tags.iter().map(|t| Value::str(t.as_str())).collect()),
            ),
            (
                "metadata",
                Value::Map(
                    self.metadata
                        .iter()
                        .map(|(k, v)| (Value::str(k.as_str()), v.clone()))
                        .collect(),
                ),
            ),
        ])
    }

    /// Read the reference's `to_dict()` shape.
    pub fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let req = |k: &str| match v.get(k) {
            Some(Value::Str(s)) => Ok(s.clone()),
            _ => Err(shape(TY, alloc::format!("missing string field {k:?}"))),
        };
        let mut tags: Vec<String> = match v.get("tags") {
            None => Vec::new(),
            Some(Value::List(l)) => l
                .iter()
                .map(|t| {
                    t.as_str()
                        .map(String::from)
                        .ok_or_else(|| shape(TY, "tags must be strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(shape(TY, "tags must be a list")),
        };
        tags.sort();
        tags.dedup();
        let metadata = match v.get("metadata") {
            None => BTreeMap::new(),
            Some(Value::Map(m)) => m
                .iter()
                .map(|(k, v)| {
                    k.as_str()
                        .map(|k| (String::from(k), v.clone()))
                        .ok_or_else(|| shape(TY, "metadata keys must be strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(shape(TY, "metadata must be a dict")),
        };
        let ttl = match v.get("ttl") {
            None | Some(Value::None) => None,
            Some(x) => Some(
                x.as_f64()
                    .ok_or_else(|| shape(TY, "ttl must be a number or null"))?,
            ),
        };
        Ok(MemorySidecar {
            fact_id: req("fact_id")?,
            content_hash: req("content_hash")?,
            topic: get_str(v, "topic", "", TY)?,
            confidence: get_f64(v, "confidence", 1.0, TY)?,
            source_agent: get_str(v, "source_agent", "", TY)?,
            timestamp: get_f64(v, "timestamp", 0.0, TY)?,
            access_count: get_i64(v, "access_count", 0, TY)?,
            ttl,
            tags,
            metadata,
        })
    }
}

impl Merge for MemorySidecar {
    /// Field-wise join: max of ids, hashes, topic, source, confidence,
    /// timestamp, access count; TTL `None` dominates, else max; tag union;
    /// key-wise metadata.
    fn merge(&self, o: &Self) -> Result<Self, MergeError> {
        Ok(MemorySidecar {
            fact_id: self.fact_id.clone().max(o.fact_id.clone()),
            content_hash: self.content_hash.clone().max(o.content_hash.clone()),
            topic: self.topic.clone().max(o.topic.clone()),
            confidence: fmax(self.confidence, o.confidence),
            source_agent: self.source_agent.clone().max(o.source_agent.clone()),
            timestamp: fmax(self.timestamp, o.timestamp),
            access_count: self.access_count.max(o.access_count),
            ttl: match (self.ttl, o.ttl) {
                (Some(a), Some(b)) => Some(fmax(a, b)),
                _ => None,
            },
            tags: union_sorted(&self.tags, &o.tags),
            metadata: merge_metadata(&self.metadata, &o.metadata),
        })
    }
}

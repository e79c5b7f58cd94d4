//! `ContextManifest`: the self-describing record of one memory merge —
//! sources, counts, strategy, quality and provenance, plus (an extension) a
//! SHA-256 content hash of the surviving memories. Mergeable: set union of
//! sources and provenance, max of counts, scores, ids and timestamps.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{fmax, get_f64, get_i64, get_str, shape};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "context_manifest";

/// Record of a memory merge (the reference's `ContextManifest.to_dict()` fields).
#[derive(Debug, Clone)]
pub struct ContextManifest {
    /// Identifier (ours: derived from counts and the content hash, never from the clock).
    pub manifest_id: String,
    /// Creation time (the merge's `now`).
    pub created_at: f64,
    /// Non-empty `source` values of all inputs, sorted, unique.
    pub source_agents: Vec<String>,
    /// Input memories counted before dedup.
    pub total_memories: i64,
    /// Memories surviving dedup and filters.
    pub unique_memories: i64,
    /// Inputs that repeated an earlier fact.
    pub duplicates_removed: i64,
    /// Conflicts resolved by the strategy (always 0: distinct facts never collide).
    pub conflicts_resolved: i64,
    /// Strategy name.
    pub strategy_used: String,
    /// Mean confidence of the survivors (0.0 when none).
    pub quality_score: f64,
    /// Operation records (keys sorted), unique, sorted by (timestamp, Python repr of sorted items).
    pub provenance_chain: Vec<Value>,
    /// Extension: hex SHA-256 of the survivors' JSON lines joined by `\n` ("" if unknown).
    pub content_hash: String,
}

impl PartialEq for ContextManifest {
    fn eq(&self, o: &Self) -> bool {
        self.manifest_id == o.manifest_id
            && self.created_at.total_cmp(&o.created_at).is_eq()
            && self.source_agents == o.source_agents
            && self.total_memories == o.total_memories
            && self.unique_memories == o.unique_memories
            && self.duplicates_removed == o.duplicates_removed
            && self.conflicts_resolved == o.conflicts_resolved
            && self.strategy_used == o.strategy_used
            && self.quality_score.total_cmp(&o.quality_score).is_eq()
            && self.provenance_chain == o.provenance_chain
            && self.content_hash == o.content_hash
    }
}

/// Python `repr(sorted(entry.items()))` of a provenance entry (the reference's sort and dedup key).
fn entry_repr(e: &Value) -> String {
    let mut items: Vec<(&Value, &Value)> = e
        .as_map()
        .map(|m| m.iter().map(|(k, v)| (k, v)).collect())
        .unwrap_or_default();
    items.sort_by(|a, b| a.0.cmp(b.0));
    let mut s = String::from("[");
    for (i, (k, v)) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('(');
        crate::pyrepr::write_repr(k, &mut s);
        s.push_str(", ");
        crate::pyrepr::write_repr(v, &mut s);
        s.push(')');
    }
    s.push(']');
    s
}

/// Dedup (by sorted entry) and sort (by timestamp, then repr) provenance entries.
fn normalize_chain(entries: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<(f64, String, Value)> = Vec::new();
    for e in entries {
        // Entries are kept with sorted keys: two entries differing only in key
        // order are one entry, and which spelling survives must not depend on order.
        let e = e.sorted();
        if seen.insert(e.clone()) {
            let ts = e.get("timestamp").and_then(Value::as_f64).unwrap_or(0.0);
            out.push((ts, entry_repr(&e), e));
        }
    }
    out.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    });
    out.into_iter().map(|(_, _, e)| e).collect()
}

impl ContextManifest {
    /// Build a manifest, normalizing sources (sorted, unique) and provenance.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        manifest_id: String,
        created_at: f64,
        source_agents: Vec<String>,
        total_memories: i64,
        unique_memories: i64,
        duplicates_removed: i64,
        conflicts_resolved: i64,
        strategy_used: String,
        quality_score: f64,
        provenance_chain: Vec<Value>,
    ) -> Self {
        let source_agents: BTreeSet<String> = source_agents.into_iter().collect();
        ContextManifest {
            manifest_id,
            created_at,
            source_agents: source_agents.into_iter().collect(),
            total_memories,
            unique_memories,
            duplicates_removed,
            conflicts_resolved,
            strategy_used,
            quality_score,
            provenance_chain: normalize_chain(provenance_chain),
            content_hash: String::new(),
        }
    }

    /// The reference's one-line summary:
    /// `Manifest ID: T memories → U unique (D dups, C conflicts) via S [quality=Q.QQ]`.
    pub fn summary(&self) -> String {
        format!(
            "Manifest {}: {} memories \u{2192} {} unique ({} dups, {} conflicts) via {} [quality={:.2}]",
            self.manifest_id,
            self.total_memories,
            self.unique_memories,
            self.duplicates_removed,
            self.conflicts_resolved,
            self.strategy_used,
            self.quality_score
        )
    }

    /// Short human summary, e.g. `3 unique memories from 2 agents`.
    pub fn short_summary(&self) -> String {
        let m = if self.unique_memories == 1 {
            "memory"
        } else {
            "memories"
        };
        let a = if self.source_agents.len() == 1 {
            "agent"
        } else {
            "agents"
        };
        format!(
            "{} unique {m} from {} {a}",
            self.unique_memories,
            self.source_agents.len()
        )
    }

    /// Pretty JSON (`json.dumps(to_dict(), indent=2)`).
    pub fn to_json_pretty(&self) -> Result<String, DecodeError> {
        crate::json::to_string_pretty(&self.to_value())
    }
}

impl Merge for ContextManifest {
    fn merge(&self, o: &Self) -> Result<Self, MergeError> {
        let agents: BTreeSet<String> = self
            .source_agents
            .iter()
            .chain(&o.source_agents)
            .cloned()
            .collect();
        Ok(ContextManifest {
            manifest_id: self.manifest_id.clone().max(o.manifest_id.clone()),
            created_at: fmax(self.created_at, o.created_at),
            source_agents: agents.into_iter().collect(),
            total_memories: self.total_memories.max(o.total_memories),
            unique_memories: self.unique_memories.max(o.unique_memories),
            duplicates_removed: self.duplicates_removed.max(o.duplicates_removed),
            conflicts_resolved: self.conflicts_resolved.max(o.conflicts_resolved),
            strategy_used: self.strategy_used.clone().max(o.strategy_used.clone()),
            quality_score: fmax(self.quality_score, o.quality_score),
            provenance_chain: normalize_chain(
                self.provenance_chain
                    .iter()
                    .chain(&o.provenance_chain)
                    .cloned(),
            ),
            content_hash: self.content_hash.clone().max(o.content_hash.clone()),
        })
    }
}

impl WireType for ContextManifest {
    const TAG: TypeTag = TypeTag::ContextManifest;

    fn to_value(&self) -> Value {
        let mut m = alloc::vec![
            ("manifest_id", Value::str(self.manifest_id.as_str())),
            ("created_at", Value::Float(self.created_at)),
            (
                "source_agents",
                Value::List(
                    self.source_agents
                        .iter()
                        .map(|s| Value::str(s.as_str()))
                        .collect()
                )
            ),
            ("total_memories", Value::Int(self.total_memories)),
            ("unique_memories", Value::Int(self.unique_memories)),
            ("duplicates_removed", Value::Int(self.duplicates_removed)),
            ("conflicts_resolved", Value::Int(self.conflicts_resolved)),
            ("strategy_used", Value::str(self.strategy_used.as_str())),
            ("quality_score", Value::Float(self.quality_score)),
            (
                "provenance_chain",
                Value::List(self.provenance_chain.clone())
            ),
        ];
        if !self.content_hash.is_empty() {
            m.push(("content_hash", Value::str(self.content_hash.as_str())));
        }
        Value::map(m)
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        if v.as_map().is_none() {
            return Err(shape(TY, "payload must be a dict"));
        }
        let manifest_id = match v.get("manifest_id") {
            Some(Value::Str(s)) => s.clone(),
            _ => return Err(shape(TY, "missing string field \"manifest_id\"")),
        };
        let created_at = v
            .get("created_at")
            .and_then(Value::as_f64)
            .ok_or_else(|| shape(TY, "missing number field \"created_at\""))?;
        let source_agents = match v.get("source_agents") {
            None => Vec::new(),
            Some(Value::List(items)) => items
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(String::from)
                        .ok_or_else(|| shape(TY, "source_agents must be strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(shape(TY, "source_agents must be a list")),
        };
        let provenance = match v.get("provenance_chain") {
            None => Vec::new(),
            Some(Value::List(items)) => {
                if items.iter().any(|e| e.as_map().is_none()) {
                    return Err(shape(TY, "provenance_chain entries must be dicts"));
                }
                items.clone()
            }
            Some(_) => return Err(shape(TY, "provenance_chain must be a list")),
        };
        let mut m = ContextManifest::new(
            manifest_id,
            created_at,
            source_agents,
            get_i64(v, "total_memories", 0, TY)?,
            get_i64(v, "unique_memories", 0, TY)?,
            get_i64(v, "duplicates_removed", 0, TY)?,
            get_i64(v, "conflicts_resolved", 0, TY)?,
            get_str(v, "strategy_used", "", TY)?,
            get_f64(v, "quality_score", 0.0, TY)?,
            provenance,
        );
        m.content_hash = get_str(v, "content_hash", "", TY)?;
        Ok(m)
    }
}

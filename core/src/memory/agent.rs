//! `AgentState` (one agent's CRDT memory) and `SharedKnowledge` (several
//! agents merged), with the reference's `to_dict()` shapes.
//!
//! Sections and their joins:
//! - facts: key → [`Fact`]; the fact with the higher confidence wins, then
//!   the later timestamp, the larger source agent, the larger value (in
//!   [`Value`]'s total order), the later register timestamp, the larger
//!   register node id. Tombstones (key → deletion time) join by max; a key
//!   is live when it has no tombstone or its register is newer.
//! - tags: an observed-remove set (element → set of unique ids; join is
//!   union per element; `remove` empties the element's ids).
//! - counters: name → PN-counter (per-node max of increments and decrements).
//! - messages: an append-only log keyed by (timestamp, agent, seq, content);
//!   duplicates collapse (the larger normalized message wins), the log is
//!   ordered by that key.
//! - agent id: the sorted set of `+`-separated names, joined with `+`.
//! - created_at: min.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Ordering;

use super::{fmax, fmin, hash, shape};
use crate::error::{DecodeError, MergeError};
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::header::TypeTag;

const TY: &str = "agent_state";

/// A fact with confidence and provenance (the reference's `Fact`).
#[derive(Debug, Clone)]
pub struct Fact {
    /// Payload.
    pub value: Value,
    /// Confidence (higher wins).
    pub confidence: f64,
    /// Agent that recorded it.
    pub source_agent: String,
    /// When it was recorded.
    pub timestamp: f64,
}

impl PartialEq for Fact {
    fn eq(&self, o: &Self) -> bool {
        self.cmp_rank(o) == Ordering::Equal
    }
}

impl Fact {
    /// The merge order: confidence, timestamp, source agent, value.
    fn cmp_rank(&self, o: &Self) -> Ordering {
        self.confidence
            .total_cmp(&o.confidence)
            .then_with(|| self.timestamp.total_cmp(&o.timestamp))
            .then_with(|| self.source_agent.cmp(&o.source_agent))
            .then_with(|| self.value.cmp(&o.value))
    }

    /// `{"value", "confidence", "source_agent", "timestamp"}`.
    pub fn to_value(&self) -> Value {
        Value::map([
            ("value", self.value.clone()),
            ("confidence", Value::Float(self.confidence)),
            ("source_agent", Value::str(self.source_agent.as_str())),
            ("timestamp", Value::Float(self.timestamp)),
        ])
    }

    /// Read a fact dict (defaults as the reference's `Fact.from_dict`).
    pub fn from_value(v: &Value) -> Result<Fact, DecodeError> {
        if v.as_map().is_none() {
            return Err(shape(TY, "fact must be a dict"));
        }
        Ok(Fact {
            value: v
                .get("value")
                .cloned()
                .ok_or_else(|| shape(TY, "fact has no \"value\""))?,
            confidence: super::get_f64(v, "confidence", 1.0, TY)?,
            source_agent: super::get_str(v, "source_agent", "", TY)?,
            timestamp: super::get_f64(v, "timestamp", 0.0, TY)?,
        })
    }
}

/// A fact with its register's timestamp and node id (the reference's LWW register).
#[derive(Debug, Clone)]
struct FactEntry {
    fact: Fact,
    reg_ts: f64,
    node_id: String,
}

impl PartialEq for FactEntry {
    fn eq(&self, o: &Self) -> bool {
        self.cmp_rank(o) == Ordering::Equal
    }
}

impl FactEntry {
    fn cmp_rank(&self, o: &Self) -> Ordering {
        self.fact
            .cmp_rank(&o.fact)
            .then_with(|| self.reg_ts.total_cmp(&o.reg_ts))
            .then_with(|| self.node_id.cmp(&o.node_id))
    }
}

/// Key of a message in the log.
#[derive(Debug, Clone)]
struct MsgKey {
    ts: f64,
    agent: String,
    seq: i64,
    content: Value,
}

impl Ord for MsgKey {
    fn cmp(&self, o: &Self) -> Ordering {
        self.ts
            .total_cmp(&o.ts)
            .then_with(|| self.agent.cmp(&o.agent))
            .then_with(|| self.seq.cmp(&o.seq))
            .then_with(|| self.content.cmp(&o.content))
    }
}
impl PartialOrd for MsgKey {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for MsgKey {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for MsgKey {}

const MSG_KEYS: [&str; 6] = [
    "content",
    "role",
    "agent_id",
    "timestamp",
    "seq",
    "metadata",
];

/// Normalize a message dict: known keys first in the reference's order
/// (`content`, `role`, `agent_id`, `timestamp`, then ours `seq`, then
/// `metadata`), other keys sorted; nested maps sorted.
fn normalize_message(v: &Value) -> Result<(MsgKey, Value), DecodeError> {
    let entries = v
        .as_map()
        .ok_or_else(|| shape(TY, "messages must be dicts"))?;
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    for (k, val) in entries {
        let k = k
            .as_str()
            .ok_or_else(|| shape(TY, "message keys must be strings"))?;
        fields.insert(k.to_string(), val.sorted());
    }
    let ts = match fields.get("timestamp") {
        None => 0.0,
        Some(x) => x
            .as_f64()
            .ok_or_else(|| shape(TY, "message timestamp must be a number"))?,
    };
    let agent = match fields.get("agent_id") {
        None => String::new(),
        Some(Value::Str(s)) => s.clone(),
        Some(_) => return Err(shape(TY, "message agent_id must be a string")),
    };
    let seq = match fields.get("seq") {
        None => 0,
        Some(Value::Int(i)) => *i,
        Some(_) => return Err(shape(TY, "message seq must be an integer")),
    };
    let content = fields.get("content").cloned().unwrap_or(Value::None);
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(fields.len());
    for k in MSG_KEYS {
        if let Some(x) = fields.remove(k) {
            out.push((Value::str(k), x));
        }
    }
    out.extend(fields.into_iter().map(|(k, v)| (Value::Str(k), v)));
    Ok((
        MsgKey {
            ts,
            agent,
            seq,
            content,
        },
        Value::Map(out),
    ))
}

/// A positive-negative counter: per-node increments and decrements.
#[derive(Debug, Clone, PartialEq, Default)]
struct PnCounter {
    pos: BTreeMap<String, i64>,
    neg: BTreeMap<String, i64>,
}

fn gmerge(a: &BTreeMap<String, i64>, b: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    let mut out = a.clone();
    for (k, v) in b {
        let e = out.entry(k.clone()).or_insert(*v);
        *e = (*e).max(*v);
    }
    out
}

fn gvalue(c: &BTreeMap<String, i64>) -> Value {
    Value::map([
        ("type", Value::str("g_counter")),
        (
            "counts",
            Value::Map(
                c.iter()
                    .map(|(k, v)| (Value::str(k.as_str()), Value::Int(*v)))
                    .collect(),
            ),
        ),
    ])
}

fn gread(v: &Value) -> Result<BTreeMap<String, i64>, DecodeError> {
    match v.get("counts") {
        None => Ok(BTreeMap::new()),
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, n)| match (k, n) {
                (Value::Str(k), Value::Int(n)) => Ok((k.clone(), *n)),
                _ => Err(shape(TY, "counter counts must map strings to integers")),
            })
            .collect(),
        Some(_) => Err(shape(TY, "counter counts must be a dict")),
    }
}

/// Always-equal wrapper for local bookkeeping that is not part of the state.
#[derive(Debug, Clone, Copy, Default)]
struct Local(u64);
impl PartialEq for Local {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// CRDT state of one AI agent: facts, tags, counters and a message log.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentState {
    /// Agent id (`a+b` after merging `a` and `b`).
    pub agent_id: String,
    facts: BTreeMap<String, FactEntry>,
    tombstones: BTreeMap<String, f64>,
    tags: BTreeMap<String, BTreeSet<String>>,
    counters: BTreeMap<String, PnCounter>,
    messages: BTreeMap<MsgKey, Value>,
    /// Creation time (min on merge). The clock is never read: 0.0 unless set.
    pub created_at: f64,
    tag_seq: Local,
}

fn agent_names(id: &str) -> BTreeSet<&str> {
    id.split('+').collect()
}

impl AgentState {
    /// An empty state for `agent_id`, created at 0.0.
    pub fn new(agent_id: impl Into<String>) -> Self {
        AgentState {
            agent_id: agent_id.into(),
            facts: BTreeMap::new(),
            tombstones: BTreeMap::new(),
            tags: BTreeMap::new(),
            counters: BTreeMap::new(),
            messages: BTreeMap::new(),
            created_at: 0.0,
            tag_seq: Local(0),
        }
    }

    /// Record a fact from this agent at `timestamp` (the clock is never read).
    pub fn add_fact(
        &mut self,
        key: impl Into<String>,
        value: impl Into<Value>,
        confidence: f64,
        timestamp: f64,
    ) {
        let fact = Fact {
            value: value.into(),
            confidence,
            source_agent: self.agent_id.clone(),
            timestamp,
        };
        let key = key.into();
        if self.tombstones.get(&key).is_some_and(|t| timestamp > *t) {
            self.tombstones.remove(&key);
        }
        self.facts.insert(
            key,
            FactEntry {
                fact,
                reg_ts: timestamp,
                node_id: self.agent_id.clone(),
            },
        );
    }

    /// Delete a fact at `timestamp` (a tombstone; later writes revive it).
    pub fn delete_fact(&mut self, key: impl Into<String>, timestamp: f64) {
        if timestamp > 0.0 {
            let e = self.tombstones.entry(key.into()).or_insert(timestamp);
            *e = fmax(*e, timestamp);
        }
    }

    fn live(&self, key: &str, e: &FactEntry) -> bool {
        self.tombstones.get(key).is_none_or(|t| e.reg_ts > *t)
    }

    /// A live fact.
    pub fn get_fact(&self, key: &str) -> Option<&Fact> {
        self.facts
            .get(key)
            .filter(|e| self.live(key, e))
            .map(|e| &e.fact)
    }

    /// All live facts, by key.
    pub fn list_facts(&self) -> BTreeMap<&str, &Fact> {
        self.facts
            .iter()
            .filter(|(k, e)| self.live(k, e))
            .map(|(k, e)| (k.as_str(), &e.fact))
            .collect()
    }

    /// Add a tag with a fresh deterministic id (from the agent id, tag and a local sequence).
    pub fn add_tag(&mut self, tag: impl Into<String>) {
        let tag = tag.into();
        loop {
            self.tag_seq.0 += 1;
            let mut id =
                hash::sha256_hex(&format!("{}\0{}\0{}", self.agent_id, tag, self.tag_seq.0));
            id.truncate(12);
            let ids = self.tags.entry(tag.clone()).or_default();
            if ids.insert(id) {
                return;
            }
        }
    }

    /// Add a tag with a caller-chosen unique id.
    pub fn add_tag_with_id(&mut self, tag: impl Into<String>, id: impl Into<String>) {
        self.tags.entry(tag.into()).or_default().insert(id.into());
    }

    /// Remove a tag (clears the ids observed here; concurrent adds win).
    pub fn remove_tag(&mut self, tag: &str) {
        if let Some(ids) = self.tags.get_mut(tag) {
            ids.clear();
        }
    }

    /// Whether a tag is present.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.get(tag).is_some_and(|ids| !ids.is_empty())
    }

    /// Live tags, sorted.
    pub fn tags(&self) -> Vec<&str> {
        self.tags
            .iter()
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(t, _)| t.as_str())
            .collect()
    }

    /// Increment a named counter for this agent.
    pub fn increment(&mut self, name: impl Into<String>, amount: u32) {
        let c = self
            .counters
            .entry(name.into())
            .or_default()
            .pos
            .entry(self.agent_id.clone())
            .or_insert(0);
        *c = c.saturating_add(amount as i64);
    }

    /// Decrement a named counter for this agent.
    pub fn decrement(&mut self, name: impl Into<String>, amount: u32) {
        let c = self
            .counters
            .entry(name.into())
            .or_default()
            .neg
            .entry(self.agent_id.clone())
            .or_insert(0);
        *c = c.saturating_add(amount as i64);
    }

    /// A counter's value (0 when absent).
    pub fn counter_value(&self, name: &str) -> i128 {
        self.counters.get(name).map_or(0, |c| {
            c.pos.values().map(|v| *v as i128).sum::<i128>()
                - c.neg.values().map(|v| *v as i128).sum::<i128>()
        })
    }

    /// Append a message from this agent at `timestamp`; its `seq` numbers
    /// this agent's messages so equal messages at the same time stay distinct.
    pub fn append_message(
        &mut self,
        content: impl Into<Value>,
        role: &str,
        metadata: Value,
        timestamp: f64,
    ) {
        let seq = 1 + self
            .messages
            .keys()
            .filter(|k| k.agent == self.agent_id)
            .count() as i64;
        let msg = Value::map([
            ("content", content.into()),
            ("role", Value::str(role)),
            ("agent_id", Value::str(self.agent_id.as_str())),
            ("timestamp", Value::Float(timestamp)),
            ("seq", Value::Int(seq)),
            (
                "metadata",
                if matches!(metadata, Value::None) {
                    Value::Map(Vec::new())
                } else {
                    metadata
                },
            ),
        ]);
        self.insert_message(&msg).expect("a well-formed message");
    }

    fn insert_message(&mut self, msg: &Value) -> Result<(), DecodeError> {
        let (k, v) = normalize_message(msg)?;
        match self.messages.get_mut(&k) {
            Some(old) => {
                if v > *old {
                    *old = v;
                }
            }
            None => {
                self.messages.insert(k, v);
            }
        }
        Ok(())
    }

    /// The message log, ordered by (timestamp, agent, seq, content).
    pub fn messages(&self) -> Vec<&Value> {
        self.messages.values().collect()
    }
}

impl Merge for AgentState {
    fn merge(&self, o: &Self) -> Result<Self, MergeError> {
        let agent_id = if self.agent_id == o.agent_id {
            self.agent_id.clone()
        } else {
            let names: BTreeSet<&str> = agent_names(&self.agent_id)
                .union(&agent_names(&o.agent_id))
                .copied()
                .collect();
            names.into_iter().collect::<Vec<_>>().join("+")
        };
        let mut facts = self.facts.clone();
        for (k, e) in &o.facts {
            match facts.get_mut(k) {
                Some(cur) => {
                    if e.cmp_rank(cur) == Ordering::Greater {
                        *cur = e.clone();
                    }
                }
                None => {
                    facts.insert(k.clone(), e.clone());
                }
            }
        }
        let mut tombstones = self.tombstones.clone();
        for (k, t) in &o.tombstones {
            let e = tombstones.entry(k.clone()).or_insert(*t);
            *e = fmax(*e, *t);
        }
        let mut tags = self.tags.clone();
        for (t, ids) in &o.tags {
            tags.entry(t.clone())
                .or_default()
                .extend(ids.iter().cloned());
        }
        let mut counters = self.counters.clone();
        for (n, c) in &o.counters {
            let cur = counters.entry(n.clone()).or_default();
            *cur = PnCounter {
                pos: gmerge(&cur.pos, &c.pos),
                neg: gmerge(&cur.neg, &c.neg),
            };
        }
        let mut messages = self.messages.clone();
        for (k, v) in &o.messages {
            match messages.get_mut(k) {
                Some(old) => {
                    if v > old {
                        *old = v.clone();
                    }
                }
                None => {
                    messages.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(AgentState {
            agent_id,
            facts,
            tombstones,
            tags,
            counters,
            messages,
            created_at: fmin(self.created_at, o.created_at),
            tag_seq: Local(self.tag_seq.0.max(o.tag_seq.0)),
        })
    }
}

impl WireType for AgentState {
    const TAG: TypeTag = TypeTag::AgentState;

    fn to_value(&self) -> Value {
        let registers = self
            .facts
            .iter()
            .map(|(k, e)| {
                (
                    Value::str(k.as_str()),
                    Value::map([
                        ("type", Value::str("lww_register")),
                        ("value", e.fact.to_value()),
                        ("timestamp", Value::Float(e.reg_ts)),
                        ("node_id", Value::str(e.node_id.as_str())),
                    ]),
                )
            })
            .collect();
        let tombstones = self
            .tombstones
            .iter()
            .map(|(k, t)| (Value::str(k.as_str()), Value::Float(*t)))
            .collect();
        let elements = self
            .tags
            .iter()
            .map(|(t, ids)| {
                (
                    Value::str(t.as_str()),
                    Value::List(ids.iter().map(|i| Value::str(i.as_str())).collect()),
                )
            })
            .collect();
        let counters = self
            .counters
            .iter()
            .map(|(n, c)| {
                (
                    Value::str(n.as_str()),
                    Value::map([
                        ("type", Value::str("pn_counter")),
                        ("pos", gvalue(&c.pos)),
                        ("neg", gvalue(&c.neg)),
                    ]),
                )
            })
            .collect();
        Value::map([
            ("type", Value::str(TY)),
            ("agent_id", Value::str(self.agent_id.as_str())),
            (
                "facts",
                Value::map([
                    ("type", Value::str("lww_map")),
                    ("registers", Value::Map(registers)),
                    ("tombstones", Value::Map(tombstones)),
                ]),
            ),
            (
                "tags",
                Value::map([
                    ("type", Value::str("or_set")),
                    ("elements", Value::Map(elements)),
                ]),
            ),
            ("counters", Value::Map(counters)),
            (
                "messages",
                Value::List(self.messages.values().cloned().collect()),
            ),
            ("created_at", Value::Float(self.created_at)),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        if v.as_map().is_none() {
            return Err(shape(TY, "payload must be a dict"));
        }
        let mut s = AgentState::new(super::get_str(v, "agent_id", "", TY)?);
        s.created_at = super::get_f64(v, "created_at", 0.0, TY)?;
        let map_of = |x: Option<&Value>, what: &str| -> Result<Vec<(String, Value)>, DecodeError> {
            match x {
                None => Ok(Vec::new()),
                Some(Value::Map(m)) => m
                    .iter()
                    .map(|(k, v)| {
                        k.as_str()
                            .map(|k| (k.to_string(), v.clone()))
                            .ok_or_else(|| shape(TY, format!("{what} keys must be strings")))
                    })
                    .collect(),
                Some(_) => Err(shape(TY, format!("{what} must be a dict"))),
            }
        };
        if let Some(facts) = v.get("facts") {
            for (k, reg) in map_of(facts.get("registers"), "facts.registers")? {
                let fact = Fact::from_value(
                    reg.get("value")
                        .ok_or_else(|| shape(TY, format!("register {k:?} has no value")))?,
                )?;
                let reg_ts = reg
                    .get("timestamp")
                    .and_then(Value::as_f64)
                    .ok_or_else(|| shape(TY, format!("register {k:?} has no numeric timestamp")))?;
                let node_id = super::get_str(&reg, "node_id", "", TY)?;
                s.facts.insert(
                    k,
                    FactEntry {
                        fact,
                        reg_ts,
                        node_id,
                    },
                );
            }
            for (k, t) in map_of(facts.get("tombstones"), "facts.tombstones")? {
                let t = t
                    .as_f64()
                    .ok_or_else(|| shape(TY, "tombstones must be numbers"))?;
                if t > 0.0 {
                    s.tombstones.insert(k, t);
                }
            }
        }
        if let Some(tags) = v.get("tags") {
            let mut n = 0;
            for (t, ids) in map_of(tags.get("elements"), "tags.elements")? {
                let ids = ids
                    .as_list()
                    .ok_or_else(|| shape(TY, "tag ids must be a list"))?;
                let set: BTreeSet<String> = ids
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(String::from)
                            .ok_or_else(|| shape(TY, "tag ids must be strings"))
                    })
                    .collect::<Result<_, _>>()?;
                n += set.len() as u64;
                s.tags.insert(t, set);
            }
            s.tag_seq = Local(n);
        }
        for (name, c) in map_of(v.get("counters"), "counters")? {
            let pos = gread(
                c.get("pos")
                    .ok_or_else(|| shape(TY, "pn_counter has no pos"))?,
            )?;
            let neg = gread(
                c.get("neg")
                    .ok_or_else(|| shape(TY, "pn_counter has no neg"))?,
            )?;
            s.counters.insert(name, PnCounter { pos, neg });
        }
        match v.get("messages") {
            None => {}
            Some(Value::List(l)) => {
                for m in l {
                    s.insert_message(m)?;
                }
            }
            Some(_) => return Err(shape(TY, "messages must be a list")),
        }
        Ok(s)
    }
}

/// Several agents' states merged, with the ids of the contributors.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedKnowledge {
    /// The merged state.
    pub state: AgentState,
    /// Contributing agent ids, sorted and unique.
    pub contributing_agents: Vec<String>,
}

impl SharedKnowledge {
    /// Merge one or more agent states (any order gives the same result).
    pub fn merge(agents: &[AgentState]) -> Result<SharedKnowledge, MergeError> {
        let state = crate::laws::merge_all(agents)?;
        let ids: BTreeSet<String> = agents.iter().map(|a| a.agent_id.clone()).collect();
        Ok(SharedKnowledge {
            state,
            contributing_agents: ids.into_iter().collect(),
        })
    }
}

impl Merge for SharedKnowledge {
    fn merge(&self, o: &Self) -> Result<Self, MergeError> {
        let ids: BTreeSet<String> = self
            .contributing_agents
            .iter()
            .chain(&o.contributing_agents)
            .cloned()
            .collect();
        Ok(SharedKnowledge {
            state: self.state.merge(&o.state)?,
            contributing_agents: ids.into_iter().collect(),
        })
    }
}

impl WireType for SharedKnowledge {
    const TAG: TypeTag = TypeTag::SharedKnowledge;

    fn to_value(&self) -> Value {
        Value::map([
            ("type", Value::str("shared_knowledge")),
            ("state", self.state.to_value()),
            (
                "contributing_agents",
                Value::List(
                    self.contributing_agents
                        .iter()
                        .map(|a| Value::str(a.as_str()))
                        .collect(),
                ),
            ),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        if v.as_map().is_none() {
            return Err(shape("shared_knowledge", "payload must be a dict"));
        }
        let state = match v.get("state") {
            None => AgentState::new(""),
            Some(s) => AgentState::from_value(s)?,
        };
        let ids: BTreeSet<String> = match v.get("contributing_agents") {
            None => BTreeSet::new(),
            Some(Value::List(l)) => l
                .iter()
                .map(|a| {
                    a.as_str().map(String::from).ok_or_else(|| {
                        shape("shared_knowledge", "contributing_agents must be strings")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(shape(
                    "shared_knowledge",
                    "contributing_agents must be a list",
                ))
            }
        };
        Ok(SharedKnowledge {
            state,
            contributing_agents: ids.into_iter().collect(),
        })
    }
}

//! Agent memory: per-agent CRDT state ([`agent`]), memory-list merge
//! ([`context`]), a sharded Bloom filter for dedup ([`bloom`]), per-memory
//! sidecars ([`sidecar`]), merge manifests ([`manifest`]) and block
//! consolidation ([`consolidator`]). Semantics follow the reference's
//! `crdt_merge.agentic` and `crdt_merge.context` wherever those are
//! law-abiding; every deviation is listed in `wire-spec/memory.md`.
//!
//! A [`Memory`] is the reference's memory dict: `fact` (required string),
//! optional `confidence`, `source`, `ts`, `topic`, `tags`, and every other
//! key kept as metadata. The clock is never read: where the reference calls
//! `time.time()` (a missing or zero `ts`, manifest timestamps) we use an
//! explicit `now` that the caller passes (default `0.0`).

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::error::DecodeError;
use crate::value::Value;

pub mod agent;
pub mod bloom;
pub mod consolidator;
pub mod context;
pub mod flat;
pub(crate) mod hash;
pub mod manifest;
pub mod sidecar;

pub use agent::{AgentState, Fact, SharedKnowledge};
pub use bloom::ContextBloom;
pub use consolidator::{ConsolidatedBlock, ContextConsolidator, MemoryChunk};
pub use context::{
    ContextMerge, FactPartitioner, MemorySet, MergeOutcome, MergedPart, PartsOutcome, Strategy,
};
pub use flat::{FlatJoin, FlatLine};
pub use manifest::ContextManifest;
pub use sidecar::MemorySidecar;

/// Keys of a memory dict that are not metadata.
pub const RESERVED_KEYS: [&str; 6] = ["fact", "confidence", "source", "ts", "topic", "tags"];

/// Why a memory line or dict was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryError {
    /// The line is not valid JSON.
    #[error("{0}")]
    Json(DecodeError),
    /// The JSON value is not an object.
    #[error("a memory must be a JSON object, found {0}")]
    NotAnObject(&'static str),
    /// No `fact` key.
    #[error("missing required key \"fact\"")]
    MissingFact,
    /// A field that must be a string is not.
    #[error("\"{field}\" must be a string, found {found}")]
    NotString {
        /// The field.
        field: &'static str,
        /// Python type name of what was found.
        found: &'static str,
    },
    /// `confidence` or `ts` is not a number (nor a numeric string).
    #[error("\"{field}\" must be a number, found {found}")]
    NotNumeric {
        /// The field.
        field: &'static str,
        /// What was found (type name, or the string's repr).
        found: String,
    },
    /// `tags` is not a list.
    #[error("\"tags\" must be a list of strings, found {0}")]
    TagsNotList(&'static str),
    /// An item of `tags` is not a string.
    #[error("\"tags\" item {index} must be a string, found {found}")]
    TagNotString {
        /// Position in the list.
        index: usize,
        /// Python type name of the item.
        found: &'static str,
    },
    /// A metadata key is not a string (only possible from non-JSON input).
    #[error("metadata keys must be strings")]
    BadKey,
}

/// One memory: the reference's memory dict with typed fields.
///
/// `tags` is kept sorted and deduplicated, `metadata` sorted by key.
/// `ts: None` means the key was absent; a zero `ts` is kept as `Some(0.0)`
/// but, like an absent one, is replaced by the merge's `now` (the reference
/// uses `float(ts) or time.time()`).
#[derive(Debug, Clone)]
pub struct Memory {
    /// The memory's content (its identity).
    pub fact: String,
    /// Confidence (default 1.0).
    pub confidence: f64,
    /// Source agent (default "").
    pub source: String,
    /// Timestamp, if given.
    pub ts: Option<f64>,
    /// Topic (default "").
    pub topic: String,
    /// Tags, sorted and deduplicated.
    pub tags: Vec<String>,
    /// Every other key of the memory dict.
    pub metadata: BTreeMap<String, Value>,
}

impl PartialEq for Memory {
    /// Floats compare by their IEEE total order (NaN equals itself).
    fn eq(&self, o: &Self) -> bool {
        self.fact == o.fact
            && self.confidence.total_cmp(&o.confidence).is_eq()
            && match (self.ts, o.ts) {
                (None, None) => true,
                (Some(a), Some(b)) => a.total_cmp(&b).is_eq(),
                _ => false,
            }
            && self.source == o.source
            && self.topic == o.topic
            && self.tags == o.tags
            && self.metadata == o.metadata
    }
}

impl Memory {
    /// A memory with only a fact (confidence 1.0, everything else empty).
    pub fn new(fact: impl Into<String>) -> Self {
        Memory {
            fact: fact.into(),
            confidence: 1.0,
            source: String::new(),
            ts: None,
            topic: String::new(),
            tags: Vec::new(),
            metadata: BTreeMap::new(),
        }
    }

    /// The timestamp the merge uses: `ts`, or `now` when absent or zero.
    pub fn effective_ts(&self, now: f64) -> f64 {
        effective_ts(self.ts, now)
    }

    /// The reference's fact id: first 16 hex digits of SHA-256 of the fact.
    pub fn fact_id(&self) -> String {
        let mut h = hash::sha256_hex(&self.fact);
        h.truncate(16);
        h
    }

    /// Parse a memory dict.
    pub fn from_value(v: &Value) -> Result<Memory, MemoryError> {
        Memory::from_owned_value(v.clone())
    }

    /// Parse a memory dict, taking its strings without copying them.
    pub fn from_owned_value(v: Value) -> Result<Memory, MemoryError> {
        let entries = match v {
            Value::Map(m) => m,
            other => return Err(MemoryError::NotAnObject(other.type_name())),
        };
        // Last duplicate key wins, as in a Python dict: collect, then validate.
        let mut slots: [Option<Value>; 6] = Default::default();
        let mut metadata = BTreeMap::new();
        for (k, val) in entries {
            let Value::Str(k) = k else {
                return Err(MemoryError::BadKey);
            };
            match RESERVED_KEYS.iter().position(|r| *r == k) {
                Some(i) => slots[i] = Some(val),
                None => {
                    metadata.insert(k, val);
                }
            }
        }
        Memory::from_parts(slots, metadata)
    }

    /// Validate the reserved fields (in [`RESERVED_KEYS`] order) and build the memory.
    fn from_parts(
        slots: [Option<Value>; 6],
        metadata: BTreeMap<String, Value>,
    ) -> Result<Memory, MemoryError> {
        let [fact, confidence, source, ts, topic, tags] = slots;
        let fact = match fact {
            None => return Err(MemoryError::MissingFact),
            Some(Value::Str(s)) => s,
            Some(other) => {
                return Err(MemoryError::NotString {
                    field: "fact",
                    found: other.type_name(),
                })
            }
        };
        let confidence = match confidence {
            None => 1.0,
            Some(x) => py_float(&x, "confidence")?,
        };
        let ts = ts.map(|x| py_float(&x, "ts")).transpose()?;
        let text = |x: Option<Value>, name: &'static str| -> Result<String, MemoryError> {
            match x {
                None | Some(Value::None) => Ok(String::new()),
                Some(Value::Str(s)) => Ok(s),
                Some(other) => Err(MemoryError::NotString {
                    field: name,
                    found: other.type_name(),
                }),
            }
        };
        let source = text(source, "source")?;
        let topic = text(topic, "topic")?;
        let mut tag_list = Vec::new();
        match tags {
            None => {}
            Some(Value::List(items)) => {
                tag_list.reserve(items.len());
                for (index, t) in items.into_iter().enumerate() {
                    match t {
                        Value::Str(s) => tag_list.push(s),
                        other => {
                            return Err(MemoryError::TagNotString {
                                index,
                                found: other.type_name(),
                            })
                        }
                    }
                }
            }
            Some(other) => return Err(MemoryError::TagsNotList(other.type_name())),
        }
        if !tag_list.windows(2).all(|w| w[0] < w[1]) {
            tag_list.sort();
            tag_list.dedup();
        }
        Ok(Memory {
            fact,
            confidence,
            source,
            ts,
            topic,
            tags: tag_list,
            metadata,
        })
    }

    /// The input-style dict: `fact`, `confidence`, `source`, `ts` (when
    /// known), `topic`, `tags`, then metadata keys (sorted) at top level.
    pub fn to_value(&self) -> Value {
        let mut out: Vec<(Value, Value)> = Vec::with_capacity(6 + self.metadata.len());
        out.push((Value::str("fact"), Value::str(self.fact.as_str())));
        out.push((Value::str("confidence"), Value::Float(self.confidence)));
        out.push((Value::str("source"), Value::str(self.source.as_str())));
        if let Some(ts) = self.ts {
            out.push((Value::str("ts"), Value::Float(ts)));
        }
        out.push((Value::str("topic"), Value::str(self.topic.as_str())));
        out.push((
            Value::str("tags"),
            Value::List(self.tags.iter().map(|t| Value::str(t.as_str())).collect()),
        ));
        for (k, v) in &self.metadata {
            out.push((Value::str(k.as_str()), v.clone()));
        }
        Value::Map(out)
    }

    /// One JSON line (no trailing newline), as Python `json.dumps` writes
    /// [`Memory::to_value`]. Errors only if metadata holds bytes or sets.
    pub fn to_json_line(&self) -> Result<String, DecodeError> {
        let mut out = String::with_capacity(96 + self.fact.len());
        self.write_json_line(&mut out)?;
        Ok(out)
    }

    /// Append [`Memory::to_json_line`] to `out` (on error `out` may hold a partial line).
    pub fn write_json_line(&self, out: &mut String) -> Result<(), DecodeError> {
        use crate::json::write::write_str;
        out.push_str("{\"fact\": ");
        write_str(&self.fact, out);
        out.push_str(", \"confidence\": ");
        crate::json::write::write_float(self.confidence, out);
        out.push_str(", \"source\": ");
        write_str(&self.source, out);
        if let Some(ts) = self.ts {
            out.push_str(", \"ts\": ");
            crate::json::write::write_float(ts, out);
        }
        out.push_str(", \"topic\": ");
        write_str(&self.topic, out);
        out.push_str(", \"tags\": [");
        for (i, t) in self.tags.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_str(t, out);
        }
        out.push(']');
        for (k, v) in &self.metadata {
            out.push_str(", ");
            write_str(k, out);
            out.push_str(": ");
            out.push_str(&crate::json::to_string(v)?);
        }
        out.push('}');
        Ok(())
    }
}

/// Parse one JSONL line into a [`Memory`].
///
/// Flat lines (string values without escapes, numbers, literals, lists of
/// such strings) take a fast path that builds no intermediate document;
/// anything else goes through the full JSON parser. Both give the same
/// result and the same errors (checked by `memory_laws.rs`).
pub fn parse_memory_line(line: &str) -> Result<Memory, MemoryError> {
    if let Some(r) = fast::parse(line) {
        return r;
    }
    parse_memory_line_slow(line)
}

/// [`parse_memory_line`] through the full JSON parser only.
pub fn parse_memory_line_slow(line: &str) -> Result<Memory, MemoryError> {
    let v = crate::json::parse(line).map_err(MemoryError::Json)?;
    Memory::from_owned_value(v)
}

mod fast {
    //! The fast path of `parse_memory_line`: returns `None` whenever the
    //! line is not a simple flat object, so the full parser decides.
    use super::*;

    struct Cur<'a> {
        s: &'a [u8],
        t: &'a str,
        i: usize,
    }

    impl<'a> Cur<'a> {
        fn ws(&mut self) {
            while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            }
        }
        fn eat(&mut self, b: u8) -> Option<()> {
            self.ws();
            (self.s.get(self.i) == Some(&b)).then(|| self.i += 1)
        }
        /// A string without escapes or control characters.
        fn string(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.i;
            while let Some(&c) = self.s.get(self.i) {
                match c {
                    b'"' => {
                        self.i += 1;
                        return Some(&self.t[start..self.i - 1]);
                    }
                    b'\\' => return None,
                    c if c < 0x20 => return None,
                    _ => self.i += 1,
                }
            }
            None
        }
        fn value(&mut self) -> Option<Value> {
            self.ws();
            match *self.s.get(self.i)? {
                b'"' => Some(Value::Str(self.string()?.into())),
                b't' if self.s[self.i..].starts_with(b"true") => {
                    self.i += 4;
                    Some(Value::Bool(true))
                }
                b'f' if self.s[self.i..].starts_with(b"false") => {
                    self.i += 5;
                    Some(Value::Bool(false))
                }
                b'n' if self.s[self.i..].starts_with(b"null") => {
                    self.i += 4;
                    Some(Value::None)
                }
                b'-' | b'0'..=b'9' => {
                    let start = self.i;
                    while self.i < self.s.len()
                        && matches!(
                            self.s[self.i],
                            b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'
                        )
                    {
                        self.i += 1;
                    }
                    // Numbers go through the full parser's rules (int vs float, ranges).
                    crate::json::parse(&self.t[start..self.i]).ok()
                }
                b'[' => {
                    self.i += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Some(Value::List(items));
                    }
                    loop {
                        self.ws();
                        if self.s.get(self.i) != Some(&b'"') {
                            return None;
                        }
                        items.push(Value::Str(self.string()?.into()));
                        self.ws();
                        match *self.s.get(self.i)? {
                            b',' => self.i += 1,
                            b']' => {
                                self.i += 1;
                                return Some(Value::List(items));
                            }
                            _ => return None,
                        }
                    }
                }
                _ => None,
            }
        }
    }

    pub(super) fn parse(line: &str) -> Option<Result<Memory, MemoryError>> {
        let mut c = Cur {
            s: line.as_bytes(),
            t: line,
            i: 0,
        };
        c.eat(b'{')?;
        let mut slots: [Option<Value>; 6] = Default::default();
        let mut metadata = BTreeMap::new();
        c.ws();
        if c.s.get(c.i) == Some(&b'}') {
            c.i += 1;
        } else {
            loop {
                let k = c.string()?;
                c.eat(b':')?;
                let v = c.value()?;
                match RESERVED_KEYS.iter().position(|r| *r == k) {
                    Some(i) => slots[i] = Some(v),
                    None => {
                        metadata.insert(String::from(k), v);
                    }
                }
                c.ws();
                match *c.s.get(c.i)? {
                    b',' => c.i += 1,
                    b'}' => {
                        c.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        c.ws();
        if c.i != c.s.len() {
            return None;
        }
        Some(Memory::from_parts(slots, metadata))
    }
}

/// Python `float(x)` for the JSON values a memory can hold: numbers, bools,
/// and strings that spell a float (surrounding whitespace allowed).
fn py_float(v: &Value, field: &'static str) -> Result<f64, MemoryError> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::Str(s) => {
            let t = s.trim();
            let lower = t.to_ascii_lowercase();
            let body = lower.trim_start_matches(['+', '-']);
            let ok_word = matches!(body, "inf" | "infinity" | "nan");
            let ok_num = !body.is_empty()
                && body
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'));
            if ok_word || ok_num {
                if let Ok(f) = t.parse::<f64>() {
                    return Ok(f);
                }
            }
            Err(MemoryError::NotNumeric {
                field,
                found: crate::pyrepr::repr(v),
            })
        }
        other => Err(MemoryError::NotNumeric {
            field,
            found: other.type_name().to_string(),
        }),
    }
}

/// The timestamp a merge uses: `ts`, or `now` when absent or zero (the
/// reference's `float(ts) or time.time()`).
pub(crate) fn effective_ts(ts: Option<f64>, now: f64) -> f64 {
    match ts {
        Some(t) if t != 0.0 => t,
        _ => now,
    }
}

/// Max of two floats under the IEEE total order (NaN above +inf, -0.0 below 0.0).
pub(crate) fn fmax(a: f64, b: f64) -> f64 {
    if b.total_cmp(&a).is_gt() {
        b
    } else {
        a
    }
}

/// Min of two floats under the IEEE total order.
pub(crate) fn fmin(a: f64, b: f64) -> f64 {
    if b.total_cmp(&a).is_lt() {
        b
    } else {
        a
    }
}

/// Union of two sorted, deduplicated string lists.
pub(crate) fn union_sorted(a: &[String], b: &[String]) -> Vec<String> {
    if a == b {
        return a.to_vec();
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            core::cmp::Ordering::Less => {
                out.push(a[i].clone());
                i += 1;
            }
            core::cmp::Ordering::Greater => {
                out.push(b[j].clone());
                j += 1;
            }
            core::cmp::Ordering::Equal => {
                out.push(a[i].clone());
                i += 1;
                j += 1;
            }
        }
    }
    out.extend(a[i..].iter().cloned());
    out.extend(b[j..].iter().cloned());
    out
}

/// The reference's metadata value merge, made order-free: a `None` value
/// counts as absent; otherwise the larger `str(value)` wins and equal
/// strings of different values (`1` and `"1"`) are ordered by [`Value`]'s
/// total order.
pub(crate) fn merge_meta_value(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::None, _) => b.clone(),
        (_, Value::None) => a.clone(),
        _ if a == b => a.clone(),
        _ => {
            let (sa, sb) = (crate::pyrepr::py_str(a), crate::pyrepr::py_str(b));
            match sa.cmp(&sb).then_with(|| a.cmp(b)) {
                core::cmp::Ordering::Less => b.clone(),
                _ => a.clone(),
            }
        }
    }
}

/// Key-wise metadata merge with [`merge_meta_value`].
pub(crate) fn merge_metadata(
    a: &BTreeMap<String, Value>,
    b: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    if b.is_empty() {
        return a.clone();
    }
    let mut out = a.clone();
    for (k, vb) in b {
        match out.get_mut(k) {
            Some(va) => {
                let m = merge_meta_value(va, vb);
                *va = m;
            }
            None => {
                out.insert(k.clone(), vb.clone());
            }
        }
    }
    out
}

/// Shape-error shorthand used by the payload readers of this module.
pub(crate) fn shape(type_name: &'static str, msg: impl Into<String>) -> DecodeError {
    DecodeError::shape(type_name, msg)
}

/// Read a number field as f64.
pub(crate) fn get_f64(
    v: &Value,
    key: &str,
    default: f64,
    ty: &'static str,
) -> Result<f64, DecodeError> {
    match v.get(key) {
        None => Ok(default),
        Some(x) => x
            .as_f64()
            .ok_or_else(|| shape(ty, alloc::format!("field {key:?} must be a number"))),
    }
}

/// Read a string field.
pub(crate) fn get_str(
    v: &Value,
    key: &str,
    default: &str,
    ty: &'static str,
) -> Result<String, DecodeError> {
    match v.get(key) {
        None => Ok(default.to_string()),
        Some(Value::Str(s)) => Ok(s.clone()),
        Some(_) => Err(shape(ty, alloc::format!("field {key:?} must be a string"))),
    }
}

/// Read an integer field.
pub(crate) fn get_i64(
    v: &Value,
    key: &str,
    default: i64,
    ty: &'static str,
) -> Result<i64, DecodeError> {
    match v.get(key) {
        None => Ok(default),
        Some(Value::Int(i)) => Ok(*i),
        Some(_) => Err(shape(
            ty,
            alloc::format!("field {key:?} must be an integer"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_takes_flat_lines_only() {
        let flat = r#"{"fact": "x", "confidence": 0.5, "source": "a", "ts": 3, "topic": "", "tags": ["b", "a"], "n": null, "k": true}"#;
        let m = fast::parse(flat)
            .expect("flat line takes the fast path")
            .unwrap();
        assert_eq!(m.tags, ["a", "b"]);
        assert_eq!(m.ts, Some(3.0));
        assert!(fast::parse(r#"{"fact": "a\"b"}"#).is_none());
        assert!(fast::parse(r#"{"fact": "x", "m": {"k": 1}}"#).is_none());
        assert!(fast::parse(r#"{"fact": "x"} x"#).is_none());
        assert_eq!(
            fast::parse(r#"{"confidence": 1}"#),
            Some(Err(MemoryError::MissingFact))
        );
    }
}

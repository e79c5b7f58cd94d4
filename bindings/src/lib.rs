//! # crdt-merge-uniffi
//!
//! A thin UniFFI surface over `crdt-merge-core` for Python, Kotlin and Swift.
//! Frames cross the boundary as bytes, dynamic values as canonical-view JSON
//! text (wire-spec/SPEC.md §4: `$bytes`, `$set`, `$float`, `$map` tags), so no
//! hot path makes one foreign call per element. No merge logic lives here.
//!
//! Errors: every fallible call returns [`CrdtError`], whose variants carry the
//! core's `category()` code and its one-line message. Every entry point runs
//! inside `guard`, so a panic (a bug: bad input is validated, never
//! panics) becomes `CrdtError::Internal { code: "panic" }` instead of
//! UniFFI's generic internal error.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use crdt_merge_core::crdt::{self, Timestamp};
use crdt_merge_core::memory::{self, Memory, Strategy};
use crdt_merge_core::sketch::{bloom, cms, hll};

mod model;
mod table;
use crdt_merge_core::wire::{self, Limits, PayloadEncoding, TypeTag};
use crdt_merge_core::{json, AnyCrdt, DecodeError, MergeError, Value};

uniffi::setup_scaffolding!();

/// An error from the core, with its stable category code (the codes of
/// `conformance/manifest.json`) and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum CrdtError {
    /// Reading bytes or JSON failed (frame, codec, payload shape, JSON view).
    #[error("{code}: {detail}")]
    Decode {
        /// `DecodeError::category()`.
        code: String,
        /// One-line message (named `detail`: `message` clashes with Kotlin's `Throwable.message`).
        detail: String,
    },
    /// A merge that is not defined for its inputs.
    #[error("{code}: {detail}")]
    Merge {
        /// `MergeError::category()`.
        code: String,
        /// One-line message (named `detail`: `message` clashes with Kotlin's `Throwable.message`).
        detail: String,
    },
    /// An argument out of range (negative amount, NaN timestamp, unknown strategy...).
    #[error("{code}: {detail}")]
    Argument {
        /// `"argument"`.
        code: String,
        /// One-line message (named `detail`: `message` clashes with Kotlin's `Throwable.message`).
        detail: String,
    },
    /// A bug: a panic caught at the boundary.
    #[error("{code}: {detail}")]
    Internal {
        /// `"panic"`.
        code: String,
        /// The panic message.
        detail: String,
    },
}

impl From<DecodeError> for CrdtError {
    fn from(e: DecodeError) -> Self {
        CrdtError::Decode {
            code: e.category().into(),
            detail: e.to_string(),
        }
    }
}
impl From<MergeError> for CrdtError {
    fn from(e: MergeError) -> Self {
        CrdtError::Merge {
            code: e.category().into(),
            detail: e.to_string(),
        }
    }
}
impl From<memory::MemoryError> for CrdtError {
    fn from(e: memory::MemoryError) -> Self {
        CrdtError::Decode {
            code: "shape".into(),
            detail: format!("invalid memory: {e}"),
        }
    }
}

fn arg(msg: impl Into<String>) -> CrdtError {
    CrdtError::Argument {
        code: "argument".into(),
        detail: msg.into(),
    }
}

type R<T> = Result<T, CrdtError>;

/// Run `f`, turning a panic into [`CrdtError::Internal`].
fn guard<T>(f: impl FnOnce() -> R<T>) -> R<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let detail = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        Err(CrdtError::Internal {
            code: "panic".into(),
            detail,
        })
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------- JSON values

/// Parse canonical-view JSON text into a value.
fn value_in(text: &str) -> R<Value> {
    Ok(json::from_view(&json::parse(text)?)?)
}

/// A value as canonical-view JSON text (insertion order kept).
fn value_out(v: &Value) -> R<String> {
    Ok(json::to_string(&json::to_view(v))?)
}

/// A timestamp: the reference's timestamps are Python ints or floats, and the
/// kind reaches the wire.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Enum)]
pub enum Stamp {
    /// An int timestamp.
    Int {
        /// Its value.
        v: i64,
    },
    /// A float timestamp (NaN rejected).
    Float {
        /// Its value.
        v: f64,
    },
}

impl Stamp {
    fn core(self) -> R<Timestamp> {
        match self {
            Stamp::Int { v } => Ok(Timestamp::from_int(v)),
            Stamp::Float { v } => Timestamp::from_f64(v).ok_or_else(|| arg("timestamp is NaN")),
        }
    }
    fn of(t: Timestamp) -> Stamp {
        match t.to_value() {
            Value::Int(v) => Stamp::Int { v },
            other => Stamp::Float {
                v: other.as_f64().unwrap_or(0.0),
            },
        }
    }
}

fn sat_i64(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

// ---------------------------------------------------------------- wire helpers

/// Size facts of a frame: the reference's `wire_size` dict.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WireSize {
    /// Bytes of the whole frame.
    pub total_bytes: u64,
    /// Always 12.
    pub header_bytes: u64,
    /// Payload bytes as stored.
    pub payload_bytes: u64,
    /// Whether the payload is compressed.
    pub compressed: bool,
    /// Protocol version.
    pub protocol_version: u16,
    /// The `peek_type` name.
    pub type_name: String,
}

/// The type name of a frame, from its header only.
#[uniffi::export]
pub fn peek_type(data: Vec<u8>) -> R<String> {
    guard(|| Ok(wire::peek_type(&data)?.to_string()))
}

/// Size facts of a frame (header validated, payload not decoded).
#[uniffi::export]
pub fn wire_size(data: Vec<u8>) -> R<WireSize> {
    guard(|| {
        let w = wire::wire_size(&data)?;
        Ok(WireSize {
            total_bytes: w.total_bytes as u64,
            header_bytes: w.header_bytes as u64,
            payload_bytes: w.payload_bytes as u64,
            compressed: w.compressed,
            protocol_version: w.protocol_version,
            type_name: w.type_name.to_string(),
        })
    })
}

/// Pack frames into a batch (u32 BE count, then u32 BE length + frame each).
#[uniffi::export]
pub fn encode_batch(frames: Vec<Vec<u8>>) -> R<Vec<u8>> {
    guard(|| {
        if frames.len() > u32::MAX as usize || frames.iter().any(|f| f.len() > u32::MAX as usize) {
            return Err(arg("batch too large"));
        }
        Ok(wire::batch::encode_batch(&frames))
    })
}

/// Split a batch into its frames (frames are not decoded).
#[uniffi::export]
pub fn split_batch(data: Vec<u8>) -> R<Vec<Vec<u8>>> {
    guard(|| {
        Ok(wire::batch::split_batch(&data, &Limits::DEFAULT)?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect())
    })
}

/// Every type name the wire format knows, e.g. `"g_counter"`.
#[uniffi::export]
pub fn type_names() -> Vec<String> {
    (0u8..=255)
        .filter_map(TypeTag::from_u8)
        .map(|t| t.name().to_string())
        .collect()
}

// ---------------------------------------------------------------- the object core

/// Decoded state plus the payload encoding it came with (so a decoded frame
/// re-encodes byte for byte).
#[derive(Debug, Clone)]
struct Inner {
    obj: AnyCrdt,
    enc: PayloadEncoding,
}

impl Inner {
    fn new(obj: AnyCrdt) -> Inner {
        let enc = PayloadEncoding::default_for(obj.tag());
        Inner { obj, enc }
    }
    fn decode(data: &[u8]) -> R<Inner> {
        let (obj, enc) = AnyCrdt::decode(data, &Limits::DEFAULT)?;
        Ok(Inner { obj, enc })
    }
    fn from_payload(tag: TypeTag, json_text: &str) -> R<Inner> {
        Ok(Inner::new(AnyCrdt::from_value(tag, &value_in(json_text)?)?))
    }
    fn from_view(json_text: &str) -> R<Inner> {
        Ok(Inner::new(AnyCrdt::from_json_view(&json::parse(
            json_text,
        )?)?))
    }
    fn encode(&self, compress: bool) -> R<Vec<u8>> {
        Ok(self.obj.encode_with(self.enc, compress)?)
    }
    fn view(&self) -> R<String> {
        Ok(json::to_string(&self.obj.to_json_view())?)
    }
    fn payload(&self) -> R<String> {
        value_out(&self.obj.to_value())
    }
    fn merge(&self, other: &Inner) -> R<Inner> {
        Ok(Inner::new(self.obj.merge(&other.obj)?))
    }
}

/// A decoded frame of any type (the reference's `deserialize` result when no
/// typed class fits).
#[derive(Debug, uniffi::Object)]
pub struct Frame {
    inner: Mutex<Inner>,
}

impl Frame {
    fn wrap(inner: Inner) -> Arc<Frame> {
        Arc::new(Frame {
            inner: Mutex::new(inner),
        })
    }
}

#[uniffi::export]
impl Frame {
    /// Decode a frame of any type.
    #[uniffi::constructor]
    pub fn decode(data: Vec<u8>) -> R<Arc<Frame>> {
        guard(|| Ok(Frame::wrap(Inner::decode(&data)?)))
    }
    /// Rebuild from a canonical JSON view `{"type": ..., "value": ...}`.
    #[uniffi::constructor]
    pub fn from_json_view(text: String) -> R<Arc<Frame>> {
        guard(|| Ok(Frame::wrap(Inner::from_view(&text)?)))
    }
    /// Build from a type name and its payload (`to_dict()` shape) as view JSON.
    #[uniffi::constructor]
    pub fn from_payload(type_name: String, payload_json: String) -> R<Arc<Frame>> {
        guard(|| {
            let tag = TypeTag::from_name(&type_name)
                .ok_or_else(|| arg(format!("unknown type {type_name:?}")))?;
            Ok(Frame::wrap(Inner::from_payload(tag, &payload_json)?))
        })
    }
    /// The `peek_type` name.
    pub fn type_name(&self) -> String {
        lock(&self.inner).obj.type_name().to_string()
    }
    /// Encode as a frame (the decoded payload encoding is kept).
    pub fn encode(&self, compress: bool) -> R<Vec<u8>> {
        guard(|| lock(&self.inner).encode(compress))
    }
    /// The canonical JSON view.
    pub fn to_json_view(&self) -> R<String> {
        guard(|| lock(&self.inner).view())
    }
    /// The payload (`to_dict()`) as view JSON, in wire order.
    pub fn to_payload_json(&self) -> R<String> {
        guard(|| lock(&self.inner).payload())
    }
    /// Merge with another frame of the same type (a new object).
    pub fn merge(&self, other: Arc<Frame>) -> R<Arc<Frame>> {
        guard(|| {
            let b = lock(&other.inner).clone();
            Ok(Frame::wrap(lock(&self.inner).merge(&b)?))
        })
    }
    /// Semantic equality (same state).
    pub fn equals(&self, other: Arc<Frame>) -> bool {
        let b = lock(&other.inner).obj.clone();
        lock(&self.inner).obj == b
    }
}

/// Merge any number of frames (all of one type) left to right; returns the frame.
#[uniffi::export]
pub fn merge_frames(frames: Vec<Vec<u8>>, compress: bool) -> R<Vec<u8>> {
    guard(|| {
        let objs = frames
            .iter()
            .map(|f| Ok(AnyCrdt::decode(f, &Limits::DEFAULT)?.0))
            .collect::<R<Vec<_>>>()?;
        Ok(AnyCrdt::merge_all(&objs)?.encode(compress)?)
    })
}

/// The typed objects: the same common surface as [`Frame`] over one type.
macro_rules! typed {
    ($name:ident, $variant:ident, $core:ty, $tag:expr) => {
        /// A typed object over one core type (see the constructors and methods).
        #[derive(Debug, uniffi::Object)]
        pub struct $name {
            inner: Mutex<Inner>,
        }

        impl $name {
            fn wrap(inner: Inner) -> R<Arc<$name>> {
                match &inner.obj {
                    AnyCrdt::$variant(_) => Ok(Arc::new($name {
                        inner: Mutex::new(inner),
                    })),
                    other => Err(DecodeError::WrongType {
                        expected: $tag.name(),
                        found: other.type_name(),
                    }
                    .into()),
                }
            }
            fn of(x: $core) -> Arc<$name> {
                Arc::new($name {
                    inner: Mutex::new(Inner::new(AnyCrdt::$variant(x))),
                })
            }
            /// Run `f` on the typed state.
            fn with<T>(&self, f: impl FnOnce(&mut $core) -> R<T>) -> R<T> {
                guard(|| {
                    let mut g = lock(&self.inner);
                    match &mut g.obj {
                        AnyCrdt::$variant(x) => f(x),
                        _ => Err(arg("object holds another type")),
                    }
                })
            }
        }

        #[uniffi::export]
        impl $name {
            /// Decode a frame of this type (`wrong_type` for another type).
            #[uniffi::constructor]
            pub fn decode(data: Vec<u8>) -> R<Arc<$name>> {
                guard(|| $name::wrap(Inner::decode(&data)?))
            }
            /// Build from the payload (`to_dict()` shape) as view JSON.
            #[uniffi::constructor]
            pub fn from_payload(payload_json: String) -> R<Arc<$name>> {
                guard(|| $name::wrap(Inner::from_payload($tag, &payload_json)?))
            }
            /// Rebuild from a canonical JSON view.
            #[uniffi::constructor]
            pub fn from_json_view(text: String) -> R<Arc<$name>> {
                guard(|| $name::wrap(Inner::from_view(&text)?))
            }
            /// A generic [`Frame`] holding a copy of this state.
            #[uniffi::constructor]
            pub fn from_frame(frame: Arc<Frame>) -> R<Arc<$name>> {
                let inner = lock(&frame.inner).clone();
                guard(|| $name::wrap(inner))
            }
            /// Encode as a frame.
            pub fn encode(&self, compress: bool) -> R<Vec<u8>> {
                guard(|| lock(&self.inner).encode(compress))
            }
            /// The canonical JSON view.
            pub fn to_json_view(&self) -> R<String> {
                guard(|| lock(&self.inner).view())
            }
            /// The payload (`to_dict()`) as view JSON, in wire order.
            pub fn to_payload_json(&self) -> R<String> {
                guard(|| lock(&self.inner).payload())
            }
            /// Merge into a new object (self and other unchanged).
            pub fn merge(&self, other: Arc<$name>) -> R<Arc<$name>> {
                guard(|| {
                    let b = lock(&other.inner).clone();
                    let m = lock(&self.inner).merge(&b)?;
                    $name::wrap(m)
                })
            }
            /// Semantic equality (same state).
            pub fn equals(&self, other: Arc<$name>) -> bool {
                let b = lock(&other.inner).obj.clone();
                lock(&self.inner).obj == b
            }
            /// A copy.
            pub fn copy(&self) -> Arc<$name> {
                Arc::new($name {
                    inner: Mutex::new(lock(&self.inner).clone()),
                })
            }
        }
    };
}

typed!(GCounter, GCounter, crdt::GCounter, TypeTag::GCounter);
typed!(PnCounter, PNCounter, crdt::PNCounter, TypeTag::PNCounter);
typed!(
    LwwRegister,
    LwwRegister,
    crdt::LwwRegister,
    TypeTag::LwwRegister
);
typed!(OrSet, OrSet, crdt::OrSet, TypeTag::OrSet);
typed!(LwwMap, LwwMap, crdt::LwwMap, TypeTag::LwwMap);
typed!(
    VectorClock,
    VectorClock,
    crdt::VectorClock,
    TypeTag::VectorClock
);
typed!(Hll, Hll, hll::MergeableHll, TypeTag::Hll);
typed!(Bloom, Bloom, bloom::MergeableBloom, TypeTag::Bloom);
typed!(Cms, Cms, cms::MergeableCms, TypeTag::Cms);
typed!(
    AgentState,
    AgentState,
    memory::AgentState,
    TypeTag::AgentState
);
typed!(
    SharedKnowledge,
    SharedKnowledge,
    memory::SharedKnowledge,
    TypeTag::SharedKnowledge
);
typed!(
    ContextManifest,
    ContextManifest,
    memory::ContextManifest,
    TypeTag::ContextManifest
);

fn nonneg(amount: i64) -> R<u64> {
    u64::try_from(amount).map_err(|_| arg(format!("amount must be non-negative, got {amount}")))
}

#[uniffi::export]
impl GCounter {
    /// An empty counter.
    #[uniffi::constructor]
    pub fn new() -> Arc<GCounter> {
        GCounter::of(crdt::GCounter::new())
    }
    /// Add `amount` (≥ 0) to `node_id`'s slot.
    pub fn increment(&self, node_id: String, amount: i64) -> R<()> {
        self.with(|c| {
            c.increment(&node_id, nonneg(amount)?);
            Ok(())
        })
    }
    /// The sum of all slots (saturated to i64).
    pub fn value(&self) -> R<i64> {
        self.with(|c| Ok(sat_i64(c.value())))
    }
    /// One node's slot.
    pub fn get(&self, node_id: String) -> R<i64> {
        self.with(|c| Ok(c.get(&node_id)))
    }
}

#[uniffi::export]
impl PnCounter {
    /// An empty counter.
    #[uniffi::constructor]
    pub fn new() -> Arc<PnCounter> {
        PnCounter::of(crdt::PNCounter::new())
    }
    /// Count up.
    pub fn increment(&self, node_id: String, amount: i64) -> R<()> {
        self.with(|c| {
            c.increment(&node_id, nonneg(amount)?);
            Ok(())
        })
    }
    /// Count down.
    pub fn decrement(&self, node_id: String, amount: i64) -> R<()> {
        self.with(|c| {
            c.decrement(&node_id, nonneg(amount)?);
            Ok(())
        })
    }
    /// pos − neg (saturated to i64).
    pub fn value(&self) -> R<i64> {
        self.with(|c| Ok(sat_i64(c.value())))
    }
}

#[uniffi::export]
impl LwwRegister {
    /// A register holding `value_json` written at `timestamp` by `node_id`.
    #[uniffi::constructor]
    pub fn new(value_json: String, timestamp: Stamp, node_id: String) -> R<Arc<LwwRegister>> {
        guard(|| {
            Ok(LwwRegister::of(crdt::LwwRegister::new(
                value_in(&value_json)?,
                timestamp.core()?,
                node_id,
            )))
        })
    }
    /// Overwrite locally (no comparison).
    pub fn set(&self, value_json: String, timestamp: Stamp, node_id: String) -> R<()> {
        self.with(|r| {
            r.set(value_in(&value_json)?, timestamp.core()?, node_id);
            Ok(())
        })
    }
    /// The value as view JSON.
    pub fn value_json(&self) -> R<String> {
        self.with(|r| value_out(r.value()))
    }
    /// The write's timestamp.
    pub fn timestamp(&self) -> R<Stamp> {
        self.with(|r| Ok(Stamp::of(r.timestamp())))
    }
    /// The writer.
    pub fn node_id(&self) -> R<String> {
        self.with(|r| Ok(r.node_id().to_string()))
    }
}

#[uniffi::export]
impl OrSet {
    /// An empty set.
    #[uniffi::constructor]
    pub fn new() -> Arc<OrSet> {
        OrSet::of(crdt::OrSet::new())
    }
    /// Add an element (view JSON) with a unique tag.
    pub fn add(&self, element_json: String, tag: String) -> R<()> {
        self.with(|s| {
            s.add(&value_in(&element_json)?, tag);
            Ok(())
        })
    }
    /// Remove an element: the tags observed here become tombstones.
    pub fn remove(&self, element_json: String) -> R<()> {
        self.with(|s| {
            s.remove(&value_in(&element_json)?);
            Ok(())
        })
    }
    /// Whether an element has a live tag.
    pub fn contains(&self, element_json: String) -> R<bool> {
        self.with(|s| Ok(s.contains(&value_in(&element_json)?)))
    }
    /// The live elements as a view JSON list, sorted.
    pub fn value_json(&self) -> R<String> {
        self.with(|s| value_out(&Value::List(s.value())))
    }
}

#[uniffi::export]
impl LwwMap {
    /// An empty map.
    #[uniffi::constructor]
    pub fn new() -> Arc<LwwMap> {
        LwwMap::of(crdt::LwwMap::new())
    }
    /// Write a key.
    pub fn set(&self, key: String, value_json: String, timestamp: Stamp, node_id: String) -> R<()> {
        self.with(|m| {
            m.set(&key, value_in(&value_json)?, timestamp.core()?, &node_id);
            Ok(())
        })
    }
    /// Delete a key at `timestamp`.
    pub fn delete(&self, key: String, timestamp: Stamp) -> R<()> {
        self.with(|m| {
            m.delete(&key, timestamp.core()?);
            Ok(())
        })
    }
    /// The visible value of a key as view JSON, or None.
    pub fn get_json(&self, key: String) -> R<Option<String>> {
        self.with(|m| m.get(&key).map(value_out).transpose())
    }
    /// The visible entries as a view JSON object.
    pub fn value_json(&self) -> R<String> {
        self.with(|m| {
            value_out(&Value::Map(
                m.value()
                    .into_iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
        })
    }
}

#[uniffi::export]
impl VectorClock {
    /// An empty clock.
    #[uniffi::constructor]
    pub fn new() -> Arc<VectorClock> {
        VectorClock::of(crdt::VectorClock::new())
    }
    /// Tick one node.
    pub fn increment(&self, node_id: String) -> R<()> {
        self.with(|c| {
            c.increment(&node_id);
            Ok(())
        })
    }
    /// One node's counter (0 if absent).
    pub fn get(&self, node_id: String) -> R<u64> {
        self.with(|c| Ok(c.get(&node_id)))
    }
    /// `"before"`, `"after"`, `"equal"` or `"concurrent"`.
    pub fn compare(&self, other: Arc<VectorClock>) -> R<String> {
        let o = other.with(|c| Ok(c.clone()))?;
        self.with(|c| {
            Ok(match c.compare(&o) {
                crdt::clocks::Causality::Before => "before",
                crdt::clocks::Causality::After => "after",
                crdt::clocks::Causality::Equal => "equal",
                crdt::clocks::Causality::Concurrent => "concurrent",
            }
            .to_string())
        })
    }
}

/// Add every item of a JSON list.
fn items(items_json: &str) -> R<Vec<Value>> {
    match value_in(items_json)? {
        Value::List(v) | Value::Set(v) => Ok(v),
        other => Err(arg(format!(
            "expected a JSON list of items, found {}",
            other.type_name()
        ))),
    }
}

#[uniffi::export]
impl Hll {
    /// An empty sketch with `precision` bits of register index (4..=18).
    #[uniffi::constructor]
    pub fn new(precision: u8) -> R<Arc<Hll>> {
        guard(|| Ok(Hll::of(hll::MergeableHll::new(precision)?)))
    }
    /// Add one item (view JSON).
    pub fn add(&self, item_json: String) -> R<()> {
        self.with(|h| {
            h.add(&value_in(&item_json)?);
            Ok(())
        })
    }
    /// Add every item of a view JSON list.
    pub fn add_all(&self, items_json: String) -> R<()> {
        self.with(|h| {
            h.add_values(&items(&items_json)?);
            Ok(())
        })
    }
    /// Add strings.
    pub fn add_strs(&self, items: Vec<String>) -> R<()> {
        self.with(|h| {
            h.add_strs(&items);
            Ok(())
        })
    }
    /// Add ints.
    pub fn add_ints(&self, items: Vec<i64>) -> R<()> {
        self.with(|h| {
            h.add_ints(&items);
            Ok(())
        })
    }
    /// Estimated distinct count.
    pub fn cardinality(&self) -> R<f64> {
        self.with(|h| Ok(h.cardinality()))
    }
    /// Relative standard error.
    pub fn standard_error(&self) -> R<f64> {
        self.with(|h| Ok(h.standard_error()))
    }
    /// Precision bits.
    pub fn precision(&self) -> R<u8> {
        self.with(|h| Ok(h.precision()))
    }
}

#[uniffi::export]
impl Bloom {
    /// An empty filter sized for `capacity` items at `fp_rate`.
    #[uniffi::constructor]
    pub fn new(capacity: i64, fp_rate: f64) -> R<Arc<Bloom>> {
        guard(|| Ok(Bloom::of(bloom::MergeableBloom::new(capacity, fp_rate)?)))
    }
    /// Add one item (view JSON).
    pub fn add(&self, item_json: String) -> R<()> {
        self.with(|b| {
            b.add(&value_in(&item_json)?);
            Ok(())
        })
    }
    /// Add every item of a view JSON list.
    pub fn add_all(&self, items_json: String) -> R<()> {
        self.with(|b| {
            b.add_values(&items(&items_json)?);
            Ok(())
        })
    }
    /// Add strings.
    pub fn add_strs(&self, items: Vec<String>) -> R<()> {
        self.with(|b| {
            b.add_strs(&items);
            Ok(())
        })
    }
    /// Add ints.
    pub fn add_ints(&self, items: Vec<i64>) -> R<()> {
        self.with(|b| {
            b.add_ints(&items);
            Ok(())
        })
    }
    /// Probably present (no false negatives).
    pub fn contains(&self, item_json: String) -> R<bool> {
        self.with(|b| Ok(b.contains(&value_in(&item_json)?)))
    }
    /// Estimated false-positive rate at the current fill.
    pub fn estimated_fp_rate(&self) -> R<f64> {
        self.with(|b| Ok(b.estimated_fp_rate()))
    }
    /// Bits in the filter.
    pub fn size(&self) -> R<u64> {
        self.with(|b| Ok(b.size()))
    }
    /// Hash functions.
    pub fn num_hashes(&self) -> R<u64> {
        self.with(|b| Ok(b.num_hashes()))
    }
    /// Items added (as counted by the reference).
    pub fn count(&self) -> R<i64> {
        self.with(|b| Ok(b.count()))
    }
    /// The capacity.
    pub fn capacity(&self) -> R<i64> {
        self.with(|b| Ok(b.capacity()))
    }
    /// The target false-positive rate.
    pub fn fp_rate(&self) -> R<f64> {
        self.with(|b| Ok(b.fp_rate()))
    }
}

#[uniffi::export]
impl Cms {
    /// An empty sketch of `width` × `depth` counters.
    #[uniffi::constructor]
    pub fn new(width: i64, depth: i64) -> R<Arc<Cms>> {
        guard(|| Ok(Cms::of(cms::MergeableCms::new(width, depth)?)))
    }
    /// Count one item (view JSON) `count` times.
    pub fn add(&self, item_json: String, count: i64) -> R<()> {
        self.with(|c| {
            c.add(&value_in(&item_json)?, count);
            Ok(())
        })
    }
    /// Count every item of a view JSON list once.
    pub fn add_all(&self, items_json: String) -> R<()> {
        self.with(|c| {
            c.add_values(&items(&items_json)?);
            Ok(())
        })
    }
    /// Count strings once each.
    pub fn add_strs(&self, items: Vec<String>) -> R<()> {
        self.with(|c| {
            c.add_strs(&items);
            Ok(())
        })
    }
    /// Estimated count of an item (never below the true count).
    pub fn estimate(&self, item_json: String) -> R<i64> {
        self.with(|c| Ok(c.estimate(&value_in(&item_json)?)))
    }
    /// Total count added.
    pub fn total(&self) -> R<i64> {
        self.with(|c| Ok(c.total()))
    }
    /// Width.
    pub fn width(&self) -> R<u64> {
        self.with(|c| Ok(c.width()))
    }
    /// Depth.
    pub fn depth(&self) -> R<u64> {
        self.with(|c| Ok(c.depth()))
    }
}

fn finite(x: f64, what: &str) -> R<f64> {
    if x.is_nan() {
        return Err(arg(format!("{what} is NaN")));
    }
    Ok(x)
}

#[uniffi::export]
impl AgentState {
    /// A new agent; `created_at` is the caller's clock (the core never reads one).
    #[uniffi::constructor]
    pub fn new(agent_id: String, created_at: f64) -> R<Arc<AgentState>> {
        guard(|| {
            let mut a = memory::AgentState::new(agent_id);
            a.created_at = finite(created_at, "created_at")?;
            Ok(AgentState::of(a))
        })
    }
    /// The agent id.
    pub fn agent_id(&self) -> R<String> {
        self.with(|a| Ok(a.agent_id.clone()))
    }
    /// Creation time.
    pub fn created_at(&self) -> R<f64> {
        self.with(|a| Ok(a.created_at))
    }
    /// Add or update a fact (value as view JSON).
    pub fn add_fact(
        &self,
        key: String,
        value_json: String,
        confidence: f64,
        timestamp: f64,
    ) -> R<()> {
        self.with(|a| {
            a.add_fact(
                key,
                value_in(&value_json)?,
                finite(confidence, "confidence")?,
                finite(timestamp, "timestamp")?,
            );
            Ok(())
        })
    }
    /// Delete a fact at `timestamp`.
    pub fn delete_fact(&self, key: String, timestamp: f64) -> R<()> {
        self.with(|a| {
            a.delete_fact(key, finite(timestamp, "timestamp")?);
            Ok(())
        })
    }
    /// A live fact `{value, confidence, source_agent, timestamp}` as view JSON, or None.
    pub fn get_fact_json(&self, key: String) -> R<Option<String>> {
        self.with(|a| {
            a.get_fact(&key)
                .map(|f| value_out(&f.to_value()))
                .transpose()
        })
    }
    /// Every live fact as a view JSON object `{key: fact}`.
    pub fn list_facts_json(&self) -> R<String> {
        self.with(|a| {
            value_out(&Value::Map(
                a.list_facts()
                    .into_iter()
                    .map(|(k, f)| (Value::str(k), f.to_value()))
                    .collect(),
            ))
        })
    }
    /// Add a tag (deterministic fresh id).
    pub fn add_tag(&self, tag: String) -> R<()> {
        self.with(|a| {
            a.add_tag(tag);
            Ok(())
        })
    }
    /// Remove a tag.
    pub fn remove_tag(&self, tag: String) -> R<()> {
        self.with(|a| {
            a.remove_tag(&tag);
            Ok(())
        })
    }
    /// Whether a tag is present.
    pub fn has_tag(&self, tag: String) -> R<bool> {
        self.with(|a| Ok(a.has_tag(&tag)))
    }
    /// Live tags, sorted.
    pub fn tags(&self) -> R<Vec<String>> {
        self.with(|a| Ok(a.tags().into_iter().map(String::from).collect()))
    }
    /// Count a named counter up.
    pub fn increment(&self, name: String, amount: u32) -> R<()> {
        self.with(|a| {
            a.increment(name, amount);
            Ok(())
        })
    }
    /// Count a named counter down.
    pub fn decrement(&self, name: String, amount: u32) -> R<()> {
        self.with(|a| {
            a.decrement(name, amount);
            Ok(())
        })
    }
    /// A counter's value.
    pub fn counter_value(&self, name: String) -> R<i64> {
        self.with(|a| Ok(sat_i64(a.counter_value(&name))))
    }
    /// Append a message (content and metadata as view JSON).
    pub fn append_message(
        &self,
        content_json: String,
        role: String,
        metadata_json: String,
        timestamp: f64,
    ) -> R<()> {
        self.with(|a| {
            let meta = value_in(&metadata_json)?;
            if !matches!(meta, Value::Map(_) | Value::None) {
                return Err(arg("metadata must be a JSON object or null"));
            }
            a.append_message(
                value_in(&content_json)?,
                &role,
                meta,
                finite(timestamp, "timestamp")?,
            );
            Ok(())
        })
    }
    /// The message log as a view JSON list.
    pub fn messages_json(&self) -> R<String> {
        self.with(|a| value_out(&Value::List(a.messages().into_iter().cloned().collect())))
    }
}

#[uniffi::export]
impl SharedKnowledge {
    /// Merge one or more agent states (order does not matter).
    #[uniffi::constructor]
    pub fn merge_agents(agents: Vec<Arc<AgentState>>) -> R<Arc<SharedKnowledge>> {
        guard(|| {
            let states = agents
                .iter()
                .map(|a| a.with(|s| Ok(s.clone())))
                .collect::<R<Vec<_>>>()?;
            Ok(SharedKnowledge::of(memory::SharedKnowledge::merge(
                &states,
            )?))
        })
    }
    /// The merged state.
    pub fn state(&self) -> R<Arc<AgentState>> {
        self.with(|k| Ok(AgentState::of(k.state.clone())))
    }
    /// Contributing agent ids, sorted.
    pub fn contributing_agents(&self) -> R<Vec<String>> {
        self.with(|k| Ok(k.contributing_agents.clone()))
    }
}

#[uniffi::export]
impl ContextManifest {
    /// Human-readable summary.
    pub fn summary(&self) -> R<String> {
        self.with(|m| Ok(m.summary()))
    }
}

/// Options of a context merge (the reference's `ContextMerge` arguments plus
/// the clock `now`, which the core never reads itself).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ContextMergeOptions {
    /// `lww`, `max_confidence`, `priority` or `union`.
    pub strategy: String,
    /// Keep at most this many memories.
    pub budget: Option<u64>,
    /// Drop memories below this confidence.
    pub min_confidence: f64,
    /// Timestamp for memories without `ts` and for the manifest.
    pub now: f64,
}

/// The result of a context merge.
#[derive(Debug, uniffi::Record)]
pub struct ContextMergeResult {
    /// The surviving memory dicts as a view JSON list, sorted by fact.
    pub memories_json: String,
    /// The merge manifest.
    pub manifest: Arc<ContextManifest>,
}

fn memories_in(text: &str) -> R<Vec<Memory>> {
    items(text)?
        .iter()
        .map(|v| Ok(Memory::from_value(v)?))
        .collect()
}

/// Merge memory lists (each a view JSON list of memory dicts with at least
/// `fact`): dedup by fact, join duplicates, filter, sort, describe.
#[uniffi::export]
pub fn context_merge(
    options: ContextMergeOptions,
    inputs_json: Vec<String>,
) -> R<ContextMergeResult> {
    guard(|| {
        let mut cm = memory::ContextMerge::new(Strategy::parse(&options.strategy).map_err(arg)?);
        cm.budget = options
            .budget
            .map(|b| usize::try_from(b).unwrap_or(usize::MAX));
        cm.min_confidence = finite(options.min_confidence, "min_confidence")?;
        cm.now = finite(options.now, "now")?;
        let inputs = inputs_json
            .iter()
            .map(|t| memories_in(t))
            .collect::<R<Vec<_>>>()?;
        let out = cm.merge_owned(inputs);
        Ok(ContextMergeResult {
            memories_json: value_out(&Value::List(
                out.memories.iter().map(Memory::to_value).collect(),
            ))?,
            manifest: ContextManifest::of(out.manifest),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: &CrdtError) -> &str {
        match e {
            CrdtError::Decode { code, .. }
            | CrdtError::Merge { code, .. }
            | CrdtError::Argument { code, .. }
            | CrdtError::Internal { code, .. } => code,
        }
    }

    #[test]
    fn errors_carry_codes() {
        let e = Frame::decode(vec![]).unwrap_err();
        assert_eq!(code(&e), "truncated", "{e:?}");
        let g = GCounter::new();
        assert!(matches!(
            g.increment("a".into(), -1),
            Err(CrdtError::Argument { .. })
        ));
        g.increment("a".into(), 5).unwrap();
        let bytes = g.encode(false).unwrap();
        assert_eq!(
            code(&PnCounter::decode(bytes.clone()).unwrap_err()),
            "wrong_type"
        );
        assert_eq!(GCounter::decode(bytes).unwrap().value().unwrap(), 5);
        let e = Hll::new(10)
            .unwrap()
            .merge(Hll::new(12).unwrap())
            .unwrap_err();
        assert_eq!(code(&e), "parameter_mismatch");
        assert!(matches!(
            LwwRegister::new("1".into(), Stamp::Float { v: f64::NAN }, "n".into()),
            Err(CrdtError::Argument { .. })
        ));
        let opts = ContextMergeOptions {
            strategy: "nope".into(),
            budget: None,
            min_confidence: 0.0,
            now: 0.0,
        };
        assert!(matches!(
            context_merge(opts, vec![]),
            Err(CrdtError::Argument { .. })
        ));
        assert_eq!(
            code(&Frame::from_json_view("{".into()).unwrap_err()),
            "json"
        );
        assert_eq!(
            code(&Frame::from_payload("nope".into(), "{}".into()).unwrap_err()),
            "argument"
        );
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        // UniFFI itself would turn a panic into its generic InternalError
        // (Python `InternalError`, Kotlin `InternalException`); `guard` keeps
        // it in our error type with code "panic".
        let r = guard::<()>(|| panic!("boom"));
        assert_eq!(
            r,
            Err(CrdtError::Internal {
                code: "panic".into(),
                detail: "boom".into()
            })
        );
        let r = guard::<()>(|| panic!("{}", String::from("formatted")));
        assert_eq!(
            r,
            Err(CrdtError::Internal {
                code: "panic".into(),
                detail: "formatted".into()
            })
        );
    }

    #[test]
    fn timestamps_keep_their_kind() {
        let r = LwwRegister::new("\"v\"".into(), Stamp::Int { v: 17 }, "n".into()).unwrap();
        assert_eq!(r.timestamp().unwrap(), Stamp::Int { v: 17 });
        let back = LwwRegister::decode(r.encode(false).unwrap()).unwrap();
        assert_eq!(back.timestamp().unwrap(), Stamp::Int { v: 17 });
        r.set(
            "{\"$bytes\": \"00ff\"}".into(),
            Stamp::Float { v: 2.5 },
            "m".into(),
        )
        .unwrap();
        assert_eq!(r.value_json().unwrap(), "{\"$bytes\": \"00ff\"}");
        assert_eq!(r.timestamp().unwrap(), Stamp::Float { v: 2.5 });
    }

    #[test]
    fn garbage_never_panics() {
        let mut seeds: Vec<Vec<u8>> = vec![
            GCounter::new().encode(false).unwrap(),
            Bloom::new(100, 0.01).unwrap().encode(true).unwrap(),
        ];
        let m = LwwMap::new();
        m.set(
            "k".into(),
            "[1, {\"a\": null}]".into(),
            Stamp::Float { v: 1.0 },
            "n".into(),
        )
        .unwrap();
        seeds.push(m.encode(false).unwrap());
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..4000 {
            let mut f = seeds[i % seeds.len()].clone();
            let n = f.len();
            match next() % 3 {
                0 => f[(next() as usize) % n] ^= 1 << (next() % 8),
                1 => f.truncate((next() as usize) % n),
                _ => f.insert((next() as usize) % n, next() as u8),
            }
            for r in [
                Frame::decode(f.clone()).map(|_| ()),
                GCounter::decode(f.clone()).map(|_| ()),
                LwwMap::decode(f.clone()).map(|_| ()),
                Bloom::decode(f.clone()).map(|_| ()),
                split_batch(f.clone()).map(|_| ()),
            ] {
                if let Err(e) = r {
                    assert!(!matches!(e, CrdtError::Internal { .. }), "{e:?}");
                }
            }
        }
    }

    #[test]
    fn context_merge_joins_duplicates() {
        let opts = ContextMergeOptions {
            strategy: "lww".into(),
            budget: Some(5),
            min_confidence: 0.0,
            now: 10.0,
        };
        let out = context_merge(
            opts,
            vec![
                r#"[{"fact": "a", "confidence": 0.5}]"#.into(),
                r#"[{"fact": "a", "confidence": 0.9}, {"fact": "b"}]"#.into(),
            ],
        )
        .unwrap();
        let v = json::parse(&out.memories_json).unwrap();
        assert_eq!(v.as_list().unwrap().len(), 2);
        assert!(out.manifest.summary().unwrap().contains('2'));
    }
}

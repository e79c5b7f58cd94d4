//! # crdt-merge-wasm
//!
//! wasm-bindgen bindings of `crdt-merge-core` for the npm package
//! `crdt-merge-wasm` (`packages/npm`). The boundary is deliberately narrow:
//!
//! - [`Crdt`] holds one [`AnyCrdt`]; frames go in and out as bytes, canonical
//!   views and method arguments/results as JSON text (the canonical,
//!   `$`-tagged JSON of `wire-spec/SPEC.md` section 4), so every value the
//!   wire can carry crosses losslessly and no serde is needed.
//! - Typed operations (`increment`, `add`, `set`, ...) go through one
//!   dispatcher, [`Crdt::call`], keyed by the type and method name.
//! - Errors are returned as a string `"<code>\u{1f}<message>"`, where `code`
//!   is the core's stable `category()`; the hand-written JS entry turns it
//!   into a `CrdtMergeError`.
//!
//! Nothing here panics on input: every argument is validated and every core
//! call that can fail returns its error. The module is built with
//! `panic = "abort"`; [`last_panic`] reports the message of a panic (a bug)
//! so that JS can raise it as an `internal` error.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::string::String;
use std::vec::Vec;

use crdt_merge_core::crdt::clocks::Causality;
use crdt_merge_core::crdt::{
    GCounter, LwwMap, LwwRegister, OrSet, PNCounter, Timestamp, VectorClock,
};
use crdt_merge_core::memory::{AgentState, ContextMerge, Memory, Strategy};
use crdt_merge_core::sketch::bloom::MergeableBloom;
use crdt_merge_core::sketch::cms::MergeableCms;
use crdt_merge_core::sketch::hll::MergeableHll;
use crdt_merge_core::wire::{self, Limits, PayloadEncoding, TypeTag};
use crdt_merge_core::{json, AnyCrdt, DecodeError, MergeError, Value, WireType};
use wasm_bindgen::prelude::*;

/// Separator between the error code and the message.
const SEP: char = '\u{1f}';

fn err(code: &str, msg: impl core::fmt::Display) -> JsValue {
    JsValue::from_str(&format!("{code}{SEP}{msg}"))
}
fn derr(e: DecodeError) -> JsValue {
    err(e.category(), e)
}
fn merr(e: MergeError) -> JsValue {
    err(e.category(), e)
}
fn arg(msg: impl core::fmt::Display) -> JsValue {
    err("invalid_argument", msg)
}

type R<T> = Result<T, JsValue>;

thread_local! {
    static PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Install a panic hook that keeps the last panic message (read it with
/// [`last_panic`] after a `RuntimeError: unreachable`). Idempotent.
#[wasm_bindgen(js_name = installPanicHook)]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info.to_string();
        PANIC.with(|p| {
            if let Ok(mut p) = p.try_borrow_mut() {
                *p = msg;
            }
        });
    }));
}

/// The message of the last panic (empty if none).
#[wasm_bindgen(js_name = lastPanic)]
pub fn last_panic() -> String {
    PANIC.with(|p| p.try_borrow().map(|s| s.clone()).unwrap_or_default())
}

// ---------------------------------------------------------------- JSON values

/// Parse JSON text in the canonical view encoding into a [`Value`].
fn parse_view(text: &str) -> R<Value> {
    json::from_view(&json::parse(text).map_err(derr)?).map_err(derr)
}

/// A [`Value`] as canonical-view JSON text.
fn write_view(v: &Value) -> R<String> {
    json::to_string(&json::to_view(v)).map_err(derr)
}

fn int_value(i: i128) -> Value {
    i64::try_from(i)
        .map(Value::Int)
        .unwrap_or(Value::Float(i as f64))
}

/// Positional arguments of a call.
struct Args {
    name: &'static str,
    items: Vec<Value>,
}

impl Args {
    fn parse(name: &'static str, text: &str) -> R<Args> {
        match parse_view(text)? {
            Value::List(items) => Ok(Args { name, items }),
            _ => Err(arg("arguments must be a JSON array")),
        }
    }
    fn get(&self, i: usize) -> Option<&Value> {
        self.items.get(i).filter(|v| !matches!(v, Value::None))
    }
    fn value(&self, i: usize) -> Value {
        self.items.get(i).cloned().unwrap_or(Value::None)
    }
    fn str(&self, i: usize, what: &str) -> R<String> {
        match self.get(i) {
            Some(Value::Str(s)) => Ok(s.clone()),
            Some(v) => Err(arg(format!(
                "{}: {what} must be a string, got {}",
                self.name,
                v.type_name()
            ))),
            None => Err(arg(format!("{}: {what} is required", self.name))),
        }
    }
    fn str_or(&self, i: usize, what: &str, default: &str) -> R<String> {
        if self.get(i).is_none() {
            Ok(default.into())
        } else {
            self.str(i, what)
        }
    }
    fn int_or(&self, i: usize, what: &str, default: i64) -> R<i64> {
        match self.get(i) {
            None => Ok(default),
            Some(Value::Int(n)) => Ok(*n),
            Some(Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
            Some(v) => Err(arg(format!(
                "{}: {what} must be an integer, got {}",
                self.name,
                v.type_name()
            ))),
        }
    }
    fn uint_or(&self, i: usize, what: &str, default: u64) -> R<u64> {
        let n = self.int_or(i, what, default as i64)?;
        u64::try_from(n).map_err(|_| {
            arg(format!(
                "{}: {what} must not be negative, got {n}",
                self.name
            ))
        })
    }
    fn f64_or(&self, i: usize, what: &str, default: f64) -> R<f64> {
        match self.get(i) {
            None => Ok(default),
            Some(v) => match v.as_f64() {
                Some(f) if f.is_finite() => Ok(f),
                _ => Err(arg(format!(
                    "{}: {what} must be a finite number",
                    self.name
                ))),
            },
        }
    }
    fn ts(&self, i: usize, what: &str) -> R<Timestamp> {
        match self.get(i) {
            None => Ok(Timestamp::from_int(0)),
            Some(v) => {
                if matches!(v, Value::Float(f) if !f.is_finite()) {
                    return Err(arg(format!(
                        "{}: {what} must be a finite number",
                        self.name
                    )));
                }
                Timestamp::from_value(v, self.name, what).map_err(derr)
            }
        }
    }
}

// ---------------------------------------------------------------- the object

/// One CRDT object of any wire type.
#[wasm_bindgen]
pub struct Crdt {
    inner: AnyCrdt,
    /// Payload encoding of a decoded frame (re-encoding reproduces it).
    encoding: Option<PayloadEncoding>,
}

fn wrap(inner: AnyCrdt) -> Crdt {
    Crdt {
        inner,
        encoding: None,
    }
}

#[wasm_bindgen]
impl Crdt {
    /// Decode one frame.
    pub fn decode(bytes: &[u8]) -> R<Crdt> {
        let (inner, enc) = AnyCrdt::decode(bytes, &Limits::DEFAULT).map_err(derr)?;
        Ok(Crdt {
            inner,
            encoding: Some(enc),
        })
    }

    /// A new empty object of a type, with constructor parameters as a JSON
    /// array (`hll`: `[precision]`, `bloom`: `[capacity, fp_rate]`, `cms`:
    /// `[width, depth]`, `lww_register`: `[value, timestamp, node_id]`,
    /// `vector_clock`: `[{node: count}]`, `agent_state`: `[agent_id]`).
    pub fn create(type_name: &str, params: &str) -> R<Crdt> {
        let a = Args::parse("constructor", params)?;
        let inner =
            match type_name {
                "g_counter" => AnyCrdt::GCounter(GCounter::new()),
                "pn_counter" => AnyCrdt::PNCounter(PNCounter::new()),
                "lww_register" => AnyCrdt::LwwRegister(LwwRegister::new(
                    a.value(0),
                    a.ts(1, "timestamp")?,
                    a.str_or(2, "node_id", "")?,
                )),
                "or_set" => AnyCrdt::OrSet(OrSet::new()),
                "lww_map" => AnyCrdt::LwwMap(LwwMap::new()),
                "hll" => {
                    let p = a.int_or(0, "precision", 14)?;
                    let p = u8::try_from(p)
                        .map_err(|_| arg(format!("precision must be 4-18, got {p}")))?;
                    AnyCrdt::Hll(MergeableHll::new(p).map_err(derr)?)
                }
                "bloom" => {
                    let cap = a.int_or(0, "capacity", 10000)?;
                    if cap <= 0 {
                        return Err(arg(format!("capacity must be positive, got {cap}")));
                    }
                    AnyCrdt::Bloom(
                        MergeableBloom::new(cap, a.f64_or(1, "fp_rate", 0.01)?).map_err(derr)?,
                    )
                }
                "cms" => {
                    let w = a.int_or(0, "width", 2000)?;
                    let d = a.int_or(1, "depth", 7)?;
                    if w <= 0 || d <= 0 || w.saturating_mul(d) > 1 << 26 {
                        return Err(arg(format!(
                        "width and depth must be positive (and width*depth <= 2^26), got {w}x{d}"
                    )));
                    }
                    AnyCrdt::Cms(MergeableCms::new(w, d).map_err(derr)?)
                }
                "vector_clock" => {
                    let mut vc = VectorClock::new();
                    if let Some(m) = a.get(0) {
                        let entries = m
                            .as_map()
                            .ok_or_else(|| arg("vector_clock: clocks must be an object"))?;
                        let mut pairs = Vec::new();
                        for (k, v) in entries {
                            let k = k
                                .as_str()
                                .ok_or_else(|| arg("vector_clock: node ids must be strings"))?;
                            let n = v.as_int().and_then(|n| u64::try_from(n).ok()).ok_or_else(
                                || arg("vector_clock: counts must be non-negative integers"),
                            )?;
                            pairs.push((k, n));
                        }
                        vc = VectorClock::from_pairs(pairs);
                    }
                    AnyCrdt::VectorClock(vc)
                }
                "agent_state" => {
                    let mut s = AgentState::new(a.str(0, "agent_id")?);
                    s.created_at = a.f64_or(1, "created_at", 0.0)?;
                    AnyCrdt::AgentState(s)
                }
                other => return Err(arg(format!("no constructor for type {other:?}"))),
            };
        Ok(wrap(inner))
    }

    /// Rebuild from canonical JSON view text `{"type": ..., "value": ...}`.
    #[wasm_bindgen(js_name = fromJsonView)]
    pub fn from_json_view(text: &str) -> R<Crdt> {
        let v = json::parse(text).map_err(derr)?;
        Ok(wrap(AnyCrdt::from_json_view(&v).map_err(derr)?))
    }

    /// The `peek_type` name.
    #[wasm_bindgen(getter, js_name = typeName)]
    pub fn type_name(&self) -> String {
        self.inner.type_name().into()
    }

    /// Encode as a frame. A decoded, unmodified object keeps its payload
    /// encoding (JSON or msgpack), so reference frames re-encode identically.
    pub fn encode(&self, compress: bool) -> R<Vec<u8>> {
        match self.encoding {
            Some(e) => self.inner.encode_with(e, compress),
            None => self.inner.encode(compress),
        }
        .map_err(derr)
    }

    /// Merge with another object of the same type into a new object.
    pub fn merge(&self, other: &Crdt) -> R<Crdt> {
        Ok(wrap(self.inner.merge(&other.inner).map_err(merr)?))
    }

    /// A deep copy.
    #[wasm_bindgen(js_name = clone)]
    pub fn duplicate(&self) -> Crdt {
        Crdt {
            inner: self.inner.clone(),
            encoding: self.encoding,
        }
    }

    /// Whether two objects have the same state.
    pub fn equals(&self, other: &Crdt) -> bool {
        self.inner == other.inner
    }

    /// Canonical JSON view text.
    #[wasm_bindgen(js_name = jsonView)]
    pub fn json_view(&self) -> R<String> {
        json::to_string(&self.inner.to_json_view()).map_err(derr)
    }

    /// The payload value (the reference's `to_dict()`), as canonical-view JSON text.
    #[wasm_bindgen(js_name = toDict)]
    pub fn to_dict(&self) -> R<String> {
        write_view(&self.inner.to_value())
    }

    /// Vector clock comparison: `before`, `after`, `equal` or `concurrent`.
    pub fn compare(&self, other: &Crdt) -> R<String> {
        match (&self.inner, &other.inner) {
            (AnyCrdt::VectorClock(a), AnyCrdt::VectorClock(b)) => Ok(match a.compare(b) {
                Causality::Before => "before",
                Causality::After => "after",
                Causality::Equal => "equal",
                Causality::Concurrent => "concurrent",
            }
            .into()),
            _ => Err(arg("compare needs two vector clocks")),
        }
    }

    /// Call a typed method: `args` is a JSON array of canonical-view values;
    /// the result is canonical-view JSON text (`null` for mutators).
    pub fn call(&mut self, method: &str, args: &str) -> R<String> {
        let ty = self.inner.type_name();
        let a = Args::parse(ty, args)?;
        let out = self.dispatch(method, &a)?;
        write_view(&out)
    }
}

fn unknown(ty: &str, method: &str) -> JsValue {
    arg(format!("{ty} has no method {method:?}"))
}

fn items(a: &Args, i: usize) -> R<Vec<Value>> {
    match a.get(i) {
        Some(Value::List(v)) | Some(Value::Set(v)) => Ok(v.clone()),
        _ => Err(arg(format!("{}: items must be an array", a.name))),
    }
}

fn counter_amount(a: &Args, i: usize) -> R<u64> {
    a.uint_or(i, "amount", 1)
}

fn agent_amount(a: &Args, i: usize) -> R<u32> {
    let n = a.uint_or(i, "amount", 1)?;
    u32::try_from(n).map_err(|_| arg(format!("{}: amount must be below 2^32", a.name)))
}

impl Crdt {
    fn dispatch(&mut self, m: &str, a: &Args) -> R<Value> {
        let ty = self.inner.type_name();
        let mutated = !matches!(
            m,
            "value"
                | "get"
                | "contains"
                | "cardinality"
                | "standardError"
                | "estimate"
                | "total"
                | "timestamp"
                | "nodeId"
                | "counts"
                | "precision"
                | "size"
                | "numHashes"
                | "capacity"
                | "fpRate"
                | "estimatedFpRate"
                | "count"
                | "width"
                | "depth"
                | "getFact"
                | "listFacts"
                | "hasTag"
                | "tags"
                | "counterValue"
                | "messages"
                | "agentId"
                | "dominates"
        );
        if mutated {
            self.encoding = None;
        }
        let none = Value::None;
        Ok(match &mut self.inner {
            AnyCrdt::GCounter(c) => match m {
                "value" => int_value(c.value()),
                "increment" => {
                    c.increment(&a.str(0, "node_id")?, counter_amount(a, 1)?);
                    none
                }
                "get" => Value::Int(c.get(&a.str(0, "node_id")?)),
                "counts" => Value::Map(
                    c.counts()
                        .map(|(k, v)| (k.clone(), Value::Int(v)))
                        .collect(),
                ),
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::PNCounter(c) => match m {
                "value" => int_value(c.value()),
                "increment" => {
                    c.increment(&a.str(0, "node_id")?, counter_amount(a, 1)?);
                    none
                }
                "decrement" => {
                    c.decrement(&a.str(0, "node_id")?, counter_amount(a, 1)?);
                    none
                }
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::LwwRegister(r) => match m {
                "value" => r.value().clone(),
                "timestamp" => r.timestamp().to_value(),
                "nodeId" => Value::str(r.node_id()),
                "set" => {
                    r.set(
                        a.value(0),
                        a.ts(1, "timestamp")?,
                        a.str_or(2, "node_id", "")?,
                    );
                    none
                }
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::OrSet(s) => match m {
                "value" => Value::List(s.value()),
                "add" => {
                    let tag = a.str(1, "tag")?;
                    s.add(&a.value(0), tag);
                    none
                }
                "remove" => {
                    s.remove(&a.value(0));
                    none
                }
                "contains" => Value::Bool(s.contains(&a.value(0))),
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::LwwMap(map) => match m {
                "value" => Value::Map(
                    map.value()
                        .into_iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                "get" => map.get(&a.str(0, "key")?).cloned().unwrap_or(Value::None),
                "set" => {
                    map.set(
                        &a.str(0, "key")?,
                        a.value(1),
                        a.ts(2, "timestamp")?,
                        &a.str_or(3, "node_id", "")?,
                    );
                    none
                }
                "delete" => {
                    map.delete(&a.str(0, "key")?, a.ts(1, "timestamp")?);
                    none
                }
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::Hll(h) => match m {
                "add" => {
                    h.add(&a.value(0));
                    none
                }
                "addAll" => {
                    h.add_values(&items(a, 0)?);
                    none
                }
                "cardinality" => Value::Float(h.cardinality()),
                "standardError" => Value::Float(h.standard_error()),
                "precision" => Value::Int(h.precision() as i64),
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::Bloom(b) => match m {
                "add" => {
                    b.add(&a.value(0));
                    none
                }
                "addAll" => {
                    b.add_values(&items(a, 0)?);
                    none
                }
                "contains" => Value::Bool(b.contains(&a.value(0))),
                "estimatedFpRate" => Value::Float(b.estimated_fp_rate()),
                "count" => Value::Int(b.count()),
                "size" => Value::Int(b.size() as i64),
                "numHashes" => Value::Int(b.num_hashes() as i64),
                "capacity" => Value::Int(b.capacity()),
                "fpRate" => Value::Float(b.fp_rate()),
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::Cms(c) => match m {
                "add" => {
                    let n = a.int_or(1, "count", 1)?;
                    c.add(&a.value(0), n);
                    none
                }
                "addAll" => {
                    c.add_values(&items(a, 0)?);
                    none
                }
                "estimate" => Value::Int(c.estimate(&a.value(0))),
                "total" => Value::Int(c.total()),
                "width" => Value::Int(c.width() as i64),
                "depth" => Value::Int(c.depth() as i64),
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::VectorClock(vc) => match m {
                "value" => Value::Map(
                    vc.iter()
                        .map(|(k, v)| (Value::str(k), Value::Int(v as i64)))
                        .collect(),
                ),
                "get" => Value::Int(vc.get(&a.str(0, "node_id")?) as i64),
                "increment" => {
                    vc.increment(&a.str(0, "node_id")?);
                    none
                }
                _ => return Err(unknown(ty, m)),
            },
            AnyCrdt::AgentState(s) => match m {
                "agentId" => Value::str(s.agent_id.as_str()),
                "addFact" => {
                    let key = a.str(0, "key")?;
                    s.add_fact(
                        key,
                        a.value(1),
                        a.f64_or(2, "confidence", 1.0)?,
                        a.f64_or(3, "timestamp", 0.0)?,
                    );
                    none
                }
                "deleteFact" => {
                    s.delete_fact(a.str(0, "key")?, a.f64_or(1, "timestamp", 0.0)?);
                    none
                }
                "getFact" => s
                    .get_fact(&a.str(0, "key")?)
                    .map(|f| f.to_value())
                    .unwrap_or(Value::None),
                "listFacts" => Value::Map(
                    s.list_facts()
                        .into_iter()
                        .map(|(k, f)| (Value::str(k), f.to_value()))
                        .collect(),
                ),
                "addTag" => {
                    s.add_tag(a.str(0, "tag")?);
                    none
                }
                "removeTag" => {
                    s.remove_tag(&a.str(0, "tag")?);
                    none
                }
                "hasTag" => Value::Bool(s.has_tag(&a.str(0, "tag")?)),
                "tags" => Value::List(s.tags().into_iter().map(Value::str).collect()),
                "increment" => {
                    s.increment(a.str(0, "name")?, agent_amount(a, 1)?);
                    none
                }
                "decrement" => {
                    s.decrement(a.str(0, "name")?, agent_amount(a, 1)?);
                    none
                }
                "counterValue" => int_value(s.counter_value(&a.str(0, "name")?)),
                "appendMessage" => {
                    let role = a.str_or(1, "role", "user")?;
                    let meta = a.value(2);
                    if !matches!(meta, Value::None | Value::Map(_))
                        || meta
                            .as_map()
                            .is_some_and(|m| m.iter().any(|(k, _)| k.as_str().is_none()))
                    {
                        return Err(arg("appendMessage: metadata must be an object"));
                    }
                    s.append_message(a.value(0), &role, meta, a.f64_or(3, "timestamp", 0.0)?);
                    none
                }
                "messages" => Value::List(s.messages().into_iter().cloned().collect()),
                _ => return Err(unknown(ty, m)),
            },
            _ => return Err(unknown(ty, m)),
        })
    }
}

// ---------------------------------------------------------------- free functions

/// The type name of a frame (header only).
#[wasm_bindgen(js_name = peekType)]
pub fn peek_type(bytes: &[u8]) -> R<String> {
    wire::peek_type(bytes).map(String::from).map_err(derr)
}

/// The reference's `wire_size` dict, as JSON text.
#[wasm_bindgen(js_name = wireSize)]
pub fn wire_size(bytes: &[u8]) -> R<String> {
    let w = wire::wire_size(bytes).map_err(derr)?;
    let v = Value::map([
        ("total_bytes", Value::Int(w.total_bytes as i64)),
        ("header_bytes", Value::Int(w.header_bytes as i64)),
        ("payload_bytes", Value::Int(w.payload_bytes as i64)),
        ("compressed", Value::Bool(w.compressed)),
        ("protocol_version", Value::Int(w.protocol_version as i64)),
        ("type_name", Value::str(w.type_name)),
    ]);
    json::to_string(&v).map_err(derr)
}

/// Split a batch into frame boundaries: `[start0, end0, start1, end1, ...]`.
#[wasm_bindgen(js_name = splitBatch)]
pub fn split_batch(bytes: &[u8]) -> R<Vec<u32>> {
    let frames = wire::batch::split_batch(bytes, &Limits::DEFAULT).map_err(derr)?;
    let base = bytes.as_ptr() as usize;
    let mut out = Vec::with_capacity(frames.len() * 2);
    for f in frames {
        let start = f.as_ptr() as usize - base;
        out.push(start as u32);
        out.push((start + f.len()) as u32);
    }
    Ok(out)
}

/// Join frames (concatenated in `frames`, with their lengths) into a batch.
#[wasm_bindgen(js_name = joinBatch)]
pub fn join_batch(frames: &[u8], lengths: &[u32]) -> R<Vec<u8>> {
    let mut parts = Vec::with_capacity(lengths.len());
    let mut pos = 0usize;
    for &n in lengths {
        let end = pos
            .checked_add(n as usize)
            .filter(|&e| e <= frames.len())
            .ok_or_else(|| arg("batch lengths exceed the data"))?;
        parts.push(&frames[pos..end]);
        pos = end;
    }
    if pos != frames.len() {
        return Err(arg("batch lengths do not cover the data"));
    }
    Ok(wire::batch::encode_batch(&parts))
}

/// Whether a type name is known to this build.
#[wasm_bindgen(js_name = isTypeName)]
pub fn is_type_name(name: &str) -> bool {
    TypeTag::from_name(name).is_some()
}

// ---------------------------------------------------------------- agent memory

/// The reference's `ContextMerge`: merge memory lists.
#[wasm_bindgen]
pub struct ContextMergeHandle {
    inner: ContextMerge,
}

fn memories(v: &Value, which: usize) -> R<Vec<Memory>> {
    let list = v
        .as_list()
        .ok_or_else(|| arg(format!("input {which} must be an array of memories")))?;
    list.iter()
        .enumerate()
        .map(|(i, m)| {
            Memory::from_value(m)
                .map_err(|e| err("memory", format!("input {which}, memory {i}: {e}")))
        })
        .collect()
}

#[wasm_bindgen]
impl ContextMergeHandle {
    /// `strategy`: lww, max_confidence, priority, union; `budget` < 0 means none.
    #[wasm_bindgen(constructor)]
    pub fn new(
        strategy: &str,
        budget: f64,
        min_confidence: f64,
        now: f64,
        agent_priority: &str,
    ) -> R<ContextMergeHandle> {
        let strategy = Strategy::parse(strategy).map_err(arg)?;
        let mut inner = ContextMerge::new(strategy);
        if budget.is_nan() || budget.fract() != 0.0 || budget > u32::MAX as f64 {
            return Err(arg("budget must be a non-negative integer"));
        }
        inner.budget = (budget >= 0.0).then_some(budget as usize);
        if !min_confidence.is_finite() || !now.is_finite() {
            return Err(arg("minConfidence and now must be finite numbers"));
        }
        inner.min_confidence = min_confidence;
        inner.now = now;
        if !agent_priority.is_empty() {
            let v = json::parse(agent_priority).map_err(derr)?;
            for (k, p) in v
                .as_map()
                .ok_or_else(|| arg("agentPriority must be an object"))?
            {
                let k = k
                    .as_str()
                    .ok_or_else(|| arg("agentPriority keys must be strings"))?;
                let p = p
                    .as_int()
                    .ok_or_else(|| arg("agentPriority values must be integers"))?;
                inner.agent_priority.insert(k.into(), p);
            }
        }
        Ok(ContextMergeHandle { inner })
    }

    /// Merge a JSON array of memory arrays; returns `{"memories": [...], "manifest": {...}}` JSON.
    #[wasm_bindgen(js_name = mergeMany)]
    pub fn merge_many(&self, inputs: &str) -> R<String> {
        let v = json::parse(inputs).map_err(derr)?;
        let lists = v
            .as_list()
            .ok_or_else(|| arg("mergeMany needs an array of memory arrays"))?;
        let lists = lists
            .iter()
            .enumerate()
            .map(|(i, l)| memories(l, i))
            .collect::<R<Vec<_>>>()?;
        let out = self.inner.merge_owned(lists);
        let mems = Value::List(out.memories.iter().map(Memory::to_value).collect());
        let res = Value::map([("memories", mems), ("manifest", out.manifest.to_value())]);
        json::to_string(&res).map_err(derr)
    }
}

// ---------------------------------------------------------------- records

/// Options of [`merge_records`] from a JSON object (`key`, `prefer`,
/// `timestampCol`, `schema` (the reference's `MergeSchema.to_dict()`),
/// `dedup`, `fuzzyDedup`, `fuzzyThreshold`).
fn record_options(text: &str) -> R<crdt_merge_core::table::MergeOptions> {
    if text.trim().is_empty() {
        return Ok(crdt_merge_core::table::MergeOptions::default());
    }
    crdt_merge_core::table::MergeOptions::from_value(&json::parse(text).map_err(derr)?).map_err(arg)
}

fn record_rows(text: &str, side: &str) -> R<crdt_merge_core::table::Table> {
    crdt_merge_core::table::Table::from_record_list(&json::parse(text).map_err(derr)?, side)
        .map_err(arg)
}

/// Keyed merge of two record arrays given as JSON text (the reference's
/// `merge()`); the merged rows as JSON text.
#[wasm_bindgen(js_name = mergeRecords)]
pub fn merge_records(a: &str, b: &str, options: &str) -> R<String> {
    let o = record_options(options)?;
    let t = crdt_merge_core::table::merge_owned(record_rows(a, "a")?, record_rows(b, "b")?, &o)
        .map_err(arg)?;
    json::to_string(&Value::List(t.to_dict_rows())).map_err(derr)
}

/// [`merge_records`] plus the provenance log: JSON text of
/// `{"rows": [...], "log": {...}, "summary": "...", "csv": "..."}`.
#[wasm_bindgen(js_name = mergeRecordsWithProvenance)]
pub fn merge_records_with_provenance(a: &str, b: &str, options: &str) -> R<String> {
    let o = record_options(options)?;
    let (t, log) = crdt_merge_core::table::merge_with_provenance(
        &record_rows(a, "a")?,
        &record_rows(b, "b")?,
        &o,
    )
    .map_err(arg)?;
    let out = Value::Map(vec![
        (Value::str("rows"), Value::List(t.to_dict_rows())),
        (Value::str("log"), log.to_value()),
        (Value::str("summary"), Value::Str(log.summary())),
        (Value::str("csv"), Value::Str(log.to_csv().map_err(arg)?)),
    ]);
    json::to_string(&out).map_err(derr)
}

/// Deep merge of two JSON objects (the reference's `merge_dicts`).
#[wasm_bindgen(js_name = mergeDicts)]
pub fn merge_dicts(a: &str, b: &str) -> R<String> {
    let m = crdt_merge_core::table::merge_dicts(
        &json::parse(a).map_err(derr)?,
        &json::parse(b).map_err(derr)?,
        None,
        None,
    );
    json::to_string(&m).map_err(derr)
}

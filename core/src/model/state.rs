//! [`CrdtMergeState`]: the reference's `CRDTMergeState`, the layer that
//! makes every strategy order-free. The state is an OR-Set of model
//! contributions, each content-addressed by the reference's SHA-256
//! `merkle_hash`, with grow-only tombstones of contribution tags; `merge`
//! is set union, and [`CrdtMergeState::resolve`] applies the strategy once,
//! to the visible contributions in model-id order.
//!
//! Per model id the visible contribution is chosen by the conflict policy
//! from every live (non-tombstoned) contribution the replica has seen, so
//! superseded contributions are kept ("shadowed") until tombstoned: that is
//! what makes merge associative when a winner is removed elsewhere. The
//! JSON form is the reference's `to_dict()` (visible contributions) plus an
//! extra `shadowed` list; the reference reads it and ignores the extra key.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use super::error::ModelError;
use super::params::Params;
use super::strategy::{find, reference_methods, BaseUse, MergeInput};
use crate::error::{DecodeError, MergeError};
use crate::pyrepr::float_repr;
use crate::traits::{Merge, WireType};
use crate::value::Value;
use crate::wire::TypeTag;

/// How contributions with the same model id are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConflictResolution {
    /// Highest version; equal versions: smaller hash (the reference's default).
    HighestVersion,
    /// Latest timestamp; ties: smaller hash.
    LastWriteWins,
    /// Earliest timestamp; ties: smaller hash.
    FirstWriteWins,
}

impl ConflictResolution {
    /// The reference's name.
    pub fn name(self) -> &'static str {
        match self {
            ConflictResolution::HighestVersion => "highest_version",
            ConflictResolution::LastWriteWins => "last_write_wins",
            ConflictResolution::FirstWriteWins => "first_write_wins",
        }
    }
    /// Parse the reference's name.
    pub fn from_name(s: &str) -> Option<ConflictResolution> {
        Some(match s {
            "highest_version" => ConflictResolution::HighestVersion,
            "last_write_wins" => ConflictResolution::LastWriteWins,
            "first_write_wins" => ConflictResolution::FirstWriteWins,
            _ => return None,
        })
    }
}

/// A weight as the reference hashes it: `str(weight)` differs for `2` and `2.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weight {
    /// A Python int.
    Int(i64),
    /// A Python float.
    Float(f64),
}

impl Weight {
    /// As `f64`.
    pub fn value(self) -> f64 {
        match self {
            Weight::Int(i) => i as f64,
            Weight::Float(f) => f,
        }
    }
    fn py_str(self) -> String {
        match self {
            Weight::Int(i) => alloc::format!("{i}"),
            Weight::Float(f) => float_repr(f),
        }
    }
    fn to_value(self) -> Value {
        match self {
            Weight::Int(i) => Value::Int(i),
            Weight::Float(f) => Value::Float(f),
        }
    }
}

/// One model contribution (the reference's `MergeContribution`).
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// Model id.
    pub model_id: String,
    /// Tensor shape (C order).
    pub shape: Vec<usize>,
    /// Tensor values as float64 (what the reference hashes).
    pub tensor: Vec<f64>,
    /// Importance weight.
    pub weight: Weight,
    /// Version.
    pub version: i64,
    /// Free metadata (a map value).
    pub metadata: Value,
    /// Seconds since the epoch, given by the caller (no clock in core).
    pub timestamp: f64,
    merkle_hash: String,
}

impl Contribution {
    /// A contribution; the hash is computed as the reference does.
    pub fn new(
        model_id: &str,
        shape: Vec<usize>,
        tensor: Vec<f64>,
        weight: Weight,
        version: i64,
        timestamp: f64,
    ) -> Result<Contribution, ModelError> {
        if shape.iter().product::<usize>() != tensor.len() {
            return Err(ModelError::ShapeMismatch {
                tensor: model_id.to_string(),
                detail: alloc::format!("{} values for shape {shape:?}", tensor.len()),
            });
        }
        let merkle_hash = content_hash(model_id, &tensor, weight, version);
        Ok(Contribution {
            model_id: model_id.to_string(),
            shape,
            tensor,
            weight,
            version,
            metadata: Value::Map(Vec::new()),
            timestamp,
            merkle_hash,
        })
    }
    /// With metadata (a map value).
    pub fn with_metadata(mut self, metadata: Value) -> Contribution {
        self.metadata = metadata;
        self
    }
    /// SHA-256 hex of id, float64 bytes, `str(weight)`, `str(version)`.
    pub fn merkle_hash(&self) -> &str {
        &self.merkle_hash
    }
    /// The OR-Set tag `"{id}:v{version}:{hash[:8]}"`.
    pub fn tag(&self) -> String {
        alloc::format!(
            "{}:v{}:{}",
            self.model_id,
            self.version,
            &self.merkle_hash[..8]
        )
    }
}

/// The reference's content hash: SHA-256 over the UTF-8 model id, the
/// tensor's float64 little-endian bytes (C order), `str(weight)` and
/// `str(version)`, as lowercase hex.
pub fn content_hash(model_id: &str, tensor: &[f64], weight: Weight, version: i64) -> String {
    let mut h = Sha256::new();
    h.update(model_id.as_bytes());
    for x in tensor {
        h.update(x.to_le_bytes());
    }
    h.update(weight.py_str().as_bytes());
    h.update(alloc::format!("{version}").as_bytes());
    hex(&h.finalize())
}

/// The reference's id for an anonymous tensor: `auto_` + 12 hex digits of
/// SHA-256 of its float64 bytes.
pub fn auto_id(tensor: &[f64]) -> String {
    let mut h = Sha256::new();
    for x in tensor {
        h.update(x.to_le_bytes());
    }
    alloc::format!("auto_{}", &hex(&h.finalize())[..12])
}

fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(D[(x >> 4) as usize] as char);
        s.push(D[(x & 15) as usize] as char);
    }
    s
}

/// The merge state: strategy, optional base, seed, contributions, tombstones.
#[derive(Debug, Clone, PartialEq)]
pub struct CrdtMergeState {
    strategy: String,
    base: Option<(Vec<usize>, Vec<f64>)>,
    conflict: ConflictResolution,
    seed: i64,
    /// Live contributions by tag.
    live: BTreeMap<String, Contribution>,
    tombstones: BTreeSet<String>,
}

impl CrdtMergeState {
    /// An empty state for one of the reference's 26 strategy names.
    pub fn new(strategy: &str) -> Result<CrdtMergeState, ModelError> {
        find(reference_methods(), strategy)?;
        Ok(CrdtMergeState {
            strategy: strategy.to_string(),
            base: None,
            conflict: ConflictResolution::HighestVersion,
            seed: 42,
            live: BTreeMap::new(),
            tombstones: BTreeSet::new(),
        })
    }
    /// Builder: the base model.
    pub fn with_base(
        mut self,
        shape: Vec<usize>,
        values: Vec<f64>,
    ) -> Result<CrdtMergeState, ModelError> {
        if shape.iter().product::<usize>() != values.len() {
            return Err(ModelError::ShapeMismatch {
                tensor: "base".into(),
                detail: alloc::format!("{} values for shape {shape:?}", values.len()),
            });
        }
        self.base = Some((shape, values));
        Ok(self)
    }
    /// Builder: the seed of randomized strategies (default 42).
    pub fn with_seed(mut self, seed: i64) -> CrdtMergeState {
        self.seed = seed;
        self
    }
    /// Builder: the conflict policy (default highest version).
    pub fn with_conflict(mut self, c: ConflictResolution) -> CrdtMergeState {
        self.conflict = c;
        self
    }
    /// Strategy name.
    pub fn strategy(&self) -> &str {
        &self.strategy
    }
    /// Seed.
    pub fn seed(&self) -> i64 {
        self.seed
    }
    /// Base model (shape, values).
    pub fn base(&self) -> Option<(&[usize], &[f64])> {
        self.base
            .as_ref()
            .map(|(s, v)| (s.as_slice(), v.as_slice()))
    }
    /// Tombstoned tags.
    pub fn tombstones(&self) -> &BTreeSet<String> {
        &self.tombstones
    }

    fn better(&self, a: &Contribution, b: &Contribution) -> bool {
        let ord = match self.conflict {
            ConflictResolution::HighestVersion => b.version.cmp(&a.version),
            ConflictResolution::LastWriteWins => b.timestamp.total_cmp(&a.timestamp),
            ConflictResolution::FirstWriteWins => a.timestamp.total_cmp(&b.timestamp),
        };
        ord.then_with(|| a.merkle_hash.cmp(&b.merkle_hash)).is_lt()
    }

    /// The visible contribution of every model id, in id order.
    pub fn active(&self) -> BTreeMap<&str, &Contribution> {
        let mut out: BTreeMap<&str, &Contribution> = BTreeMap::new();
        for c in self.live.values() {
            match out.get(c.model_id.as_str()) {
                Some(cur) if !self.better(c, cur) => {}
                _ => {
                    out.insert(&c.model_id, c);
                }
            }
        }
        out
    }
    /// Every live contribution (visible or shadowed), in tag order.
    pub fn contributions(&self) -> impl Iterator<Item = &Contribution> {
        self.live.values()
    }
    /// Version vector: the highest live version of every model id. Merging
    /// takes the element-wise maximum (restricted to live contributions).
    pub fn version_vector(&self) -> BTreeMap<&str, i64> {
        let mut vv: BTreeMap<&str, i64> = BTreeMap::new();
        for c in self.live.values() {
            let e = vv.entry(&c.model_id).or_insert(c.version);
            *e = (*e).max(c.version);
        }
        vv
    }
    /// Visible model ids, sorted.
    pub fn model_ids(&self) -> Vec<&str> {
        self.active().into_keys().collect()
    }
    /// Number of visible contributions.
    pub fn len(&self) -> usize {
        self.active().len()
    }
    /// True without visible contributions.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }
    /// The visible contribution of `model_id`.
    pub fn get(&self, model_id: &str) -> Option<&Contribution> {
        self.active().get(model_id).copied()
    }

    fn check_shape(&self, shape: &[usize]) -> Result<(), ModelError> {
        if let Some(c) = self.live.values().next() {
            if c.shape != shape {
                return Err(ModelError::ShapeMismatch {
                    tensor: "contribution".into(),
                    detail: alloc::format!(
                        "shape {shape:?}, existing contributions have {:?}",
                        c.shape
                    ),
                });
            }
        }
        Ok(())
    }

    /// Add a contribution (a tombstoned tag stays removed).
    pub fn add(&mut self, c: Contribution) -> Result<&mut CrdtMergeState, ModelError> {
        self.check_shape(&c.shape)?;
        let tag = c.tag();
        if !self.tombstones.contains(&tag) {
            self.live.insert(tag, c);
        }
        Ok(self)
    }
    /// Add several contributions; on a shape error nothing is added.
    pub fn add_batch(&mut self, cs: Vec<Contribution>) -> Result<&mut CrdtMergeState, ModelError> {
        let mut shape = self.live.values().next().map(|c| c.shape.clone());
        for c in &cs {
            match &shape {
                Some(s) if *s != c.shape => {
                    return Err(ModelError::ShapeMismatch {
                        tensor: "contribution".into(),
                        detail: alloc::format!(
                            "shape {:?}, existing contributions have {s:?}",
                            c.shape
                        ),
                    })
                }
                Some(_) => {}
                None => shape = Some(c.shape.clone()),
            }
        }
        for c in cs {
            self.add(c)?;
        }
        Ok(self)
    }
    /// Remove every contribution of `model_id` this replica has seen.
    pub fn remove(&mut self, model_id: &str) -> &mut CrdtMergeState {
        let tags: Vec<String> = self
            .live
            .iter()
            .filter(|(_, c)| c.model_id == model_id)
            .map(|(t, _)| t.clone())
            .collect();
        for t in tags {
            self.live.remove(&t);
            self.tombstones.insert(t);
        }
        self
    }

    /// Join of many states (same as pairwise merges in any order).
    pub fn merge_many(states: &[CrdtMergeState]) -> Result<CrdtMergeState, ModelError> {
        let (first, rest) = states
            .split_first()
            .ok_or_else(|| ModelError::BadState("merge_many needs at least one state".into()))?;
        rest.iter().try_fold(first.clone(), |acc, s| acc.join(s))
    }

    /// Join two states: union of contributions and tombstones. Strategy and
    /// conflict policy must agree; seed: the smaller; base: the one with the
    /// smaller content hash when both have one.
    pub fn join(&self, other: &CrdtMergeState) -> Result<CrdtMergeState, ModelError> {
        if self.strategy != other.strategy || self.conflict != other.conflict {
            return Err(ModelError::BadState(alloc::format!(
                "cannot merge states of strategy {:?}/{} and {:?}/{}",
                self.strategy,
                self.conflict.name(),
                other.strategy,
                other.conflict.name()
            )));
        }
        let base = match (&self.base, &other.base) {
            (Some(a), Some(b)) => {
                let ha = content_hash("", &a.1, Weight::Int(0), a.1.len() as i64);
                let hb = content_hash("", &b.1, Weight::Int(0), b.1.len() as i64);
                Some(if (hb.as_str(), &b.0) < (ha.as_str(), &a.0) {
                    b.clone()
                } else {
                    a.clone()
                })
            }
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        let tombstones: BTreeSet<String> =
            self.tombstones.union(&other.tombstones).cloned().collect();
        let mut live = BTreeMap::new();
        for (t, c) in self.live.iter().chain(other.live.iter()) {
            if !tombstones.contains(t) {
                live.entry(t.clone()).or_insert_with(|| c.clone());
            }
        }
        Ok(CrdtMergeState {
            strategy: self.strategy.clone(),
            base,
            conflict: self.conflict,
            seed: self.seed.min(other.seed),
            live,
            tombstones,
        })
    }

    /// Apply the strategy to the visible contributions in model-id order
    /// (weights from the contributions; base passed to the methods that
    /// require one; the state's seed). An empty state resolves to its base.
    pub fn resolve(&self) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        self.resolve_with(&Params::new())
    }

    /// [`CrdtMergeState::resolve`] with method parameters.
    pub fn resolve_with(&self, params: &Params) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
        let active = self.active();
        if active.is_empty() {
            return match &self.base {
                Some((s, v)) => Ok((s.clone(), v.iter().map(|&x| x as f32).collect())),
                None => Err(ModelError::BadState(
                    "cannot resolve an empty state without a base".into(),
                )),
            };
        }
        let method = find(reference_methods(), &self.strategy)?;
        let shape = active
            .values()
            .next()
            .map(|c| c.shape.clone())
            .unwrap_or_default();
        let tensors: Vec<Vec<f32>> = active
            .values()
            .map(|c| c.tensor.iter().map(|&x| x as f32).collect())
            .collect();
        let refs: Vec<&[f32]> = tensors.iter().map(|t| t.as_slice()).collect();
        let mp: Vec<Params> = active
            .values()
            .map(|c| Params::new().num("weight", c.weight.value()))
            .collect();
        let base32: Option<Vec<f32>> = match (method.base, &self.base) {
            (BaseUse::Required, Some((bs, bv))) => {
                if *bs != shape {
                    return Err(ModelError::ShapeMismatch {
                        tensor: "base".into(),
                        detail: alloc::format!("base shape {bs:?}, contributions {shape:?}"),
                    });
                }
                Some(bv.iter().map(|&x| x as f32).collect())
            }
            _ => None,
        };
        let input = MergeInput {
            tensor: &self.strategy,
            shape: &shape,
            base: base32.as_deref(),
            models: &refs,
            model_params: &mp,
            params,
            seed: self.seed as u64,
        };
        let out = method.merge_vec(&input)?;
        Ok((shape, out))
    }
}

impl Merge for CrdtMergeState {
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        self.join(other).map_err(|e| MergeError::Invalid {
            type_name: "crdt_merge_state",
            msg: e.to_string(),
        })
    }
}

// ---- JSON / payload value -------------------------------------------------

fn nested(shape: &[usize], v: &[f64]) -> Value {
    match shape.split_first() {
        None => v.first().map_or(Value::Float(0.0), |x| Value::Float(*x)),
        Some((&n, rest)) => {
            let step: usize = rest.iter().product();
            Value::List(
                (0..n)
                    .map(|i| nested(rest, &v[i * step..(i + 1) * step]))
                    .collect(),
            )
        }
    }
}

fn flatten(v: &Value, depth: usize) -> Result<(Vec<usize>, Vec<f64>), DecodeError> {
    let bad = |m: &str| DecodeError::shape("crdt_merge_state", m);
    if depth > 32 {
        return Err(bad("tensor nested too deeply"));
    }
    match v {
        Value::Int(i) => Ok((vec![], vec![*i as f64])),
        Value::Float(f) => Ok((vec![], vec![*f])),
        Value::Bool(b) => Ok((vec![], vec![*b as u8 as f64])),
        Value::List(items) => {
            let mut shape: Option<Vec<usize>> = None;
            let mut out = Vec::new();
            for it in items {
                let (s, vals) = flatten(it, depth + 1)?;
                match &shape {
                    Some(prev) if *prev != s => return Err(bad("ragged tensor")),
                    Some(_) => {}
                    None => shape = Some(s),
                }
                out.extend(vals);
            }
            let mut full = vec![items.len()];
            full.extend(shape.unwrap_or_default());
            Ok((full, out))
        }
        _ => Err(bad("tensor must be numbers or nested lists of numbers")),
    }
}

fn contribution_value(c: &Contribution) -> Value {
    Value::map([
        ("model_id", Value::str(c.model_id.clone())),
        ("tensor", nested(&c.shape, &c.tensor)),
        ("weight", c.weight.to_value()),
        ("version", Value::Int(c.version)),
        ("metadata", c.metadata.clone()),
        ("timestamp", Value::Float(c.timestamp)),
        ("merkle_hash", Value::str(c.merkle_hash.clone())),
    ])
}

fn contribution_from(v: &Value) -> Result<Contribution, DecodeError> {
    let bad = |m: &str| DecodeError::shape("crdt_merge_state", m);
    let id = v
        .get("model_id")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("contribution without string model_id"))?;
    let (shape, tensor) = flatten(
        v.get("tensor")
            .ok_or_else(|| bad("contribution without tensor"))?,
        0,
    )?;
    let weight = match v.get("weight") {
        Some(Value::Int(i)) => Weight::Int(*i),
        Some(Value::Float(f)) => Weight::Float(*f),
        _ => return Err(bad("contribution weight must be a number")),
    };
    let version = match v.get("version") {
        None => 1,
        Some(Value::Int(i)) => *i,
        _ => return Err(bad("contribution version must be an int")),
    };
    let timestamp = match v.get("timestamp") {
        Some(Value::Float(f)) => *f,
        Some(Value::Int(i)) => *i as f64,
        None | Some(Value::None) => 0.0,
        _ => return Err(bad("contribution timestamp must be a number")),
    };
    let metadata = match v.get("metadata") {
        None | Some(Value::None) => Value::Map(Vec::new()),
        Some(m) => m.clone(),
    };
    Contribution::new(id, shape, tensor, weight, version, timestamp)
        .map(|c| c.with_metadata(metadata))
        .map_err(|e| bad(&e.to_string()))
}

impl WireType for CrdtMergeState {
    const TAG: TypeTag = TypeTag::CrdtMergeState;

    /// The reference's `to_dict()` plus `shadowed` (live contributions that
    /// another contribution of the same id currently hides).
    fn to_value(&self) -> Value {
        let active = self.active();
        let visible: BTreeSet<&str> = active.values().map(|c| c.merkle_hash.as_str()).collect();
        let contributions = Value::Map(
            active
                .iter()
                .map(|(id, c)| (Value::str(*id), contribution_value(c)))
                .collect(),
        );
        let shadowed = Value::List(
            self.live
                .values()
                .filter(|c| !visible.contains(c.merkle_hash.as_str()))
                .map(contribution_value)
                .collect(),
        );
        Value::map([
            ("type", Value::str("CRDTMergeState")),
            ("version", Value::Int(1)),
            ("strategy_name", Value::str(self.strategy.clone())),
            (
                "base",
                self.base
                    .as_ref()
                    .map_or(Value::None, |(s, v)| nested(s, v)),
            ),
            ("conflict_resolution", Value::str(self.conflict.name())),
            ("seed", Value::Int(self.seed)),
            ("contributions", contributions),
            (
                "tombstones",
                Value::List(
                    self.tombstones
                        .iter()
                        .map(|t| Value::str(t.clone()))
                        .collect(),
                ),
            ),
            ("shadowed", shadowed),
        ])
    }

    fn from_value(v: &Value) -> Result<Self, DecodeError> {
        let bad = |m: &str| DecodeError::shape("crdt_merge_state", m);
        let strategy = v
            .get("strategy_name")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("missing strategy_name"))?;
        let mut s = CrdtMergeState::new(strategy).map_err(|e| bad(&e.to_string()))?;
        if let Some(b) = v.get("base").filter(|b| !matches!(b, Value::None)) {
            let (shape, vals) = flatten(b, 0)?;
            s.base = Some((shape, vals));
        }
        if let Some(c) = v.get("conflict_resolution") {
            let name = c
                .as_str()
                .ok_or_else(|| bad("conflict_resolution must be a string"))?;
            s.conflict = ConflictResolution::from_name(name)
                .ok_or_else(|| bad("unknown conflict_resolution"))?;
        }
        match v.get("seed") {
            None | Some(Value::None) => {}
            Some(Value::Int(i)) => s.seed = *i,
            _ => return Err(bad("seed must be an int")),
        }
        if let Some(ts) = v.get("tombstones") {
            for t in ts
                .as_list()
                .ok_or_else(|| bad("tombstones must be a list"))?
            {
                s.tombstones.insert(
                    t.as_str()
                        .ok_or_else(|| bad("tombstone must be a string"))?
                        .to_string(),
                );
            }
        }
        let mut all = Vec::new();
        if let Some(cs) = v.get("contributions") {
            for (_, c) in cs
                .as_map()
                .ok_or_else(|| bad("contributions must be a map"))?
            {
                all.push(contribution_from(c)?);
            }
        }
        if let Some(sh) = v.get("shadowed") {
            for c in sh.as_list().ok_or_else(|| bad("shadowed must be a list"))? {
                all.push(contribution_from(c)?);
            }
        }
        for c in all {
            s.add(c).map_err(|e| bad(&e.to_string()))?;
        }
        Ok(s)
    }
}

//! Model weights for the foreign languages: tensors cross the boundary as
//! little-endian byte buffers (`float32` for merge inputs and outputs,
//! `float64` for `CRDTMergeState` contributions, which the reference hashes
//! as float64), parameters as JSON objects. No merge logic lives here:
//! everything is `crdt_merge_core::model`.

use std::sync::{Arc, Mutex};

use crdt_merge_core::model::state::{auto_id, Contribution, CrdtMergeState, Weight};
use crdt_merge_core::model::strategy::{self, mergekit_methods, reference_methods, BaseUse};
use crdt_merge_core::model::{MergeInput, ModelError, ParamValue, Params};
use crdt_merge_core::traits::{Merge, WireType};
use crdt_merge_core::wire::Limits;
use crdt_merge_core::{json, AnyCrdt, Value};

use crate::{arg, guard, lock, CrdtError, R};

impl From<ModelError> for CrdtError {
    fn from(e: ModelError) -> Self {
        CrdtError::Argument {
            code: "model".into(),
            detail: e.to_string(),
        }
    }
}

fn f32s(bytes: &[u8], what: &str) -> R<Vec<f32>> {
    if !bytes.len().is_multiple_of(4) {
        return Err(arg(format!(
            "{what}: {} bytes is not a whole number of float32",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn f64s(bytes: &[u8], what: &str) -> R<Vec<f64>> {
    if !bytes.len().is_multiple_of(8) {
        return Err(arg(format!(
            "{what}: {} bytes is not a whole number of float64",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        return bytemuck::cast_slice::<f32, u8>(v).to_vec(); // one memcpy
    }
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Parameters from a JSON object: numbers, booleans, strings, number lists.
fn params_in(text: &str, what: &str) -> R<Params> {
    if text.trim().is_empty() {
        return Ok(Params::new());
    }
    let v = json::parse(text)?;
    let Value::Map(entries) = v else {
        return Err(arg(format!("{what} must be a JSON object")));
    };
    let mut p = Params::new();
    for (k, v) in entries {
        let Value::Str(name) = k else {
            return Err(arg(format!("{what}: keys must be strings")));
        };
        let pv = match v {
            Value::Bool(b) => ParamValue::Flag(b),
            Value::Str(s) => ParamValue::Str(s),
            Value::List(items) => ParamValue::List(
                items
                    .iter()
                    .map(|x| {
                        x.as_f64().ok_or_else(|| {
                            arg(format!("{what}.{name}: list items must be numbers"))
                        })
                    })
                    .collect::<R<_>>()?,
            ),
            other => ParamValue::Num(
                other
                    .as_f64()
                    .ok_or_else(|| arg(format!("{what}.{name}: unsupported value")))?,
            ),
        };
        p.set(&name, pv);
    }
    Ok(p)
}

/// Names of the registered methods: `family` is `"reference"` (the
/// reference's 26 strategies) or `"mergekit"` (mergekit's names).
#[uniffi::export]
pub fn merge_methods(family: String) -> R<Vec<String>> {
    let reg = match family.as_str() {
        "reference" => reference_methods(),
        "mergekit" => mergekit_methods(),
        _ => {
            return Err(arg(format!(
                "unknown method family {family:?} (reference or mergekit)"
            )))
        }
    };
    Ok(reg.iter().map(|m| m.name.to_string()).collect())
}

/// Merge one tensor: `models` are float32 little-endian buffers of
/// `product(shape)` elements each; `base` likewise (or empty when absent);
/// `model_params_json` a JSON list of per-model objects (`weight`,
/// `density`, ...), `params_json` a JSON object. Returns float32 bytes.
#[allow(clippy::too_many_arguments)]
#[uniffi::export]
pub fn merge_tensors(
    family: String,
    method: String,
    tensor: String,
    shape: Vec<u64>,
    models: Vec<Vec<u8>>,
    base: Option<Vec<u8>>,
    model_params_json: String,
    params_json: String,
    seed: u64,
) -> R<Vec<u8>> {
    guard(|| {
        let reg = match family.as_str() {
            "reference" => reference_methods(),
            "mergekit" => mergekit_methods(),
            _ => {
                return Err(arg(format!(
                    "unknown method family {family:?} (reference or mergekit)"
                )))
            }
        };
        let m = strategy::find(reg, &method)?;
        let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
        // Buffers aligned for f32 (the usual case) are read in place; others are copied.
        let owned: Vec<Option<Vec<f32>>> = models
            .iter()
            .enumerate()
            .map(|(i, b)| match bytemuck::try_cast_slice::<u8, f32>(b) {
                Ok(_) if cfg!(target_endian = "little") => Ok(None),
                _ => f32s(b, &format!("model {i}")).map(Some),
            })
            .collect::<R<_>>()?;
        let refs: Vec<&[f32]> = models
            .iter()
            .zip(&owned)
            .map(|(b, o)| match o {
                Some(v) => v.as_slice(),
                None => bytemuck::cast_slice(b),
            })
            .collect();
        let base = match base {
            Some(b) if m.base != BaseUse::Unused => Some(f32s(&b, "base")?),
            _ => None,
        };
        let model_params: Vec<Params> = if model_params_json.trim().is_empty() {
            Vec::new()
        } else {
            match json::parse(&model_params_json)? {
                Value::List(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| params_in(&json::to_string(v)?, &format!("model_params[{i}]")))
                    .collect::<R<_>>()?,
                _ => return Err(arg("model_params must be a JSON list of objects")),
            }
        };
        let params = params_in(&params_json, "params")?;
        let input = MergeInput {
            tensor: &tensor,
            shape: &shape,
            base: base.as_deref(),
            models: &refs,
            model_params: &model_params,
            params: &params,
            seed,
        };
        Ok(f32_bytes(&m.merge_vec(&input)?))
    })
}

/// A resolved tensor: shape and float32 bytes.
#[derive(uniffi::Record)]
pub struct ResolvedTensor {
    /// Shape (C order).
    pub shape: Vec<u64>,
    /// float32 little-endian values.
    pub data: Vec<u8>,
}

/// The reference's `CRDTMergeState`: an add-wins OR-Set of model
/// contributions with content hashes; merge in any order, resolve with the
/// state's strategy.
#[derive(Debug, uniffi::Object)]
pub struct ModelMergeState {
    inner: Mutex<CrdtMergeState>,
}

impl ModelMergeState {
    fn of(s: CrdtMergeState) -> Arc<ModelMergeState> {
        Arc::new(ModelMergeState {
            inner: Mutex::new(s),
        })
    }
    fn snapshot(&self) -> CrdtMergeState {
        lock(&self.inner).clone()
    }
}

#[uniffi::export]
impl ModelMergeState {
    /// An empty state resolving with `strategy` (a reference strategy name).
    #[uniffi::constructor]
    pub fn new(strategy: String) -> R<Arc<ModelMergeState>> {
        guard(|| Ok(ModelMergeState::of(CrdtMergeState::new(&strategy)?)))
    }

    /// From the reference's `to_dict()` JSON.
    #[uniffi::constructor]
    pub fn from_dict_json(text: String) -> R<Arc<ModelMergeState>> {
        guard(|| {
            Ok(ModelMergeState::of(CrdtMergeState::from_value(
                &json::parse(&text)?,
            )?))
        })
    }

    /// From a wire frame (tag 0x63).
    #[uniffi::constructor]
    pub fn decode(frame: Vec<u8>) -> R<Arc<ModelMergeState>> {
        guard(|| match AnyCrdt::decode(&frame, &Limits::default())?.0 {
            AnyCrdt::CrdtMergeState(s) => Ok(ModelMergeState::of(s)),
            other => Err(arg(format!(
                "frame holds a {}, not a crdt_merge_state",
                other.type_name()
            ))),
        })
    }

    /// The reference's `to_dict()` as JSON text.
    pub fn to_dict_json(&self) -> R<String> {
        guard(|| Ok(json::to_string(&self.snapshot().to_value())?))
    }

    /// As a wire frame.
    pub fn encode(&self, compress: bool) -> R<Vec<u8>> {
        guard(|| Ok(AnyCrdt::CrdtMergeState(self.snapshot()).encode(compress)?))
    }

    /// Add a contribution (`tensor`: float64 little-endian bytes; no id: the
    /// reference's content-derived id). An int
    /// weight hashes differently from a float one, as in the reference.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &self,
        model_id: Option<String>,
        shape: Vec<u64>,
        tensor: Vec<u8>,
        weight: f64,
        weight_is_int: bool,
        version: i64,
        timestamp: f64,
    ) -> R<()> {
        guard(|| {
            let w = if weight_is_int {
                Weight::Int(weight as i64)
            } else {
                Weight::Float(weight)
            };
            let shape = shape.iter().map(|&d| d as usize).collect();
            let values = f64s(&tensor, "tensor")?;
            // No id: the reference's content-derived id.
            let id = model_id.unwrap_or_else(|| auto_id(&values));
            let c = Contribution::new(&id, shape, values, w, version, timestamp)?;
            lock(&self.inner).add(c)?;
            Ok(())
        })
    }

    /// Remove a contribution by model id (a tombstone: add-wins on merge).
    pub fn remove(&self, model_id: String) {
        lock(&self.inner).remove(&model_id);
    }

    /// The join of both states (commutative, associative, idempotent).
    pub fn merge(&self, other: Arc<ModelMergeState>) -> R<Arc<ModelMergeState>> {
        guard(|| {
            let b = other.snapshot();
            Ok(ModelMergeState::of(self.snapshot().merge(&b)?))
        })
    }

    /// Resolve with the state's strategy (`params_json`: its parameters).
    pub fn resolve(&self, params_json: String) -> R<ResolvedTensor> {
        guard(|| {
            let p = params_in(&params_json, "params")?;
            let (shape, data) = self.snapshot().resolve_with(&p)?;
            Ok(ResolvedTensor {
                shape: shape.iter().map(|&d| d as u64).collect(),
                data: f32_bytes(&data),
            })
        })
    }

    /// Active model ids, in canonical order.
    pub fn model_ids(&self) -> Vec<String> {
        lock(&self.inner)
            .model_ids()
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// Number of active contributions.
    pub fn size(&self) -> u64 {
        lock(&self.inner).len() as u64
    }

    /// The strategy name.
    pub fn strategy_name(&self) -> String {
        lock(&self.inner).strategy().to_string()
    }

    /// Same state (same contributions, tombstones and settings).
    pub fn equals(&self, other: Arc<ModelMergeState>) -> bool {
        self.snapshot() == other.snapshot()
    }
}

//! [`ContinualMerge`]: the reference's continual-merge engine. A base
//! model absorbs models one after another (optionally replacing an earlier
//! one); `export` gives the merged state dict. Classic mode weights each
//! model by `weight * memory_budget^age` (age 0 for the newest) and takes
//! the normalized weighted sum per layer; CRDT mode keeps one
//! [`CrdtMergeState`] per layer and resolves it with the chosen strategy, so
//! the result does not depend on absorption order, which
//! [`ContinualMerge::verify_convergence`] checks.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::error::ModelError;
use super::state::{Contribution, CrdtMergeState, Weight};

/// One layer's tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Shape (C order).
    pub shape: Vec<usize>,
    /// Values.
    pub values: Vec<f64>,
}

impl Tensor {
    /// A tensor; the shape must match the number of values.
    pub fn new(shape: Vec<usize>, values: Vec<f64>) -> Result<Tensor, ModelError> {
        if shape.iter().product::<usize>() != values.len() {
            return Err(ModelError::ShapeMismatch {
                tensor: "tensor".into(),
                detail: alloc::format!("{} values for shape {shape:?}", values.len()),
            });
        }
        Ok(Tensor { shape, values })
    }
}

/// A state dict: layer name → tensor.
pub type StateDict = BTreeMap<String, Tensor>;

/// How much of a model's update survives in the merge.
#[derive(Debug, Clone, PartialEq)]
pub struct StabilityResult {
    /// Mean over layers of the clipped cosine similarity between the
    /// model's delta and the merged delta (both from the base).
    pub retention: f64,
    /// Per-layer values.
    pub per_layer: BTreeMap<String, f64>,
}

const BASE: &str = "__base__";

/// The continual-merge engine.
#[derive(Debug, Clone)]
pub struct ContinualMerge {
    strategy: String,
    memory_budget: f64,
    crdt: bool,
    order: Vec<String>,
    models: BTreeMap<String, StateDict>,
    weights: BTreeMap<String, f64>,
    states: BTreeMap<String, CrdtMergeState>,
}

impl ContinualMerge {
    /// Start from `base`. `memory_budget` is clamped to `[0.01, 1]`;
    /// `crdt` selects CRDT convergence (per-layer [`CrdtMergeState`] of
    /// `strategy`) over the classic decayed average.
    pub fn new(
        base: StateDict,
        strategy: &str,
        memory_budget: f64,
        crdt: bool,
    ) -> Result<ContinualMerge, ModelError> {
        if !memory_budget.is_finite() {
            return Err(ModelError::BadParam {
                name: "memory_budget".into(),
                detail: "must be a finite number".into(),
            });
        }
        CrdtMergeState::new(strategy)?;
        let mut c = ContinualMerge {
            strategy: strategy.to_string(),
            memory_budget: memory_budget.clamp(0.01, 1.0),
            crdt,
            order: Vec::new(),
            models: BTreeMap::new(),
            weights: BTreeMap::new(),
            states: BTreeMap::new(),
        };
        c.reset(base)?;
        Ok(c)
    }

    /// Drop every absorbed model and start again from `base`.
    pub fn reset(&mut self, base: StateDict) -> Result<(), ModelError> {
        self.order.clear();
        self.models.clear();
        self.weights.clear();
        self.states.clear();
        self.order.push(BASE.to_string());
        self.weights.insert(BASE.to_string(), 1.0);
        if self.crdt {
            self.add_to_states(&base, BASE, 1.0)?;
        }
        self.models.insert(BASE.to_string(), base);
        Ok(())
    }

    fn add_to_states(
        &mut self,
        model: &StateDict,
        name: &str,
        weight: f64,
    ) -> Result<(), ModelError> {
        for (layer, t) in model {
            if !self.states.contains_key(layer) {
                let mut st = CrdtMergeState::new(&self.strategy)?;
                if name != BASE {
                    if let Some(bt) = self.models.get(BASE).and_then(|b| b.get(layer)) {
                        let bw = self.weights.get(BASE).copied().unwrap_or(1.0);
                        st.add(Contribution::new(
                            BASE,
                            bt.shape.clone(),
                            bt.values.clone(),
                            Weight::Float(bw),
                            1,
                            0.0,
                        )?)?;
                    }
                }
                self.states.insert(layer.clone(), st);
            }
            let st = self.states.get_mut(layer).expect("inserted above");
            st.add(Contribution::new(
                name,
                t.shape.clone(),
                t.values.clone(),
                Weight::Float(weight),
                1,
                0.0,
            )?)?;
        }
        Ok(())
    }

    /// Absorb `model` with `weight` under `name` (default `model_{count}`,
    /// made unique with `_1`, `_2`, ...), first removing `replace` if given.
    /// Returns the name used.
    pub fn absorb(
        &mut self,
        model: StateDict,
        weight: f64,
        name: Option<&str>,
        replace: Option<&str>,
    ) -> Result<String, ModelError> {
        if !weight.is_finite() {
            return Err(ModelError::BadParam {
                name: "weight".into(),
                detail: "must be a finite number".into(),
            });
        }
        if let Some(r) = replace.filter(|r| self.models.contains_key(*r)) {
            if self.crdt {
                for st in self.states.values_mut() {
                    st.remove(r);
                }
            }
            self.models.remove(r);
            self.weights.remove(r);
            self.order.retain(|n| n != r);
        }
        let orig = match name {
            Some(n) => n.to_string(),
            None => alloc::format!("model_{}", self.order.len()),
        };
        let mut unique = orig.clone();
        let mut k = 1;
        while self.models.contains_key(&unique) {
            unique = alloc::format!("{orig}_{k}");
            k += 1;
        }
        if self.crdt {
            self.add_to_states(&model, &unique, weight)?;
        }
        self.models.insert(unique.clone(), model);
        self.weights.insert(unique.clone(), weight);
        self.order.push(unique.clone());
        Ok(unique)
    }

    fn effective_weights(&self) -> Vec<(String, f64)> {
        let n = self.order.len();
        self.order
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let w = self.weights[name];
                let age = (n - 1 - i) as f64;
                let f = if self.memory_budget >= 1.0 {
                    1.0
                } else {
                    libm::pow(self.memory_budget, age)
                };
                (name.clone(), w * f)
            })
            .collect()
    }

    /// Normalized effective weights, in absorption order.
    pub fn current_weights(&self) -> Vec<(String, f64)> {
        let ew = self.effective_weights();
        let total: f64 = ew.iter().map(|(_, w)| w).sum();
        ew.into_iter()
            .map(|(n, w)| (n, if total == 0.0 { 0.0 } else { w / total }))
            .collect()
    }

    /// The merged state dict.
    pub fn export(&self) -> Result<StateDict, ModelError> {
        if self.crdt {
            let mut out = StateDict::new();
            for (layer, st) in &self.states {
                let (shape, v) = st.resolve()?;
                out.insert(
                    layer.clone(),
                    Tensor {
                        shape,
                        values: v.iter().map(|&x| x as f64).collect(),
                    },
                );
            }
            return Ok(out);
        }
        let ew = self.effective_weights();
        let total: f64 = ew.iter().map(|(_, w)| w).sum();
        let total = if total == 0.0 { 1.0 } else { total };
        let mut out: StateDict = BTreeMap::new();
        for (name, w) in &ew {
            for (layer, t) in &self.models[name] {
                let f = w / total;
                match out.get_mut(layer) {
                    None => {
                        out.insert(
                            layer.clone(),
                            Tensor {
                                shape: t.shape.clone(),
                                values: t.values.iter().map(|x| x * f).collect(),
                            },
                        );
                    }
                    Some(acc) => {
                        if acc.values.len() != t.values.len() {
                            return Err(ModelError::ShapeMismatch {
                                tensor: layer.clone(),
                                detail: alloc::format!(
                                    "model {name:?} has shape {:?}, earlier {:?}",
                                    t.shape,
                                    acc.shape
                                ),
                            });
                        }
                        for (a, x) in acc.values.iter_mut().zip(&t.values) {
                            *a += f * x;
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// CRDT mode only: every layer resolves bit-identically when its
    /// contributions are merged from singleton replicas in reverse order and
    /// with a repeated replica. False in classic mode or with no layers.
    pub fn verify_convergence(&self) -> Result<bool, ModelError> {
        if !self.crdt || self.states.is_empty() {
            return Ok(false);
        }
        for st in self.states.values() {
            let mut singles = Vec::new();
            for id in st.model_ids() {
                let c = st.get(id).expect("visible id").clone();
                let mut s = CrdtMergeState::new(&self.strategy)?;
                s.add(c)?;
                singles.push(s);
            }
            singles.reverse();
            if let Some(first) = singles.first().cloned() {
                singles.push(first);
            }
            let rebuilt = if singles.is_empty() {
                st.clone()
            } else {
                CrdtMergeState::merge_many(&singles)?
            };
            let (a, b) = (st.resolve(), rebuilt.resolve());
            match (a, b) {
                (Ok((sa, va)), Ok((sb, vb))) => {
                    if sa != sb
                        || va
                            .iter()
                            .map(|x| x.to_bits())
                            .ne(vb.iter().map(|x| x.to_bits()))
                    {
                        return Ok(false);
                    }
                }
                (Err(ea), Err(eb)) if ea == eb => {}
                _ => return Ok(false),
            }
        }
        Ok(true)
    }

    /// How much of `name`'s update (from the base) survives in the export.
    pub fn measure_stability(&self, name: &str) -> Result<StabilityResult, ModelError> {
        let model = self.models.get(name).ok_or_else(|| ModelError::BadParam {
            name: "model".into(),
            detail: alloc::format!("{name:?} not absorbed"),
        })?;
        let base = &self.models[BASE];
        let merged = self.export()?;
        let mut per_layer = BTreeMap::new();
        for (layer, t) in model {
            let v = match (base.get(layer), merged.get(layer)) {
                (Some(b), Some(m))
                    if b.values.len() == t.values.len() && m.values.len() == t.values.len() =>
                {
                    let md: Vec<f64> = t.values.iter().zip(&b.values).map(|(x, y)| x - y).collect();
                    let gd: Vec<f64> = m.values.iter().zip(&b.values).map(|(x, y)| x - y).collect();
                    cosine(&md, &gd)
                }
                _ => 0.0,
            };
            per_layer.insert(layer.clone(), v);
        }
        let retention = if per_layer.is_empty() {
            0.0
        } else {
            per_layer.values().sum::<f64>() / per_layer.len() as f64
        };
        Ok(StabilityResult {
            retention,
            per_layer,
        })
    }

    /// Absorbed model names in order (the base first, as `__base__`).
    pub fn names(&self) -> &[String] {
        &self.order
    }
}

/// Cosine similarity clipped to `[0, 1]`; 1 when either vector is ~0.
fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = libm::sqrt(a.iter().map(|x| x * x).sum());
    let nb = libm::sqrt(b.iter().map(|x| x * x).sum());
    if na < 1e-15 || nb < 1e-15 {
        return 1.0;
    }
    (dot / (na * nb)).clamp(0.0, 1.0)
}

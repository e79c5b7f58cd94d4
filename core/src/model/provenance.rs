//! Per-layer provenance of a model merge: each layer's contribution share
//! per model, its dominant model and a conflict score, collected in a
//! [`ProvenanceTracker`] (a CRDT: union of layer records) and summarized
//! (reference: `crdt_merge.model.provenance`).
//!
//! - Contribution: the normalized weights (uniform without weights).
//! - Dominant source: the model with the largest share (lowest index on ties).
//! - Conflict: `mean_j var_i(x_ij) / (m^2 + 1e-10)` with
//!   `m = mean |x_ij| + 1e-10`, clamped to `[0, 1]`; tensors are cut to the
//!   shortest length; 0 with fewer than two tensors or an empty one.
//!
//! Deviations from the reference: layers are kept sorted by name (the
//! reference keeps first-tracked order), so summaries and exports do not
//! depend on tracking order; re-tracking a layer replaces it, and two
//! trackers holding different records for one layer meet by a
//! deterministic maximum; the summary's dominant model breaks count ties by
//! the lowest index (the reference: first seen).

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Ordering;

use super::error::ModelError;
use crate::error::MergeError;
use crate::json;
use crate::traits::Merge;
use crate::value::Value;

/// Provenance of one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerProvenance {
    /// Layer name.
    pub layer_name: String,
    /// Strategy used for the layer.
    pub strategy_used: String,
    /// Model with the largest contribution.
    pub dominant_source: usize,
    /// Contribution share per model index (sums to 1).
    pub contribution_map: Vec<f64>,
    /// Conflict in `[0, 1]`.
    pub conflict_score: f64,
    /// Number of source tensors.
    pub num_sources: usize,
}

impl LayerProvenance {
    fn total_cmp(&self, o: &LayerProvenance) -> Ordering {
        self.strategy_used
            .cmp(&o.strategy_used)
            .then(self.conflict_score.total_cmp(&o.conflict_score))
            .then(self.num_sources.cmp(&o.num_sources))
            .then(self.dominant_source.cmp(&o.dominant_source))
            .then_with(|| {
                self.contribution_map
                    .iter()
                    .zip(&o.contribution_map)
                    .map(|(a, b)| a.total_cmp(b))
                    .find(|c| c.is_ne())
                    .unwrap_or(self.contribution_map.len().cmp(&o.contribution_map.len()))
            })
    }
}

/// Aggregate over every tracked layer.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvenanceSummary {
    /// Mean conflict over layers.
    pub overall_conflict: f64,
    /// Model dominating the most layers.
    pub dominant_model: usize,
    /// Layer names by conflict, highest first (ties by name).
    pub layer_conflict_ranking: Vec<String>,
    /// Every layer's record, by name.
    pub per_layer: Vec<LayerProvenance>,
}

/// Contribution shares of `n` models: normalized `weights`, or uniform.
pub fn compute_contribution(n: usize, weights: Option<&[f64]>) -> Result<Vec<f64>, ModelError> {
    let Some(w) = weights else {
        return Ok(alloc::vec![1.0 / n as f64; n]);
    };
    if w.len() != n {
        return Err(ModelError::BadParam {
            name: "weights".to_string(),
            detail: alloc::format!("{} weights for {n} tensors", w.len()),
        });
    }
    let total: f64 = w.iter().sum();
    if total == 0.0 || !total.is_finite() {
        return Err(ModelError::BadParam {
            name: "weights".to_string(),
            detail: "must have a finite, non-zero sum".to_string(),
        });
    }
    Ok(w.iter().map(|x| x / total).collect())
}

/// `numpy.sum` of a contiguous `f64` array, bit for bit: numpy's pairwise
/// summation (8 accumulators up to 128 elements, halving above).
pub fn numpy_sum(a: &[f64]) -> f64 {
    fn pw(a: &[f64]) -> f64 {
        let n = a.len();
        if n < 8 {
            let mut r = 0.0;
            for &x in a {
                r += x;
            }
            r
        } else if n <= 128 {
            let mut r = [0f64; 8];
            r.copy_from_slice(&a[..8]);
            let mut i = 8;
            while i < n - n % 8 {
                for j in 0..8 {
                    r[j] += a[i + j];
                }
                i += 8;
            }
            let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for &x in &a[i..] {
                res += x;
            }
            res
        } else {
            let mut n2 = n / 2;
            n2 -= n2 % 8;
            pw(&a[..n2]) + pw(&a[n2..])
        }
    }
    0.0 + pw(a)
}

/// Conflict score of the tensors of one layer (see the module docs),
/// computed in numpy's operation order so it matches the reference bit
/// for bit.
pub fn compute_conflict_score(tensors: &[&[f64]]) -> f64 {
    const EPS: f64 = 1e-10;
    if tensors.len() < 2 {
        return 0.0;
    }
    let len = tensors.iter().map(|t| t.len()).min().unwrap_or(0);
    if len == 0 {
        return 0.0;
    }
    let k = tensors.len() as f64;
    // np.var(stacked, axis=0): sums along the model axis run in model order.
    let variance: Vec<f64> = (0..len)
        .map(|j| {
            let mut s = 0.0;
            for t in tensors {
                s += t[j];
            }
            let mean = s / k;
            let mut q = 0.0;
            for t in tensors {
                let d = t[j] - mean;
                q += d * d;
            }
            q / k
        })
        .collect();
    let mean_var = numpy_sum(&variance) / len as f64;
    // np.mean(np.abs(stacked)): one pairwise sum over the model-major buffer.
    let abs: Vec<f64> = tensors
        .iter()
        .flat_map(|t| t[..len].iter().map(|x| x.abs()))
        .collect();
    let mean_mag = numpy_sum(&abs) / abs.len() as f64 + EPS;
    let s = mean_var / (mean_mag * mean_mag + EPS);
    if s.is_nan() {
        return 1.0;
    }
    s.clamp(0.0, 1.0)
}

/// Provenance records of a merge, keyed by layer name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProvenanceTracker {
    layers: BTreeMap<String, LayerProvenance>,
}

impl ProvenanceTracker {
    /// An empty tracker.
    pub fn new() -> ProvenanceTracker {
        ProvenanceTracker::default()
    }
    /// Record the merge of one layer from `tensors` with `weights` by `strategy`.
    pub fn track(
        &mut self,
        layer: &str,
        tensors: &[&[f64]],
        weights: Option<&[f64]>,
        strategy: &str,
    ) -> Result<&LayerProvenance, ModelError> {
        let contribution_map = if tensors.is_empty() {
            Vec::new()
        } else {
            compute_contribution(tensors.len(), weights)?
        };
        let mut dominant_source = 0;
        for (i, &c) in contribution_map.iter().enumerate() {
            if c > contribution_map[dominant_source] {
                dominant_source = i;
            }
        }
        let rec = LayerProvenance {
            layer_name: layer.to_string(),
            strategy_used: strategy.to_string(),
            dominant_source,
            contribution_map,
            conflict_score: compute_conflict_score(tensors),
            num_sources: tensors.len(),
        };
        self.layers.insert(layer.to_string(), rec);
        Ok(&self.layers[layer])
    }
    /// One layer's record.
    pub fn layer(&self, name: &str) -> Option<&LayerProvenance> {
        self.layers.get(name)
    }
    /// The summary over all layers.
    pub fn summary(&self) -> ProvenanceSummary {
        let per_layer: Vec<LayerProvenance> = self.layers.values().cloned().collect();
        if per_layer.is_empty() {
            return ProvenanceSummary {
                overall_conflict: 0.0,
                dominant_model: 0,
                layer_conflict_ranking: Vec::new(),
                per_layer,
            };
        }
        let mut total = 0.0;
        for l in &per_layer {
            total += l.conflict_score;
        }
        let overall_conflict = total / per_layer.len() as f64;
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for l in &per_layer {
            *counts.entry(l.dominant_source).or_default() += 1;
        }
        let mut dominant_model = 0;
        let mut best = 0;
        for (&m, &c) in &counts {
            if c > best {
                best = c;
                dominant_model = m;
            }
        }
        let mut ranking: Vec<&LayerProvenance> = per_layer.iter().collect();
        ranking.sort_by(|a, b| b.conflict_score.total_cmp(&a.conflict_score));
        ProvenanceSummary {
            overall_conflict,
            dominant_model,
            layer_conflict_ranking: ranking.iter().map(|l| l.layer_name.clone()).collect(),
            per_layer,
        }
    }
}

impl Merge for ProvenanceTracker {
    /// Union of layer records; two records of one layer meet by a
    /// deterministic maximum.
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut layers = self.layers.clone();
        for (k, v) in &other.layers {
            match layers.get(k) {
                Some(mine) if mine.total_cmp(v) != Ordering::Less => {}
                _ => {
                    layers.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(ProvenanceTracker { layers })
    }
}

fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

/// The summary as the reference's JSON export (`json.dumps(indent=2)`).
pub fn export_json(summary: &ProvenanceSummary) -> String {
    let layers = summary
        .per_layer
        .iter()
        .map(|l| {
            let contrib = l
                .contribution_map
                .iter()
                .enumerate()
                .map(|(i, &c)| (Value::Str(alloc::format!("{i}")), Value::Float(c)))
                .collect();
            (
                s(&l.layer_name),
                Value::Map(alloc::vec![
                    (s("strategy_used"), s(&l.strategy_used)),
                    (s("dominant_source"), Value::Int(l.dominant_source as i64)),
                    (s("contribution_map"), Value::Map(contrib)),
                    (s("conflict_score"), Value::Float(l.conflict_score)),
                    (
                        s("metadata"),
                        Value::Map(alloc::vec![(
                            s("num_sources"),
                            Value::Int(l.num_sources as i64)
                        )])
                    ),
                ]),
            )
        })
        .collect();
    let v = Value::Map(alloc::vec![
        (
            s("overall_conflict"),
            Value::Float(summary.overall_conflict)
        ),
        (
            s("dominant_model"),
            Value::Int(summary.dominant_model as i64)
        ),
        (
            s("layer_conflict_ranking"),
            Value::List(
                summary
                    .layer_conflict_ranking
                    .iter()
                    .map(|n| s(n))
                    .collect()
            )
        ),
        (s("layers"), Value::Map(layers)),
    ]);
    json::to_string_pretty(&v).unwrap_or_default()
}

/// The summary as the reference's CSV export (conflict with 6 decimals).
pub fn export_csv(summary: &ProvenanceSummary) -> String {
    let mut out = String::from("layer_name,strategy_used,dominant_source,conflict_score");
    for l in &summary.per_layer {
        out.push_str(&alloc::format!(
            "\n{},{},{},{:.6}",
            l.layer_name,
            l.strategy_used,
            l.dominant_source,
            l.conflict_score
        ));
    }
    out
}

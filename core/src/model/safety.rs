//! Safety analysis of a merge: layers whose per-model mean differs a lot
//! between the models (high cross-model variance) are flagged, and an
//! overall risk score in `[0, 1]` summarizes them (reference:
//! `crdt_merge.model.safety.SafetyAnalyzer` / `SafetyReport`).
//!
//! A layer's variance is the population variance, across the models that
//! have the layer, of each model's mean value over the layer (0 when fewer
//! than two models have it). Flagged layers have variance above the
//! threshold (0.1 in the report). `risk = min(1, 0.7 max + 0.3 mean)` over
//! the layer variances. The risk level bands are `< 0.1` low, `< 0.4`
//! moderate, `< 0.7` high, else very high; the recommendation sentences
//! are ours (the reference's text is not copied).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::error::ModelError;
use super::federated::Layers;
use super::provenance::numpy_sum;

/// Default variance threshold of [`safety_report`].
pub const DEFAULT_THRESHOLD: f64 = 0.1;

/// Risk band of a [`SafetyReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RiskLevel {
    /// `risk < 0.1`.
    Low,
    /// `0.1 <= risk < 0.4`.
    Moderate,
    /// `0.4 <= risk < 0.7`.
    High,
    /// `risk >= 0.7`.
    VeryHigh,
}

impl RiskLevel {
    /// The band of a risk score.
    pub fn of(risk: f64) -> RiskLevel {
        if risk < 0.1 {
            RiskLevel::Low
        } else if risk < 0.4 {
            RiskLevel::Moderate
        } else if risk < 0.7 {
            RiskLevel::High
        } else {
            RiskLevel::VeryHigh
        }
    }
}

/// The full analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct SafetyReport {
    /// Layers with variance above the threshold, in layer order.
    pub safety_layers: Vec<String>,
    /// Variance of each layer (first-seen order over the models).
    pub layer_variance: Vec<(String, f64)>,
    /// Overall risk in `[0, 1]`.
    pub risk_score: f64,
    /// Band of `risk_score`.
    pub level: RiskLevel,
    /// One-sentence advice.
    pub recommendation: String,
}

/// A tensor's mean as numpy computes it (pairwise sum / n).
fn tensor_mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        numpy_sum(x) / x.len() as f64
    }
}

/// Sum in order from 0, as Python's `sum`.
fn seq_sum(x: impl Iterator<Item = f64>) -> f64 {
    let mut s = 0.0;
    for v in x {
        s += v;
    }
    s
}

/// Population variance in the reference's (pure Python) order.
fn pvariance(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let n = x.len() as f64;
    let m = seq_sum(x.iter().copied()) / n;
    seq_sum(x.iter().map(|v| (v - m) * (v - m))) / n
}

/// Cross-model variance of every layer. An empty layer's mean counts as 0
/// (numpy would give NaN); non-finite values are an error.
pub fn layer_variances(models: &[&Layers]) -> Result<Vec<(String, f64)>, ModelError> {
    let mut names: Vec<&str> = Vec::new();
    for m in models {
        for (n, v) in m.iter() {
            if !v.iter().all(|x| x.is_finite()) {
                return Err(ModelError::NonFinite {
                    tensor: n.clone(),
                    which: "a model".to_string(),
                });
            }
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
    }
    Ok(names
        .into_iter()
        .map(|name| {
            let means: Vec<f64> = models
                .iter()
                .filter_map(|m| {
                    m.iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| tensor_mean(v))
                })
                .collect();
            let var = if means.len() < 2 {
                0.0
            } else {
                pvariance(&means)
            };
            (name.to_string(), var)
        })
        .collect())
}

/// Layers whose cross-model variance exceeds `threshold`.
pub fn detect_safety_layers(models: &[&Layers], threshold: f64) -> Result<Vec<String>, ModelError> {
    Ok(layer_variances(models)?
        .into_iter()
        .filter(|(_, v)| *v > threshold)
        .map(|(n, _)| n)
        .collect())
}

/// The full report at [`DEFAULT_THRESHOLD`].
pub fn safety_report(models: &[&Layers]) -> Result<SafetyReport, ModelError> {
    let layer_variance = layer_variances(models)?;
    let safety_layers: Vec<String> = layer_variance
        .iter()
        .filter(|(_, v)| *v > DEFAULT_THRESHOLD)
        .map(|(n, _)| n.clone())
        .collect();
    let risk_score = if layer_variance.is_empty() {
        0.0
    } else {
        let max = layer_variance.iter().fold(0f64, |a, (_, v)| a.max(*v));
        let mean = seq_sum(layer_variance.iter().map(|(_, v)| *v)) / layer_variance.len() as f64;
        (max * 0.7 + mean * 0.3).min(1.0)
    };
    let level = RiskLevel::of(risk_score);
    let recommendation = match level {
        RiskLevel::Low => "low risk: the models agree closely; any merge method is fine".to_string(),
        RiskLevel::Moderate if safety_layers.is_empty() => {
            "moderate risk: some layers diverge; compare them before merging".to_string()
        }
        RiskLevel::Moderate => {
            let first: Vec<&str> = safety_layers.iter().take(5).map(String::as_str).collect();
            alloc::format!(
                "moderate risk: merge these diverging layers with their own method: {}",
                first.join(", ")
            )
        }
        RiskLevel::High => alloc::format!(
            "high risk: {} layer(s) diverge strongly; use a conservative method (e.g. slerp) there and review by hand",
            safety_layers.len()
        ),
        RiskLevel::VeryHigh => alloc::format!(
            "very high risk: {} layer(s) flagged; the models may be too different to merge safely",
            safety_layers.len()
        ),
    };
    Ok(SafetyReport {
        safety_layers,
        layer_variance,
        risk_score,
        level,
        recommendation,
    })
}

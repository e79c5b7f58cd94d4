//! Federated aggregation (FedAvg, FedProx) as a CRDT: a
//! [`FederatedRound`] is the set of client submissions of one round,
//! merged by union, and [`FederatedRound::aggregate`] is a pure function of
//! that set (reference: `crdt_merge.model.federated.FederatedMerge`).
//!
//! FedAvg weighs each client by `samples / total_samples`; per layer the
//! weights of the clients that have the layer are renormalized to sum to 1
//! (uniform when they sum to 0). FedProx first pulls each client's layer
//! towards the global model: `t - mu (t - global)` where the global model
//! has the layer.
//!
//! Unlike the reference (whose result follows submission order), clients
//! are kept sorted by id, so the result never depends on the order of
//! submissions or merges; two submissions of one client meet by a
//! deterministic maximum (more samples, then the larger content in a total
//! order), which makes the union a join-semilattice.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Ordering;

use super::error::ModelError;
use crate::error::MergeError;
use crate::traits::Merge;

/// Layers of a model: name and flat `f64` values, in a fixed order.
pub type Layers = Vec<(String, Vec<f64>)>;

/// How client updates are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregation {
    /// Sample-weighted mean.
    FedAvg,
    /// Sample-weighted mean of updates pulled towards the global model by `mu`.
    FedProx {
        /// Proximal coefficient.
        mu: f64,
    },
}

impl Aggregation {
    /// Parse `"fedavg"` / `"fedprox"` (any case), with FedProx's `mu`.
    pub fn parse(name: &str, mu: f64) -> Result<Aggregation, ModelError> {
        match name.to_ascii_lowercase().as_str() {
            "fedavg" => Ok(Aggregation::FedAvg),
            "fedprox" if mu.is_finite() => Ok(Aggregation::FedProx { mu }),
            "fedprox" => Err(ModelError::BadParam {
                name: "mu".to_string(),
                detail: "must be a finite number".to_string(),
            }),
            _ => Err(ModelError::UnknownMethod(name.to_string())),
        }
    }
    /// The reference's name.
    pub fn name(&self) -> &'static str {
        match self {
            Aggregation::FedAvg => "fedavg",
            Aggregation::FedProx { .. } => "fedprox",
        }
    }
}

/// One client's update.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// Training samples behind the update.
    pub samples: u64,
    /// The updated layers.
    pub layers: Layers,
}

impl Submission {
    /// Total order used when two submissions of one client meet.
    fn total_cmp(&self, o: &Submission) -> Ordering {
        self.samples
            .cmp(&o.samples)
            .then_with(|| self.layers.len().cmp(&o.layers.len()))
            .then_with(|| {
                for ((na, va), (nb, vb)) in self.layers.iter().zip(&o.layers) {
                    let c = na.cmp(nb).then_with(|| {
                        va.len().cmp(&vb.len()).then_with(|| {
                            va.iter()
                                .zip(vb)
                                .map(|(x, y)| x.total_cmp(y))
                                .find(|c| c.is_ne())
                                .unwrap_or(Ordering::Equal)
                        })
                    });
                    if c.is_ne() {
                        return c;
                    }
                }
                Ordering::Equal
            })
    }
}

/// The submissions of one round, keyed by client id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FederatedRound {
    subs: BTreeMap<String, Submission>,
}

/// Result of [`FederatedRound::aggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedResult {
    /// Aggregated layers (first-seen order over clients sorted by id).
    pub model: Layers,
    /// Each client's share `samples / total`, by client id.
    pub client_contributions: Vec<(String, f64)>,
    /// Number of clients.
    pub num_clients: usize,
    /// Sum of all clients' samples.
    pub total_samples: u64,
    /// `"fedavg"` or `"fedprox"`.
    pub strategy_used: &'static str,
}

impl FederatedRound {
    /// An empty round.
    pub fn new() -> FederatedRound {
        FederatedRound::default()
    }
    /// Record (or replace) `client`'s update.
    pub fn submit(&mut self, client: &str, layers: Layers, samples: u64) {
        self.subs
            .insert(client.to_string(), Submission { samples, layers });
    }
    /// Client ids, sorted.
    pub fn clients(&self) -> Vec<&str> {
        self.subs.keys().map(String::as_str).collect()
    }
    /// A client's submission.
    pub fn submission(&self, client: &str) -> Option<&Submission> {
        self.subs.get(client)
    }
    /// Sum of samples over clients (saturating).
    pub fn total_samples(&self) -> u64 {
        self.subs
            .values()
            .fold(0u64, |a, s| a.saturating_add(s.samples))
    }
    /// Drop every submission.
    pub fn clear(&mut self) {
        self.subs.clear();
    }

    /// Aggregate the round. Errors: no submissions, FedProx without a
    /// global model, zero total samples, non-finite values, or a layer
    /// whose length differs between clients (or from the global model).
    pub fn aggregate(
        &self,
        how: Aggregation,
        global: Option<&Layers>,
    ) -> Result<FederatedResult, ModelError> {
        if self.subs.is_empty() {
            return Err(ModelError::BadState(
                "no client submissions to aggregate".to_string(),
            ));
        }
        let mu = match (how, global) {
            (Aggregation::FedProx { .. }, None) => {
                return Err(ModelError::BadParam {
                    name: "global_model".to_string(),
                    detail: "FedProx needs the global model".to_string(),
                })
            }
            (Aggregation::FedProx { mu }, Some(_)) => Some(mu),
            (Aggregation::FedAvg, _) => None,
        };
        let total = self.total_samples();
        if total == 0 {
            return Err(ModelError::BadParam {
                name: "num_samples".to_string(),
                detail: "total samples over clients is 0".to_string(),
            });
        }
        let share: Vec<(String, f64)> = self
            .subs
            .iter()
            .map(|(c, s)| (c.clone(), s.samples as f64 / total as f64))
            .collect();
        let mut names: Vec<&str> = Vec::new();
        for s in self.subs.values() {
            for (n, v) in &s.layers {
                if !names.contains(&n.as_str()) {
                    names.push(n);
                }
                if !v.iter().all(|x| x.is_finite()) {
                    return Err(ModelError::NonFinite {
                        tensor: n.clone(),
                        which: "a client update".to_string(),
                    });
                }
            }
        }
        let mut model = Layers::new();
        for name in names {
            let g = match (mu, global) {
                (Some(_), Some(g)) => g.iter().find(|(n, _)| n == name).map(|(_, v)| v),
                _ => None,
            };
            let mut parts: Vec<(Vec<f64>, f64)> = Vec::new();
            for ((_, s), (_, w)) in self.subs.iter().zip(&share) {
                let Some((_, t)) = s.layers.iter().find(|(n, _)| n == name) else {
                    continue;
                };
                let mut t = t.clone();
                if let (Some(mu), Some(g)) = (mu, g) {
                    if g.len() != t.len() {
                        return Err(mismatch(name, "global model", g.len(), t.len()));
                    }
                    for (x, &y) in t.iter_mut().zip(g) {
                        *x -= (*x - y) * mu;
                    }
                }
                if let Some((first, _)) = parts.first() {
                    if first.len() != t.len() {
                        return Err(mismatch(name, "a client", t.len(), first.len()));
                    }
                }
                parts.push((t, *w));
            }
            let wsum: f64 = parts.iter().map(|(_, w)| w).sum();
            let k = parts.len() as f64;
            let mut acc = alloc::vec![0.0; parts[0].0.len()];
            for (t, w) in &parts {
                let nw = if wsum > 0.0 { w / wsum } else { 1.0 / k };
                acc.iter_mut().zip(t).for_each(|(a, &x)| *a += nw * x);
            }
            model.push((name.to_string(), acc));
        }
        Ok(FederatedResult {
            model,
            client_contributions: share,
            num_clients: self.subs.len(),
            total_samples: total,
            strategy_used: how.name(),
        })
    }
}

fn mismatch(name: &str, which: &str, a: usize, b: usize) -> ModelError {
    ModelError::ShapeMismatch {
        tensor: name.to_string(),
        detail: alloc::format!("{which} has {a} values, another client has {b}"),
    }
}

impl Merge for FederatedRound {
    /// Union of submissions; one client's two submissions meet by the
    /// deterministic maximum of [`Submission`]s.
    fn merge(&self, other: &Self) -> Result<Self, MergeError> {
        let mut subs = self.subs.clone();
        for (c, s) in &other.subs {
            match subs.get(c) {
                Some(mine) if mine.total_cmp(s) != Ordering::Less => {}
                _ => {
                    subs.insert(c.clone(), s.clone());
                }
            }
        }
        Ok(FederatedRound { subs })
    }
}

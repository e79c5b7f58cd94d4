//! LoRA-aware merging (reference: `crdt_merge.model.lora`): adapters map
//! module names to a pair `lora_A` (`rank x in`) and `lora_B` (`out x
//! rank`); a [`LoraMergeSchema`] picks a strategy per module; ranks are
//! harmonized before the per-module merge; [`apply_to_base`] adds
//! `B A` to a base model.
//!
//! Rank harmonization to the target rank `r` ([`RankStrategy`] picks it:
//! max, min, mean or weight-averaged rank, rounded half to even, at least
//! 1): smaller adapters are zero-padded (rows of A, columns of B); larger
//! ones are cut to their first `r` rows (A) / columns (B), except under
//! `min`, where they are first replaced by their best rank-`r`
//! approximation (truncated SVD) and then cut, as the reference does.
//!
//! The per-module strategies are the reference's strategies
//! ([`super::strategy::reference_methods`]) given the normalized adapter
//! weights as per-model `weight`s and no base; they compute in `f64` and
//! return `f32`, so merged matrices carry `f32` precision.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::error::ModelError;
use super::linalg;
use super::params::Params;
use super::strategy::{find, reference_methods, MergeInput, Method};

/// A dense row-major matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// `rows * cols` values, row by row.
    pub data: Vec<f64>,
}

impl Matrix {
    /// A matrix from its parts; the length must be `rows * cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Matrix, ModelError> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(ModelError::ShapeMismatch {
                tensor: "matrix".to_string(),
                detail: alloc::format!("{} values for {rows} x {cols}", data.len()),
            });
        }
        Ok(Matrix { rows, cols, data })
    }
    /// An all-zero matrix.
    pub fn zeros(rows: usize, cols: usize) -> Matrix {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }
    fn at(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }
}

/// One module's adapter pair.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraPair {
    /// `lora_A`: `rank x in_features`.
    pub a: Matrix,
    /// `lora_B`: `out_features x rank`.
    pub b: Matrix,
}

/// An adapter: module name to pair, in order.
pub type Adapter = Vec<(String, LoraPair)>;

/// How the common rank of a module is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankStrategy {
    /// Largest rank.
    Max,
    /// Smallest rank (larger adapters are SVD-truncated).
    Min,
    /// Mean rank, rounded half to even.
    Mean,
    /// Weight-averaged rank, rounded half to even.
    Adaptive,
}

impl RankStrategy {
    /// Parse `max`, `min`, `mean`, `adaptive`.
    pub fn parse(s: &str) -> Result<RankStrategy, ModelError> {
        match s {
            "max" => Ok(RankStrategy::Max),
            "min" => Ok(RankStrategy::Min),
            "mean" => Ok(RankStrategy::Mean),
            "adaptive" => Ok(RankStrategy::Adaptive),
            _ => Err(ModelError::BadParam {
                name: "rank_strategy".to_string(),
                detail: alloc::format!("unknown \"{s}\" (max, min, mean, adaptive)"),
            }),
        }
    }
}

/// Python's `round()` (half to even) of a non-negative value.
fn round_half_even(x: f64) -> usize {
    let f = libm::floor(x);
    let d = x - f;
    let r = if d > 0.5 || (d == 0.5 && libm::fmod(f, 2.0) != 0.0) {
        f + 1.0
    } else {
        f
    };
    r.max(0.0) as usize
}

fn normalize(w: &[f64]) -> Result<Vec<f64>, ModelError> {
    let total: f64 = w.iter().sum();
    if total == 0.0 || !total.is_finite() {
        return Err(ModelError::BadParam {
            name: "weights".to_string(),
            detail: "must have a finite, non-zero sum".to_string(),
        });
    }
    Ok(w.iter().map(|x| x / total).collect())
}

/// The target rank of `ranks` under `strategy` (`weights` for adaptive).
pub fn target_rank(
    ranks: &[usize],
    strategy: RankStrategy,
    weights: Option<&[f64]>,
) -> Result<usize, ModelError> {
    if ranks.is_empty() {
        return Ok(0);
    }
    let n = ranks.len() as f64;
    Ok(match strategy {
        RankStrategy::Max => *ranks.iter().max().unwrap_or(&0),
        RankStrategy::Min => *ranks.iter().min().unwrap_or(&0),
        RankStrategy::Mean => round_half_even(ranks.iter().sum::<usize>() as f64 / n).max(1),
        RankStrategy::Adaptive => {
            let w = match weights {
                Some(w) => normalize(w)?,
                None => vec![1.0 / n; ranks.len()],
            };
            round_half_even(ranks.iter().zip(&w).map(|(&r, w)| r as f64 * w).sum()).max(1)
        }
    })
}

/// Best rank-`k` approximation of `m` (truncated SVD).
fn low_rank(m: &Matrix, k: usize) -> Matrix {
    let svd = linalg::svd(&m.data, m.rows, m.cols);
    let w: Vec<f64> = svd.s.iter().take(k).copied().collect();
    Matrix {
        rows: m.rows,
        cols: m.cols,
        data: svd.reconstruct(&w),
    }
}

/// `lora_A` at rank `r`: pad rows with zeros or keep the first `r` rows.
pub fn harmonize_a(a: &Matrix, r: usize, strategy: RankStrategy) -> Matrix {
    if a.rows == r {
        return a.clone();
    }
    if a.rows < r {
        let mut d = a.data.clone();
        d.resize(r * a.cols, 0.0);
        return Matrix {
            rows: r,
            cols: a.cols,
            data: d,
        };
    }
    let src = if strategy == RankStrategy::Min {
        low_rank(a, r)
    } else {
        a.clone()
    };
    Matrix {
        rows: r,
        cols: a.cols,
        data: src.data[..r * a.cols].to_vec(),
    }
}

/// `lora_B` at rank `r`: pad columns with zeros or keep the first `r` columns.
pub fn harmonize_b(b: &Matrix, r: usize, strategy: RankStrategy) -> Matrix {
    if b.cols == r {
        return b.clone();
    }
    let src = if b.cols > r && strategy == RankStrategy::Min {
        low_rank(b, r)
    } else {
        b.clone()
    };
    let mut d = Vec::with_capacity(b.rows * r);
    for i in 0..b.rows {
        for j in 0..r {
            d.push(if j < src.cols { src.at(i, j) } else { 0.0 });
        }
    }
    Matrix {
        rows: b.rows,
        cols: r,
        data: d,
    }
}

/// Strategy names per module pattern, with an optional `"default"`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoraMergeSchema {
    entries: Vec<(String, String)>,
}

impl LoraMergeSchema {
    /// A schema from `(pattern, strategy)` pairs; the pattern `"default"`
    /// is the fallback. Strategy names must exist in the reference registry.
    pub fn new(entries: &[(&str, &str)]) -> Result<LoraMergeSchema, ModelError> {
        for (_, s) in entries {
            find(reference_methods(), s)?;
        }
        Ok(LoraMergeSchema {
            entries: entries
                .iter()
                .map(|(p, s)| (p.to_string(), s.to_string()))
                .collect(),
        })
    }
    /// `(pattern, strategy)` pairs in order.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }
    /// The strategy for `module`: the first pattern equal to or contained
    /// in the name, else the default, else an error.
    pub fn strategy_for(&self, module: &str) -> Result<&'static Method, ModelError> {
        let hit = self
            .entries
            .iter()
            .find(|(p, _)| p != "default" && module.contains(p.as_str()))
            .or_else(|| self.entries.iter().find(|(p, _)| p == "default"));
        match hit {
            Some((_, s)) => find(reference_methods(), s),
            None => Err(ModelError::BadParam {
                name: "schema".to_string(),
                detail: alloc::format!("no strategy matches module \"{module}\" and no default"),
            }),
        }
    }
}

/// Provenance of one merged module.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleProvenance {
    /// Strategy name.
    pub strategy: String,
    /// Adapter indices that have the module.
    pub sources: Vec<usize>,
    /// Adapter with the largest share (lowest index on ties).
    pub dominant_source: usize,
    /// Share per source adapter, aligned with `sources`.
    pub contribution: Vec<f64>,
}

/// Merges adapters module by module with a [`LoraMergeSchema`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoraMerge {
    /// Which strategy each module uses.
    pub schema: LoraMergeSchema,
    /// Extra strategy parameters (passed to every module merge).
    pub params: Params,
    /// Seed for randomized strategies.
    pub seed: u64,
}

fn module_union(adapters: &[Adapter]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for a in adapters {
        for (n, _) in a {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
    }
    names
}

impl LoraMerge {
    /// A merger with `schema`, no extra parameters and seed 0.
    pub fn new(schema: LoraMergeSchema) -> LoraMerge {
        LoraMerge {
            schema,
            params: Params::new(),
            seed: 0,
        }
    }

    fn merge_matrices(
        &self,
        method: &Method,
        module: &str,
        ms: &[Matrix],
        w: &[f64],
    ) -> Result<Matrix, ModelError> {
        let (rows, cols) = (ms[0].rows, ms[0].cols);
        for m in ms {
            if (m.rows, m.cols) != (rows, cols) {
                return Err(ModelError::ShapeMismatch {
                    tensor: module.to_string(),
                    detail: alloc::format!(
                        "{} x {} against {rows} x {cols} after rank harmonization",
                        m.rows,
                        m.cols
                    ),
                });
            }
        }
        let data: Vec<Vec<f32>> = ms
            .iter()
            .map(|m| m.data.iter().map(|&x| x as f32).collect())
            .collect();
        let refs: Vec<&[f32]> = data.iter().map(|d| d.as_slice()).collect();
        let mp: Vec<Params> = w.iter().map(|&x| Params::new().num("weight", x)).collect();
        let out = method.merge_vec(&MergeInput {
            tensor: module,
            shape: &[rows, cols],
            base: None,
            models: &refs,
            model_params: &mp,
            params: &self.params,
            seed: self.seed,
        })?;
        Ok(Matrix {
            rows,
            cols,
            data: out.into_iter().map(f64::from).collect(),
        })
    }

    fn merge_module(
        &self,
        module: &str,
        adapters: &[Adapter],
        weights: Option<&[f64]>,
        rank: RankStrategy,
    ) -> Result<(LoraPair, ModuleProvenance), ModelError> {
        let mut pairs = Vec::new();
        let mut sources = Vec::new();
        for (i, a) in adapters.iter().enumerate() {
            if let Some((_, p)) = a.iter().find(|(n, _)| n == module) {
                pairs.push(p);
                sources.push(i);
            }
        }
        let method = self.schema.strategy_for(module)?;
        let src_w: Option<Vec<f64>> = weights.map(|w| sources.iter().map(|&i| w[i]).collect());
        let share = match &src_w {
            Some(w) => normalize(w)?,
            None => vec![1.0 / pairs.len() as f64; pairs.len()],
        };
        let mut dominant = 0;
        for (i, &c) in share.iter().enumerate() {
            if c > share[dominant] {
                dominant = i;
            }
        }
        let prov = ModuleProvenance {
            strategy: method.name.to_string(),
            dominant_source: sources[dominant],
            sources: sources.clone(),
            contribution: share.clone(),
        };
        if pairs.len() == 1 {
            return Ok((pairs[0].clone(), prov));
        }
        let ranks: Vec<usize> = pairs.iter().map(|p| p.a.rows).collect();
        let r = target_rank(&ranks, rank, src_w.as_deref())?;
        let a: Vec<Matrix> = pairs.iter().map(|p| harmonize_a(&p.a, r, rank)).collect();
        let b: Vec<Matrix> = pairs.iter().map(|p| harmonize_b(&p.b, r, rank)).collect();
        let merged = LoraPair {
            a: self.merge_matrices(method, module, &a, &share)?,
            b: self.merge_matrices(method, module, &b, &share)?,
        };
        Ok((merged, prov))
    }

    /// Merge `adapters` (weights per adapter, uniform when `None`). One
    /// adapter is returned as is; a module present in one adapter is copied.
    pub fn merge_adapters(
        &self,
        adapters: &[Adapter],
        weights: Option<&[f64]>,
        rank: RankStrategy,
    ) -> Result<Adapter, ModelError> {
        Ok(self
            .merge_adapters_with_provenance(adapters, weights, rank)?
            .into_iter()
            .map(|(n, p, _)| (n, p))
            .collect())
    }

    /// [`LoraMerge::merge_adapters`] with each module's provenance.
    pub fn merge_adapters_with_provenance(
        &self,
        adapters: &[Adapter],
        weights: Option<&[f64]>,
        rank: RankStrategy,
    ) -> Result<Vec<(String, LoraPair, ModuleProvenance)>, ModelError> {
        if let Some(w) = weights {
            if w.len() != adapters.len() {
                return Err(ModelError::BadParam {
                    name: "weights".to_string(),
                    detail: alloc::format!("{} weights for {} adapters", w.len(), adapters.len()),
                });
            }
        }
        for a in adapters {
            for (n, p) in a {
                for m in [&p.a, &p.b] {
                    if !m.data.iter().all(|x| x.is_finite()) {
                        return Err(ModelError::NonFinite {
                            tensor: n.clone(),
                            which: "an adapter".to_string(),
                        });
                    }
                }
                if p.b.cols != p.a.rows {
                    return Err(ModelError::ShapeMismatch {
                        tensor: n.clone(),
                        detail: alloc::format!(
                            "lora_B has {} columns, lora_A has rank {}",
                            p.b.cols,
                            p.a.rows
                        ),
                    });
                }
            }
        }
        if adapters.len() == 1 {
            return Ok(adapters[0]
                .iter()
                .map(|(n, p)| {
                    let prov = ModuleProvenance {
                        strategy: "passthrough".to_string(),
                        sources: vec![0],
                        dominant_source: 0,
                        contribution: vec![1.0],
                    };
                    (n.clone(), p.clone(), prov)
                })
                .collect());
        }
        module_union(adapters)
            .into_iter()
            .map(|m| {
                let (p, prov) = self.merge_module(m, adapters, weights, rank)?;
                Ok((m.to_string(), p, prov))
            })
            .collect()
    }
}

/// `base + B A` for every module of `adapter`: the base layer named like
/// the module, else `module + ".weight"`, else a new layer `module`.
pub fn apply_to_base(
    adapter: &Adapter,
    base: &[(String, Matrix)],
) -> Result<Vec<(String, Matrix)>, ModelError> {
    let mut out: Vec<(String, Matrix)> = base.to_vec();
    for (module, p) in adapter {
        let delta = Matrix {
            rows: p.b.rows,
            cols: p.a.cols,
            data: linalg::matmul(&p.b.data, &p.a.data, p.b.rows, p.b.cols, p.a.cols),
        };
        let weight_key = alloc::format!("{module}.weight");
        let slot = out
            .iter()
            .position(|(n, _)| n == module)
            .or_else(|| out.iter().position(|(n, _)| *n == weight_key));
        match slot {
            Some(i) => {
                let (name, t) = &mut out[i];
                if (t.rows, t.cols) != (delta.rows, delta.cols) {
                    return Err(ModelError::ShapeMismatch {
                        tensor: name.clone(),
                        detail: alloc::format!(
                            "base is {} x {}, B A is {} x {}",
                            t.rows,
                            t.cols,
                            delta.rows,
                            delta.cols
                        ),
                    });
                }
                t.data
                    .iter_mut()
                    .zip(&delta.data)
                    .for_each(|(x, d)| *x += d);
            }
            None => out.push((module.clone(), delta)),
        }
    }
    Ok(out)
}

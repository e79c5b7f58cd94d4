//! Search strategies: `evolutionary_merge` and `genetic_merge` look for
//! mixing coefficients that minimize the variance of the mixed tensor
//! (the reference's default fitness), drawing from the counter-based RNG
//! ([`crate::model::rng::SeqRng`], stream 0).
//!
//! The fitness of coefficients `c` is `-cᵀ Σ c` with `Σ` the covariance of
//! the models' entries, computed once: each evaluation costs `O(n²)` instead
//! of a pass over the tensor, and equals the reference's variance of the
//! mixed tensor.

use alloc::vec;
use alloc::vec::Vec;

use crate::model::error::ModelError;
use crate::model::kernels::{
    copy_first, count_param, frac_param, mean, prepare, store, weighted_sum,
};
use crate::model::rng::{SeqRng, TensorRng};
use crate::model::strategy::MergeInput;

struct Fitness {
    n: usize,
    cov: Vec<f64>,
}

impl Fitness {
    fn new(models: &[Vec<f64>]) -> Fitness {
        let n = models.len();
        let means: Vec<f64> = models.iter().map(|m| mean(m)).collect();
        let d = models[0].len() as f64;
        let mut cov = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let v = models[i]
                    .iter()
                    .zip(&models[j])
                    .map(|(a, b)| (a - means[i]) * (b - means[j]))
                    .sum::<f64>()
                    / d;
                cov[i * n + j] = v;
                cov[j * n + i] = v;
            }
        }
        Fitness { n, cov }
    }
    fn eval(&self, c: &[f64]) -> f64 {
        let mut q = 0.0;
        for i in 0..self.n {
            for j in 0..self.n {
                q += c[i] * self.cov[i * self.n + j] * c[j];
            }
        }
        -q
    }
}

fn normalized(mut c: Vec<f64>, n: usize) -> Vec<f64> {
    let t: f64 = c.iter().sum();
    if t > 0.0 {
        c.iter_mut().for_each(|x| *x /= t);
        c
    } else {
        vec![1.0 / n as f64; n]
    }
}

struct Search {
    pop: usize,
    gens: usize,
}

fn search_params(input: &MergeInput<'_>) -> Result<Search, ModelError> {
    let pop = count_param(input.params, "population_size", 20.0, 10_000.0)?.max(1);
    let gens = count_param(input.params, "generations", 50.0, 10_000.0)?;
    Ok(Search { pop, gens })
}

/// Evolutionary merge: Gaussian-initialized population, truncation
/// selection of the better half, Gaussian mutation (σ 0.1), elitism.
pub fn evolutionary_merge(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let s = search_params(input)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let n = p.n();
    let fit = Fitness::new(&p.models);
    let mut rng = SeqRng::new(TensorRng::new(input.seed, input.tensor), 0);
    let uniform = vec![1.0 / n as f64; n];
    let mut popu: Vec<Vec<f64>> = (0..s.pop)
        .map(|_| {
            let c: Vec<f64> = (0..n).map(|_| rng.gauss(1.0 / n as f64, 0.3)).collect();
            let t: f64 = c.iter().map(|x| x.abs()).sum();
            if t > 0.0 {
                c.iter().map(|x| x.max(0.0) / t).collect()
            } else {
                uniform.clone()
            }
        })
        .collect();
    popu[0] = uniform;
    let mut best = popu[0].clone();
    let mut best_fit = f64::NEG_INFINITY;
    for _ in 0..s.gens {
        let fits: Vec<f64> = popu.iter().map(|c| fit.eval(c)).collect();
        for (i, &f) in fits.iter().enumerate() {
            if f > best_fit {
                best_fit = f;
                best = popu[i].clone();
            }
        }
        let mut ranked: Vec<usize> = (0..fits.len()).collect();
        ranked.sort_by(|&a, &b| fits[b].total_cmp(&fits[a]));
        let elite: Vec<&Vec<f64>> = ranked[..(s.pop / 2).max(1)]
            .iter()
            .map(|&i| &popu[i])
            .collect();
        let mut next = vec![best.clone()];
        while next.len() < s.pop {
            let parent = elite[rng.below(elite.len())];
            let child: Vec<f64> = parent
                .iter()
                .map(|c| (c + rng.gauss(0.0, 0.1)).max(0.0))
                .collect();
            next.push(normalized(child, n));
        }
        popu = next;
    }
    store(out, &weighted_sum(&best, &p.models, p.d));
    Ok(())
}

/// Genetic merge: uniform-initialized population, tournament selection
/// (size 3), uniform crossover, per-gene Gaussian mutation with probability
/// and σ `mutation_rate` (default 0.1), elitism.
pub fn genetic_merge(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let s = search_params(input)?;
    let mr = frac_param(input.params, "mutation_rate", 0.1, 0.0, 1.0)?;
    if input.models.len() == 1 {
        return copy_first(input, out);
    }
    let p = prepare(input)?;
    let n = p.n();
    let fit = Fitness::new(&p.models);
    let mut rng = SeqRng::new(TensorRng::new(input.seed, input.tensor), 0);
    let mut popu: Vec<Vec<f64>> = (0..s.pop)
        .map(|_| {
            let c: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
            normalized(c, n)
        })
        .collect();
    popu[0] = vec![1.0 / n as f64; n];
    let mut best = popu[0].clone();
    let mut best_fit = f64::NEG_INFINITY;
    for _ in 0..s.gens {
        let fits: Vec<f64> = popu.iter().map(|c| fit.eval(c)).collect();
        for (i, &f) in fits.iter().enumerate() {
            if f > best_fit {
                best_fit = f;
                best = popu[i].clone();
            }
        }
        let tournament = |rng: &mut SeqRng| -> usize {
            let mut bi = rng.below(popu.len());
            for _ in 1..3 {
                let i = rng.below(popu.len());
                if fits[i] > fits[bi] {
                    bi = i;
                }
            }
            bi
        };
        let mut next = vec![best.clone()];
        while next.len() < s.pop {
            let p1 = tournament(&mut rng);
            let p2 = tournament(&mut rng);
            let mut child = Vec::with_capacity(n);
            for (g1, g2) in popu[p1].iter().zip(&popu[p2]) {
                child.push(if rng.uniform() < 0.5 { *g1 } else { *g2 });
            }
            for c in child.iter_mut() {
                if rng.uniform() < mr {
                    *c = (*c + rng.gauss(0.0, mr)).max(0.0);
                }
            }
            next.push(normalized(child, n));
        }
        popu = next;
    }
    store(out, &weighted_sum(&best, &p.models, p.d));
    Ok(())
}

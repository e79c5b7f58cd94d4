//! Randomized strategies (DARE, DARE-TIES, DELLA, evolutionary, genetic):
//! the reference's numpy/`random` streams are not reproduced (see
//! wire-spec/model.md, deviations), so these check the formulas and the
//! statistics with our counter-based RNG, and that an element's draw does
//! not depend on the tensor's length (the basis of thread independence).

use crdt_merge_core::model::kernels::{mean, var};
use crdt_merge_core::model::strategy::{find, reference_methods};
use crdt_merge_core::model::{MergeInput, Params};

fn run(
    method: &str,
    shape: &[usize],
    base: &[f32],
    models: &[&[f32]],
    p: &Params,
    seed: u64,
) -> Vec<f32> {
    let m = find(reference_methods(), method).unwrap();
    let input = MergeInput {
        tensor: "layer.weight",
        shape,
        base: Some(base),
        models,
        model_params: &[],
        params: p,
        seed,
    };
    m.merge_vec(&input).unwrap()
}

fn tv(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) + 0.001)
        .collect()
}

#[test]
fn dare_keeps_one_minus_drop_rate_and_rescales() {
    let n = 20_000;
    let base = vec![0.0f32; n];
    let a = tv(n);
    let p = Params::new().num("drop_rate", 0.7);
    let out = run("dare", &[n], &base, &[&a, &base], &p, 9);
    let mut kept = 0;
    for (o, x) in out.iter().zip(&a) {
        if *o != 0.0 {
            kept += 1;
            // weight 1/2, rescale 1/(1-0.7)
            let want = 0.5 * *x as f64 / 0.3;
            assert!((*o as f64 - want).abs() < 1e-5 * want.abs() + 1e-6);
        }
    }
    let frac = kept as f64 / n as f64;
    assert!((frac - 0.3).abs() < 0.015, "kept {frac}");
    // Same draws for a prefix of the tensor, and a different seed differs.
    let half = run(
        "dare",
        &[n / 2],
        &base[..n / 2],
        &[&a[..n / 2], &base[..n / 2]],
        &p,
        9,
    );
    assert_eq!(&out[..n / 2], &half[..]);
    assert_ne!(out, run("dare", &[n], &base, &[&a, &base], &p, 10));
}

#[test]
fn della_keeps_large_magnitudes_more_often() {
    let n = 20_000;
    let base = vec![0.0f32; n];
    let a = tv(n);
    let p = Params::new().num("drop_rate", 0.8).num("epsilon", 0.0);
    let out = run("della", &[n], &base, &[&a, &base], &p, 1);
    let (mut big, mut bigk, mut small, mut smallk) = (0, 0, 0, 0);
    for (o, x) in out.iter().zip(&a) {
        if x.abs() > 0.75 {
            big += 1;
            bigk += (*o != 0.0) as usize;
        } else if x.abs() < 0.25 {
            small += 1;
            smallk += (*o != 0.0) as usize;
        }
    }
    let (fb, fs) = (bigk as f64 / big as f64, smallk as f64 / small as f64);
    // keep probability 1 - 0.8 (1 - |x|/max): about 0.8..1 for big, 0.2..0.4 for small.
    assert!(fb > 0.8 && fs < 0.45 && fs > 0.15, "big {fb} small {fs}");
}

#[test]
fn dare_ties_output_is_base_plus_elected_entries() {
    let n = 5_000;
    let base = vec![0.5f32; n];
    let a: Vec<f32> = tv(n).iter().map(|x| x + 0.5).collect();
    let b: Vec<f32> = tv(n).iter().rev().map(|x| x + 0.5).collect();
    let p = Params::new().num("drop_rate", 0.5).num("density", 0.5);
    let out = run("dare_ties", &[n], &base, &[&a, &b], &p, 4);
    let changed = out.iter().filter(|&&o| o != 0.5).count() as f64 / n as f64;
    // Each model keeps ~50% after the drop and half of those after trimming.
    assert!(changed > 0.3 && changed < 0.6, "{changed}");
}

#[test]
fn searches_do_not_increase_variance_of_the_uniform_mix() {
    let n = 3_000;
    let a = tv(n);
    let b: Vec<f32> = a.iter().map(|x| -0.5 * x + 0.1).collect();
    let c: Vec<f32> = a.iter().rev().copied().collect();
    let uniform: Vec<f64> = (0..n)
        .map(|i| (a[i] as f64 + b[i] as f64 + c[i] as f64) / 3.0)
        .collect();
    for method in ["evolutionary_merge", "genetic_merge"] {
        let p = Params::new().num("generations", 20.0);
        let m = find(reference_methods(), method).unwrap();
        let input = MergeInput {
            tensor: "w",
            shape: &[n],
            base: None,
            models: &[&a, &b, &c],
            model_params: &[],
            params: &p,
            seed: 5,
        };
        let out: Vec<f64> = m
            .merge_vec(&input)
            .unwrap()
            .iter()
            .map(|&x| x as f64)
            .collect();
        assert!(var(&out) <= var(&uniform) * (1.0 + 1e-6), "{method}");
        // A convex combination: the mean lies within the models' means.
        let ms = [a.clone(), b.clone(), c.clone()]
            .map(|m| mean(&m.iter().map(|&x| x as f64).collect::<Vec<_>>()));
        let (lo, hi) = ms
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
        assert!(
            mean(&out) >= lo - 1e-6 && mean(&out) <= hi + 1e-6,
            "{method}"
        );
        // Deterministic.
        assert_eq!(m.merge_vec(&input).unwrap(), m.merge_vec(&input).unwrap());
    }
}

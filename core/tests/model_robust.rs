//! Every registered method, on random shapes, model counts, parameters and
//! values (including NaN and infinity), returns a result or a typed error:
//! never a panic. Results from finite inputs are finite for the methods
//! that promise it, and every method is deterministic.

use crdt_merge_core::model::strategy::{mergekit_methods, reference_methods};
use crdt_merge_core::model::{BaseUse, MergeInput, ModelError, Params};
use proptest::prelude::*;

fn params(seed: u64) -> (Params, Vec<Params>) {
    let f = |k: u64| {
        ((seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(k.wrapping_mul(1442695040888963407)))
            >> 40) as f64
            / (1u64 << 24) as f64
    };
    let p = Params::new()
        .num("t", f(1))
        .num("lambda", 0.5 + f(2))
        .num("density", 0.05 + 0.9 * f(3))
        .num("drop_rate", 0.9 * f(4))
        .num("sparsity", 0.9 * f(5))
        .num("elect_ratio", 0.1 + 0.8 * f(6))
        .num("rank_fraction", 0.1 + 0.9 * f(7))
        .num("select_topk", f(8))
        .num("safety_threshold", f(9))
        .num("target_fraction", f(10))
        .num("steps", 3.0)
        .num("generations", 3.0)
        .num("population_size", 4.0)
        .flag("normalize", seed.is_multiple_of(2));
    let mp = (0..4)
        .map(|i| {
            Params::new()
                .num("weight", 0.1 + f(20 + i))
                .num("density", 0.2 + 0.7 * f(30 + i))
                .num("epsilon", 0.05)
        })
        .collect();
    (p, mp)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn no_method_panics(
        shape in prop::sample::select(vec![vec![7usize], vec![4, 3], vec![1, 5], vec![2, 2, 3], vec![1]]),
        k in 1usize..4,
        seed in any::<u64>(),
        poison in prop::option::weighted(0.2, (0usize..4, prop::sample::select(vec![f32::NAN, f32::INFINITY]))),
    ) {
        let n: usize = shape.iter().product();
        let gen = |s: u64| -> Vec<f32> { (0..n).map(|i| ((((i as u64 + 1).wrapping_mul(2654435761) ^ s) % 2001) as f32 / 1000.0) - 1.0).collect() };
        let base = gen(seed);
        let mut models: Vec<Vec<f32>> = (0..k).map(|i| gen(seed ^ (i as u64 + 7).wrapping_mul(977))).collect();
        if let Some((m, v)) = poison {
            if m < k { models[m][0] = v; }
        }
        let refs: Vec<&[f32]> = models.iter().map(|m| m.as_slice()).collect();
        let (p, mp) = params(seed);
        for method in reference_methods().iter().chain(mergekit_methods()) {
            let input = MergeInput {
                tensor: "t",
                shape: &shape,
                base: if method.base == BaseUse::Unused { None } else { Some(&base) },
                models: &refs,
                model_params: &mp[..k],
                params: &p,
                seed,
            };
            let a = method.merge_vec(&input);
            let b = method.merge_vec(&input);
            prop_assert_eq!(&a, &b, "{} is not deterministic", method.name);
            match a {
                Ok(v) => {
                    prop_assert_eq!(v.len(), n);
                    if poison.is_none_or(|(m, _)| m >= k) && method.name != "linear" {
                        prop_assert!(v.iter().all(|x| x.is_finite()), "{}: non-finite output from finite input", method.name);
                    }
                }
                Err(ModelError::NonFinite { .. }) => prop_assert!(poison.is_some_and(|(m, _)| m < k) || method.name == "linear"),
                Err(_) => {}
            }
        }
    }
}

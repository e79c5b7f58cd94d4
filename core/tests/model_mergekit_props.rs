//! Properties of the mergekit methods that golden files cannot show: the
//! statistics of the random masks (DARE, DELLA), the exact selection rules
//! of the magnitude sparsifications and TIES election on hand-made input,
//! model-order invariance of the symmetric methods and idempotency.

use crdt_merge_core::model::mergekit::sparsify;
use crdt_merge_core::model::mergekit::task_arithmetic::sign_consensus;
use crdt_merge_core::model::strategy::{find, mergekit_methods};
use crdt_merge_core::model::{MergeInput, ModelError, Params};
use proptest::prelude::*;

fn run(
    name: &str,
    shape: &[usize],
    base: Option<&[f32]>,
    models: &[Vec<f32>],
    mp: &[Params],
    p: &Params,
    seed: u64,
) -> Result<Vec<f32>, ModelError> {
    let refs: Vec<&[f32]> = models.iter().map(|m| m.as_slice()).collect();
    find(mergekit_methods(), name)?.merge_vec(&MergeInput {
        tensor: "blk.0.w",
        shape,
        base,
        models: &refs,
        model_params: mp,
        params: p,
        seed,
    })
}

fn wave(n: usize, s: f32) -> Vec<f32> {
    (0..n).map(|i| (i as f32 * 0.37 + s).sin()).collect()
}

#[test]
fn dare_keeps_density_share_and_rescales_l1() {
    let n = 20_000;
    let base = vec![0f32; n];
    let m = wave(n, 1.0);
    let mp = [Params::new().num("weight", 1.0).num("density", 0.3)];
    let out = run(
        "dare_linear",
        &[n],
        Some(&base),
        std::slice::from_ref(&m),
        &mp,
        &Params::new(),
        11,
    )
    .unwrap();
    let kept = out.iter().filter(|&&x| x != 0.0).count() as f64 / n as f64;
    // Binomial(20000, 0.3): sd = 0.0032; 5 sd.
    assert!((kept - 0.3).abs() < 0.017, "kept {kept}");
    // rescale (default on) preserves the L1 norm of the task vector.
    let l1_in: f64 = m.iter().map(|x| x.abs() as f64).sum();
    let l1_out: f64 = out.iter().map(|x| x.abs() as f64).sum();
    assert!((l1_in - l1_out).abs() / l1_in < 1e-5);
    // Every kept entry is the same multiple of the input.
    let kept_l1: f64 = out
        .iter()
        .zip(&m)
        .filter(|(o, _)| **o != 0.0)
        .map(|(_, x)| x.abs() as f64)
        .sum();
    let f = l1_in / kept_l1;
    assert!((f - 1.0 / 0.3).abs() < 0.2, "factor {f}");
    for (o, x) in out.iter().zip(&m) {
        if *o != 0.0 {
            assert!((*o as f64 - f * *x as f64).abs() < 1e-4);
        }
    }
    // Without rescale, kept entries are unchanged.
    let p = Params::new().flag("rescale", false);
    let raw = run(
        "dare_linear",
        &[n],
        Some(&base),
        std::slice::from_ref(&m),
        &mp,
        &p,
        11,
    )
    .unwrap();
    for ((r, o), x) in raw.iter().zip(&out).zip(&m) {
        assert_eq!(*r != 0.0, *o != 0.0);
        if *r != 0.0 {
            assert_eq!(r, x);
        }
    }
}

#[test]
fn masks_depend_on_seed_tensor_and_model_but_not_on_the_call() {
    let n = 4096;
    let base = vec![0f32; n];
    let models = vec![wave(n, 0.5), wave(n, 2.0)];
    let mp = vec![Params::new().num("weight", 1.0).num("density", 0.5); 2];
    let p = Params::new().flag("rescale", false);
    let a = run("dare_linear", &[n], Some(&base), &models, &mp, &p, 1).unwrap();
    let b = run("dare_linear", &[n], Some(&base), &models, &mp, &p, 1).unwrap();
    let c = run("dare_linear", &[n], Some(&base), &models, &mp, &p, 2).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    // The two models' masks are independent: about a quarter of the
    // elements keep both, a quarter neither.
    let draw_src = |m: usize| {
        let refs: Vec<&[f32]> = models.iter().map(|m| m.as_slice()).collect();
        let input = MergeInput {
            tensor: "blk.0.w",
            shape: &[n],
            base: Some(&base),
            models: &refs,
            model_params: &mp,
            params: &p,
            seed: 1,
        };
        let d = crdt_merge_core::model::mergekit::mask_draw(&input);
        (0..n).map(|j| d(m, j) < 0.5).collect::<Vec<bool>>()
    };
    let (k0, k1) = (draw_src(0), draw_src(1));
    let both = k0.iter().zip(&k1).filter(|(a, b)| **a && **b).count() as f64 / n as f64;
    assert!((both - 0.25).abs() < 0.04, "both {both}");
}

#[test]
fn density_one_reduces_random_methods_to_their_deterministic_kin() {
    let n = 60;
    let base = wave(n, 0.0);
    let models = vec![wave(n, 0.3), wave(n, 0.9), wave(n, 1.7)];
    let mp: Vec<Params> = [0.5, 0.2, 0.9]
        .iter()
        .map(|&w| Params::new().num("weight", w))
        .collect();
    let p = Params::new().flag("normalize", true);
    let ties = run("ties", &[6, 10], Some(&base), &models, &mp, &p, 3).unwrap();
    for m in ["dare_ties", "della"] {
        assert_eq!(
            run(m, &[6, 10], Some(&base), &models, &mp, &p, 3).unwrap(),
            ties
        );
    }
    let ta = run(
        "task_arithmetic",
        &[6, 10],
        Some(&base),
        &models,
        &mp,
        &p,
        3,
    )
    .unwrap();
    for m in ["dare_linear", "della_linear"] {
        assert_eq!(
            run(m, &[6, 10], Some(&base), &models, &mp, &p, 3).unwrap(),
            ta
        );
    }
}

#[test]
fn della_probabilities_rise_linearly_with_rank() {
    let x = [0.5f32, -3.0, 0.1, 2.0, -1.0];
    let p = sparsify::della_probs(&x, &[5], 0.5, 0.2);
    // ranks ascending by |x|: 0.1, 0.5, -1, 2, -3 -> p from 0.3 to 0.7.
    let want = [0.4f32, 0.7, 0.3, 0.6, 0.5];
    for (a, b) in p.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{p:?}");
    }
    // 2-D: ranks per row (axis 1).
    let p = sparsify::della_probs(&[1.0, 2.0, 4.0, 3.0], &[2, 2], 0.5, 0.1);
    assert_eq!(p, vec![0.4, 0.6, 0.6, 0.4]);
    // Keep rates follow the probabilities.
    let n = 10_000;
    let base = vec![0f32; n];
    let m: Vec<f32> = (0..n).map(|i| (i + 1) as f32).collect();
    let mp = [Params::new()
        .num("weight", 1.0)
        .num("density", 0.5)
        .num("epsilon", 0.4)];
    let p = Params::new().flag("rescale", false);
    let out = run("della_linear", &[n], Some(&base), &[m], &mp, &p, 5).unwrap();
    let low = out[..n / 10].iter().filter(|&&x| x != 0.0).count() as f64 / (n / 10) as f64;
    let high = out[n - n / 10..].iter().filter(|&&x| x != 0.0).count() as f64 / (n / 10) as f64;
    assert!((low - 0.14).abs() < 0.05, "low {low}");
    assert!((high - 0.86).abs() < 0.05, "high {high}");
}

#[test]
fn della_refuses_epsilon_outside_the_density_band() {
    let base = vec![0f32; 4];
    let mp = [Params::new()
        .num("weight", 1.0)
        .num("density", 0.1)
        .num("epsilon", 0.2)];
    let e = run(
        "della",
        &[4],
        Some(&base),
        &[vec![1.0; 4]],
        &mp,
        &Params::new(),
        0,
    );
    assert!(
        matches!(e, Err(ModelError::BadParam { ref name, .. }) if name == "epsilon"),
        "{e:?}"
    );
}

#[test]
fn magnitude_and_outliers_select_exactly() {
    let mut x = vec![0.1f32, -0.9, 0.5, 0.3, -0.7, 0.2, 0.0, 0.8, -0.4, 0.6];
    sparsify::magnitude(&mut x, 0.3, false);
    assert_eq!(x, vec![0.0, -0.9, 0.0, 0.0, -0.7, 0.0, 0.0, 0.8, 0.0, 0.0]);
    // density > 0 keeps at least one.
    let mut y = vec![0.1f32, -0.2];
    sparsify::magnitude(&mut y, 0.01, false);
    assert_eq!(y, vec![0.0, -0.2]);
    // outliers: drop top 10% (0.9), keep the next 40%.
    let mut z = vec![0.1f32, -0.9, 0.5, 0.3, -0.7, 0.2, 0.0, 0.8, -0.4, 0.6];
    sparsify::magnitude_outliers(&mut z, 0.4, 0.1, false);
    assert_eq!(z, vec![0.0, 0.0, 0.5, 0.0, -0.7, 0.0, 0.0, 0.8, 0.0, 0.6]);
    // rescale keeps the L1 norm.
    let mut r = vec![1.0f32, -2.0, 3.0, -4.0];
    sparsify::magnitude(&mut r, 0.5, true);
    assert_eq!(r, vec![0.0, 0.0, 3.0 * 10.0 / 7.0, -4.0 * 10.0 / 7.0]);
}

#[test]
fn ties_election_follows_the_weighted_sum_sign() {
    let d = vec![
        vec![1.0f32, -1.0, 0.0],
        vec![-3.0, -1.0, 2.0],
        vec![1.0, 5.0, -1.0],
    ];
    let k0 = sign_consensus(&d, 0); // sum -1 -> negative
    assert!(!k0(1.0) && k0(-3.0));
    let k1 = sign_consensus(&d, 1); // sum 3 -> positive
    assert!(k1(5.0) && !k1(-1.0));
    let k2 = sign_consensus(&d, 2); // sum 1 -> positive, zero never kept
    assert!(!k2(0.0) && k2(2.0) && !k2(-1.0));
}

#[test]
fn required_parameters_and_contracts_are_typed_errors() {
    let b = vec![0f32; 3];
    let m = vec![vec![1f32; 3]];
    let none = [Params::new()];
    for name in ["linear", "task_arithmetic", "ties", "multislerp"] {
        let e = run(name, &[3], Some(&b), &m, &none, &Params::new(), 0);
        assert!(
            matches!(e, Err(ModelError::BadParam { ref name, .. }) if name == "weight"),
            "{name}: {e:?}"
        );
    }
    let e = run("slerp", &[3], Some(&b), &m, &none, &Params::new(), 0);
    assert!(
        matches!(e, Err(ModelError::BadParam { ref name, .. }) if name == "t"),
        "{e:?}"
    );
    let two = vec![vec![1f32; 3], vec![2f32; 3]];
    let p = Params::new().num("t", 0.5);
    let e = run("slerp", &[3], Some(&b), &two, &none, &p, 0);
    assert!(
        matches!(e, Err(ModelError::BadParam { ref name, .. }) if name == "models"),
        "{e:?}"
    );
    let e = run("ties", &[3], None, &m, &none, &p, 0);
    assert!(matches!(e, Err(ModelError::MissingBase(_))), "{e:?}");
    let w0 = [
        Params::new().num("weight", 1.0),
        Params::new().num("weight", -1.0),
    ];
    let e = run("linear", &[3], None, &two, &w0, &p, 0);
    assert!(matches!(e, Err(ModelError::BadParam { .. })), "{e:?}");
}

/// Methods whose result does not depend on the order of the models.
const SYMMETRIC: &[&str] = &[
    "linear",
    "multislerp",
    "karcher",
    "task_arithmetic",
    "ties",
    "breadcrumbs",
    "breadcrumbs_ties",
    "model_stock",
    "sce",
    "ram",
    "ramplus_tl",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn symmetric_methods_ignore_model_order(
        vals in prop::collection::vec(-2.0f32..2.0, 4 * 12),
        w in prop::collection::vec(0.1f64..2.0, 3),
        d in prop::collection::vec(0.2f64..1.0, 3),
        rot in 1usize..3,
    ) {
        let base = vals[..12].to_vec();
        let models: Vec<Vec<f32>> = (1..4).map(|i| vals[i * 12..(i + 1) * 12].to_vec()).collect();
        let mp: Vec<Params> = (0..3).map(|i| Params::new().num("weight", w[i]).num("density", d[i])).collect();
        let mut pm = models.clone();
        pm.rotate_left(rot);
        let mut pmp = mp.clone();
        pmp.rotate_left(rot);
        let p = Params::new().num("select_topk", 0.5);
        for name in SYMMETRIC {
            let a = run(name, &[3, 4], Some(&base), &models, &mp, &p, 9);
            let b = run(name, &[3, 4], Some(&base), &pm, &pmp, &p, 9);
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    let scale = a.iter().fold(1f32, |s, x| s.max(x.abs()));
                    for (x, y) in a.iter().zip(&b) {
                        prop_assert!((x - y).abs() <= 1e-4 * scale, "{}: {:?} vs {:?}", name, a, b);
                    }
                }
                (Err(ea), Err(eb)) => prop_assert_eq!(ea, eb),
                (a, b) => prop_assert!(false, "{}: {:?} vs {:?}", name, a, b),
            }
        }
    }

    #[test]
    fn merging_copies_of_one_model_gives_that_model(
        vals in prop::collection::vec(-2.0f32..2.0, 12),
        w in prop::collection::vec(0.1f64..2.0, 3),
    ) {
        let models = vec![vals.clone(); 3];
        let mp: Vec<Params> = w.iter().map(|&w| Params::new().num("weight", w)).collect();
        for name in ["linear", "karcher", "multislerp"] {
            let out = run(name, &[12], None, &models, &mp, &Params::new(), 0).unwrap();
            let scale = vals.iter().fold(1f32, |s, x| s.max(x.abs()));
            for (o, v) in out.iter().zip(&vals) {
                prop_assert!((o - v).abs() <= 1e-4 * scale, "{}: {:?} vs {:?}", name, out, vals);
            }
        }
        // Task-vector methods: models equal to the base give the base.
        for name in ["task_arithmetic", "ties", "sce", "ram", "dare_ties", "della_linear", "breadcrumbs"] {
            let out = run(name, &[12], Some(&vals), &models, &mp, &Params::new(), 0).unwrap();
            prop_assert_eq!(&out, &vals, "{}", name);
        }
    }
}

#[test]
fn method_functions_check_lengths_themselves() {
    let base = vec![0.5f32; 6];
    let models = [vec![1f32; 6], vec![2f32; 5]];
    let mp = vec![Params::new().num("weight", 1.0); 2];
    let p = Params::new().num("t", 0.5);
    for m in mergekit_methods() {
        let k = if ["slerp", "nearswap", "passthrough"].contains(&m.name) {
            1
        } else {
            2
        };
        let good: Vec<&[f32]> = vec![&models[0]; k];
        let input = MergeInput {
            tensor: "x",
            shape: &[6],
            base: Some(&base),
            models: &good,
            model_params: &mp[..k],
            params: &p,
            seed: 0,
        };
        // Output of the wrong length, bypassing Method::merge_into.
        let mut short = vec![0f32; 3];
        assert!(
            matches!(
                (m.merge)(&input, &mut short),
                Err(ModelError::ShapeMismatch { .. })
            ),
            "{}",
            m.name
        );
        // A model of the wrong length.
        let bad: Vec<&[f32]> = (0..k).map(|i| models[(i + 1) % 2].as_slice()).collect();
        let input = MergeInput {
            models: &bad,
            ..input
        };
        let mut out = vec![0f32; 6];
        assert!(
            matches!(
                (m.merge)(&input, &mut out),
                Err(ModelError::ShapeMismatch { .. })
            ),
            "{}",
            m.name
        );
    }
}

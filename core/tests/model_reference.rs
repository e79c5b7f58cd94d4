//! Differential tests against the reference (crdt-merge 0.8.3 with numpy):
//! `fixtures/model_strategies.json` (written by `model_gen.py`) holds every
//! deterministic strategy of the reference on small tensors of several
//! shapes, 2 and 3 models, with per-model weights and parameter sets. Ours
//! must agree within 1e-5 relative (we compute in f64 like the reference
//! and round once to f32).

use crdt_merge_core::model::strategy::{find, reference_methods};
use crdt_merge_core::model::{MergeInput, ParamValue, Params};
use crdt_merge_core::{json, Value};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    json::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn params(v: &Value) -> Params {
    let mut p = Params::new();
    for (k, x) in v.as_map().unwrap() {
        let k = k.as_str().unwrap();
        let pv = if let Some(s) = x.as_str() {
            ParamValue::Str(s.to_string())
        } else if x.as_list().is_some() {
            ParamValue::List(floats(x))
        } else {
            ParamValue::Num(x.as_f64().unwrap())
        };
        p.set(k, pv);
    }
    p
}

#[test]
fn deterministic_strategies_match_the_reference() {
    let fx = fixture("model_strategies.json");
    let cases = fx.get("cases").unwrap().as_list().unwrap();
    assert!(cases.len() > 400);
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (ci, c) in cases.iter().enumerate() {
        let method = c.get("method").unwrap().as_str().unwrap();
        seen.insert(method.to_string());
        let m = find(reference_methods(), method).unwrap();
        let shape: Vec<usize> = floats(c.get("shape").unwrap())
            .iter()
            .map(|&x| x as usize)
            .collect();
        let base: Option<Vec<f32>> = c
            .get("base")
            .filter(|b| b.as_list().is_some())
            .map(|b| floats(b).iter().map(|&x| x as f32).collect());
        let models: Vec<Vec<f32>> = c
            .get("models")
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(|m| floats(m).iter().map(|&x| x as f32).collect())
            .collect();
        let refs: Vec<&[f32]> = models.iter().map(|m| m.as_slice()).collect();
        let mp: Vec<Params> = floats(c.get("weights").unwrap())
            .iter()
            .map(|&w| Params::new().num("weight", w))
            .collect();
        let p = params(c.get("params").unwrap());
        let input = MergeInput {
            tensor: "t",
            shape: &shape,
            base: base.as_deref(),
            models: &refs,
            model_params: &mp,
            params: &p,
            seed: 42,
        };
        let got = m
            .merge_vec(&input)
            .unwrap_or_else(|e| panic!("case {ci} {method}: {e}"));
        let want = floats(c.get("expected").unwrap());
        assert_eq!(got.len(), want.len());
        for (j, (g, w)) in got.iter().zip(&want).enumerate() {
            if (*g as f64 - w).abs() > 1e-5 * w.abs() + 1e-6 {
                failures.push(format!(
                    "case {ci} {method} {shape:?} {p:?} [{j}]: got {g}, want {w}"
                ));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(seen.len(), 21, "{seen:?}");
}

/// Procrustes alignment is sign-dependent in general (see the deviations in
/// wire-spec/model.md); with identical task vectors the rotation is the
/// identity and the result is the base plus that task vector, as in the
/// reference.
#[test]
fn svd_knot_tying_identical_task_vectors() {
    let m = find(reference_methods(), "svd_knot_tying").unwrap();
    let base: Vec<f32> = (0..12).map(|i| i as f32 * 0.1).collect();
    let a: Vec<f32> = (0..12)
        .map(|i| base[i] + ((i * 5 % 7) as f32 - 3.0) / 4.0)
        .collect();
    let p = Params::new();
    let input = MergeInput {
        tensor: "t",
        shape: &[4, 3],
        base: Some(&base),
        models: &[&a, &a, &a],
        model_params: &[],
        params: &p,
        seed: 0,
    };
    let got = m.merge_vec(&input).unwrap();
    for (g, w) in got.iter().zip(&a) {
        assert!((g - w).abs() < 1e-5, "{g} vs {w}");
    }
}

/// The Jacobi SVD reconstructs its input, has orthonormal factors and
/// decreasing singular values, on tall, wide and rank-deficient matrices.
#[test]
fn svd_reconstructs_and_is_orthonormal() {
    use crdt_merge_core::model::linalg::svd;
    for (m, n, rank_one) in [
        (7, 4, false),
        (4, 9, false),
        (12, 12, false),
        (6, 5, true),
        (1, 5, false),
    ] {
        let a: Vec<f64> = (0..m * n)
            .map(|k| {
                if rank_one {
                    ((k / n + 1) * (k % n + 2)) as f64
                } else {
                    (((k * 7919) % 113) as f64 - 56.0) / 17.0
                }
            })
            .collect();
        let s = svd(&a, m, n);
        let r = m.min(n);
        assert_eq!(s.s.len(), r);
        assert!(s.s.windows(2).all(|w| w[0] >= w[1]));
        let back = s.reconstruct(&s.s);
        for (x, y) in back.iter().zip(&a) {
            assert!(
                (x - y).abs() < 1e-9 * (1.0 + y.abs()),
                "{m}x{n}: {x} vs {y}"
            );
        }
        for i in 0..r {
            for j in 0..r {
                let vv: f64 = s.v[i].iter().zip(&s.v[j]).map(|(x, y)| x * y).sum();
                assert!(
                    (vv - if i == j { 1.0 } else { 0.0 }).abs() < 1e-9,
                    "V not orthonormal"
                );
                if s.s[i] > 1e-9 && s.s[j] > 1e-9 {
                    let uu: f64 = s.u[i].iter().zip(&s.u[j]).map(|(x, y)| x * y).sum();
                    assert!(
                        (uu - if i == j { 1.0 } else { 0.0 }).abs() < 1e-9,
                        "U not orthonormal"
                    );
                }
            }
        }
    }
}

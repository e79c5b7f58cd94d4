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

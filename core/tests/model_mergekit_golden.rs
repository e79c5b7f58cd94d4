//! Golden tests against real mergekit 0.1.5: `fixtures/mergekit_cases.json`
//! is written by `mergekit_gen.py` (mergekit run on tiny random models saved
//! as safetensors). Every deterministic method (and the randomized ones at
//! density 1, where they draw nothing) must match mergekit's float32 output
//! within 1e-5 relative (plus 1e-6 absolute for values near zero).

use crdt_merge_core::json;
use crdt_merge_core::model::strategy::{find, mergekit_methods};
use crdt_merge_core::model::{MergeInput, ParamValue, Params};
use crdt_merge_core::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mergekit_cases.json"
    ))
    .unwrap();
    json::parse(&text).unwrap()
}

fn params(v: &Value) -> Params {
    let mut p = Params::new();
    for (k, v) in v.as_map().unwrap() {
        let k = k.as_str().unwrap();
        match v {
            Value::Bool(b) => p.set(k, ParamValue::Flag(*b)),
            _ => p.set(k, ParamValue::Num(v.as_f64().unwrap())),
        }
    }
    p
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn every_case_matches_mergekit() {
    let fx = fixture();
    let cases = fx.get("cases").unwrap().as_list().unwrap();
    assert!(cases.len() >= 45);
    let mut seen = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for case in cases {
        let label = case.get("label").unwrap().as_str().unwrap();
        let name = case.get("method").unwrap().as_str().unwrap();
        let Ok(method) = find(mergekit_methods(), name) else {
            // Randomized methods register once the shared RNG is merged.
            assert!(
                name.starts_with("dare") || name.starts_with("della"),
                "{label}: {name} missing"
            );
            continue;
        };
        seen.insert(method.name);
        let p = params(case.get("params").unwrap());
        let mp: Vec<Params> = case
            .get("model_params")
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(params)
            .collect();
        for t in case.get("tensors").unwrap().as_list().unwrap() {
            let name = t.get("name").unwrap().as_str().unwrap();
            let shape: Vec<usize> = t
                .get("shape")
                .unwrap()
                .as_list()
                .unwrap()
                .iter()
                .map(|d| d.as_int().unwrap() as usize)
                .collect();
            let base = match t.get("base").unwrap() {
                Value::None => None,
                b => Some(floats(b)),
            };
            let models: Vec<Vec<f32>> = t
                .get("models")
                .unwrap()
                .as_list()
                .unwrap()
                .iter()
                .map(floats)
                .collect();
            let refs: Vec<&[f32]> = models.iter().map(|m| m.as_slice()).collect();
            let expected = floats(t.get("expected").unwrap());
            let input = MergeInput {
                tensor: name,
                shape: &shape,
                base: base.as_deref(),
                models: &refs,
                model_params: &mp,
                params: &p,
                seed: 7,
            };
            let got = method
                .merge_vec(&input)
                .unwrap_or_else(|e| panic!("{label}/{name}: {e}"));
            let scale = expected.iter().fold(0f32, |a, &b| a.max(b.abs()));
            for (j, (&g, &e)) in got.iter().zip(&expected).enumerate() {
                let tol = 1e-5 * e.abs() + 1e-6 * scale.max(1.0);
                if (g - e).abs() > tol {
                    failures.push(format!("{label}/{name}[{j}]: ours {g}, mergekit {e}"));
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for m in mergekit_methods() {
        assert!(seen.contains(m.name), "no golden case for {}", m.name);
    }
}

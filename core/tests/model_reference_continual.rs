//! ContinualMerge against the reference: classic (decayed average) and CRDT
//! exports, absorption names (unique suffixes, replace), stability; and the
//! convergence check.

use crdt_merge_core::model::continual::{ContinualMerge, StateDict, Tensor};
use crdt_merge_core::{json, Value};

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::List(items) => items.iter().flat_map(floats).collect(),
        x => vec![x.as_f64().unwrap()],
    }
}

fn shape(v: &Value) -> Vec<usize> {
    match v {
        Value::List(items) => {
            let mut s = vec![items.len()];
            s.extend(items.first().map(shape).unwrap_or_default());
            s
        }
        _ => vec![],
    }
}

fn dict(v: &Value) -> StateDict {
    v.as_map()
        .unwrap()
        .iter()
        .map(|(k, t)| {
            (
                k.as_str().unwrap().to_string(),
                Tensor::new(shape(t), floats(t)).unwrap(),
            )
        })
        .collect()
}

#[test]
fn continual_merge_matches_the_reference() {
    let path = format!(
        "{}/tests/fixtures/model_continual.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fx = json::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    for case in fx.as_list().unwrap() {
        let strategy = case.get("strategy").unwrap().as_str().unwrap();
        let budget = case.get("memory_budget").unwrap().as_f64().unwrap();
        let crdt = matches!(case.get("crdt"), Some(Value::Bool(true)));
        let mut cm =
            ContinualMerge::new(dict(case.get("base").unwrap()), strategy, budget, crdt).unwrap();
        for st in case.get("steps").unwrap().as_list().unwrap() {
            cm.absorb(
                dict(st.get("model").unwrap()),
                st.get("weight").unwrap().as_f64().unwrap(),
                st.get("name").and_then(Value::as_str),
                st.get("replace").and_then(Value::as_str),
            )
            .unwrap();
        }
        let names: Vec<&str> = case
            .get("names")
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(cm.names(), names.as_slice());
        let exp = cm.export().unwrap();
        for (layer, want) in case.get("export").unwrap().as_map().unwrap() {
            let got = &exp[layer.as_str().unwrap()].values;
            for (g, w) in got.iter().zip(floats(want)) {
                assert!(
                    (g - w).abs() <= 1e-5 * w.abs() + 1e-6,
                    "{strategy} {layer:?}: {g} vs {w}"
                );
            }
        }
        let st = cm.measure_stability("x").unwrap().retention;
        let want = case.get("stability_x").unwrap().as_f64().unwrap();
        assert!(
            (st - want).abs() < 1e-5,
            "{strategy}: stability {st} vs {want}"
        );
        assert_eq!(cm.verify_convergence().unwrap(), crdt);
    }
}

#[test]
fn bad_input_is_typed() {
    let base: StateDict = [(
        "w".to_string(),
        Tensor::new(vec![2], vec![0.0, 1.0]).unwrap(),
    )]
    .into();
    assert!(ContinualMerge::new(base.clone(), "nope", 1.0, false).is_err());
    assert!(Tensor::new(vec![3], vec![0.0]).is_err());
    let mut cm = ContinualMerge::new(base, "weight_average", 1.0, false).unwrap();
    let bad: StateDict = [("w".to_string(), Tensor::new(vec![3], vec![0.0; 3]).unwrap())].into();
    cm.absorb(bad, 1.0, None, None).unwrap();
    assert!(cm.export().is_err());
    assert!(cm.measure_stability("nobody").is_err());
    assert!(cm.absorb(StateDict::new(), f64::NAN, None, None).is_err());
}

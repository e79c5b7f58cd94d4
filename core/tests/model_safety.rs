//! Safety analysis: differential cases from the reference
//! (`fixtures/model_extras.json`), risk bands, typed errors and
//! invariance of the report under model order.

use crdt_merge_core::json;
use crdt_merge_core::model::federated::Layers;
use crdt_merge_core::model::safety::{detect_safety_layers, safety_report, RiskLevel};
use crdt_merge_core::model::ModelError;
use crdt_merge_core::Value;
use proptest::prelude::*;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model_extras.json"
    ))
    .unwrap();
    json::parse(&text).unwrap()
}

fn layers(v: &Value) -> Layers {
    v.as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let f = v
                .as_list()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            (k.as_str().unwrap().to_string(), f)
        })
        .collect()
}

fn names(v: &Value) -> Vec<String> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn matches_the_reference() {
    let fx = fixture();
    let cases = fx.get("safety").unwrap().as_list().unwrap();
    let mut levels = Vec::new();
    for c in cases {
        let label = c.get("label").unwrap().as_str().unwrap();
        let models: Vec<Layers> = c
            .get("models")
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(layers)
            .collect();
        let refs: Vec<&Layers> = models.iter().collect();
        let r = safety_report(&refs).unwrap();
        let want_risk = c.get("risk_score").unwrap().as_f64().unwrap();
        assert!(
            (r.risk_score - want_risk).abs() <= 1e-12 * (1.0 + want_risk),
            "{label}: {} vs {want_risk}",
            r.risk_score
        );
        assert_eq!(r.level, RiskLevel::of(want_risk));
        assert_eq!(
            r.safety_layers,
            names(c.get("safety_layers").unwrap()),
            "{label}"
        );
        let want_var = c.get("layer_variance").unwrap().as_map().unwrap();
        assert_eq!(r.layer_variance.len(), want_var.len());
        for ((n, v), (wn, wv)) in r.layer_variance.iter().zip(want_var) {
            assert_eq!(n, wn.as_str().unwrap());
            let wv = wv.as_f64().unwrap();
            assert!((v - wv).abs() <= 1e-12 * (1.0 + wv), "{label}/{n}");
        }
        assert_eq!(
            detect_safety_layers(&refs, 0.05).unwrap(),
            names(c.get("detect_005").unwrap())
        );
        levels.push(r.level);
        assert!(!r.recommendation.is_empty() && !r.recommendation.contains('\n'));
    }
    assert_eq!(
        levels,
        vec![
            RiskLevel::Low,
            RiskLevel::Moderate,
            RiskLevel::High,
            RiskLevel::VeryHigh
        ]
    );
}

#[test]
fn edge_cases() {
    let r = safety_report(&[]).unwrap();
    assert_eq!((r.risk_score, r.level), (0.0, RiskLevel::Low));
    let a: Layers = vec![("w".into(), vec![1.0, 2.0])];
    let b: Layers = vec![("w".into(), vec![f64::INFINITY])];
    assert!(matches!(
        safety_report(&[&a, &b]),
        Err(ModelError::NonFinite { .. })
    ));
    // One model: nothing to compare.
    assert_eq!(safety_report(&[&a]).unwrap().risk_score, 0.0);
    // Empty layers count as mean 0.
    let e: Layers = vec![("w".into(), vec![])];
    assert_eq!(
        safety_report(&[&a, &e]).unwrap().layer_variance[0].1,
        0.5625
    );
}

proptest! {
    #[test]
    fn report_is_invariant_under_model_order(
        vals in prop::collection::vec(prop::collection::vec(-3.0f64..3.0, 4), 2..5),
        rot in 1usize..4,
    ) {
        let models: Vec<Layers> = vals.iter().map(|v| vec![("a".to_string(), v.clone()), ("b".to_string(), v[..2].to_vec())]).collect();
        let mut rot_models = models.clone();
        rot_models.rotate_left(rot % models.len());
        let x = safety_report(&models.iter().collect::<Vec<_>>()).unwrap();
        let y = safety_report(&rot_models.iter().collect::<Vec<_>>()).unwrap();
        prop_assert!((x.risk_score - y.risk_score).abs() < 1e-12);
        prop_assert_eq!(x.safety_layers, y.safety_layers);
        prop_assert!((0.0..=1.0).contains(&x.risk_score));
    }
}

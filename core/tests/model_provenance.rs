//! Provenance: differential cases from the reference
//! (`fixtures/model_extras.json`, including byte-equal JSON and CSV
//! exports), the CRDT laws of [`ProvenanceTracker`] and typed errors.

use crdt_merge_core::json;
use crdt_merge_core::laws::check_laws;
use crdt_merge_core::model::provenance::{
    compute_conflict_score, export_csv, export_json, ProvenanceTracker,
};
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

fn floats(v: &Value) -> Vec<f64> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn matches_the_reference() {
    let fx = fixture();
    for c in fx.get("provenance").unwrap().as_list().unwrap() {
        let label = c.get("label").unwrap().as_str().unwrap();
        let mut t = ProvenanceTracker::new();
        for l in c.get("layers").unwrap().as_list().unwrap() {
            let tensors: Vec<Vec<f64>> = l
                .get("tensors")
                .unwrap()
                .as_list()
                .unwrap()
                .iter()
                .map(floats)
                .collect();
            let refs: Vec<&[f64]> = tensors.iter().map(|v| v.as_slice()).collect();
            let w = match l.get("weights").unwrap() {
                Value::None => None,
                w => Some(floats(w)),
            };
            t.track(
                l.get("name").unwrap().as_str().unwrap(),
                &refs,
                w.as_deref(),
                l.get("strategy").unwrap().as_str().unwrap(),
            )
            .unwrap();
        }
        let s = t.summary();
        assert_eq!(
            s.overall_conflict,
            c.get("overall_conflict").unwrap().as_f64().unwrap(),
            "{label}"
        );
        assert_eq!(
            s.dominant_model as i64,
            c.get("dominant_model").unwrap().as_int().unwrap()
        );
        let rank: Vec<&str> = c
            .get("ranking")
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(s.layer_conflict_ranking, rank, "{label}");
        for l in &s.per_layer {
            let want = c.get("per_layer").unwrap().get(&l.layer_name).unwrap();
            assert_eq!(
                l.dominant_source as i64,
                want.get("dominant_source").unwrap().as_int().unwrap()
            );
            assert_eq!(
                l.contribution_map,
                floats(want.get("contribution").unwrap())
            );
            assert_eq!(
                l.conflict_score,
                want.get("conflict_score").unwrap().as_f64().unwrap(),
                "{label}/{}",
                l.layer_name
            );
        }
        assert_eq!(
            export_json(&s),
            c.get("json").unwrap().as_str().unwrap(),
            "{label}"
        );
        assert_eq!(
            export_csv(&s),
            c.get("csv").unwrap().as_str().unwrap(),
            "{label}"
        );
    }
}

#[test]
fn conflict_edges_and_errors() {
    assert_eq!(compute_conflict_score(&[&[1.0, 2.0]]), 0.0);
    assert_eq!(compute_conflict_score(&[&[], &[1.0]]), 0.0);
    assert_eq!(compute_conflict_score(&[&[1.0, -1.0], &[1.0, -1.0]]), 0.0);
    assert!((compute_conflict_score(&[&[1.0], &[-1.0]]) - 1.0).abs() < 1e-9);
    assert_eq!(compute_conflict_score(&[&[1.0], &[-1.0], &[0.0]]), 1.0);
    let mut t = ProvenanceTracker::new();
    let e = t.track("x", &[&[1.0], &[2.0]], Some(&[1.0, -1.0]), "linear");
    assert!(matches!(e, Err(ModelError::BadParam { .. })));
    let e = t.track("x", &[&[1.0], &[2.0]], Some(&[1.0]), "linear");
    assert!(matches!(e, Err(ModelError::BadParam { .. })));
    assert_eq!(t.summary().per_layer.len(), 0);
}

fn arb_tracker() -> impl Strategy<Value = ProvenanceTracker> {
    prop::collection::vec(
        (
            prop::sample::select(vec!["l0", "l1", "l2"]),
            prop::collection::vec(-2.0f64..2.0, 4),
            prop::sample::select(vec!["linear", "ties"]),
            0.1f64..1.0,
        ),
        0..4,
    )
    .prop_map(|recs| {
        let mut t = ProvenanceTracker::new();
        for (l, v, s, w) in recs {
            t.track(l, &[&v[..2], &v[2..]], Some(&[w, 1.0 - w / 2.0]), s)
                .unwrap();
        }
        t
    })
}

proptest! {
    #[test]
    fn tracker_merge_is_a_semilattice(a in arb_tracker(), b in arb_tracker(), c in arb_tracker()) {
        prop_assert!(check_laws(&a, &b, &c).is_ok(), "{:?}", check_laws(&a, &b, &c));
    }
}

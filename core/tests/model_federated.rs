//! Federated rounds: differential cases from the reference
//! (`fixtures/model_extras.json`, written by `model_extras_gen.py`), the
//! CRDT laws of [`FederatedRound`] and order-independence of aggregation.

use crdt_merge_core::json;
use crdt_merge_core::laws::check_laws;
use crdt_merge_core::model::federated::{Aggregation, FederatedRound, Layers};
use crdt_merge_core::model::ModelError;
use crdt_merge_core::{Merge, Value};
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

fn layers(v: &Value) -> Layers {
    v.as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), floats(v)))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn matches_the_reference() {
    let fx = fixture();
    let cases = fx.get("federated").unwrap().as_list().unwrap();
    assert_eq!(cases.len(), 4);
    for c in cases {
        let label = c.get("label").unwrap().as_str().unwrap();
        let mut round = FederatedRound::new();
        for s in c.get("submissions").unwrap().as_list().unwrap() {
            round.submit(
                s.get("client").unwrap().as_str().unwrap(),
                layers(s.get("layers").unwrap()),
                s.get("samples").unwrap().as_int().unwrap() as u64,
            );
        }
        let how = Aggregation::parse(
            c.get("strategy").unwrap().as_str().unwrap(),
            c.get("mu").unwrap().as_f64().unwrap(),
        )
        .unwrap();
        let global = match c.get("global").unwrap() {
            Value::None => None,
            g => Some(layers(g)),
        };
        let r = round.aggregate(how, global.as_ref()).unwrap();
        assert_eq!(
            r.strategy_used,
            c.get("strategy_used").unwrap().as_str().unwrap()
        );
        assert_eq!(
            r.num_clients as i64,
            c.get("num_clients").unwrap().as_int().unwrap()
        );
        assert_eq!(
            r.total_samples as i64,
            c.get("total_samples").unwrap().as_int().unwrap()
        );
        let want = c.get("contributions").unwrap();
        for (cid, share) in &r.client_contributions {
            assert!(
                close(*share, want.get(cid).unwrap().as_f64().unwrap()),
                "{label}"
            );
        }
        let want = layers(c.get("model").unwrap());
        assert_eq!(r.model.len(), want.len(), "{label}");
        for (name, v) in &want {
            let (_, got) = r.model.iter().find(|(n, _)| n == name).unwrap();
            assert_eq!(got.len(), v.len());
            for (a, b) in got.iter().zip(v) {
                assert!(close(*a, *b), "{label}/{name}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn bad_rounds_are_typed_errors() {
    let r = FederatedRound::new();
    assert!(matches!(
        r.aggregate(Aggregation::FedAvg, None),
        Err(ModelError::BadState(_))
    ));
    let mut r = FederatedRound::new();
    r.submit("a", vec![("w".into(), vec![1.0, 2.0])], 1);
    assert!(matches!(
        r.aggregate(Aggregation::FedProx { mu: 0.1 }, None),
        Err(ModelError::BadParam { .. })
    ));
    r.submit("b", vec![("w".into(), vec![1.0])], 1);
    assert!(matches!(
        r.aggregate(Aggregation::FedAvg, None),
        Err(ModelError::ShapeMismatch { .. })
    ));
    let mut z = FederatedRound::new();
    z.submit("a", vec![("w".into(), vec![1.0])], 0);
    assert!(matches!(
        z.aggregate(Aggregation::FedAvg, None),
        Err(ModelError::BadParam { .. })
    ));
    let mut n = FederatedRound::new();
    n.submit("a", vec![("w".into(), vec![f64::NAN])], 3);
    assert!(matches!(
        n.aggregate(Aggregation::FedAvg, None),
        Err(ModelError::NonFinite { .. })
    ));
    assert!(matches!(
        Aggregation::parse("fedsgd", 0.0),
        Err(ModelError::UnknownMethod(_))
    ));
}

fn arb_round() -> impl Strategy<Value = FederatedRound> {
    prop::collection::vec(
        (
            prop::sample::select(vec!["a", "b", "c", "d"]),
            1u64..5,
            prop::collection::vec(-3.0f64..3.0, 3),
            any::<bool>(),
        ),
        0..5,
    )
    .prop_map(|subs| {
        let mut r = FederatedRound::new();
        for (c, n, v, extra) in subs {
            let mut l: Layers = vec![("w".into(), v.clone())];
            if extra {
                l.push(("x".into(), v[..1].to_vec()));
            }
            r.submit(c, l, n);
        }
        r
    })
}

proptest! {
    #[test]
    fn round_merge_is_a_semilattice(a in arb_round(), b in arb_round(), c in arb_round()) {
        prop_assert!(check_laws(&a, &b, &c).is_ok(), "{:?}", check_laws(&a, &b, &c));
    }

    #[test]
    fn aggregation_does_not_depend_on_merge_order(a in arb_round(), b in arb_round(), c in arb_round()) {
        let x = a.merge(&b).unwrap().merge(&c).unwrap();
        let y = c.merge(&a).unwrap().merge(&b).unwrap();
        let g: Layers = vec![("w".into(), vec![0.5, -0.5, 1.0])];
        let how = Aggregation::FedProx { mu: 0.2 };
        prop_assert_eq!(x.aggregate(how, Some(&g)), y.aggregate(how, Some(&g)));
    }
}

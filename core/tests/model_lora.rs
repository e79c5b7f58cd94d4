//! LoRA merging: differential cases from the reference
//! (`fixtures/model_extras.json`: every rank strategy, schemas with
//! patterns and defaults, provenance and `apply_to_base`), rank rules on
//! hand-made matrices and typed errors.

use crdt_merge_core::json;
use crdt_merge_core::model::lora::{
    apply_to_base, harmonize_a, harmonize_b, target_rank, Adapter, LoraMerge, LoraMergeSchema,
    LoraPair, Matrix, RankStrategy,
};
use crdt_merge_core::model::ModelError;
use crdt_merge_core::Value;

fn fixture() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/model_extras.json"
    ))
    .unwrap();
    json::parse(&text).unwrap()
}

fn matrix(v: &Value) -> Matrix {
    let rows = v.as_list().unwrap();
    let cols = rows[0].as_list().unwrap().len();
    let data = rows
        .iter()
        .flat_map(|r| r.as_list().unwrap().iter().map(|x| x.as_f64().unwrap()))
        .collect();
    Matrix::new(rows.len(), cols, data).unwrap()
}

fn adapter(v: &Value) -> Adapter {
    v.as_map()
        .unwrap()
        .iter()
        .map(|(k, p)| {
            let pair = LoraPair {
                a: matrix(p.get("lora_A").unwrap()),
                b: matrix(p.get("lora_B").unwrap()),
            };
            (k.as_str().unwrap().to_string(), pair)
        })
        .collect()
}

fn assert_close(got: &Matrix, want: &Matrix, what: &str) {
    assert_eq!((got.rows, got.cols), (want.rows, want.cols), "{what}");
    for (a, b) in got.data.iter().zip(&want.data) {
        assert!((a - b).abs() <= 1e-5 * b.abs() + 1e-6, "{what}: {a} vs {b}");
    }
}

#[test]
fn matches_the_reference() {
    let fx = fixture();
    let lora = fx.get("lora").unwrap();
    let adapters: Vec<Adapter> = lora
        .get("adapters")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .map(adapter)
        .collect();
    let base: Vec<(String, Matrix)> = lora
        .get("base_model")
        .unwrap()
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), matrix(v)))
        .collect();
    let cases = lora.get("cases").unwrap().as_list().unwrap();
    assert_eq!(cases.len(), 5);
    for c in cases {
        let label = c.get("label").unwrap().as_str().unwrap();
        let schema: Vec<(String, String)> = c
            .get("schema")
            .unwrap()
            .as_list()
            .unwrap()
            .iter()
            .map(|p| {
                let p = p.as_list().unwrap();
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let pairs: Vec<(&str, &str)> = schema
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let lm = LoraMerge::new(LoraMergeSchema::new(&pairs).unwrap());
        let weights: Option<Vec<f64>> = match c.get("weights").unwrap() {
            Value::None => None,
            w => Some(
                w.as_list()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect(),
            ),
        };
        let rank = RankStrategy::parse(c.get("rank_strategy").unwrap().as_str().unwrap()).unwrap();
        let merged = lm
            .merge_adapters_with_provenance(&adapters, weights.as_deref(), rank)
            .unwrap();
        let want = adapter(c.get("merged").unwrap());
        assert_eq!(merged.len(), want.len(), "{label}");
        for ((name, pair, prov), (wname, wpair)) in merged.iter().zip(&want) {
            assert_eq!(name, wname, "{label}: module order");
            assert_close(&pair.a, &wpair.a, &format!("{label}/{name}/A"));
            assert_close(&pair.b, &wpair.b, &format!("{label}/{name}/B"));
            let wp = c.get("provenance").unwrap().get(name).unwrap();
            assert_eq!(prov.strategy, wp.get("strategy").unwrap().as_str().unwrap());
            assert_eq!(
                prov.dominant_source as i64,
                wp.get("dominant_source").unwrap().as_int().unwrap(),
                "{label}/{name}"
            );
            let ws: Vec<usize> = wp
                .get("sources")
                .unwrap()
                .as_list()
                .unwrap()
                .iter()
                .map(|x| x.as_int().unwrap() as usize)
                .collect();
            assert_eq!(prov.sources, ws);
        }
        let plain: Adapter = merged.into_iter().map(|(n, p, _)| (n, p)).collect();
        let applied = apply_to_base(&plain, &base).unwrap();
        let want_applied = c.get("applied").unwrap().as_map().unwrap();
        assert_eq!(applied.len(), want_applied.len(), "{label}");
        for ((n, m), (wn, wm)) in applied.iter().zip(want_applied) {
            assert_eq!(n, wn.as_str().unwrap());
            assert_close(m, &matrix(wm), &format!("{label}/applied/{n}"));
        }
    }
}

#[test]
fn rank_rules() {
    assert_eq!(target_rank(&[2, 4, 3], RankStrategy::Max, None).unwrap(), 4);
    assert_eq!(target_rank(&[2, 4, 3], RankStrategy::Min, None).unwrap(), 2);
    // Python rounds half to even: mean 2.5 -> 2, 3.5 -> 4.
    assert_eq!(target_rank(&[2, 3], RankStrategy::Mean, None).unwrap(), 2);
    assert_eq!(target_rank(&[3, 4], RankStrategy::Mean, None).unwrap(), 4);
    assert_eq!(
        target_rank(&[1, 8], RankStrategy::Adaptive, Some(&[3.0, 1.0])).unwrap(),
        3
    );
    assert!(target_rank(&[1, 8], RankStrategy::Adaptive, Some(&[1.0, -1.0])).is_err());
    let a = Matrix::new(2, 3, vec![1., 2., 3., 4., 5., 6.]).unwrap();
    assert_eq!(
        harmonize_a(&a, 3, RankStrategy::Max).data,
        vec![1., 2., 3., 4., 5., 6., 0., 0., 0.]
    );
    assert_eq!(
        harmonize_a(&a, 1, RankStrategy::Mean).data,
        vec![1., 2., 3.]
    );
    let b = Matrix::new(2, 2, vec![1., 2., 3., 4.]).unwrap();
    assert_eq!(
        harmonize_b(&b, 3, RankStrategy::Max).data,
        vec![1., 2., 0., 3., 4., 0.]
    );
    assert_eq!(harmonize_b(&b, 1, RankStrategy::Mean).data, vec![1., 3.]);
    // min: rank-1 SVD approximation first; a rank-1 matrix survives whole.
    let r1 = Matrix::new(2, 3, vec![1., 2., 3., 2., 4., 6.]).unwrap();
    let h = harmonize_a(&r1, 1, RankStrategy::Min);
    for (x, y) in h.data.iter().zip([1., 2., 3.]) {
        assert!((x - y).abs() < 1e-12);
    }
}

#[test]
fn bad_input_is_typed() {
    assert!(matches!(
        RankStrategy::parse("median"),
        Err(ModelError::BadParam { .. })
    ));
    assert!(matches!(
        LoraMergeSchema::new(&[("default", "nope")]),
        Err(ModelError::UnknownMethod(_))
    ));
    assert!(Matrix::new(2, 2, vec![1.0]).is_err());
    let s = LoraMergeSchema::new(&[("q_proj", "weight_average")]).unwrap();
    assert!(matches!(
        s.strategy_for("v_proj"),
        Err(ModelError::BadParam { .. })
    ));
    let pair = |r: usize, nan: bool| LoraPair {
        a: Matrix::new(r, 2, vec![if nan { f64::NAN } else { 1.0 }; r * 2]).unwrap(),
        b: Matrix::new(3, r, vec![0.5; 3 * r]).unwrap(),
    };
    let lm = LoraMerge::new(LoraMergeSchema::new(&[("default", "weight_average")]).unwrap());
    let good: Adapter = vec![("m".into(), pair(2, false))];
    let nan: Adapter = vec![("m".into(), pair(2, true))];
    assert!(matches!(
        lm.merge_adapters(&[good.clone(), nan], None, RankStrategy::Max),
        Err(ModelError::NonFinite { .. })
    ));
    assert!(matches!(
        lm.merge_adapters(
            &[good.clone(), good.clone()],
            Some(&[1.0]),
            RankStrategy::Max
        ),
        Err(ModelError::BadParam { .. })
    ));
    let skew: Adapter = vec![(
        "m".into(),
        LoraPair {
            a: Matrix::zeros(2, 2),
            b: Matrix::zeros(3, 3),
        },
    )];
    assert!(matches!(
        lm.merge_adapters(&[good.clone(), skew], None, RankStrategy::Max),
        Err(ModelError::ShapeMismatch { .. })
    ));
    let wide: Adapter = vec![(
        "m".into(),
        LoraPair {
            a: Matrix::zeros(2, 5),
            b: Matrix::zeros(3, 2),
        },
    )];
    assert!(matches!(
        lm.merge_adapters(&[good.clone(), wide], None, RankStrategy::Max),
        Err(ModelError::ShapeMismatch { .. })
    ));
    let base = vec![("m".to_string(), Matrix::zeros(4, 4))];
    assert!(matches!(
        apply_to_base(&good, &base),
        Err(ModelError::ShapeMismatch { .. })
    ));
    // Merging an adapter with itself gives it back (weight_average is idempotent).
    let same = lm
        .merge_adapters(
            &[good.clone(), good.clone()],
            Some(&[0.3, 0.7]),
            RankStrategy::Min,
        )
        .unwrap();
    assert_eq!(same, good);
}

mod laws {
    use super::*;
    use proptest::prelude::*;

    fn arb_adapter() -> impl Strategy<Value = (Adapter, f64)> {
        (
            1usize..4,
            prop::collection::vec(-1.0f64..1.0, 2 * 4 * 3),
            0.1f64..2.0,
            any::<bool>(),
        )
            .prop_map(|(r, v, w, extra)| {
                let pair = |off: usize| LoraPair {
                    a: Matrix::new(r, 4, v[off..off + r * 4].to_vec()).unwrap(),
                    b: Matrix::new(3, r, v[off + 12..off + 12 + 3 * r].to_vec()).unwrap(),
                };
                let mut a: Adapter = vec![("q_proj".into(), pair(0))];
                if extra {
                    a.push(("v_proj".into(), pair(1)));
                }
                (a, w)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        /// The merged adapter does not depend on the order of the adapters
        /// (with their weights): per module, up to f32 rounding (each
        /// adapter is harmonized on its own; the target rank is symmetric).
        #[test]
        fn adapter_order_does_not_matter(
            xs in prop::collection::vec(arb_adapter(), 2..4),
            rank in prop::sample::select(vec!["max", "min", "mean", "adaptive"]),
        ) {
            let lm = LoraMerge::new(LoraMergeSchema::new(&[("default", "weight_average")]).unwrap());
            let rank = RankStrategy::parse(rank).unwrap();
            let (ads, ws): (Vec<Adapter>, Vec<f64>) = xs.iter().cloned().unzip();
            let (mut rads, mut rws) = (ads.clone(), ws.clone());
            rads.reverse();
            rws.reverse();
            let a = lm.merge_adapters(&ads, Some(&ws), rank).unwrap();
            let b = lm.merge_adapters(&rads, Some(&rws), rank).unwrap();
            prop_assert_eq!(a.len(), b.len());
            for (name, p) in &a {
                let (_, q) = b.iter().find(|(n, _)| n == name).unwrap();
                prop_assert_eq!((p.a.rows, p.a.cols, p.b.rows, p.b.cols), (q.a.rows, q.a.cols, q.b.rows, q.b.cols));
                for (x, y) in p.a.data.iter().chain(&p.b.data).zip(q.a.data.iter().chain(&q.b.data)) {
                    prop_assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{}: {} vs {}", name, x, y);
                }
            }
        }
    }
}

//! CRDT laws of CrdtMergeState on random replicas (adds of random
//! versions, removes), and resolve() bit-identical for any merge order,
//! grouping and repetition, for a deterministic and a randomized strategy.

use crdt_merge_core::model::state::{Contribution, CrdtMergeState, Weight};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Add(u8, i64, i8),
    Remove(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..4, 1i64..4, any::<i8>()).prop_map(|(i, v, x)| Op::Add(i, v, x)),
        1 => (0u8..4).prop_map(Op::Remove),
    ]
}

fn replica(strategy: &str, ops: &[Op]) -> CrdtMergeState {
    let mut s = CrdtMergeState::new(strategy)
        .unwrap()
        .with_base(vec![2, 2], vec![0.1, -0.2, 0.3, 0.0])
        .unwrap();
    for o in ops {
        match o {
            Op::Add(i, v, x) => {
                let t: Vec<f64> = (0..4)
                    .map(|k| *x as f64 / 16.0 + k as f64 * 0.25 * *i as f64)
                    .collect();
                let c = Contribution::new(
                    &format!("m{i}"),
                    vec![2, 2],
                    t,
                    Weight::Float(1.0 + *i as f64),
                    *v,
                    0.0,
                )
                .unwrap();
                s.add(c).unwrap();
            }
            Op::Remove(i) => {
                s.remove(&format!("m{i}"));
            }
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn merge_laws_and_order_free_resolve(
        a in prop::collection::vec(op(), 0..6),
        b in prop::collection::vec(op(), 0..6),
        c in prop::collection::vec(op(), 0..6),
        strategy in prop::sample::select(vec!["weight_average", "ties", "dare", "dual_projection", "star"]),
    ) {
        let (a, b, c) = (replica(strategy, &a), replica(strategy, &b), replica(strategy, &c));
        let ab = a.join(&b).unwrap();
        prop_assert_eq!(&ab, &b.join(&a).unwrap());
        let abc = ab.join(&c).unwrap();
        prop_assert_eq!(&abc, &a.join(&b.join(&c).unwrap()).unwrap());
        prop_assert_eq!(&a.join(&a).unwrap(), &a);
        prop_assert_eq!(&abc.join(&b).unwrap(), &abc);
        let many = CrdtMergeState::merge_many(&[c.clone(), a.clone(), b.clone(), a.clone()]).unwrap();
        prop_assert_eq!(&many, &abc);
        let r1 = abc.resolve();
        let r2 = c.join(&b).unwrap().join(&a).unwrap().resolve();
        match (r1, r2) {
            (Ok((s1, v1)), Ok((s2, v2))) => {
                prop_assert_eq!(s1, s2);
                let b1: Vec<u32> = v1.iter().map(|x| x.to_bits()).collect();
                let b2: Vec<u32> = v2.iter().map(|x| x.to_bits()).collect();
                prop_assert_eq!(b1, b2);
            }
            (Err(e1), Err(e2)) => prop_assert_eq!(e1, e2),
            (x, y) => prop_assert!(false, "{:?} vs {:?}", x, y),
        }
    }
}

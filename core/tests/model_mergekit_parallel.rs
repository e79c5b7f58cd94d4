//! With the `parallel` feature, every mergekit method gives bit-identical
//! results on 1 and 4 threads, on a tensor larger than one chunk
//! (`cargo test -p crdt-merge-core --features parallel --test model_mergekit_parallel`).
#![cfg(feature = "parallel")]

use crdt_merge_core::model::strategy::mergekit_methods;
use crdt_merge_core::model::{BaseUse, MergeInput, Params};

#[test]
fn thread_count_does_not_change_results() {
    let n = 3 * (1 << 14) + 17;
    let gen = |s: u64| -> Vec<f32> {
        (0..n)
            .map(|i| ((((i as u64 + 1).wrapping_mul(2654435761) ^ s) % 2001) as f32 / 1000.0) - 1.0)
            .collect()
    };
    let base = gen(1);
    let models = [gen(2), gen(3), gen(4)];
    let p = Params::new().num("t", 0.3).num("select_topk", 0.5);
    let mp: Vec<Params> = [0.5, 0.3, 0.2]
        .iter()
        .map(|&w| {
            Params::new()
                .num("weight", w)
                .num("density", 0.4)
                .num("epsilon", 0.1)
        })
        .collect();
    let pool = |k| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .build()
            .unwrap()
    };
    let mut checked = 0;
    for m in mergekit_methods() {
        let k = match m.name {
            "slerp" | "nearswap" | "passthrough" => 1,
            "nuslerp" => 2,
            _ => 3,
        };
        let refs: Vec<&[f32]> = models[..k].iter().map(|m| m.as_slice()).collect();
        let input = MergeInput {
            tensor: "big",
            shape: &[n],
            base: if m.base == BaseUse::Unused {
                None
            } else {
                Some(&base)
            },
            models: &refs,
            model_params: &mp[..k],
            params: &p,
            seed: 11,
        };
        let one = pool(1).install(|| m.merge_vec(&input)).unwrap();
        let four = pool(4).install(|| m.merge_vec(&input)).unwrap();
        let b1: Vec<u32> = one.iter().map(|x| x.to_bits()).collect();
        let b4: Vec<u32> = four.iter().map(|x| x.to_bits()).collect();
        assert!(b1 == b4, "{} differs across thread counts", m.name);
        checked += 1;
    }
    assert_eq!(checked, mergekit_methods().len());
}

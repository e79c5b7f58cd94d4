//! `boundary`: the native side of the cross-language overhead benchmark
//! (benches/boundary/run.sh). Runs the same workloads as the Python, Node
//! and Go scripts on the core directly and prints one `name value unit` line
//! per workload, best of several repetitions. Nothing here asserts a time.

use std::hint::black_box;
use std::time::Instant;

use crdt_merge_core::wire::Limits;
use crdt_merge_core::AnyCrdt;

fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let g = format!("{root}/conformance/golden/g_counter/merge");
    let a = std::fs::read(format!("{g}/overlap.a.crdt")).expect("golden frame a");
    let b = std::fs::read(format!("{g}/overlap.b.crdt")).expect("golden frame b");
    let limits = Limits::default();
    // small_merge: decode two small frames, merge, encode (one "call" in a binding)
    let n = 200_000;
    let t = best(5, || {
        for _ in 0..n {
            let (x, _) = AnyCrdt::decode(black_box(&a), &limits).unwrap();
            let (y, _) = AnyCrdt::decode(black_box(&b), &limits).unwrap();
            let m = x.merge(&y).unwrap();
            black_box(m.encode(false).unwrap());
        }
    });
    println!("small_merge {:.3} us", t / n as f64 * 1e6);
}

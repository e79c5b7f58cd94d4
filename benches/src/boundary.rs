//! `boundary`: the native side of the cross-language overhead benchmark
//! (benches/boundary/run.sh). Runs the same workloads as the Python, Node
//! and Go scripts on the core directly and prints one `name value unit` line
//! per workload, best of several repetitions. Nothing here asserts a time.

use std::hint::black_box;

use crdt_merge_core::model::strategy;
use crdt_merge_core::model::{MergeInput, Params};
use crdt_merge_core::table::{self, MergeOptions, Table};
use crdt_merge_core::wire::Limits;
use crdt_merge_core::{json, AnyCrdt, Value};

mod timing;
use timing::best;

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

    // records_1m: two JSON arrays of 1M rows x 8 columns (50% key overlap)
    // parsed, merged by key and written back as JSON: what every binding does
    // with rows it is handed.
    let rows = std::env::var("BOUNDARY_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000usize);
    let (ja, jb) = (rows_json(0, rows), rows_json(rows / 2, rows));
    let opts = MergeOptions::keyed(["id"]);
    let t = best(3, || {
        let parse = |text: &str| match json::parse(text).unwrap() {
            Value::List(r) => Table::from_dict_rows(&r),
            _ => unreachable!(),
        };
        let m = table::merge_owned(parse(&ja), parse(&jb), &opts).unwrap();
        black_box(json::to_string(&Value::List(m.to_dict_rows())).unwrap());
    });
    println!("records_1m {:.1} ms", t * 1e3);

    // linear_100m: mergekit linear over 3 float32 tensors of N parameters.
    let n: usize = std::env::var("BOUNDARY_PARAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000_000);
    let models: Vec<Vec<f32>> = (0..3)
        .map(|k| (0..n).map(|i| ((i * 7 + k) % 1000) as f32 * 1e-3).collect())
        .collect();
    let refs: Vec<&[f32]> = models.iter().map(Vec::as_slice).collect();
    let mp: Vec<Params> = [0.2, 0.3, 0.5]
        .iter()
        .map(|&w| Params::new().num("weight", w))
        .collect();
    let p = Params::new();
    let shape = [n];
    let method = strategy::find(strategy::mergekit_methods(), "linear").unwrap();
    let mut out = vec![0f32; n];
    let t = best(3, || {
        let input = MergeInput {
            tensor: "t",
            shape: &shape,
            base: None,
            models: &refs,
            model_params: &mp,
            params: &p,
            seed: 0,
        };
        method.merge_into(&input, &mut out).unwrap();
        black_box(&out);
    });
    println!("linear_100m {:.1} ms", t * 1e3);
}

/// `count` rows with ids from `start`: id, name, city, score, qty, price, flag, note.
fn rows_json(start: usize, count: usize) -> String {
    let mut s = String::with_capacity(count * 120);
    s.push('[');
    for i in start..start + count {
        if i > start {
            s.push_str(", ");
        }
        s.push_str(&format!(
            "{{\"id\": {i}, \"name\": \"user{}\", \"city\": \"c{}\", \"score\": {}.5, \"qty\": {}, \"price\": {}.25, \"flag\": {}, \"note\": \"n{}\"}}",
            i % 1000, i % 37, i % 100, (i * 7 + start) % 50, i % 999, if (i + start).is_multiple_of(2) { "true" } else { "false" }, (i + start) % 11
        ));
    }
    s.push(']');
    s
}

//! `vs-reference [SCALE] [--python PY]`: runs the benchmark workloads on
//! crdt-merge-core, then runs benches/reference_bench.py (the same workloads
//! on the Python reference) in the same run, and prints both side by side
//! with the speed-up. Best of several repetitions; nothing here asserts a
//! time.

use std::hint::black_box;
use std::process::Command;

use crdt_merge_core::crdt::{GCounter, OrSet, PNCounter};
use crdt_merge_core::sketch::bloom::MergeableBloom;
use crdt_merge_core::sketch::cms::MergeableCms;
use crdt_merge_core::sketch::hll::MergeableHll;
use crdt_merge_core::wire::{batch, Limits};
use crdt_merge_core::{AnyCrdt, Merge, Value};

mod timing;
use timing::best;

fn counters<T: Default>(nodes: usize, inc: impl Fn(&mut T, &str, u64)) -> (T, T) {
    let (mut a, mut b) = (T::default(), T::default());
    for i in 0..nodes {
        let id = format!("node-{i}");
        inc(&mut a, &id, i as u64 + 1);
        inc(&mut b, &id, (nodes - i) as u64);
    }
    (a, b)
}

fn orsets(k: usize) -> (OrSet, OrSet) {
    let (mut a, mut b) = (OrSet::new(), OrSet::new());
    for i in 0..k {
        a.add(&Value::Str(format!("e{i}")), format!("{i:012x}"));
        b.add(
            &Value::Str(format!("e{}", i + k / 2)),
            format!("{:012x}", i + k),
        );
    }
    (a, b)
}

fn ours(scale: f64) -> Vec<(&'static str, f64)> {
    let n = |x: f64| ((x * scale) as usize).max(1);
    let mut out = Vec::new();
    let (ga, gb) = counters::<GCounter>(n(1000.0), |c, id, v| c.increment(id, v));
    out.push((
        "gcounter_merge_1k_nodes",
        best(200, || drop(black_box(ga.merge(&gb)))),
    ));
    let (pa, pb) = counters::<PNCounter>(n(1000.0), |c, id, v| c.increment(id, v));
    out.push((
        "pncounter_merge_1k_nodes",
        best(200, || drop(black_box(pa.merge(&pb)))),
    ));
    let (oa, ob) = orsets(n(100_000.0));
    out.push((
        "orset_merge_100k",
        best(5, || drop(black_box(oa.merge(&ob)))),
    ));
    out.extend(sketches(n(1_000_000.0)));
    let objs: Vec<AnyCrdt> = (0..n(50_000.0))
        .map(|i| {
            let mut g = GCounter::new();
            g.increment(&format!("n{}", i % 97), i as u64);
            AnyCrdt::GCounter(g)
        })
        .collect();
    out.push((
        "batch_roundtrip_50k",
        best(5, || {
            let frames: Vec<Vec<u8>> = objs
                .iter()
                .map(|o| o.encode(false).expect("encode"))
                .collect();
            let bytes = batch::encode_batch(&frames);
            let back: Vec<AnyCrdt> = batch::split_batch(&bytes, &Limits::DEFAULT)
                .expect("split")
                .into_iter()
                .map(|f| AnyCrdt::decode(f, &Limits::DEFAULT).expect("decode").0)
                .collect();
            black_box(back);
        }),
    ));
    out
}

fn sketches(items: usize) -> Vec<(&'static str, f64)> {
    let ints: Vec<i64> = (0..items as i64).collect();
    let mut out = Vec::new();
    out.push((
        "hll_add_1m_p14",
        best(3, || {
            let mut h = MergeableHll::new(14).expect("p=14");
            h.add_ints(&ints);
            black_box(h);
        }),
    ));
    out.push((
        "bloom_add_serialize_1m",
        best(3, || {
            let mut b = MergeableBloom::new(items as i64, 0.01).expect("params");
            b.add_ints(&ints);
            black_box(b.to_bytes(false).expect("encode"));
        }),
    ));
    out.push((
        "cms_add_1m",
        best(3, || {
            let mut c = MergeableCms::new(2000, 7).expect("params");
            c.add_ints(&ints);
            black_box(c);
        }),
    ));
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scale: f64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1.0);
    let python = args
        .iter()
        .position(|a| a == "--python")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "conformance/.venv/bin/python".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/reference_bench.py");
    eprintln!("running crdt-merge-core (scale {scale}) ...");
    let ours = ours(scale);
    eprintln!("running the Python reference ({python}) ...");
    let py = Command::new(&python)
        .arg(script)
        .arg(scale.to_string())
        .env("PYTHONHASHSEED", "0")
        .output();
    let reference: Option<Value> = match py {
        Ok(o) if o.status.success() => {
            crdt_merge_core::json::parse(String::from_utf8_lossy(&o.stdout).trim()).ok()
        }
        Ok(o) => {
            eprintln!(
                "reference run failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("cannot run {python}: {e}");
            None
        }
    };
    println!(
        "{:<28} {:>14} {:>14} {:>10}",
        "workload", "reference", "crdt-merge-rs", "speed-up"
    );
    for (name, t) in &ours {
        let r = reference
            .as_ref()
            .and_then(|r| r.get(name))
            .and_then(Value::as_f64);
        let fmt = |s: f64| {
            if s < 1e-3 {
                format!("{:.1} µs", s * 1e6)
            } else {
                format!("{:.2} ms", s * 1e3)
            }
        };
        match r {
            Some(r) => println!(
                "{:<28} {:>14} {:>14} {:>9.0}x",
                name,
                fmt(r),
                fmt(*t),
                r / t
            ),
            None => println!("{:<28} {:>14} {:>14} {:>10}", name, "-", fmt(*t), "-"),
        }
    }
}

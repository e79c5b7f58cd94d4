//! `vs_mergekit [SCALE] [--python PY]`: times crdt-merge-core's mergekit
//! methods on one `1024 SCALE x 1024` float32 tensor (a base and up to three
//! models), then runs benches/mergekit_bench.py (mergekit 0.1.5 on torch,
//! same sizes and parameters) in the same run and prints both side by side.
//! Best of 3 after a warm-up; nothing here asserts a time.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use crdt_merge_core::model::strategy::{find, mergekit_methods};
use crdt_merge_core::model::{MergeInput, Params};
use crdt_merge_core::Value;

/// (name, models, uses base, global params, per-model params)
type Work = (&'static str, usize, bool, Params, Vec<Params>);

fn work() -> Vec<Work> {
    let w = [0.5, 0.3, 0.2];
    let d = [0.5, 0.6, 0.7];
    let weights = || {
        (0..3)
            .map(|i| Params::new().num("weight", w[i]))
            .collect::<Vec<_>>()
    };
    let wd = || {
        (0..3)
            .map(|i| {
                Params::new()
                    .num("weight", w[i])
                    .num("density", d[i])
                    .num("epsilon", 0.1)
            })
            .collect::<Vec<_>>()
    };
    let none = || vec![Params::new(); 3];
    vec![
        ("linear", 3, false, Params::new(), weights()),
        ("slerp", 1, true, Params::new().num("t", 0.3), none()),
        (
            "nuslerp",
            2,
            false,
            Params::new(),
            vec![
                Params::new().num("weight", 0.4),
                Params::new().num("weight", 0.6),
            ],
        ),
        ("multislerp", 3, true, Params::new(), weights()),
        ("karcher", 3, false, Params::new(), none()),
        ("task_arithmetic", 3, true, Params::new(), weights()),
        ("ties", 3, true, Params::new(), wd()),
        ("dare_ties", 3, true, Params::new(), wd()),
        ("breadcrumbs", 3, true, Params::new(), wd()),
        ("della", 3, true, Params::new(), wd()),
        ("model_stock", 3, true, Params::new(), none()),
        (
            "sce",
            3,
            true,
            Params::new().num("select_topk", 0.5),
            none(),
        ),
        ("nearswap", 1, true, Params::new().num("t", 0.01), none()),
        ("ram", 3, true, Params::new(), none()),
    ]
}

/// Deterministic pseudo-normal values (sum of uniforms), no RNG crate needed.
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            let mut acc = 0f32;
            for _ in 0..4 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                acc += (s >> 40) as f32 / (1u64 << 24) as f32;
            }
            (acc - 2.0) * 1.7
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scale: f64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(1.0);
    let python = args
        .iter()
        .position(|a| a == "--python")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "/work/venvs/mergekit/bin/python".into());
    let rows = ((1024.0 * scale) as usize).max(1);
    let shape = [rows, 1024];
    let n = rows * 1024;
    let base = data(n, 1);
    let models: Vec<Vec<f32>> = (0..3)
        .map(|i| {
            let noise = data(n, 10 + i);
            base.iter().zip(noise).map(|(b, e)| b + 0.1 * e).collect()
        })
        .collect();
    eprintln!("running crdt-merge-core on {rows} x 1024 ...");
    let mut ours = Vec::new();
    let mut out = vec![0f32; n];
    for (name, k, use_base, p, mp) in work() {
        let refs: Vec<&[f32]> = models[..k].iter().map(|m| m.as_slice()).collect();
        let input = MergeInput {
            tensor: "bench.weight",
            shape: &shape,
            base: if use_base { Some(&base) } else { None },
            models: &refs,
            model_params: &mp[..k],
            params: &p,
            seed: 0,
        };
        let m = find(mergekit_methods(), name).expect("registered");
        m.merge_into(&input, &mut out).expect("merge");
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            m.merge_into(black_box(&input), &mut out).expect("merge");
            best = best.min(t.elapsed().as_secs_f64());
        }
        black_box(&out);
        ours.push((name, best));
    }
    eprintln!("running mergekit ({python}) ...");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/mergekit_bench.py");
    let theirs: Option<Value> = match Command::new(&python)
        .arg(script)
        .arg(scale.to_string())
        .output()
    {
        Ok(o) if o.status.success() => {
            crdt_merge_core::json::parse(String::from_utf8_lossy(&o.stdout).trim()).ok()
        }
        Ok(o) => {
            eprintln!(
                "mergekit run failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("cannot run {python}: {e}");
            None
        }
    };
    if let Some(t) = theirs
        .as_ref()
        .and_then(|t| t.get("torch_threads"))
        .and_then(Value::as_int)
    {
        println!(
            "tensor {rows} x 1024 f32; mergekit on torch with {t} thread(s); ours on 1 thread"
        );
    }
    println!(
        "{:<16} {:>12} {:>14} {:>9}",
        "method", "mergekit", "crdt-merge-rs", "speed-up"
    );
    let fmt = |s: f64| format!("{:.2} ms", s * 1e3);
    for (name, t) in ours {
        match theirs
            .as_ref()
            .and_then(|r| r.get(name))
            .and_then(Value::as_f64)
        {
            Some(r) => println!("{:<16} {:>12} {:>14} {:>8.1}x", name, fmt(r), fmt(t), r / t),
            None => println!("{:<16} {:>12} {:>14} {:>9}", name, "-", fmt(t), "-"),
        }
    }
}

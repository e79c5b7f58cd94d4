//! `model-vs-reference [SCALE] [--python PY]`: model-merge workloads timed
//! on crdt-merge-core (with the `parallel` feature) and on the Python
//! reference with numpy (`benches/model_vs_reference.py`), side by side.

use std::process::Command;

use crdt_merge_core::model::state::{Contribution, CrdtMergeState, Weight};
use crdt_merge_core::model::strategy::{find, reference_methods};
use crdt_merge_core::model::{MergeInput, Params};
use crdt_merge_core::Value;

mod timing;
use timing::best;

fn gen(k: usize, d: usize, s: u64) -> Vec<Vec<f32>> {
    (0..k)
        .map(|j| {
            (0..d as u64)
                .map(|i| {
                    ((((i + 1).wrapping_mul(2654435761)) ^ (s + j as u64 * 977)) % 2001) as f32
                        / 1000.0
                        - 1.0
                })
                .collect()
        })
        .collect()
}

fn ours(scale: f64) -> Vec<(String, f64)> {
    let n = |x: f64| ((x * scale) as usize).max(1);
    let mut out = Vec::new();
    let d = n(1_000_000.0);
    let models = gen(4, d, 1);
    let base = gen(1, d, 99).remove(0);
    let refs: Vec<&[f32]> = models.iter().map(|m| m.as_slice()).collect();
    let mp: Vec<Params> = (1..=4)
        .map(|w| Params::new().num("weight", w as f64))
        .collect();
    for (name, p) in [
        ("weight_average", Params::new()),
        ("slerp", Params::new()),
        ("ties", Params::new()),
        ("dare", Params::new().num("drop_rate", 0.9)),
    ] {
        let m = find(reference_methods(), name).unwrap();
        let input = MergeInput {
            tensor: "w",
            shape: &[d],
            base: Some(&base),
            models: &refs,
            model_params: &mp,
            params: &p,
            seed: 42,
        };
        out.push((
            format!("{name} 4 x {d}"),
            best(3, || drop(m.merge_vec(&input).unwrap())),
        ));
    }
    let side = n(256.0);
    let mats: Vec<&[f32]> = models.iter().map(|m| &m[..side * side]).collect();
    let p = Params::new();
    let input = MergeInput {
        tensor: "w",
        shape: &[side, side],
        base: Some(&base[..side * side]),
        models: &mats,
        model_params: &[],
        params: &p,
        seed: 42,
    };
    let star = find(reference_methods(), "star").unwrap();
    out.push((
        format!("star 4 x {side}x{side}"),
        best(1, || drop(star.merge_vec(&input).unwrap())),
    ));
    let dl = n(100_000.0);
    let small: Vec<&[f32]> = models.iter().map(|m| &m[..dl]).collect();
    let input = MergeInput {
        tensor: "w",
        shape: &[dl],
        base: None,
        models: &small,
        model_params: &[],
        params: &p,
        seed: 42,
    };
    let led = find(reference_methods(), "led_merge").unwrap();
    out.push((
        format!("led_merge 4 x {dl}"),
        best(3, || drop(led.merge_vec(&input).unwrap())),
    ));
    let t = best(3, || {
        let states: Vec<CrdtMergeState> = (0..2)
            .map(|r| {
                let mut st = CrdtMergeState::new("weight_average").unwrap();
                for (j, m) in models.iter().enumerate() {
                    let v: Vec<f64> = m[..dl].iter().map(|&x| x as f64).collect();
                    let c = Contribution::new(
                        &format!("r{r}m{j}"),
                        vec![dl],
                        v,
                        Weight::Float(1.0 + j as f64),
                        1,
                        0.0,
                    )
                    .unwrap();
                    st.add(c).unwrap();
                }
                st
            })
            .collect();
        drop(
            CrdtMergeState::merge_many(&states)
                .unwrap()
                .resolve()
                .unwrap(),
        );
    });
    out.push((format!("state add+merge+resolve 8 x {dl}"), t));
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
        .unwrap_or_else(|| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/model_vs_reference.py");
    eprintln!("running crdt-merge-core (scale {scale}) ...");
    let ours = ours(scale);
    eprintln!("running the Python reference ({python}) ...");
    let reference: Option<Value> = match Command::new(&python)
        .arg(script)
        .arg(scale.to_string())
        .env("PYTHONHASHSEED", "0")
        .output()
    {
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
    let fmt = |s: f64| {
        if s < 1e-3 {
            format!("{:.1} µs", s * 1e6)
        } else {
            format!("{:.2} ms", s * 1e3)
        }
    };
    println!(
        "{:<36} {:>14} {:>14} {:>10}",
        "workload", "reference", "crdt-merge-rs", "speed-up"
    );
    for (name, t) in &ours {
        match reference
            .as_ref()
            .and_then(|r| r.get(name))
            .and_then(Value::as_f64)
        {
            Some(r) => println!(
                "{:<36} {:>14} {:>14} {:>9.1}x",
                name,
                fmt(r),
                fmt(*t),
                r / t
            ),
            None => println!("{:<36} {:>14} {:>14} {:>10}", name, "-", fmt(*t), "-"),
        }
    }
}

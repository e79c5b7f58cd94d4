//! `crdt-merge model merge` and `crdt-merge migrate` end to end on tiny
//! Llama-shaped checkpoints written here (no Python): values against the
//! formulas, mergekit configs with gradients and filters, migrate → pipeline
//! gives the same bytes, shards, dtypes, model cards, and every bad input
//! is a one-line error with no output left behind.

mod common;

use std::path::{Path, PathBuf};

use common::{entries, run, tempdir};
use crdt_merge_io::model::checkpoint::Checkpoint;
use crdt_merge_io::model::safetensors::{from_f32, layout, Dtype, OutTensor};

const LAYERS: usize = 3;

fn names_shapes() -> Vec<(String, Vec<usize>)> {
    let mut v = vec![("model.embed_tokens.weight".to_string(), vec![16, 8])];
    for i in 0..LAYERS {
        v.push((
            format!("model.layers.{i}.self_attn.q_proj.weight"),
            vec![8, 8],
        ));
        v.push((format!("model.layers.{i}.mlp.up_proj.weight"), vec![12, 8]));
        v.push((format!("model.layers.{i}.input_layernorm.weight"), vec![8]));
    }
    v.push(("model.norm.weight".to_string(), vec![8]));
    v.push(("lm_head.weight".to_string(), vec![16, 8]));
    v
}

/// Deterministic value of element `j` of tensor `k` in model `seed`.
fn value(seed: u32, k: usize, j: usize) -> f32 {
    let mut x =
        (seed as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ ((k as u64) << 32 | j as u64);
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 29;
    ((x % 2001) as f32 - 1000.0) / 1000.0
}

fn write_st(path: &Path, tensors: &[(String, Vec<usize>, Vec<f32>)], dtype: Dtype) {
    let outs: Vec<OutTensor> = tensors
        .iter()
        .map(|(n, s, _)| OutTensor {
            name: n.clone(),
            dtype,
            shape: s.clone(),
        })
        .collect();
    let l = layout(&outs, &[("format".into(), "pt".into())]);
    let mut bytes = l.header.clone();
    for (n, _, d) in tensors {
        from_f32(n, dtype, d, &mut bytes).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// A model directory whose tensors come from `f(tensor index, element index)`.
fn model_with(dir: &Path, dtype: Dtype, f: impl Fn(usize, usize) -> f32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> = names_shapes()
        .into_iter()
        .enumerate()
        .map(|(k, (n, s))| {
            let len = s.iter().product();
            (n, s, (0..len).map(|j| f(k, j)).collect())
        })
        .collect();
    write_st(&dir.join("model.safetensors"), &tensors, dtype);
    std::fs::write(
        dir.join("config.json"),
        format!(
            "{{\"model_type\": \"llama\", \"num_hidden_layers\": {LAYERS}, \"hidden_size\": 8}}"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("tokenizer_config.json"), "{}").unwrap();
    dir.to_path_buf()
}

fn model(dir: &Path, seed: u32) -> PathBuf {
    model_with(dir, Dtype::F32, |k, j| value(seed, k, j))
}

fn read(dir: &Path, name: &str) -> Vec<f32> {
    let ck = Checkpoint::open(dir).unwrap();
    let (f, info) = ck.get(name).unwrap();
    f.read_f32(info).unwrap().into_owned()
}

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn quick_merge_weighted_average_to_a_file() {
    let t = tempdir();
    let a = model(&t.path().join("a"), 1);
    let b = model(&t.path().join("b"), 2);
    let out = t.path().join("out.safetensors");
    run([
        "model",
        "merge",
        "--method",
        "linear",
        &s(&a),
        &s(&b),
        "--weight",
        "1",
        "--weight",
        "3",
        "-o",
        &s(&out),
    ])
    .ok();
    let n = "model.layers.1.mlp.up_proj.weight";
    let (x, y) = (read(&a, n), read(&b, n));
    let want: Vec<f32> = x
        .iter()
        .zip(&y)
        .map(|(x, y)| (x * 1.0 + y * 3.0) / 4.0)
        .collect();
    close(&read(&out, n), &want);
    assert_eq!(entries(t.path()), ["a", "b", "out.safetensors"]);
}

/// A mergekit config with a gradient and a filter, checked against the
/// formula of mergekit's `evaluate_setting` (t = layer / (layers - 1)).
#[test]
fn mergekit_config_gradient_and_filter() {
    let t = tempdir();
    let a = model(&t.path().join("a"), 1);
    let b = model(&t.path().join("b"), 2);
    let cfg = t.path().join("c.yaml");
    std::fs::write(
        &cfg,
        format!(
            "merge_method: linear\nmodels:\n  - model: {}\n    parameters:\n      weight: [0.0, 1.0]\n  - model: {}\n    parameters:\n      weight:\n        - filter: mlp\n          value: 3.0\n        - value: 1.0\nparameters:\n  normalize: false\ndtype: float32\n",
            s(&a),
            s(&b)
        ),
    )
    .unwrap();
    let out = t.path().join("out");
    run(["model", "merge", "--config", &s(&cfg), "-o", &s(&out)]).ok();
    for i in 0..LAYERS {
        let tt = i as f32 / (LAYERS - 1) as f32;
        for (part, wb) in [("mlp.up_proj", 3.0f32), ("self_attn.q_proj", 1.0)] {
            let n = format!("model.layers.{i}.{part}.weight");
            let want: Vec<f32> = read(&a, &n)
                .iter()
                .zip(read(&b, &n))
                .map(|(x, y)| tt * x + wb * y)
                .collect();
            close(&read(&out, &n), &want);
        }
    }
    // Non-layer tensors: t = 0 (weight of a is 0).
    close(&read(&out, "lm_head.weight"), &read(&b, "lm_head.weight"));
    let cfg_out: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg_out["torch_dtype"], "float32");
    assert!(out.join("tokenizer_config.json").is_file());

    // migrate → pipeline → same bytes.
    let pipe = t.path().join("p.yaml");
    run(["migrate", &s(&cfg), "-o", &s(&pipe)]).ok();
    let out2 = t.path().join("out2");
    run(["model", "merge", "--pipeline", &s(&pipe), "-o", &s(&out2)]).ok();
    assert_eq!(
        std::fs::read(out.join("model.safetensors")).unwrap(),
        std::fs::read(out2.join("model.safetensors")).unwrap()
    );
    // JSON pipelines too.
    let pj = t.path().join("p.json");
    run(["migrate", &s(&cfg), "-o", &s(&pj)]).ok();
    let out3 = t.path().join("out3");
    run(["model", "merge", "--pipeline", &s(&pj), "-o", &s(&out3)]).ok();
    assert_eq!(
        std::fs::read(out.join("model.safetensors")).unwrap(),
        std::fs::read(out3.join("model.safetensors")).unwrap()
    );
}

#[test]
fn ties_with_base_slices_shards_and_card() {
    let t = tempdir();
    let base = model(&t.path().join("base"), 0);
    let a = model(&t.path().join("a"), 1);
    let b = model(&t.path().join("b"), 2);
    let cfg = t.path().join("ties.yaml");
    std::fs::write(
        &cfg,
        format!(
            "merge_method: ties\nbase_model: {base}\nslices:\n  - sources:\n      - model: {a}\n        layer_range: [0, 2]\n        parameters: {{weight: 1.0, density: 0.5}}\n      - model: {b}\n        layer_range: [1, 3]\n        parameters: {{weight: 0.5, density: 1.0}}\n      - model: {base}\n        layer_range: [0, 2]\n",
            base = s(&base),
            a = s(&a),
            b = s(&b)
        ),
    )
    .unwrap();
    let out = t.path().join("out");
    run([
        "model",
        "merge",
        "--config",
        &s(&cfg),
        "--max-shard-size",
        "1000",
        "--model-card",
        "-o",
        &s(&out),
    ])
    .ok();
    let files = entries(&out);
    assert!(
        files.contains(&"model.safetensors.index.json".to_string()),
        "{files:?}"
    );
    assert!(files.iter().any(|f| f.starts_with("model-00001-of-")));
    let ck = Checkpoint::open(&out).unwrap();
    // Two output layers (slices renumber), and the config says so.
    assert!(ck.info("model.layers.1.mlp.up_proj.weight").is_some());
    assert!(ck.info("model.layers.2.mlp.up_proj.weight").is_none());
    let cfg_out: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(cfg_out["num_hidden_layers"], 2);
    // Output layer 0 comes from a's layer 0 and b's layer 1; b alone at density 1
    // with weight 0.5 where a's trimmed entries are 0: check one element where
    // both agree in sign is not trivially equal to either input.
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        card.contains("application/ld+json") && card.contains("sha256") && card.contains("ties")
    );
    let sha = crdt_merge_io::model::card::sha256_file(&a.join("model.safetensors")).unwrap();
    assert!(card.contains(&sha));
    // The pipeline route gives the same tensors.
    let pipe = t.path().join("p.yaml");
    run(["migrate", &s(&cfg), "-o", &s(&pipe)]).ok();
    let out2 = t.path().join("out2");
    run(["model", "merge", "--pipeline", &s(&pipe), "-o", &s(&out2)]).ok();
    for n in ck.names() {
        assert_eq!(read(&out, n), read(&out2, n), "{n}");
    }
}

#[test]
fn bf16_inputs_and_out_dtype() {
    let t = tempdir();
    let a = model_with(&t.path().join("a"), Dtype::BF16, |k, j| value(1, k, j));
    let b = model_with(&t.path().join("b"), Dtype::BF16, |k, j| value(2, k, j));
    let out = t.path().join("o");
    run([
        "model",
        "merge",
        "--method",
        "linear",
        &s(&a),
        &s(&b),
        "--weight",
        "1",
        "-o",
        &s(&out),
    ])
    .ok();
    let ck = Checkpoint::open(&out).unwrap();
    assert_eq!(ck.info("lm_head.weight").unwrap().dtype, Dtype::BF16);
    let out32 = t.path().join("o32");
    run([
        "model",
        "merge",
        "--method",
        "linear",
        &s(&a),
        &s(&b),
        "--weight",
        "1",
        "--out-dtype",
        "float32",
        "-o",
        &s(&out32),
    ])
    .ok();
    let n = "model.norm.weight";
    let want: Vec<f32> = read(&a, n)
        .iter()
        .zip(read(&b, n))
        .map(|(x, y)| (x + y) / 2.0)
        .collect();
    close(&read(&out32, n), &want);
}

/// Exit 1, one stderr line containing `needle`, and nothing left in `dir`
/// but what was there.
fn fails(args: &[String], needle: &str, dir: &Path, before: &[String]) {
    let r = run(args);
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{:?}", r.stderr);
    assert!(r.stderr.starts_with("crdt-merge: "), "{:?}", r.stderr);
    assert!(r.stderr.contains(needle), "{:?} lacks {needle:?}", r.stderr);
    assert_eq!(entries(dir), before, "nothing left behind");
}

#[test]
fn bad_inputs_are_one_line_errors_with_nothing_left() {
    let t = tempdir();
    let d = t.path();
    let a = model(&d.join("a"), 1);
    let b = model(&d.join("b"), 2);
    // b2: one tensor of another shape; c: a tensor missing; n: a NaN.
    let b2 = d.join("b2");
    std::fs::create_dir_all(&b2).unwrap();
    let mut ts: Vec<(String, Vec<usize>, Vec<f32>)> = names_shapes()
        .into_iter()
        .map(|(n, s)| {
            let l = s.iter().product();
            (n, s, vec![0.5; l])
        })
        .collect();
    ts[1].1 = vec![64];
    write_st(&b2.join("model.safetensors"), &ts, Dtype::F32);
    let c = d.join("c");
    std::fs::create_dir_all(&c).unwrap();
    write_st(&c.join("model.safetensors"), &ts[2..], Dtype::F32);
    let nan = model_with(&d.join("n"), Dtype::F32, |k, j| {
        if k == 3 && j == 5 {
            f32::NAN
        } else {
            0.1
        }
    });
    let trunc = d.join("t");
    std::fs::create_dir_all(&trunc).unwrap();
    let full = std::fs::read(a.join("model.safetensors")).unwrap();
    std::fs::write(trunc.join("model.safetensors"), &full[..full.len() / 2]).unwrap();
    let yaml = |name: &str, text: String| {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        s(&p)
    };
    let unknown = yaml(
        "unknown.yaml",
        format!(
            "models:\n  - model: {}\n  - model: {}\nmerge_method: frobnicate\n",
            s(&a),
            s(&b)
        ),
    );
    let malformed = yaml(
        "bad.yaml",
        "merge_method: linear\nmodels:\n  - model: [unclosed\n".into(),
    );
    let missing = yaml(
        "missing.yaml",
        format!(
            "merge_method: linear\nmodels:\n  - model: {}/nope\n    parameters: {{weight: 1}}\n",
            s(d)
        ),
    );
    let before = entries(d);
    let out = s(&d.join("out"));
    let q = |m: &str, models: &[&Path], extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["model".into(), "merge".into(), "--method".into(), m.into()];
        v.extend(models.iter().map(|p| s(p)));
        v.extend(extra.iter().map(|x| x.to_string()));
        v.extend(["-o".to_string(), out.clone()]);
        v
    };
    let cfg = |p: &str| -> Vec<String> {
        ["model", "merge", "--config", p, "-o", &out]
            .iter()
            .map(|x| x.to_string())
            .collect()
    };
    fails(
        &cfg(&unknown),
        "unknown.yaml:4: unknown merge method \"frobnicate\"",
        d,
        &before,
    );
    fails(&cfg(&malformed), "bad.yaml:4: malformed YAML", d, &before);
    fails(&cfg(&missing), "no such model directory", d, &before);
    fails(
        &q("nosuch", &[&a, &b], &[]),
        "unknown merge method",
        d,
        &before,
    );
    fails(&q("linear", &[&a, &b2], &[]), "shape mismatch", d, &before);
    fails(&q("linear", &[&a, &c], &[]), "not found", d, &before);
    fails(
        &q("linear", &[&a, &trunc], &[]),
        "bad safetensors file",
        d,
        &before,
    );
    fails(
        &q(
            "ties",
            &[&a, &nan],
            &["--base", &s(&b), "--weight", "1", "--density", "0.5"],
        ),
        "non-finite",
        d,
        &before,
    );
    fails(
        &q(
            "linear",
            &[&a, &b],
            &["--weight", "1", "--weight", "2", "--weight", "3"],
        ),
        "--weight",
        d,
        &before,
    );
    // An existing non-empty output directory is refused, untouched.
    let o = d.join("out");
    std::fs::create_dir(&o).unwrap();
    std::fs::write(o.join("keep"), "x").unwrap();
    let before = entries(d);
    fails(&q("linear", &[&a, &b], &[]), "not empty", d, &before);
    assert_eq!(std::fs::read(o.join("keep")).unwrap(), b"x");
}

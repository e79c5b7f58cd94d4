//! The model file layer without the CLI: safetensors read/write and dtype
//! conversion, malformed files as typed errors (never a panic), glob rules,
//! mergekit parameter evaluation, pipeline parsing with line numbers, the
//! Hugging Face cache layout, and the engine with a method of this test
//! (results independent of the thread count).

use std::path::{Path, PathBuf};

use crdt_merge_core::model::{BaseUse, MergeInput, Method, ModelError, ParamValue};
use crdt_merge_io::model::checkpoint::{resolve, Checkpoint};
use crdt_merge_io::model::engine::{write_model, WriteOptions};
use crdt_merge_io::model::mergekit::{MergekitConfig, Setting};
use crdt_merge_io::model::plan::{plan, split_layer};
use crdt_merge_io::model::safetensors::{from_f32, layout, to_f32, Dtype, OutTensor, SafeTensors};
use crdt_merge_io::model::schema::{pattern_matches, ModelMergeSchema, PValue};
use crdt_merge_io::model::ModelIoError;

fn file_bytes(tensors: &[(&str, Vec<usize>, Vec<f32>)], dtype: Dtype) -> Vec<u8> {
    let outs: Vec<OutTensor> = tensors
        .iter()
        .map(|(n, s, _)| OutTensor {
            name: n.to_string(),
            dtype,
            shape: s.clone(),
        })
        .collect();
    let l = layout(&outs, &[("format".into(), "pt".into())]);
    let mut b = l.header.clone();
    for (n, _, d) in tensors {
        from_f32(n, dtype, d, &mut b).unwrap();
    }
    assert_eq!(b.len() as u64, l.file_size);
    b
}

fn sample() -> Vec<(&'static str, Vec<usize>, Vec<f32>)> {
    vec![
        (
            "a.weight",
            vec![2, 3],
            vec![1.0, -2.5, 0.0, 3.25, 0.5, -7.0],
        ),
        ("b", vec![], vec![42.0]),
        ("c.empty", vec![0, 4], vec![]),
    ]
}

#[test]
fn roundtrip_every_float_dtype() {
    let dir = tempfile::tempdir().unwrap();
    for dtype in [Dtype::F32, Dtype::BF16, Dtype::F16, Dtype::F64] {
        let p = dir.path().join(format!("{}.safetensors", dtype.name()));
        std::fs::write(&p, file_bytes(&sample(), dtype)).unwrap();
        let st = SafeTensors::open(&p).unwrap();
        assert_eq!(st.metadata()["format"], "pt");
        for (n, shape, data) in sample() {
            let info = st.info(n).unwrap();
            assert_eq!(info.shape, shape);
            assert_eq!(info.dtype, dtype);
            // All sample values are exact in every dtype.
            assert_eq!(&*st.read_f32(info).unwrap(), &data[..], "{n} {dtype:?}");
        }
    }
}

#[test]
fn conversions_round_to_nearest_even() {
    // bf16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7: rounds to even (1).
    let mut out = Vec::new();
    from_f32(
        "x",
        Dtype::BF16,
        &[1.0 + 1.0 / 256.0, 1.0 + 3.0 / 256.0, f32::NAN],
        &mut out,
    )
    .unwrap();
    let back = to_f32("x", Dtype::BF16, &out).unwrap();
    assert_eq!(back[0], 1.0);
    assert_eq!(back[1], 1.0 + 4.0 / 256.0);
    assert!(back[2].is_nan());
    // f16: max, overflow to inf, smallest subnormal, halfway case, -0.
    let mut out = Vec::new();
    from_f32(
        "x",
        Dtype::F16,
        &[65504.0, 70000.0, 5.960_464_5e-8, 1.0 + 1.0 / 2048.0, -0.0],
        &mut out,
    )
    .unwrap();
    let back = to_f32("x", Dtype::F16, &out).unwrap();
    assert_eq!(back[0], 65504.0);
    assert_eq!(back[1], f32::INFINITY);
    assert_eq!(back[2], 5.960_464_5e-8);
    assert_eq!(back[3], 1.0);
    assert!(back[4] == 0.0 && back[4].is_sign_negative());
    assert!(matches!(
        to_f32("x", Dtype::Other("I64"), &[0; 8]),
        Err(ModelIoError::Dtype { .. })
    ));
}

fn header_file(dir: &Path, json: &str, data: usize) -> PathBuf {
    let p = dir.join("h.safetensors");
    let mut b = (json.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(json.as_bytes());
    b.extend(std::iter::repeat_n(0u8, data));
    std::fs::write(&p, b).unwrap();
    p
}

#[test]
fn malformed_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = |p: &Path, needle: &str| match SafeTensors::open(p) {
        Err(ModelIoError::BadSafetensors { msg, .. }) => {
            assert!(msg.contains(needle), "{msg:?} lacks {needle:?}")
        }
        other => panic!("expected BadSafetensors, got {other:?}"),
    };
    let p = dir.path().join("short");
    std::fs::write(&p, [1, 2, 3]).unwrap();
    bad(&p, "shorter than");
    let p = dir.path().join("huge");
    std::fs::write(&p, u64::MAX.to_le_bytes()).unwrap();
    bad(&p, "exceeds");
    bad(&header_file(dir.path(), "{not json", 0), "not JSON");
    bad(&header_file(dir.path(), "[1]", 0), "not a JSON object");
    bad(
        &header_file(
            dir.path(),
            r#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            4,
        ),
        "outside",
    );
    bad(
        &header_file(
            dir.path(),
            r#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            8,
        ),
        "needs 12",
    );
    bad(
        &header_file(
            dir.path(),
            r#"{"x":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}"#,
            8,
        ),
        "unknown dtype",
    );
    bad(
        &header_file(
            dir.path(),
            r#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}"#,
            8,
        ),
        "shape",
    );
    bad(
        &header_file(
            dir.path(),
            r#"{"x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}}"#,
            8,
        ),
        "overflows",
    );
    bad(
        &header_file(
            dir.path(),
            r#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
            8,
        ),
        "outside",
    );
    // Every truncation and many byte flips of a valid file: Ok or a typed error.
    let good = file_bytes(&sample(), Dtype::F32);
    let p = dir.path().join("m.safetensors");
    for cut in 0..good.len() {
        std::fs::write(&p, &good[..cut]).unwrap();
        assert!(SafeTensors::open(&p).is_err(), "truncated at {cut}");
    }
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = good.clone();
        let i = (x as usize) % b.len();
        b[i] ^= (x >> 40) as u8 | 1;
        std::fs::write(&p, &b).unwrap();
        if let Ok(st) = SafeTensors::open(&p) {
            for t in st.tensors() {
                let _ = st.read_f32(t);
            }
        }
    }
}

#[test]
fn glob_rules_match_whole_components() {
    let n = "model.layers.12.mlp.down_proj.weight";
    for p in [
        "layers.*.mlp",
        "mlp",
        "model.layers.12",
        "layers.12.mlp.down_proj",
        "*down*",
        n,
        "layers.1?.mlp",
        "*",
    ] {
        assert!(pattern_matches(p, n), "{p}");
    }
    for p in [
        "layers.1.mlp",
        "layers.1",
        "ml",
        "mlp.down",
        "self_attn",
        "layers.*.attn",
        "layers.12.mlp.up_proj",
    ] {
        assert!(!pattern_matches(p, n), "{p}");
    }
    assert_eq!(
        split_layer(n),
        Some(("model.layers.", 12, ".mlp.down_proj.weight"))
    );
    assert_eq!(
        split_layer("transformer.h.3.attn.c_attn.weight").map(|x| x.1),
        Some(3)
    );
    assert_eq!(split_layer("model.embed_tokens.weight"), None);
}

#[test]
fn mergekit_settings_evaluate_like_mergekit() {
    // evaluate_setting: scaled = t * (len - 1), linear between neighbours.
    let g = Setting::Gradient(vec![0.0, 0.5, 1.0, 0.0]);
    let num = |v: Option<PValue>| match v {
        Some(PValue::Num(x)) => x,
        other => panic!("{other:?}"),
    };
    assert_eq!(num(g.evaluate("x", 0.0)), 0.0);
    assert!((num(g.evaluate("x", 0.5)) - 0.75).abs() < 1e-12);
    assert_eq!(num(g.evaluate("x", 1.0)), 0.0);
    assert!((num(g.evaluate("x", 1.0 / 6.0)) - 0.25).abs() < 1e-12);
    let c = Setting::Conditional(vec![
        (Some("self_attn".into()), Setting::Scalar(PValue::Num(1.0))),
        (Some("mlp".into()), Setting::Gradient(vec![0.0, 1.0])),
    ]);
    assert_eq!(
        num(c.evaluate("model.layers.0.self_attn.q_proj.weight", 0.3)),
        1.0
    );
    assert!((num(c.evaluate("model.layers.0.mlp.up_proj.weight", 0.3)) - 0.3).abs() < 1e-12);
    assert_eq!(c.evaluate("model.norm.weight", 0.3), None);
}

#[test]
fn configs_and_pipelines_report_lines() {
    let p = Path::new("c.yaml");
    let err = |text: &str| MergekitConfig::parse(p, text).unwrap_err().to_string();
    let e = err(
        "merge_method: linear\nmodels:\n  - model: a\n    parameters:\n      weight: {value: }\n",
    );
    assert!(e.starts_with("c.yaml:5:"), "{e}");
    assert!(err("models:\n  - model: a\n").contains("merge_method"));
    let e = err("merge_method: ties\nmodels:\n  - model: a+lora\n");
    assert!(e.starts_with("c.yaml:3: model \"a+lora\": LoRA"), "{e}");
    assert!(err("merge_method: x\nmodules: {}\n").starts_with("c.yaml:2:"));
    assert!(err("merge_method: x\nmodels:\n  - model: a\nslices:\n  - sources:\n      - model: a\n        layer_range: [0, 1]\n").contains("exactly one"));
    assert!(
        err("merge_method: x\nmodels:\n  - model: a\ndtype: float8\n").starts_with("c.yaml:4:")
    );
    let e = err("merge_method: x\n  bad: indent\n");
    assert!(e.starts_with("c.yaml:2: malformed YAML"), "{e}");
    let perr = |text: &str| {
        ModelMergeSchema::parse(Path::new("p.yaml"), text)
            .unwrap_err()
            .to_string()
    };
    assert!(perr("version: 1\nmethod: linear\nmodels: []\n").contains("no models"));
    let e = perr("version: 1\nmethod: linear\nmodels:\n  - {name: a, path: a}\nrules:\n  - pattern: mlp\n    model_parameters:\n      zz: {weight: 1}\n");
    assert!(
        e.starts_with("p.yaml:8: rule \"mlp\": unknown model \"zz\""),
        "{e}"
    );
    let e = perr("version: 1\nmethod: linear\nmodels:\n  - {name: a, path: a, extra: 1}\n");
    assert!(e.starts_with("p.yaml:4:"), "{e}");
    let e = perr("version: 2\nmethod: linear\nmodels:\n  - {name: a, path: a}\n");
    assert!(e.starts_with("p.yaml:1:"), "{e}");
    let ok = ModelMergeSchema::parse(
        Path::new("p.json"),
        r#"{"version": 1, "method": "linear", "models": [{"name": "a", "path": "a"}], "parameters": {"normalize": true, "t": [0, 1], "off": null}}"#,
    )
    .unwrap();
    assert_eq!(ok.parameters["normalize"], PValue::Bool(true));
    assert_eq!(ok.parameters["off"], PValue::Null(()));
    // YAML out, YAML in (and JSON): the same pipeline.
    assert_eq!(
        ModelMergeSchema::parse(Path::new("q.yaml"), &ok.to_yaml()).unwrap(),
        ok
    );
    assert_eq!(
        ModelMergeSchema::parse(Path::new("q.json"), &ok.to_json()).unwrap(),
        ok
    );
}

fn write_dir(dir: &Path, scale: f32) {
    std::fs::create_dir_all(dir).unwrap();
    let mut ts: Vec<(String, Vec<usize>, Vec<f32>)> = Vec::new();
    ts.push((
        "model.embed_tokens.weight".into(),
        vec![4, 3],
        (0..12).map(|i| i as f32 * scale).collect(),
    ));
    for l in 0..4 {
        ts.push((
            format!("model.layers.{l}.mlp.up_proj.weight"),
            vec![3, 5],
            (0..15).map(|i| (i + l) as f32 * scale).collect(),
        ));
    }
    let refs: Vec<(&str, Vec<usize>, Vec<f32>)> = ts
        .iter()
        .map(|(n, s, d)| (n.as_str(), s.clone(), d.clone()))
        .collect();
    std::fs::write(dir.join("model.safetensors"), file_bytes(&refs, Dtype::F32)).unwrap();
}

#[test]
fn hugging_face_cache_layout() {
    let hub = tempfile::tempdir().unwrap();
    let entry = hub.path().join("models--org--tiny");
    let snap = entry.join("snapshots").join("abc123");
    write_dir(&snap, 1.0);
    std::fs::create_dir_all(entry.join("refs")).unwrap();
    std::fs::write(entry.join("refs/main"), "abc123\n").unwrap();
    // The only test of this binary that reads HF_HUB_CACHE.
    std::env::set_var("HF_HUB_CACHE", hub.path());
    let here = tempfile::tempdir().unwrap();
    assert_eq!(resolve("org/tiny", here.path()).unwrap(), snap);
    assert_eq!(resolve("org/tiny@abc123", here.path()).unwrap(), snap);
    assert!(matches!(
        resolve("org/other", here.path()),
        Err(ModelIoError::BadModel { .. })
    ));
    assert!(resolve("org/tiny@nope", here.path()).is_err());
    let ck = Checkpoint::open(&snap).unwrap();
    assert_eq!(ck.names().len(), 5);
}

/// A method of this test: `offset + sum_i weight_i * model_i`.
fn local_linear(input: &MergeInput<'_>, out: &mut [f32]) -> Result<(), ModelError> {
    let off = input.params.num_or("offset", 0.0)? as f32;
    out.fill(off);
    for (i, m) in input.models.iter().enumerate() {
        let w = input.model_param(i).num_or("weight", 1.0)? as f32;
        for (o, x) in out.iter_mut().zip(m.iter()) {
            *o += w * x;
        }
    }
    Ok(())
}

static LOCAL: Method = Method {
    name: "local_linear",
    base: BaseUse::Unused,
    min_models: 1,
    randomized: false,
    merge: local_linear,
};

fn local(n: &str) -> Option<&'static Method> {
    (n == "local_linear").then_some(&LOCAL)
}

#[test]
fn engine_plans_rules_and_is_thread_count_independent() {
    let d = tempfile::tempdir().unwrap();
    write_dir(&d.path().join("a"), 1.0);
    write_dir(&d.path().join("b"), 10.0);
    let pipe = d.path().join("p.yaml");
    std::fs::write(
        &pipe,
        "version: 1\nmethod: local_linear\nmodels:\n  - {name: a, path: a}\n  - {name: b, path: b}\nmodel_parameters:\n  b: {weight: 0.5}\nparameters: {weight: 2}\nrules:\n  - pattern: layers.2\n    parameters: {offset: 100}\n    model_parameters:\n      b: {weight: null}\n",
    )
    .unwrap();
    let schema = ModelMergeSchema::load(&pipe).unwrap();
    let p = plan(&schema, &pipe, d.path(), &local).unwrap();
    assert_eq!(p.tensors.len(), 5);
    let t2 = p
        .tensors
        .iter()
        .find(|t| t.name == "model.layers.2.mlp.up_proj.weight")
        .unwrap();
    assert_eq!(t2.params.get("offset"), Some(&ParamValue::Num(100.0)));
    // b's own weight removed by the rule: it falls back to the global 2.
    assert_eq!(
        t2.model_params[1].get("weight"),
        Some(&ParamValue::Num(2.0))
    );
    let mut outs = Vec::new();
    for threads in [1, 3] {
        let o = d.path().join(format!("o{threads}"));
        std::fs::create_dir(&o).unwrap();
        let files = write_model(
            &p,
            &o,
            &WriteOptions {
                max_shard: 150,
                threads,
                progress: &|_| {},
                fsync: true,
            },
        )
        .unwrap();
        assert!(files.len() > 1);
        let ck = Checkpoint::open(&o).unwrap();
        let (f, info) = ck.get("model.layers.2.mlp.up_proj.weight").unwrap();
        // a and b both weight 2 (fallback), offset 100: (1 + 2) * (2 + 20) + 100.
        assert_eq!(f.read_f32(info).unwrap()[1], 3.0 * 22.0 + 100.0);
        let (f, info) = ck.get("model.layers.1.mlp.up_proj.weight").unwrap();
        assert_eq!(f.read_f32(info).unwrap()[1], 2.0 * 2.0 + 20.0 * 0.5);
        let mut all = Vec::new();
        for name in ck.names() {
            let (f, info) = ck.get(name).unwrap();
            all.push((name.clone(), f.read_f32(info).unwrap().into_owned()));
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        let index = std::fs::read(o.join("model.safetensors.index.json")).unwrap();
        outs.push((all, index));
    }
    assert_eq!(outs[0], outs[1]);
    // An unknown method is a config error naming the line.
    std::fs::write(
        &pipe,
        "version: 1\nmethod: nope\nmodels:\n  - {name: a, path: a}\n",
    )
    .unwrap();
    let schema = ModelMergeSchema::load(&pipe).unwrap();
    let e = plan(&schema, &pipe, d.path(), &local)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("p.yaml:2: unknown merge method \"nope\""),
        "{e}"
    );
}

/// mergekit's linear runs chunk by chunk inside big tensors: the same bits
/// as one call on the whole tensor.
#[test]
fn chunked_elementwise_equals_whole_tensor() {
    use crdt_merge_core::model::strategy::{find, mergekit_methods};
    let d = tempfile::tempdir().unwrap();
    let n = 3 * 16 * 1024 + 77;
    let mk = |seed: u32| -> Vec<f32> {
        (0..n)
            .map(|j| {
                ((j as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 10_007) as f32 / 777.0
                    - 6.0
            })
            .collect()
    };
    let data = [mk(1), mk(2)];
    for (i, v) in data.iter().enumerate() {
        let dir = d.path().join(format!("m{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("model.safetensors"),
            file_bytes(&[("w", vec![n], v.clone())], Dtype::F32),
        )
        .unwrap();
    }
    let pipe = d.path().join("p.yaml");
    std::fs::write(&pipe, "version: 1\nmethod: linear\nmodels:\n  - {name: a, path: m0}\n  - {name: b, path: m1}\nmodel_parameters:\n  a: {weight: 0.3}\n  b: {weight: 0.9}\n").unwrap();
    let schema = ModelMergeSchema::load(&pipe).unwrap();
    let reg = |name: &str| mergekit_methods().iter().find(|m| m.name == name);
    let p = plan(&schema, &pipe, d.path(), &reg).unwrap();
    let o = d.path().join("o");
    std::fs::create_dir(&o).unwrap();
    write_model(
        &p,
        &o,
        &WriteOptions {
            max_shard: u64::MAX,
            threads: 2,
            progress: &|_| {},
            fsync: false,
        },
    )
    .unwrap();
    let ck = Checkpoint::open(&o).unwrap();
    let (f, info) = ck.get("w").unwrap();
    let got = f.read_f32(info).unwrap().into_owned();
    let models: Vec<&[f32]> = data.iter().map(|v| &v[..]).collect();
    let mp = [
        crdt_merge_core::model::Params::new().num("weight", 0.3),
        crdt_merge_core::model::Params::new().num("weight", 0.9),
    ];
    let whole = find(mergekit_methods(), "linear")
        .unwrap()
        .merge_vec(&MergeInput {
            tensor: "w",
            shape: &[n],
            base: None,
            models: &models,
            model_params: &mp,
            params: &crdt_merge_core::model::Params::new(),
            seed: 0,
        })
        .unwrap();
    assert_eq!(got, whole);
}

//! The planner: which output tensors a pipeline produces, from which input
//! tensors, with which method and parameters. Layer tensors are recognised by
//! a numeric component after `layers`, `h`, `blocks` or `layer`
//! (`model.layers.3.mlp.up_proj.weight`); slices renumber them. `t` (0..1
//! over a slice's layers, as mergekit) drives gradient parameters.

use std::collections::BTreeMap;
use std::path::Path;

use crdt_merge_core::model::{Method, Params};

use super::checkpoint::Checkpoint;
use super::error::{ModelIoError, Result};
use super::safetensors::Dtype;
use super::schema::{overlay, pattern_matches, ModelMergeSchema};

/// Split a layer tensor name into (prefix up to the index, index, suffix after it).
pub fn split_layer(name: &str) -> Option<(&str, usize, &str)> {
    let mut pos = 0;
    let parts: Vec<&str> = name.split('.').collect();
    for i in 0..parts.len() {
        if i > 0 && matches!(parts[i - 1], "layers" | "h" | "blocks" | "layer") {
            if let Ok(n) = parts[i].parse::<usize>() {
                let prefix = &name[..pos];
                let suffix = &name[pos + parts[i].len()..];
                return Some((prefix, n, suffix));
            }
        }
        pos += parts[i].len() + 1;
    }
    None
}

/// Non-layer tensors that come before the layers (embeddings); the others
/// (final norm, head) come after.
fn is_pre(name: &str) -> bool {
    name.contains("embed") || name.contains("wte") || name.contains("wpe")
}

/// One output tensor and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct OutSpec {
    /// Output name.
    pub name: String,
    /// Position in the slice's layers, 0..1 (0 for non-layer tensors).
    pub t: f64,
    /// Index of the slice it belongs to (0 without slices).
    pub slice: usize,
    /// (model index, input tensor name) of each source, in order.
    pub sources: Vec<(usize, String)>,
}

/// A slice resolved to model indices: (model, [begin, end)).
pub type SliceIdx = Vec<(usize, [usize; 2])>;

/// Enumerate output tensors. `models[i]` are the opened checkpoints;
/// `contributors` the indices merged when there are no slices; `reference`
/// the model whose tensor names (and order) define the output then.
pub fn enumerate(
    models: &[&Checkpoint],
    contributors: &[usize],
    reference: usize,
    slices: Option<&[SliceIdx]>,
) -> Result<Vec<OutSpec>> {
    let Some(slices) = slices else {
        let refm = models[reference];
        let n_layers = refm
            .names()
            .iter()
            .filter_map(|n| split_layer(n).map(|(_, i, _)| i + 1))
            .max()
            .unwrap_or(0);
        return Ok(refm
            .names()
            .iter()
            .map(|n| {
                let t = match split_layer(n) {
                    Some((_, i, _)) if n_layers > 1 => i as f64 / (n_layers - 1) as f64,
                    Some(_) => 1.0,
                    None => 0.0,
                };
                OutSpec {
                    name: n.clone(),
                    t,
                    slice: 0,
                    sources: contributors.iter().map(|&m| (m, n.clone())).collect(),
                }
            })
            .collect());
    };
    let first = &slices[0];
    let last = &slices[slices.len() - 1];
    let refm = models[first[0].0];
    let non_layer: Vec<&String> = refm
        .names()
        .iter()
        .filter(|n| split_layer(n).is_none())
        .collect();
    let mut out = Vec::new();
    for n in non_layer.iter().filter(|n| is_pre(n)) {
        out.push(OutSpec {
            name: (*n).clone(),
            t: 0.0,
            slice: 0,
            sources: first.iter().map(|&(m, _)| (m, (*n).clone())).collect(),
        });
    }
    let mut out_layer = 0usize;
    for (si, s) in slices.iter().enumerate() {
        let len = s[0].1[1] - s[0].1[0];
        for idx in 0..len {
            let t = if len > 1 {
                idx as f64 / (len - 1) as f64
            } else {
                1.0
            };
            let (m0, r0) = s[0];
            let want = r0[0] + idx;
            // The first source's tensors of that layer define the suffixes.
            let layer_names: Vec<(&str, &str)> = models[m0]
                .names()
                .iter()
                .filter_map(|n| split_layer(n))
                .filter(|&(_, i, _)| i == want)
                .map(|(p, _, sfx)| (p, sfx))
                .collect();
            if layer_names.is_empty() {
                return Err(ModelIoError::BadModel {
                    path: models[m0].path().to_path_buf(),
                    msg: format!(
                        "slice asks for layer {want}, the model has no tensors of that layer"
                    ),
                });
            }
            for (prefix, sfx) in layer_names {
                out.push(OutSpec {
                    name: format!("{prefix}{out_layer}{sfx}"),
                    t,
                    slice: si,
                    sources: s
                        .iter()
                        .map(|&(m, r)| (m, format!("{prefix}{}{sfx}", r[0] + idx)))
                        .collect(),
                });
            }
            out_layer += 1;
        }
    }
    for n in non_layer.iter().filter(|n| !is_pre(n)) {
        out.push(OutSpec {
            name: (*n).clone(),
            t: 0.0,
            slice: slices.len() - 1,
            sources: last.iter().map(|&(m, _)| (m, (*n).clone())).collect(),
        });
    }
    Ok(out)
}

/// One tensor's work.
#[derive(Debug, Clone)]
pub struct TensorPlan {
    /// Output name.
    pub name: String,
    /// Shape (of the first source).
    pub shape: Vec<usize>,
    /// Output dtype.
    pub out_dtype: Dtype,
    /// The method.
    pub method: &'static Method,
    /// Contributions: (model index, input name), canonical order.
    pub models: Vec<(usize, String)>,
    /// The base tensor, when the method uses one.
    pub base: Option<(usize, String)>,
    /// Method-wide parameters.
    pub params: Params,
    /// Per-model parameters, aligned with `models`.
    pub model_params: Vec<Params>,
    /// Seed.
    pub seed: u64,
}

/// A whole merge: the models (opened) and the tensors to produce.
#[derive(Debug)]
pub struct Plan {
    /// Opened checkpoints: the pipeline's models, then the base if it is
    /// not one of them.
    pub checkpoints: Vec<Checkpoint>,
    /// Their names.
    pub names: Vec<String>,
    /// Index of the base model.
    pub base: Option<usize>,
    /// Tensors in output order.
    pub tensors: Vec<TensorPlan>,
    /// Number of output layers (for `config.json`), when slices renumber them.
    pub out_layers: Option<usize>,
}

/// Finds a method by name.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Option<&'static Method>;

/// Open every model of `schema` (paths relative to `rel_to`) and plan.
pub fn plan(
    schema: &ModelMergeSchema,
    schema_path: &Path,
    rel_to: &Path,
    resolve: Resolver<'_>,
) -> Result<Plan> {
    let mut names: Vec<String> = schema.models.iter().map(|m| m.name.clone()).collect();
    let mut paths: Vec<&str> = schema.models.iter().map(|m| m.path.as_str()).collect();
    let base = schema
        .base_model
        .as_ref()
        .map(|b| match names.iter().position(|n| *n == b.name) {
            Some(i) => i,
            None => {
                names.push(b.name.clone());
                paths.push(&b.path);
                names.len() - 1
            }
        });
    let mut checkpoints = Vec::with_capacity(paths.len());
    for p in &paths {
        let dir = super::checkpoint::resolve(p, rel_to)?;
        checkpoints.push(Checkpoint::open(&dir)?);
    }
    let idx_of = |n: &str| names.iter().position(|x| x == n).expect("validated");
    let slices: Option<Vec<SliceIdx>> = schema.slices.as_ref().map(|ss| {
        ss.iter()
            .map(|s| {
                s.sources
                    .iter()
                    .map(|src| (idx_of(&src.model), src.layer_range))
                    .collect()
            })
            .collect()
    });
    let contributors: Vec<usize> = (0..schema.models.len()).collect();
    let reference = base.unwrap_or(0);
    let refs: Vec<&Checkpoint> = checkpoints.iter().collect();
    let specs = enumerate(&refs, &contributors, reference, slices.as_deref())?;
    let out_layers = slices
        .as_ref()
        .map(|ss| ss.iter().map(|s| s[0].1[1] - s[0].1[0]).sum());
    let out_dtype = schema
        .out_dtype
        .as_ref()
        .map(|d| Dtype::parse_torch(d).expect("validated"));
    let find_method = |name: &str| {
        resolve(name).ok_or_else(|| {
            ModelIoError::config(
                schema_path,
                super::schema::find_line(
                    &std::fs::read_to_string(schema_path).unwrap_or_default(),
                    name,
                ),
                format!("unknown merge method \"{name}\""),
            )
        })
    };
    let default_method = find_method(&schema.method)?;
    let mut tensors = Vec::with_capacity(specs.len());
    for spec in specs {
        let mut method = default_method;
        let mut global = Params::new();
        overlay(&mut global, &schema.parameters);
        let mut own: BTreeMap<&str, Params> = BTreeMap::new();
        for (m, p) in &schema.model_parameters {
            overlay(own.entry(m.as_str()).or_default(), p);
        }
        for r in schema
            .rules
            .iter()
            .filter(|r| pattern_matches(&r.pattern, &spec.name))
        {
            if let Some(m) = &r.method {
                method = find_method(m)?;
            }
            overlay(&mut global, &r.parameters);
            for (m, p) in &r.model_parameters {
                overlay(own.entry(m.as_str()).or_default(), p);
            }
        }
        let uses_base = method.base != crdt_merge_core::model::BaseUse::Unused;
        let models: Vec<(usize, String)> = spec
            .sources
            .iter()
            .filter(|(m, _)| !(uses_base && Some(*m) == base))
            .cloned()
            .collect();
        let base_src = base.map(|b| {
            let n = spec
                .sources
                .iter()
                .find(|(m, _)| *m == b)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| spec.name.clone());
            (b, n)
        });
        let model_params = models
            .iter()
            .map(|(m, _)| {
                let mut p = global.clone();
                if let Some(o) = own.get(names[*m].as_str()) {
                    for (k, v) in o.entries() {
                        p.set(k, v.clone());
                    }
                }
                p
            })
            .collect();
        // Shapes and dtypes: every input must have the tensor, same shape, a float dtype.
        let mut shape: Option<Vec<usize>> = None;
        let mut first_dtype = None;
        for (m, n) in models.iter().chain(base_src.iter()) {
            let (_, info) = checkpoints[*m].get(n)?;
            if !info.dtype.is_float() {
                return Err(ModelIoError::Dtype {
                    tensor: n.clone(),
                    dtype: info.dtype.name().into(),
                });
            }
            first_dtype.get_or_insert(info.dtype);
            match &shape {
                None => shape = Some(info.shape.clone()),
                Some(s) if *s != info.shape => {
                    return Err(ModelIoError::Shape {
                        tensor: spec.name.clone(),
                        detail: format!(
                            "{} has {:?}, {} has {:?}",
                            names[models[0].0], s, names[*m], info.shape
                        ),
                    })
                }
                _ => {}
            }
        }
        let Some(shape) = shape else {
            return Err(ModelIoError::Shape {
                tensor: spec.name,
                detail: "no inputs".into(),
            });
        };
        tensors.push(TensorPlan {
            name: spec.name,
            shape,
            out_dtype: out_dtype.or(first_dtype).unwrap_or(Dtype::F32),
            method,
            models,
            base: if uses_base { base_src } else { None },
            params: global,
            model_params,
            seed: schema.seed,
        });
    }
    Ok(Plan {
        checkpoints,
        names,
        base,
        tensors,
        out_layers,
    })
}

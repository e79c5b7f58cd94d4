//! mergekit YAML configs: parsing (errors carry the line) and conversion
//! into our pipeline ([`ModelMergeSchema`]), resolving every parameter per
//! output tensor exactly as mergekit's `ConfigReader` does (source, slice and
//! top-level settings; gradients interpolated over a slice's layers;
//! `filter` conditions as substrings of the tensor name), then writing the
//! result compactly as defaults plus per-layer or per-tensor rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::checkpoint::{resolve, Checkpoint};
use super::error::{ModelIoError, Result};
use super::plan::{enumerate, split_layer, SliceIdx};
use super::schema::{
    find_line, one_line, ModelMergeSchema, ModelRef, PMap, PValue, Rule, Slice, SliceSource,
    VERSION,
};

/// A parameter setting as mergekit allows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    /// A number, flag or string.
    Scalar(PValue),
    /// A list of numbers: a gradient over the layers.
    Gradient(Vec<f64>),
    /// A list of other scalars: picked by position.
    Pick(Vec<PValue>),
    /// Conditions tried in order: (`filter`, value); `None` or `*` matches all.
    Conditional(Vec<(Option<String>, Setting)>),
}

impl Setting {
    /// The value for a tensor at position `t` (mergekit's `evaluate_setting`);
    /// `None` when no condition matches.
    pub fn evaluate(&self, tensor: &str, t: f64) -> Option<PValue> {
        match self {
            Setting::Scalar(v) => Some(v.clone()),
            Setting::Gradient(g) => {
                let scaled = t * (g.len() - 1) as f64;
                let i0 = scaled as usize;
                let i1 = (i0 + 1).min(g.len() - 1);
                let frac = scaled - i0 as f64;
                Some(PValue::Num((1.0 - frac) * g[i0] + frac * g[i1]))
            }
            Setting::Pick(v) => Some(v[(t * (v.len() - 1) as f64) as usize].clone()),
            Setting::Conditional(conds) => conds
                .iter()
                .find(|(f, _)| match f {
                    None => true,
                    Some(f) => f == "*" || (!tensor.is_empty() && tensor.contains(f.as_str())),
                })
                .and_then(|(_, v)| v.evaluate(tensor, t)),
        }
    }
}

/// Settings by parameter name.
pub type Settings = BTreeMap<String, Setting>;

/// One model input (`models:` entry or slice source).
#[derive(Debug, Clone, PartialEq)]
pub struct InputModel {
    /// Model reference as written.
    pub model: String,
    /// Layer range (slice sources only).
    pub layer_range: Option<[usize; 2]>,
    /// Its parameters.
    pub parameters: Settings,
}

/// One output slice.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSlice {
    /// Inputs.
    pub sources: Vec<InputModel>,
    /// Slice-wide parameters.
    pub parameters: Settings,
}

/// A parsed mergekit config.
#[derive(Debug, Clone, PartialEq)]
pub struct MergekitConfig {
    /// `merge_method`.
    pub merge_method: String,
    /// `base_model`.
    pub base_model: Option<String>,
    /// `models` (exclusive with `slices`).
    pub models: Vec<InputModel>,
    /// `slices`.
    pub slices: Option<Vec<OutputSlice>>,
    /// Top-level `parameters`.
    pub parameters: Settings,
    /// `dtype` (computation dtype in mergekit; output dtype when `out_dtype` is absent).
    pub dtype: Option<String>,
    /// `out_dtype`.
    pub out_dtype: Option<String>,
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, word: &str, msg: impl Into<String>) -> ModelIoError {
        ModelIoError::config(self.path, find_line(self.text, word), msg)
    }
}

fn scalar(v: &Value) -> Option<PValue> {
    Some(match v {
        Value::Bool(b) => PValue::Bool(*b),
        Value::Number(n) => PValue::Num(n.as_f64()?),
        Value::String(s) => PValue::Str(s.clone()),
        _ => return None,
    })
}

fn setting(cx: &Ctx<'_>, name: &str, v: &Value) -> Result<Setting> {
    let bad = || {
        cx.err(
            name,
            format!(
                "parameter \"{name}\": expected a number, flag, list or filter/value conditions"
            ),
        )
    };
    Ok(match v {
        Value::Sequence(items) if items.is_empty() => return Err(bad()),
        Value::Sequence(items) => {
            if items.iter().all(|i| matches!(i, Value::Number(_))) {
                Setting::Gradient(items.iter().map(|i| i.as_f64().expect("number")).collect())
            } else if items.iter().all(|i| scalar(i).is_some()) {
                Setting::Pick(items.iter().map(|i| scalar(i).expect("scalar")).collect())
            } else {
                let mut conds = Vec::new();
                for i in items {
                    conds.push(condition(cx, name, i)?);
                }
                Setting::Conditional(conds)
            }
        }
        Value::Mapping(_) => Setting::Conditional(vec![condition(cx, name, v)?]),
        Value::Tagged(_) | Value::Null => return Err(bad()),
        _ => Setting::Scalar(scalar(v).ok_or_else(bad)?),
    })
}

fn condition(cx: &Ctx<'_>, name: &str, v: &Value) -> Result<(Option<String>, Setting)> {
    let Value::Mapping(m) = v else {
        return Err(cx.err(name, format!("parameter \"{name}\": list items must all be numbers or all be {{filter, value}} maps")));
    };
    let value = m.get("value").ok_or_else(|| {
        cx.err(
            name,
            format!("parameter \"{name}\": condition without \"value\""),
        )
    })?;
    let filter = match m.get("filter") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(cx.err(
                "filter",
                format!("parameter \"{name}\": filter must be a string"),
            ))
        }
    };
    for k in m.keys() {
        if !matches!(k.as_str(), Some("value" | "filter")) {
            return Err(cx.err(
                name,
                format!("parameter \"{name}\": unknown condition key {k:?}"),
            ));
        }
    }
    Ok((filter, setting(cx, name, value)?))
}

fn settings(cx: &Ctx<'_>, v: Option<&Value>) -> Result<Settings> {
    let mut out = Settings::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(m)) => {
            for (k, v) in m {
                let k = k
                    .as_str()
                    .ok_or_else(|| cx.err("parameters", "parameter names must be strings"))?;
                out.insert(k.to_string(), setting(cx, k, v)?);
            }
        }
        Some(_) => return Err(cx.err("parameters", "parameters must be a map")),
    }
    Ok(out)
}

fn model_ref(cx: &Ctx<'_>, v: Option<&Value>, what: &str) -> Result<String> {
    let s = match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Mapping(m)) => match m.get("model") {
            Some(Value::String(s)) if m.get("lora").is_none() => s.clone(),
            _ => {
                return Err(cx.err(
                    what,
                    format!("{what}: only plain model paths are supported (no LoRA)"),
                ))
            }
        },
        _ => return Err(cx.err(what, format!("{what}: expected a model path"))),
    };
    if s.contains('+') {
        return Err(cx.err(
            &s,
            format!("{what} \"{s}\": LoRA references (model+lora) are not supported"),
        ));
    }
    Ok(s)
}

fn input_model(cx: &Ctx<'_>, v: &Value, slice: bool) -> Result<InputModel> {
    let Value::Mapping(m) = v else {
        return Err(cx.err(
            if slice { "sources" } else { "models" },
            "each model entry must be a map with \"model\"",
        ));
    };
    let model = model_ref(cx, m.get("model"), "model")?;
    let layer_range = if slice {
        let r = m
            .get("layer_range")
            .and_then(Value::as_sequence)
            .filter(|r| r.len() == 2)
            .and_then(|r| Some([r[0].as_u64()? as usize, r[1].as_u64()? as usize]))
            .ok_or_else(|| {
                cx.err(
                    &model,
                    format!("slice source \"{model}\": layer_range must be [begin, end]"),
                )
            })?;
        if r[0] > r[1] {
            return Err(cx.err(
                "layer_range",
                format!("slice source \"{model}\": layer_range {r:?} is reversed"),
            ));
        }
        Some(r)
    } else {
        None
    };
    Ok(InputModel {
        model,
        layer_range,
        parameters: settings(cx, m.get("parameters"))?,
    })
}

impl MergekitConfig {
    /// Parse a config's text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<MergekitConfig> {
        let cx = Ctx { path, text };
        let root: Value = serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(0);
            ModelIoError::config(
                path,
                line,
                format!("malformed YAML: {}", one_line(&e.to_string())),
            )
        })?;
        let Value::Mapping(m) = &root else {
            return Err(ModelIoError::config(
                path,
                1,
                "a mergekit config must be a YAML map",
            ));
        };
        for unsupported in ["modules", "tokenizer"] {
            if m.get(unsupported).is_some_and(|v| !v.is_null()) {
                return Err(cx.err(unsupported, format!("\"{unsupported}\" is not supported")));
            }
        }
        if let Some(v) = m.get("tokenizer_source") {
            if !(v.is_null() || v.as_str() == Some("base")) {
                return Err(cx.err("tokenizer_source", "tokenizer_source: only \"base\" is supported (tokenizer files are copied from the base model)"));
            }
        }
        let merge_method = match m.get("merge_method") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(cx.err("merge_method", "merge_method (a string) is required")),
        };
        let base_model = match m.get("base_model") {
            None | Some(Value::Null) => None,
            v => Some(model_ref(&cx, v, "base_model")?),
        };
        let models = match m.get("models") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(s)) => s
                .iter()
                .map(|v| input_model(&cx, v, false))
                .collect::<Result<_>>()?,
            Some(_) => return Err(cx.err("models", "models must be a list")),
        };
        let slices = match m.get("slices") {
            None | Some(Value::Null) => None,
            Some(Value::Sequence(s)) => {
                let mut out = Vec::new();
                for sl in s {
                    let Value::Mapping(sm) = sl else {
                        return Err(cx.err("slices", "each slice must be a map with sources"));
                    };
                    for k in ["base_model", "residual_weight"] {
                        if sm.get(k).is_some_and(|v| !v.is_null()) {
                            return Err(cx.err(k, format!("slice \"{k}\" is not supported")));
                        }
                    }
                    let sources: Vec<InputModel> = match sm.get("sources") {
                        Some(Value::Sequence(ss)) if !ss.is_empty() => ss
                            .iter()
                            .map(|v| input_model(&cx, v, true))
                            .collect::<Result<_>>()?,
                        _ => {
                            return Err(cx.err("sources", "a slice needs a non-empty sources list"))
                        }
                    };
                    let n = sources[0].layer_range.map(|r| r[1] - r[0]);
                    if sources
                        .iter()
                        .any(|s| s.layer_range.map(|r| r[1] - r[0]) != n)
                    {
                        return Err(cx.err(
                            "layer_range",
                            "all inputs to a slice must contain the same number of layers",
                        ));
                    }
                    out.push(OutputSlice {
                        sources,
                        parameters: settings(&cx, sm.get("parameters"))?,
                    });
                }
                Some(out)
            }
            Some(_) => return Err(cx.err("slices", "slices must be a list")),
        };
        if models.is_empty() == slices.is_none() {
            return Err(cx.err(
                if slices.is_some() {
                    "slices"
                } else {
                    "merge_method"
                },
                "exactly one of \"models\" or \"slices\" must be given",
            ));
        }
        let dtype_of = |k: &str| -> Result<Option<String>> {
            match m.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if super::safetensors::Dtype::parse_torch(s).is_some() => {
                    Ok(Some(s.clone()))
                }
                Some(v) => Err(cx.err(k, format!("{k}: unknown dtype {v:?}"))),
            }
        };
        Ok(MergekitConfig {
            merge_method,
            base_model,
            models,
            slices,
            parameters: settings(&cx, m.get("parameters"))?,
            dtype: dtype_of("dtype")?,
            out_dtype: dtype_of("out_dtype")?,
        })
    }

    /// Read and parse a file.
    pub fn load(path: &Path) -> Result<MergekitConfig> {
        let text = std::fs::read_to_string(path).map_err(ModelIoError::io(path))?;
        MergekitConfig::parse(path, &text)
    }

    /// Convert to a pipeline. Model references are resolved against `rel_to`
    /// (mergekit resolves them against the working directory) and written as
    /// absolute paths; the models' headers are read to enumerate tensors.
    pub fn to_schema(&self, rel_to: &Path) -> Result<ModelMergeSchema> {
        // Models in order of first mention: models/slice sources, then the base.
        let mut refs: Vec<String> = Vec::new();
        let mention = |refs: &mut Vec<String>, r: &str| {
            if !refs.iter().any(|x| x == r) {
                refs.push(r.to_string());
            }
        };
        let inputs: Vec<&InputModel> = match &self.slices {
            Some(s) => s.iter().flat_map(|s| s.sources.iter()).collect(),
            None => self.models.iter().collect(),
        };
        for i in &inputs {
            mention(&mut refs, &i.model);
        }
        let contributors = refs.len();
        if let Some(b) = &self.base_model {
            mention(&mut refs, b);
        }
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut cks = Vec::new();
        for r in &refs {
            let p = resolve(r, rel_to)?;
            let p = std::fs::canonicalize(&p).unwrap_or(p);
            cks.push(Checkpoint::open(&p)?);
            paths.push(p);
        }
        let idx = |r: &str| refs.iter().position(|x| x == r).expect("mentioned");
        let base = self.base_model.as_deref().map(idx);
        let slice_idx: Option<Vec<SliceIdx>> = self.slices.as_ref().map(|ss| {
            ss.iter()
                .map(|s| {
                    s.sources
                        .iter()
                        .map(|src| (idx(&src.model), src.layer_range.expect("slice")))
                        .collect()
                })
                .collect()
        });
        let listed: Vec<usize> = self.models.iter().map(|m| idx(&m.model)).collect();
        let ckrefs: Vec<&Checkpoint> = cks.iter().collect();
        let specs = enumerate(&ckrefs, &listed, base.unwrap_or(0), slice_idx.as_deref())?;
        // Resolve every parameter of every output tensor.
        let mut assigns: Vec<Assign> = Vec::with_capacity(specs.len());
        for spec in &specs {
            let (slice_params, sources): (&Settings, Vec<&InputModel>) = match &self.slices {
                Some(s) => (
                    &s[spec.slice].parameters,
                    s[spec.slice].sources.iter().collect(),
                ),
                None => (&Settings::new(), self.models.iter().collect()),
            };
            let mut g = PMap::new();
            let names: std::collections::BTreeSet<&String> =
                slice_params.keys().chain(self.parameters.keys()).collect();
            for n in names {
                let v = slice_params
                    .get(n)
                    .and_then(|s| s.evaluate(&spec.name, spec.t))
                    .or_else(|| {
                        self.parameters
                            .get(n)
                            .and_then(|s| s.evaluate(&spec.name, spec.t))
                    });
                if let Some(v) = v {
                    g.insert(n.clone(), v);
                }
            }
            let mut per = BTreeMap::new();
            for (k, src) in sources.iter().enumerate() {
                let in_name = spec
                    .sources
                    .get(k)
                    .map(|(_, n)| n.as_str())
                    .unwrap_or(&spec.name);
                let mut mp = PMap::new();
                for (n, s) in &src.parameters {
                    if let Some(v) = s.evaluate(in_name, spec.t) {
                        mp.insert(n.clone(), v);
                    }
                }
                if !mp.is_empty() {
                    per.insert(src.model.clone(), mp);
                }
            }
            assigns.push((g, per));
        }
        // The most common assignment becomes the default; the rest become rules.
        let all: Vec<&Assign> = assigns.iter().collect();
        let default = if all.is_empty() {
            Assign::default()
        } else {
            most_common(&all).clone()
        };
        // Per output layer: the layer's most common assignment becomes one
        // rule (`model.layers.5`), the layer's other tensors rules of their
        // own on top of it; non-layer tensors that differ get their own rule.
        let layer_of = |n: &str| split_layer(n).map(|(p, i, _)| format!("{p}{i}"));
        let mut groups: Vec<(Option<String>, Vec<usize>)> = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let key = layer_of(&spec.name);
            match groups.iter_mut().find(|(k, _)| key.is_some() && *k == key) {
                Some(g) => g.1.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        let mut rules = Vec::new();
        for (key, members) in &groups {
            let Some(layer) = key else {
                for &i in members {
                    if assigns[i] != default {
                        rules.push(rule_for(&specs[i].name, &default, &assigns[i]));
                    }
                }
                continue;
            };
            let idx: Vec<&Assign> = members.iter().map(|&i| &assigns[i]).collect();
            let common = most_common(&idx).clone();
            if common != default {
                rules.push(rule_for(layer, &default, &common));
            }
            for &i in members {
                if assigns[i] != common {
                    rules.push(rule_for(&specs[i].name, &common, &assigns[i]));
                }
            }
        }
        let mref = |k: usize| ModelRef {
            name: refs[k].clone(),
            path: paths[k].to_string_lossy().into_owned(),
        };
        let models: Vec<ModelRef> = match &self.slices {
            Some(_) => (0..contributors).map(mref).collect(),
            None => listed.iter().map(|&k| mref(k)).collect(),
        };
        Ok(ModelMergeSchema {
            version: VERSION,
            method: self.merge_method.clone(),
            base_model: base.map(mref),
            models,
            slices: self.slices.as_ref().map(|ss| {
                ss.iter()
                    .map(|s| Slice {
                        sources: s
                            .sources
                            .iter()
                            .map(|src| SliceSource {
                                model: src.model.clone(),
                                layer_range: src.layer_range.expect("slice"),
                            })
                            .collect(),
                    })
                    .collect()
            }),
            parameters: default.0,
            model_parameters: default.1,
            rules,
            out_dtype: self.out_dtype.clone().or_else(|| self.dtype.clone()),
            seed: 0,
        })
    }
}

/// Resolved parameters of one tensor: method-wide, and per model.
type Assign = (PMap, BTreeMap<String, PMap>);

/// The most frequent element (the first one among equally frequent).
fn most_common<'a>(items: &[&'a Assign]) -> &'a Assign {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for i in 0..items.len() {
        match counts.iter_mut().find(|(j, _)| items[*j] == items[i]) {
            Some(c) => c.1 += 1,
            None => counts.push((i, 1)),
        }
    }
    let best = counts
        .iter()
        .max_by_key(|(j, c)| (*c, usize::MAX - j))
        .map(|(j, _)| *j)
        .unwrap_or(0);
    items[best]
}

/// A rule giving tensors matching `pattern` the assignment `a` in place of `default`.
fn rule_for(
    pattern: &str,
    default: &(PMap, BTreeMap<String, PMap>),
    a: &(PMap, BTreeMap<String, PMap>),
) -> Rule {
    let diff = |d: Option<&PMap>, n: Option<&PMap>| -> PMap {
        let mut out = PMap::new();
        let empty = PMap::new();
        let (d, n) = (d.unwrap_or(&empty), n.unwrap_or(&empty));
        for (k, v) in n {
            if d.get(k) != Some(v) {
                out.insert(k.clone(), v.clone());
            }
        }
        for k in d.keys() {
            if !n.contains_key(k) {
                out.insert(k.clone(), PValue::Null(()));
            }
        }
        out
    };
    let mut mp = BTreeMap::new();
    let models: std::collections::BTreeSet<&String> = default.1.keys().chain(a.1.keys()).collect();
    for m in models {
        let d = diff(default.1.get(m), a.1.get(m));
        if !d.is_empty() {
            mp.insert(m.clone(), d);
        }
    }
    Rule {
        pattern: pattern.to_string(),
        method: None,
        parameters: diff(Some(&default.0), Some(&a.0)),
        model_parameters: mp,
    }
}

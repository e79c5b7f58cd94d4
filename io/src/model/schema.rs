//! [`ModelMergeSchema`]: our pipeline file (JSON or YAML). It names the
//! models, an optional base, the default method and parameters, optional
//! layer slices, and an ordered list of rules that pick a method and
//! parameters per tensor by glob pattern (`layers.*.mlp` → ties). Format and
//! semantics are documented in `wire-spec/model-files.md`.

use std::collections::BTreeMap;
use std::path::Path;

use crdt_merge_core::model::{ParamValue, Params};
use serde::{Deserialize, Serialize};

use super::error::{ModelIoError, Result};

/// Current pipeline format version.
pub const VERSION: u32 = 1;

/// A parameter value as written in a pipeline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PValue {
    /// `null`: remove the parameter (in a rule).
    Null(()),
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string.
    Str(String),
    /// A list of numbers.
    List(Vec<f64>),
}

impl PValue {
    /// The core's value (`None` for `Null`).
    pub fn to_param(&self) -> Option<ParamValue> {
        Some(match self {
            PValue::Null(()) => return None,
            PValue::Bool(b) => ParamValue::Flag(*b),
            PValue::Num(v) => ParamValue::Num(*v),
            PValue::Str(s) => ParamValue::Str(s.clone()),
            PValue::List(v) => ParamValue::List(v.clone()),
        })
    }
}

/// Named parameters (sorted by name).
pub type PMap = BTreeMap<String, PValue>;

/// A model of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRef {
    /// Label used by rules and slices.
    pub name: String,
    /// Directory, safetensors file or `org/name` in the Hugging Face cache.
    pub path: String,
}

/// One input of a slice: layers `[begin, end)` of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SliceSource {
    /// Model name (of `models` or the base).
    pub model: String,
    /// Layer range `[begin, end)`.
    pub layer_range: [usize; 2],
}

/// One output slice: its inputs have the same number of layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slice {
    /// Inputs merged into this slice's layers.
    pub sources: Vec<SliceSource>,
}

/// A per-tensor override.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Glob over output tensor names (see [`pattern_matches`]).
    pub pattern: String,
    /// Method for matching tensors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Method-wide parameters set (or, with `null`, removed) for matching tensors.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: PMap,
    /// Per-model parameters set for matching tensors.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_parameters: BTreeMap<String, PMap>,
}

/// The pipeline file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelMergeSchema {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// Default merge method (mergekit's names, then the reference's).
    pub method: String,
    /// The base model, when the method uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_model: Option<ModelRef>,
    /// Contributions, in canonical order (the base too when it contributes).
    pub models: Vec<ModelRef>,
    /// Layer slices; absent: every tensor of the base (or first model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slices: Option<Vec<Slice>>,
    /// Default method-wide parameters (models fall back to them too).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: PMap,
    /// Default per-model parameters, by model name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub model_parameters: BTreeMap<String, PMap>,
    /// Overrides, applied in order (later ones win).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// Dtype of the output tensors (`float32`, `bfloat16`, `float16`);
    /// absent: the inputs' dtype.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_dtype: Option<String>,
    /// Seed of randomized methods.
    #[serde(default)]
    pub seed: u64,
}

impl ModelMergeSchema {
    /// Parse JSON (text starting with `{`) or YAML; errors carry the line.
    pub fn parse(path: &Path, text: &str) -> Result<ModelMergeSchema> {
        let s: ModelMergeSchema = if text.trim_start().starts_with('{') {
            serde_json::from_str(text)
                .map_err(|e| ModelIoError::config(path, e.line(), one_line(&e.to_string())))?
        } else {
            serde_yaml::from_str(text).map_err(|e| {
                let line = e.location().map(|l| l.line()).unwrap_or(0);
                ModelIoError::config(path, line, one_line(&e.to_string()))
            })?
        };
        s.validate()
            .map_err(|(key, msg)| ModelIoError::config(path, find_line(text, &key), msg))?;
        Ok(s)
    }
    /// Read and parse a file.
    pub fn load(path: &Path) -> Result<ModelMergeSchema> {
        let text = std::fs::read_to_string(path).map_err(ModelIoError::io(path))?;
        ModelMergeSchema::parse(path, &text)
    }
    /// As YAML text.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect("plain data")
    }
    /// As pretty JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data") + "\n"
    }
    /// Check names and versions; the error names a word to find the line by.
    fn validate(&self) -> std::result::Result<(), (String, String)> {
        if self.version != VERSION {
            return Err((
                "version".into(),
                format!(
                    "unsupported pipeline version {} (this is {VERSION})",
                    self.version
                ),
            ));
        }
        if self.models.is_empty() {
            return Err(("models".into(), "no models".into()));
        }
        let mut names: Vec<&str> = Vec::new();
        for m in &self.models {
            if names.contains(&m.name.as_str()) {
                return Err((
                    m.name.clone(),
                    format!("model name \"{}\" used twice", m.name),
                ));
            }
            names.push(&m.name);
        }
        if let Some(b) = &self.base_model {
            if let Some(m) = self.models.iter().find(|m| m.name == b.name) {
                if m.path != b.path {
                    return Err((
                        b.name.clone(),
                        format!("base model \"{}\" names a model with another path", b.name),
                    ));
                }
            } else {
                names.push(&b.name);
            }
        }
        let known = |n: &str| names.contains(&n);
        for m in self.model_parameters.keys() {
            if !known(m) {
                return Err((
                    m.clone(),
                    format!("model_parameters: unknown model \"{m}\""),
                ));
            }
        }
        for r in &self.rules {
            for m in r.model_parameters.keys() {
                if !known(m) {
                    return Err((
                        m.clone(),
                        format!("rule \"{}\": unknown model \"{m}\"", r.pattern),
                    ));
                }
            }
            if r.pattern.is_empty() {
                return Err(("pattern".into(), "empty rule pattern".into()));
            }
        }
        if let Some(slices) = &self.slices {
            if slices.is_empty() {
                return Err(("slices".into(), "slices is empty".into()));
            }
            for s in slices {
                if s.sources.is_empty() {
                    return Err(("sources".into(), "a slice has no sources".into()));
                }
                for src in &s.sources {
                    if !known(&src.model) {
                        return Err((
                            src.model.clone(),
                            format!("slice source: unknown model \"{}\"", src.model),
                        ));
                    }
                    if src.layer_range[0] > src.layer_range[1] {
                        return Err((
                            "layer_range".into(),
                            format!("layer_range {:?} is reversed", src.layer_range),
                        ));
                    }
                }
                let n = s.sources[0].layer_range[1] - s.sources[0].layer_range[0];
                if s.sources
                    .iter()
                    .any(|x| x.layer_range[1] - x.layer_range[0] != n)
                {
                    return Err((
                        "layer_range".into(),
                        "all sources of a slice must have the same number of layers".into(),
                    ));
                }
            }
        }
        if let Some(d) = &self.out_dtype {
            if super::safetensors::Dtype::parse_torch(d).is_none() {
                return Err(("out_dtype".into(), format!("unknown dtype \"{d}\"")));
            }
        }
        Ok(())
    }
}

/// Overlay `over` onto `params` (`null` removes).
pub fn overlay(params: &mut Params, over: &PMap) {
    for (k, v) in over {
        match v.to_param() {
            Some(p) => params.set(k, p),
            None => {
                let kept: Vec<(String, ParamValue)> = params
                    .entries()
                    .iter()
                    .filter(|(n, _)| n != k)
                    .cloned()
                    .collect();
                let mut fresh = Params::new();
                for (n, v) in kept {
                    fresh.set(&n, v);
                }
                *params = fresh;
            }
        }
    }
}

/// Does `pattern` match tensor `name`? The name is split at dots; the
/// pattern matches when it matches some run of whole components (so
/// `layers.1` matches `model.layers.1.mlp.up_proj.weight` but not
/// `model.layers.11.mlp...`). In the pattern, `*` matches any characters
/// (dots included) and `?` one character.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let p = pattern.as_bytes();
    let n = name.as_bytes();
    let starts = std::iter::once(0).chain(
        n.iter()
            .enumerate()
            .filter(|(_, &c)| c == b'.')
            .map(|(i, _)| i + 1),
    );
    for s in starts {
        let ends = n[s..]
            .iter()
            .enumerate()
            .filter(|(_, &c)| c == b'.')
            .map(|(i, _)| s + i)
            .chain(std::iter::once(n.len()));
        for e in ends {
            if e >= s && glob(p, &n[s..e]) {
                return true;
            }
        }
    }
    false
}

/// Iterative glob with backtracking over the last `*` (linear-ish, no recursion).
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (usize::MAX, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = pi;
            mark = si;
            pi += 1;
        } else if star != usize::MAX {
            pi = star + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Squash an error message to one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 1-based line of the first occurrence of `word` in `text` (0 when absent).
pub(crate) fn find_line(text: &str, word: &str) -> usize {
    text.lines()
        .position(|l| l.contains(word))
        .map(|i| i + 1)
        .unwrap_or(0)
}

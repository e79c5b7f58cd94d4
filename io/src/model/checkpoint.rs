//! A model checkpoint on disk: a directory with `config.json` and either one
//! `model.safetensors`, shards listed by `model.safetensors.index.json`, or
//! other `*.safetensors` files; a single `.safetensors` file; or a Hugging
//! Face cache entry (`models--org--name/snapshots/<rev>/`, offline only).
//! Tensors are looked up by name across shards and read on demand.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::{ModelIoError, Result};
use super::safetensors::{SafeTensors, TensorInfo};

/// An opened checkpoint.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    files: Vec<SafeTensors>,
    /// name -> (file index, tensor index in that file)
    index: HashMap<String, (usize, usize)>,
    /// Tensor names in file order, then header (offset) order.
    names: Vec<String>,
    config: Option<Value>,
}

fn bad_model(path: &Path, msg: impl Into<String>) -> ModelIoError {
    ModelIoError::BadModel {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// Resolve a model reference: an existing path, or `org/name[@rev]` in the
/// Hugging Face cache (`$HF_HUB_CACHE`, `$HF_HOME/hub` or
/// `~/.cache/huggingface/hub`). Relative paths are taken against `rel_to`.
pub fn resolve(reference: &str, rel_to: &Path) -> Result<PathBuf> {
    let p = Path::new(reference);
    let local = if p.is_absolute() {
        p.to_path_buf()
    } else {
        rel_to.join(p)
    };
    if local.exists() {
        return Ok(local);
    }
    let (repo, rev) = match reference.split_once('@') {
        Some((r, v)) => (r, Some(v)),
        None => (reference, None),
    };
    let parts: Vec<&str> = repo.split('/').collect();
    if parts.len() == 2 && parts.iter().all(|s| !s.is_empty() && !s.contains("..")) {
        for hub in hub_dirs() {
            let entry = hub.join(format!("models--{}--{}", parts[0], parts[1]));
            if !entry.is_dir() {
                continue;
            }
            let rev = match rev {
                Some(r) => r.to_string(),
                None => match std::fs::read_to_string(entry.join("refs").join("main")) {
                    Ok(s) => s.trim().to_string(),
                    Err(_) => continue,
                },
            };
            let refs = std::fs::read_to_string(entry.join("refs").join(&rev)).ok();
            let commit = refs.map(|s| s.trim().to_string()).unwrap_or(rev);
            let snap = entry.join("snapshots").join(&commit);
            if snap.is_dir() {
                return Ok(snap);
            }
        }
    }
    Err(bad_model(
        &local,
        "no such model directory (nor a Hugging Face cache entry; downloads are not attempted)",
    ))
}

fn hub_dirs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(c) = std::env::var_os("HF_HUB_CACHE") {
        v.push(PathBuf::from(c));
    }
    if let Some(h) = std::env::var_os("HF_HOME") {
        v.push(PathBuf::from(h).join("hub"));
    }
    if let Some(h) = std::env::var_os("HOME") {
        v.push(PathBuf::from(h).join(".cache/huggingface/hub"));
    }
    v
}

impl Checkpoint {
    /// Open a checkpoint directory or a single safetensors file.
    pub fn open(path: &Path) -> Result<Checkpoint> {
        let meta = std::fs::metadata(path).map_err(ModelIoError::io(path))?;
        let (files, config) = if meta.is_file() {
            (vec![path.to_path_buf()], None)
        } else {
            let cfg_path = path.join("config.json");
            let config = match std::fs::read(&cfg_path) {
                Ok(b) => Some(
                    serde_json::from_slice::<Value>(&b)
                        .map_err(|e| bad_model(&cfg_path, format!("not JSON: {e}")))?,
                ),
                Err(_) => None,
            };
            (shard_files(path)?, config)
        };
        let mut opened = Vec::with_capacity(files.len());
        let mut index = HashMap::new();
        let mut names = Vec::new();
        for (fi, f) in files.iter().enumerate() {
            let st = SafeTensors::open(f)?;
            for (ti, t) in st.tensors().iter().enumerate() {
                if index.insert(t.name.clone(), (fi, ti)).is_some() {
                    return Err(bad_model(
                        f,
                        format!("tensor \"{}\" appears in two shards", t.name),
                    ));
                }
                names.push(t.name.clone());
            }
            opened.push(st);
        }
        Ok(Checkpoint {
            path: path.to_path_buf(),
            files: opened,
            index,
            names,
            config,
        })
    }
    /// Where it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Its `config.json`, when present.
    pub fn config(&self) -> Option<&Value> {
        self.config.as_ref()
    }
    /// Tensor names (shard order, then data order).
    pub fn names(&self) -> &[String] {
        &self.names
    }
    /// The shard files.
    pub fn files(&self) -> &[SafeTensors] {
        &self.files
    }
    /// A tensor's file and entry.
    pub fn get(&self, name: &str) -> Result<(&SafeTensors, &TensorInfo)> {
        let &(fi, ti) = self
            .index
            .get(name)
            .ok_or_else(|| ModelIoError::MissingTensor {
                path: self.path.clone(),
                tensor: name.to_string(),
            })?;
        let f = &self.files[fi];
        Ok((f, &f.tensors()[ti]))
    }
    /// A tensor's entry, if present.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.get(name).ok().map(|(_, t)| t)
    }
    /// Total bytes of tensor data.
    pub fn data_bytes(&self) -> u64 {
        self.files
            .iter()
            .flat_map(|f| f.tensors())
            .map(|t| (t.end - t.begin) as u64)
            .sum()
    }
}

/// The safetensors files of a directory: from the index when present.
fn shard_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let idx = dir.join("model.safetensors.index.json");
    if idx.is_file() {
        let raw = std::fs::read(&idx).map_err(ModelIoError::io(&idx))?;
        let v: Value =
            serde_json::from_slice(&raw).map_err(|e| bad_model(&idx, format!("not JSON: {e}")))?;
        let map = v
            .get("weight_map")
            .and_then(Value::as_object)
            .ok_or_else(|| bad_model(&idx, "no weight_map object"))?;
        let mut files: Vec<String> = Vec::new();
        for f in map.values() {
            let f = f
                .as_str()
                .ok_or_else(|| bad_model(&idx, "weight_map values must be file names"))?;
            if f.contains('/') || f.contains('\\') || f == ".." {
                return Err(bad_model(
                    &idx,
                    format!("shard name {f:?} leaves the directory"),
                ));
            }
            if !files.iter().any(|x| x == f) {
                files.push(f.to_string());
            }
        }
        files.sort();
        return Ok(files.into_iter().map(|f| dir.join(f)).collect());
    }
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(ModelIoError::io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors") && p.is_file())
        .collect();
    if v.is_empty() {
        return Err(bad_model(
            dir,
            "no model.safetensors, index or *.safetensors file",
        ));
    }
    v.sort();
    Ok(v)
}

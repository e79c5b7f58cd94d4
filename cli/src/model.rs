//! `crdt-merge model merge`: merge model checkpoints from a mergekit YAML
//! config (`--config`), our pipeline file (`--pipeline`) or the command line
//! (`--method` and model paths). The output directory is built in a
//! temporary directory beside it and renamed into place only when complete,
//! so a failed merge leaves nothing behind. Tensors are merged on all cores
//! and streamed to disk (see `crdt_merge_io::model::engine`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crdt_merge_core::model::strategy::{mergekit_methods, reference_methods};
use crdt_merge_core::model::Method;
use crdt_merge_io::model::card::model_card;
use crdt_merge_io::model::engine::{copy_aux_files, output_config, write_model, WriteOptions};
use crdt_merge_io::model::mergekit::MergekitConfig;
use crdt_merge_io::model::plan::{plan, Resolver};
use crdt_merge_io::model::schema::{ModelMergeSchema, ModelRef, PMap, PValue, VERSION};
use crdt_merge_io::model::ModelIoError;

use crate::error::{CliError, Result};
use crate::progress;

/// Where the merge is described.
pub enum Source<'a> {
    /// A mergekit YAML config (model paths relative to the working directory).
    Config(&'a Path),
    /// A pipeline file (model paths relative to its directory).
    Pipeline(&'a Path),
    /// Command-line quick merge.
    Quick(&'a QuickArgs),
}

/// Arguments of a quick merge.
pub struct QuickArgs {
    /// Method name.
    pub method: String,
    /// Base model.
    pub base: Option<String>,
    /// Models.
    pub models: Vec<String>,
    /// Per-model weights (one per model, or one for all).
    pub weights: Vec<f64>,
    /// Global density.
    pub density: Option<f64>,
    /// Global t.
    pub t: Option<f64>,
    /// Seed.
    pub seed: u64,
}

/// Options of `model merge`.
pub struct MergeOptions<'a> {
    /// What to merge.
    pub source: Source<'a>,
    /// Output directory (or `.safetensors` file for quick merges).
    pub output: &'a Path,
    /// Output dtype override.
    pub out_dtype: Option<&'a str>,
    /// Largest shard in bytes.
    pub max_shard: u64,
    /// Threads (0: all cores).
    pub threads: usize,
    /// Write README.md with provenance.
    pub model_card: bool,
    /// fsync the tensor files before the rename.
    pub fsync: bool,
}

/// mergekit's methods only (for mergekit configs: names mean mergekit's math).
fn mergekit_only(name: &str) -> Option<&'static Method> {
    mergekit_methods().iter().find(|m| m.name == name)
}

/// mergekit's methods first, then the reference's.
fn any_method(name: &str) -> Option<&'static Method> {
    mergekit_only(name).or_else(|| reference_methods().iter().find(|m| m.name == name))
}

fn quick_schema(q: &QuickArgs) -> Result<ModelMergeSchema> {
    if q.models.is_empty() {
        return Err(CliError::BadOption {
            name: "MODEL",
            msg: "give at least one model".into(),
        });
    }
    if !(q.weights.is_empty() || q.weights.len() == 1 || q.weights.len() == q.models.len()) {
        return Err(CliError::BadOption {
            name: "--weight",
            msg: format!(
                "give one weight, or one per model ({}), got {}",
                q.models.len(),
                q.weights.len()
            ),
        });
    }
    let mut names: Vec<String> = Vec::new();
    for m in &q.models {
        if names.contains(m) {
            return Err(CliError::BadOption {
                name: "MODEL",
                msg: format!("model {m:?} given twice"),
            });
        }
        names.push(m.clone());
    }
    for (name, v) in [
        ("--weight", q.weights.first().copied()),
        ("--density", q.density),
        ("--t", q.t),
    ] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(CliError::BadOption {
                name,
                msg: "must be a finite number".into(),
            });
        }
    }
    let cwd = std::env::current_dir().map_err(CliError::io("."))?;
    let abs = |p: &str| {
        let pb = Path::new(p);
        if pb.is_absolute() || !cwd.join(pb).exists() {
            p.to_string()
        } else {
            cwd.join(pb).to_string_lossy().into_owned()
        }
    };
    let mut model_parameters = std::collections::BTreeMap::new();
    for (i, m) in q.models.iter().enumerate() {
        let w = match q.weights.len() {
            0 => continue,
            1 => q.weights[0],
            _ => q.weights[i],
        };
        if !w.is_finite() {
            return Err(CliError::BadOption {
                name: "--weight",
                msg: "must be a finite number".into(),
            });
        }
        model_parameters.insert(
            m.clone(),
            PMap::from([("weight".to_string(), PValue::Num(w))]),
        );
    }
    let mut parameters = PMap::new();
    if let Some(d) = q.density {
        parameters.insert("density".into(), PValue::Num(d));
    }
    if let Some(t) = q.t {
        parameters.insert("t".into(), PValue::Num(t));
    }
    Ok(ModelMergeSchema {
        version: VERSION,
        method: q.method.clone(),
        base_model: q.base.as_ref().map(|b| ModelRef {
            name: b.clone(),
            path: abs(b),
        }),
        models: q
            .models
            .iter()
            .map(|m| ModelRef {
                name: m.clone(),
                path: abs(m),
            })
            .collect(),
        slices: None,
        parameters,
        model_parameters,
        rules: Vec::new(),
        out_dtype: None,
        seed: q.seed,
    })
}

/// Run `model merge`.
pub fn merge(opts: &MergeOptions<'_>) -> Result<()> {
    let cwd = std::env::current_dir().map_err(CliError::io("."))?;
    let (mut schema, schema_path, rel_to, resolver): (
        ModelMergeSchema,
        PathBuf,
        PathBuf,
        Resolver<'_>,
    ) = match &opts.source {
        Source::Config(p) => {
            let cfg = MergekitConfig::load(p)?;
            (
                cfg.to_schema(&cwd)?,
                p.to_path_buf(),
                cwd.clone(),
                &mergekit_only,
            )
        }
        Source::Pipeline(p) => {
            let s = ModelMergeSchema::load(p)?;
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or(cwd.clone());
            (s, p.to_path_buf(), dir, &any_method)
        }
        Source::Quick(q) => (
            quick_schema(q)?,
            PathBuf::from("--method"),
            cwd.clone(),
            &any_method,
        ),
    };
    if let Some(d) = opts.out_dtype {
        schema.out_dtype = Some(d.to_string());
        if crdt_merge_io::model::safetensors::Dtype::parse_torch(d).is_none() {
            return Err(CliError::BadOption {
                name: "--out-dtype",
                msg: format!("unknown dtype {d:?} (float32, bfloat16, float16)"),
            });
        }
    }
    if let Source::Quick(q) = &opts.source {
        if resolver(&q.method).is_none() {
            return Err(CliError::BadOption {
                name: "--method",
                msg: format!("unknown merge method \"{}\"", q.method),
            });
        }
    }
    let plan = plan(&schema, &schema_path, &rel_to, resolver)?;
    let single_file = matches!(opts.source, Source::Quick(_))
        && opts.output.extension().is_some_and(|e| e == "safetensors");
    let out = opts.output;
    if !single_file {
        if let Ok(mut rd) = std::fs::read_dir(out) {
            if rd.next().is_some() {
                return Err(CliError::Model(ModelIoError::BadModel {
                    path: out.to_path_buf(),
                    msg: "output directory exists and is not empty".into(),
                }));
            }
        } else if out.exists() {
            return Err(CliError::Model(ModelIoError::BadModel {
                path: out.to_path_buf(),
                msg: "output exists and is not a directory".into(),
            }));
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".crdt-merge-")
        .suffix(".tmp")
        .tempdir_in(&parent)
        .map_err(CliError::io(out))?;
    let total: u64 = plan
        .tensors
        .iter()
        .map(|t| t.shape.iter().product::<usize>() as u64 * t.out_dtype.size() as u64)
        .sum();
    let bar = progress::bar(total, plan.tensors.len(), "merging tensors");
    let done = AtomicU64::new(0);
    let tick = |n: u64| {
        let d = done.fetch_add(n, Ordering::Relaxed) + n;
        bar.set_position(d);
    };
    let files = write_model(
        &plan,
        tmp.path(),
        &WriteOptions {
            max_shard: if single_file {
                u64::MAX
            } else {
                opts.max_shard
            },
            threads: opts.threads,
            progress: &tick,
            fsync: opts.fsync,
        },
    )?;
    bar.finish_and_clear();
    if single_file {
        let from = tmp.path().join(&files[0]);
        std::fs::rename(&from, out).map_err(CliError::io(out))?;
        return Ok(());
    }
    if let Some(cfg) = output_config(&plan) {
        let p = tmp.path().join("config.json");
        std::fs::write(&p, serde_json::to_string_pretty(&cfg).expect("json") + "\n")
            .map_err(CliError::io(out))?;
    }
    copy_aux_files(&plan, tmp.path())?;
    if opts.model_card {
        let card = model_card(&schema, &plan, tmp.path(), &files)?;
        std::fs::write(tmp.path().join("README.md"), card).map_err(CliError::io(out))?;
    }
    let kept = tmp.keep();
    if let Err(e) = std::fs::rename(&kept, out) {
        let _ = std::fs::remove_dir_all(&kept);
        return Err(CliError::Io {
            path: out.to_path_buf(),
            source: e,
        });
    }
    Ok(())
}

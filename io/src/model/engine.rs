//! The merge engine: runs a [`Plan`] tensor by tensor on all cores and
//! streams the result into safetensors files (one, or shards with
//! `model.safetensors.index.json`). Inputs stay memory-mapped (pages are
//! dropped once a tensor is done); each output tensor is written with
//! `pwrite` at the offset fixed by the header, which is computed from shapes
//! and dtypes before any merging. Memory in use: one output tensor (plus
//! converted inputs for non-f32 dtypes) per thread.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crdt_merge_core::model::strategy::mergekit_methods;
use crdt_merge_core::model::{MergeInput, Method};
use serde_json::{json, Map, Value};

use super::error::{ModelIoError, Result};
use super::plan::{Plan, TensorPlan};
use super::safetensors::{from_f32, layout, OutTensor};

/// Where each output tensor goes.
#[derive(Debug, Clone)]
pub struct ShardedLayout {
    /// File names (`model.safetensors` or `model-0000i-of-0000n.safetensors`).
    pub files: Vec<String>,
    /// Per file: (header bytes, file size).
    pub headers: Vec<(Vec<u8>, u64)>,
    /// Per tensor (plan order): (file index, absolute offset).
    pub place: Vec<(usize, u64)>,
    /// Sum of tensor bytes.
    pub total_bytes: u64,
}

/// Split the plan's tensors into shards of at most `max_shard` data bytes
/// (a tensor larger than that gets a shard of its own) and lay them out.
pub fn shard_layout(tensors: &[TensorPlan], max_shard: u64) -> ShardedLayout {
    let outs: Vec<OutTensor> = tensors
        .iter()
        .map(|t| OutTensor {
            name: t.name.clone(),
            dtype: t.out_dtype,
            shape: t.shape.clone(),
        })
        .collect();
    let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
    let mut size = 0u64;
    for (i, o) in outs.iter().enumerate() {
        let n = o.nbytes() as u64;
        if size > 0 && size + n > max_shard {
            groups.push(Vec::new());
            size = 0;
        }
        groups.last_mut().expect("one").push(i);
        size += n;
    }
    let count = groups.len();
    let meta = vec![("format".to_string(), "pt".to_string())];
    let mut place = vec![(0usize, 0u64); outs.len()];
    let mut files = Vec::new();
    let mut headers = Vec::new();
    for (fi, g) in groups.iter().enumerate() {
        let ts: Vec<OutTensor> = g.iter().map(|&i| outs[i].clone()).collect();
        let l = layout(&ts, &meta);
        for (k, &i) in g.iter().enumerate() {
            place[i] = (fi, l.offsets[k]);
        }
        files.push(if count == 1 {
            "model.safetensors".to_string()
        } else {
            format!("model-{:05}-of-{:05}.safetensors", fi + 1, count)
        });
        headers.push((l.header, l.file_size));
    }
    ShardedLayout {
        files,
        headers,
        place,
        total_bytes: outs.iter().map(|o| o.nbytes() as u64).sum(),
    }
}

/// Options of [`write_model`].
pub struct WriteOptions<'a> {
    /// Largest shard, in data bytes.
    pub max_shard: u64,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Called with each finished tensor's output bytes (from any thread).
    pub progress: &'a (dyn Fn(u64) + Sync),
    /// Flush the files to disk before returning (`fsync`); off, the data
    /// is in the page cache and reaches the disk when the kernel writes it
    /// back (as mergekit and `safetensors` do).
    pub fsync: bool,
}

/// Merge every tensor of `plan` into safetensors files in `dir` (which must
/// exist). Returns the file names written.
pub fn write_model(plan: &Plan, dir: &Path, opts: &WriteOptions<'_>) -> Result<Vec<String>> {
    let lay = shard_layout(&plan.tensors, opts.max_shard);
    let mut files = Vec::with_capacity(lay.files.len());
    for (name, (header, size)) in lay.files.iter().zip(&lay.headers) {
        let p = dir.join(name);
        let f = File::create(&p).map_err(ModelIoError::io(&p))?;
        f.set_len(*size).map_err(ModelIoError::io(&p))?;
        write_at(&f, header, 0).map_err(ModelIoError::io(&p))?;
        files.push((p, f));
    }
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    } else {
        opts.threads
    }
    .min(plan.tensors.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_err: Mutex<Option<(usize, ModelIoError)>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut out: Vec<f32> = Vec::new();
                let mut bytes: Vec<u8> = Vec::new();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = plan.tensors.get(i) else { return };
                    let (fi, off) = lay.place[i];
                    let (path, f) = &files[fi];
                    let size = t.out_dtype.size() as u64;
                    let mut sink = |start: usize, chunk: &[f32]| -> Result<()> {
                        let data: &[u8] = if t.out_dtype == super::safetensors::Dtype::F32
                            && cfg!(target_endian = "little")
                        {
                            bytemuck::cast_slice(chunk)
                        } else {
                            bytes.clear();
                            from_f32(&t.name, t.out_dtype, chunk, &mut bytes)?;
                            &bytes
                        };
                        write_at(f, data, off + start as u64 * size)
                            .map_err(ModelIoError::io(path.clone()))
                    };
                    let r = merge_one(plan, t, &mut out, &mut sink).map(|()| {
                        (opts.progress)(t.shape.iter().product::<usize>() as u64 * size);
                    });
                    if let Err(e) = r {
                        let mut g = first_err.lock().unwrap_or_else(|p| p.into_inner());
                        if g.as_ref().is_none_or(|(j, _)| i < *j) {
                            *g = Some((i, e));
                        }
                        stop.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
    });
    if let Some((_, e)) = first_err.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    if opts.fsync {
        for (p, f) in &files {
            f.sync_all().map_err(ModelIoError::io(p.clone()))?;
        }
    }
    if lay.files.len() > 1 {
        let mut wm = Map::new();
        for (i, t) in plan.tensors.iter().enumerate() {
            wm.insert(
                t.name.clone(),
                Value::String(lay.files[lay.place[i].0].clone()),
            );
        }
        let idx = json!({"metadata": {"total_size": lay.total_bytes}, "weight_map": wm});
        let p = dir.join("model.safetensors.index.json");
        std::fs::write(&p, serde_json::to_string_pretty(&idx).expect("json") + "\n")
            .map_err(ModelIoError::io(&p))?;
    }
    Ok(lay.files)
}

/// Elements per chunk when an element-wise method runs chunk by chunk
/// (inputs and output of a chunk stay in the core's cache).
const CHUNK: usize = 16 * 1024;
/// Elements after which a chunked merge drops the input pages it has read.
const RELEASE_EVERY: usize = 64 * CHUNK;

/// Methods whose output element `j` depends only on the inputs' elements
/// `j` and scalar parameters: they run chunk by chunk (same result, one
/// pass over memory instead of one per model).
fn elementwise(m: &'static Method) -> bool {
    mergekit_methods()
        .iter()
        .any(|k| matches!(k.name, "linear" | "passthrough") && std::ptr::eq(k, m))
}

/// Merge one tensor, handing the result to `sink(first element, values)`
/// (whole, or chunk by chunk for element-wise methods). `out` is scratch.
fn merge_one(
    plan: &Plan,
    t: &TensorPlan,
    out: &mut Vec<f32>,
    sink: &mut dyn FnMut(usize, &[f32]) -> Result<()>,
) -> Result<()> {
    let read = |(m, n): &(usize, String)| -> Result<_> {
        let (f, info) = plan.checkpoints[*m].get(n)?;
        Ok((f, info, f.read_f32(info)?))
    };
    let inputs = t.models.iter().map(read).collect::<Result<Vec<_>>>()?;
    let base = t.base.as_ref().map(read).transpose()?;
    for (k, (_, info, _)) in inputs.iter().chain(base.iter()).enumerate() {
        if info.shape != t.shape {
            return Err(ModelIoError::Shape {
                tensor: t.name.clone(),
                detail: format!("input {k} has {:?}, expected {:?}", info.shape, t.shape),
            });
        }
    }
    let slices: Vec<&[f32]> = inputs.iter().map(|(_, _, d)| &**d).collect();
    let base_slice = base.as_ref().map(|(_, _, d)| &**d);
    let n: usize = t.shape.iter().product();
    if elementwise(t.method) && n > CHUNK {
        let mut part: Vec<&[f32]> = Vec::with_capacity(slices.len());
        let mut start = 0;
        while start < n {
            let end = (start + CHUNK).min(n);
            part.clear();
            part.extend(slices.iter().map(|s| &s[start..end]));
            let shape = [end - start];
            let input = MergeInput {
                tensor: &t.name,
                shape: &shape,
                base: base_slice.map(|b| &b[start..end]),
                models: &part,
                model_params: &t.model_params,
                params: &t.params,
                seed: t.seed,
            };
            out.clear();
            out.resize(end - start, 0.0);
            t.method.merge_into(&input, out)?;
            sink(start, out)?;
            // Drop the input pages behind us every RELEASE_EVERY elements.
            if end / RELEASE_EVERY != start / RELEASE_EVERY {
                let upto = end / RELEASE_EVERY * RELEASE_EVERY;
                for (f, info, _) in inputs.iter().chain(base.iter()) {
                    f.release_part(info, 0, upto * info.dtype.size());
                }
            }
            start = end;
        }
    } else {
        let input = MergeInput {
            tensor: &t.name,
            shape: &t.shape,
            base: base_slice,
            models: &slices,
            model_params: &t.model_params,
            params: &t.params,
            seed: t.seed,
        };
        out.clear();
        out.resize(n, 0.0);
        t.method.merge_into(&input, out)?;
        sink(0, out)?;
    }
    for (f, info, _) in inputs.iter().chain(base.iter()) {
        f.release(info);
    }
    Ok(())
}

#[cfg(unix)]
fn write_at(f: &File, data: &[u8], off: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    f.write_all_at(data, off)
}

#[cfg(windows)]
fn write_at(f: &File, mut data: &[u8], mut off: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !data.is_empty() {
        let n = f.seek_write(data, off)?;
        data = &data[n..];
        off += n as u64;
    }
    Ok(())
}

/// The output `config.json`: the base's (else the first model's) with
/// `num_hidden_layers` set when slices changed it and `torch_dtype` set to
/// the output dtype. `None` when no input has one.
pub fn output_config(plan: &Plan) -> Option<Value> {
    let src = plan.base.unwrap_or(0);
    let mut cfg = plan.checkpoints[src]
        .config()
        .or_else(|| plan.checkpoints.iter().find_map(|c| c.config()))?
        .clone();
    if let Value::Object(m) = &mut cfg {
        if let Some(n) = plan.out_layers {
            m.insert("num_hidden_layers".into(), json!(n));
        }
        if let Some(t) = plan.tensors.first() {
            m.insert("torch_dtype".into(), json!(t.out_dtype.torch_name()));
        }
    }
    Some(cfg)
}

/// Tokenizer and generation files copied from the base (else first model) directory.
pub const AUX_FILES: &[&str] = &[
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
    "generation_config.json",
];

/// Copy [`AUX_FILES`] present in the source model's directory into `dir`.
pub fn copy_aux_files(plan: &Plan, dir: &Path) -> Result<()> {
    let src: PathBuf = plan.checkpoints[plan.base.unwrap_or(0)]
        .path()
        .to_path_buf();
    if !src.is_dir() {
        return Ok(());
    }
    for f in AUX_FILES {
        let from = src.join(f);
        if from.is_file() {
            let to = dir.join(f);
            std::fs::copy(&from, &to).map_err(ModelIoError::io(&from))?;
        }
    }
    Ok(())
}

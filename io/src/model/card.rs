//! Model cards: a `README.md` with YAML front matter (as the Hugging Face
//! hub reads it), the provenance of a merge (every source's path and the
//! SHA-256 of its safetensors files, the method, the full pipeline) and the
//! same facts as JSON-LD (schema.org `CreativeWork` with `isBasedOn`).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::error::{ModelIoError, Result};
use super::plan::Plan;
use super::schema::ModelMergeSchema;

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).map_err(ModelIoError::io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(ModelIoError::io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The card's text for `plan` (run from `schema`), whose output files (in
/// `out_dir`) are `files`.
pub fn model_card(
    schema: &ModelMergeSchema,
    plan: &Plan,
    out_dir: &Path,
    files: &[String],
) -> Result<String> {
    let mut sources = Vec::new();
    for (name, ck) in plan.names.iter().zip(&plan.checkpoints) {
        let mut hashes = Vec::new();
        for f in ck.files() {
            hashes.push(json!({
                "file": f.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                "sha256": sha256_file(f.path())?,
            }));
        }
        sources.push(json!({
            "name": name,
            "path": ck.path().to_string_lossy(),
            "role": if Some(sources.len()) == plan.base { "base" } else { "contribution" },
            "files": hashes,
        }));
    }
    let mut outputs = Vec::new();
    for f in files {
        outputs.push(json!({"file": f, "sha256": sha256_file(&out_dir.join(f))?}));
    }
    let methods: std::collections::BTreeSet<&str> =
        plan.tensors.iter().map(|t| t.method.name).collect();
    let ld = json!({
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "name": out_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        "description": format!("Model merged with crdt-merge ({})", schema.method),
        "isBasedOn": sources.iter().map(|s| json!({
            "@type": "CreativeWork",
            "name": s["name"],
            "url": s["path"],
            "identifier": s["files"].as_array().map(|a| a.iter().map(|f| format!("sha256:{}", f["sha256"].as_str().unwrap_or(""))).collect::<Vec<_>>()).unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "creator": {"@type": "SoftwareApplication", "name": "crdt-merge", "softwareVersion": env!("CARGO_PKG_VERSION")},
        "additionalProperty": [
            {"@type": "PropertyValue", "name": "merge_method", "value": schema.method},
            {"@type": "PropertyValue", "name": "methods_used", "value": methods.iter().copied().collect::<Vec<_>>().join(",")},
            {"@type": "PropertyValue", "name": "seed", "value": schema.seed},
            {"@type": "PropertyValue", "name": "tensors", "value": plan.tensors.len()},
        ],
        "distribution": outputs.iter().map(|o| json!({"@type": "DataDownload", "name": o["file"], "identifier": format!("sha256:{}", o["sha256"].as_str().unwrap_or(""))})).collect::<Vec<_>>(),
    });
    let mut s = String::new();
    s.push_str("---\nlibrary_name: transformers\ntags:\n- merge\n- crdt-merge\n");
    if let Some(b) = plan.base {
        s.push_str(&format!("base_model: {}\n", yaml_str(&plan.names[b])));
    }
    s.push_str("---\n\n");
    s.push_str(&format!(
        "# Merged model\n\nMerged with `crdt-merge` {} using **{}**",
        env!("CARGO_PKG_VERSION"),
        schema.method
    ));
    if methods.len() > 1 {
        s.push_str(&format!(
            " (per-tensor rules also use: {})",
            methods.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    s.push_str(&format!(
        " over {} tensors.\n\n## Sources\n\n| model | role | file | sha256 |\n|---|---|---|---|\n",
        plan.tensors.len()
    ));
    for src in &sources {
        for f in src["files"].as_array().into_iter().flatten() {
            s.push_str(&format!(
                "| {} | {} | {} | `{}` |\n",
                md(src["name"].as_str().unwrap_or("")),
                src["role"].as_str().unwrap_or(""),
                md(f["file"].as_str().unwrap_or("")),
                f["sha256"].as_str().unwrap_or("")
            ));
        }
    }
    s.push_str("\n## Output files\n\n| file | sha256 |\n|---|---|\n");
    for o in &outputs {
        s.push_str(&format!(
            "| {} | `{}` |\n",
            md(o["file"].as_str().unwrap_or("")),
            o["sha256"].as_str().unwrap_or("")
        ));
    }
    s.push_str("\n## Pipeline\n\nThe pipeline that produced this model (`crdt-merge model merge --pipeline`):\n\n```yaml\n");
    s.push_str(&schema.to_yaml());
    s.push_str("```\n\n## Metadata (JSON-LD)\n\n<script type=\"application/ld+json\">\n");
    s.push_str(&serde_json::to_string_pretty(&ld).expect("json"));
    s.push_str("\n</script>\n");
    Ok(s)
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn yaml_str(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

//! `crdt-merge migrate`: convert a mergekit YAML config into our pipeline
//! file (`ModelMergeSchema`, YAML, or JSON when the output ends in `.json`),
//! which `crdt-merge model merge --pipeline` runs with the same result.
//! The models' headers are read (not their data) to resolve per-layer
//! parameters; model paths are written absolute.

use std::path::Path;

use crdt_merge_io::model::mergekit::MergekitConfig;

use crate::error::{CliError, Result};
use crate::files;

/// Convert `config` into a pipeline written atomically to `output`.
pub fn migrate(config: &Path, output: &Path) -> Result<()> {
    let cfg = MergekitConfig::load(config)?;
    let cwd = std::env::current_dir().map_err(CliError::io("."))?;
    let schema = cfg.to_schema(&cwd)?;
    let text = if output.extension().is_some_and(|e| e == "json") {
        schema.to_json()
    } else {
        format!(
            "# crdt-merge pipeline (migrated from {})\n{}",
            config.display(),
            schema.to_yaml()
        )
    };
    files::write_atomic(output, text.as_bytes())
}

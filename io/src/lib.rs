//! # crdt-merge-io
//!
//! Files in, core inputs out, and back: tables (CSV, JSON-lines, JSON arrays,
//! Parquet) as [`crdt_merge_core::table::Table`], and model files
//! (safetensors, sharded checkpoints, mergekit YAML configs) for the model
//! layer. std only; the core stays `no_std`.

pub mod model;
pub mod table;

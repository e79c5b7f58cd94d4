//! `crdt-merge`: inspect, roundtrip, merge and convert crdt-merge wire frames
//! (byte-compatible with the Python reference `crdt-merge==0.8.3`), and merge
//! agents' memory files.
//!
//! Exit codes: 0 success, 1 bad data (one line on stderr:
//! `crdt-merge: <FILE>[:<LINE>]: <message>` or `crdt-merge: --option: <message>`,
//! no output file written), 2 usage errors.

mod commands;
mod error;
mod files;
mod memory;
mod merge;
mod migrate;
mod model;
mod progress;
mod ql;

use std::path::PathBuf;

/// mimalloc: the CLI allocates and frees millions of small strings (memory
/// and record merges); glibc malloc spends a tenth of the run in its own
/// bookkeeping there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use crdt_merge_core::wire::Limits;

use crate::error::Result;

/// Work with crdt-merge wire frames.
#[derive(Debug, Parser)]
#[command(name = "crdt-merge", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    limits: LimitArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct LimitArgs {
    /// Largest frame payload (as stored) accepted, in bytes; input files may be this plus the 12-byte header.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::DEFAULT.max_payload_bytes)]
    max_payload_bytes: usize,
    /// Largest payload after zlib decompression, in bytes.
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::DEFAULT.max_decompressed_bytes)]
    max_decompressed_bytes: usize,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_payload_bytes: self.max_payload_bytes,
            max_decompressed_bytes: self.max_decompressed_bytes,
            ..Limits::DEFAULT
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Wire frame tools.
    #[command(subcommand)]
    Wire(Wire),
    /// Agent memory tools.
    #[command(subcommand)]
    Memory(MemoryCmd),
    /// Keyed merge of two table files (.csv, .jsonl, .json, .parquet).
    Merge(TableMergeArgs),
    /// Run a MergeQL statement over table files.
    Ql(QlArgs),
    /// Model weight merges (safetensors checkpoints, mergekit configs).
    #[command(subcommand)]
    Model(ModelCmd),
    /// Convert a mergekit YAML config into a crdt-merge pipeline file.
    Migrate {
        /// The mergekit config.
        config: PathBuf,
        /// Where to write the pipeline (YAML; JSON when it ends in .json).
        #[arg(short, long, value_name = "PIPELINE")]
        output: PathBuf,
    },
}

#[derive(Debug, Args)]
struct TableMergeArgs {
    /// Table A.
    a: PathBuf,
    /// Table B.
    b: PathBuf,
    /// Key column(s), comma separated.
    #[arg(long, value_name = "COL[,COL...]")]
    key: String,
    /// Conflict rule without timestamps or schema: a, b or latest.
    #[arg(long, default_value = "latest", value_name = "a|b|latest")]
    prefer: String,
    /// Timestamp column for last-writer-wins (default: `_ts` when both inputs have it).
    #[arg(long, value_name = "COL")]
    timestamp_col: Option<String>,
    /// Per-column strategies: the reference's `MergeSchema.to_dict()` JSON.
    #[arg(long, value_name = "SCHEMA.json")]
    schema: Option<PathBuf>,
    /// Also write the provenance log (JSON) here.
    #[arg(long, value_name = "LOG.json")]
    provenance: Option<PathBuf>,
    /// Output table (.csv, .jsonl, .json, .parquet).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
}

#[derive(Debug, Args)]
struct QlArgs {
    /// The statement, e.g. `MERGE a, b ON id STRATEGY salary='max'`.
    query: String,
    /// A source table, NAME=FILE (repeatable).
    #[arg(long = "table", value_name = "NAME=FILE")]
    tables: Vec<String>,
    /// Output table (.csv, .jsonl, .json, .parquet); for EXPLAIN, the plan as JSON.
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ModelCmd {
    /// Merge checkpoints: from a mergekit config (--config), a pipeline
    /// (--pipeline) or a method and model paths.
    Merge(ModelMergeArgs),
}

#[derive(Debug, Args)]
struct ModelMergeArgs {
    /// mergekit YAML config.
    #[arg(long, value_name = "MERGEKIT.yaml", conflicts_with_all = ["pipeline", "method"])]
    config: Option<PathBuf>,
    /// crdt-merge pipeline file (see `crdt-merge migrate`).
    #[arg(long, value_name = "PIPELINE", conflicts_with = "method")]
    pipeline: Option<PathBuf>,
    /// Merge method (mergekit's names first, then the reference's).
    #[arg(long, value_name = "M")]
    method: Option<String>,
    /// Base model (quick merges).
    #[arg(long, value_name = "B")]
    base: Option<String>,
    /// Models (quick merges): directories, .safetensors files or org/name in the HF cache.
    #[arg(value_name = "MODEL")]
    models: Vec<String>,
    /// Per-model weight (once for all models, or once per model, in order).
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    weight: Vec<f64>,
    /// Density (fraction of each task vector kept).
    #[arg(long, value_name = "D")]
    density: Option<f64>,
    /// Interpolation factor.
    #[arg(long, value_name = "T")]
    t: Option<f64>,
    /// Seed of randomized methods.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output dtype: float32, bfloat16 or float16 (default: the config's, else the inputs').
    #[arg(long, value_name = "DTYPE")]
    out_dtype: Option<String>,
    /// Largest output shard in bytes (model-0000i-of-0000n.safetensors + index beyond it).
    #[arg(long, value_name = "BYTES", default_value_t = 5_000_000_000)]
    max_shard_size: u64,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Also write README.md: a model card with provenance and JSON-LD.
    #[arg(long)]
    model_card: bool,
    /// Flush the output to disk (fsync) before renaming it into place.
    #[arg(long)]
    fsync: bool,
    /// Output directory (a .safetensors file for quick merges also works).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
}

#[derive(Debug, Subcommand)]
enum MemoryCmd {
    /// Merge memory files (JSON lines of memory dicts: fact, confidence,
    /// source, ts, topic, tags, metadata keys) into one; the result is the
    /// same for any input order or grouping.
    Merge {
        /// Two or more JSON-lines files.
        #[arg(required = true, num_args = 2.., value_name = "FILE")]
        inputs: Vec<PathBuf>,
        /// lww, max_confidence, priority or union.
        #[arg(long, default_value = "lww")]
        strategy: String,
        /// Keep at most N memories (highest confidence first).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        budget: Option<String>,
        /// Drop memories whose confidence is below X.
        #[arg(long, value_name = "X", allow_negative_numbers = true)]
        min_confidence: Option<String>,
        /// Agent ordering for the priority strategy, NAME=INT (repeatable).
        #[arg(long, value_name = "NAME=INT")]
        agent_priority: Vec<String>,
        /// Also write the merge manifest (JSON) here.
        #[arg(long, value_name = "M.json")]
        manifest: Option<PathBuf>,
        /// Where to write the merged memories (JSON lines).
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum Wire {
    /// Print a frame's header facts as one line of JSON (payload not decoded).
    Inspect {
        /// The frame file.
        file: PathBuf,
    },
    /// Decode a frame (or a batch) and write it re-encoded the same way.
    Roundtrip {
        /// The input frame (or batch with --batch).
        input: PathBuf,
        /// Where to write the re-encoded frame.
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        /// The input is a batch: u32 count, then u32-length-prefixed frames.
        #[arg(long)]
        batch: bool,
    },
    /// Merge frames of one type, left to right.
    Merge {
        /// Two or more frame files.
        #[arg(required = true, num_args = 2.., value_name = "FILE")]
        inputs: Vec<PathBuf>,
        /// Where to write the merged frame.
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        /// zlib-compress the result (when that makes it smaller).
        #[arg(long)]
        compress: bool,
    },
    /// Print a frame's canonical JSON view.
    ToJson {
        /// The frame file.
        input: PathBuf,
        /// Write to this file instead of stdout.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Build a frame from a canonical JSON view.
    FromJson {
        /// The JSON view file.
        input: PathBuf,
        /// Where to write the frame.
        #[arg(short, long, value_name = "OUT")]
        output: PathBuf,
        /// zlib-compress the payload (when that makes it smaller).
        #[arg(long)]
        compress: bool,
    },
}

fn run(cli: Cli) -> Result<()> {
    let limits = cli.limits.limits();
    let cmd = match cli.command {
        Command::Wire(cmd) => cmd,
        Command::Merge(m) => {
            return merge::run(&merge::MergeArgs {
                a: &m.a,
                b: &m.b,
                key: &m.key,
                prefer: &m.prefer,
                timestamp_col: m.timestamp_col.as_deref(),
                schema: m.schema.as_deref(),
                provenance: m.provenance.as_deref(),
                output: &m.output,
            })
        }
        Command::Ql(q) => return ql::run(&q.query, &q.tables, &q.output),
        Command::Migrate { config, output } => return migrate::migrate(&config, &output),
        Command::Model(ModelCmd::Merge(a)) => return model_merge(a),
        Command::Memory(MemoryCmd::Merge {
            inputs,
            strategy,
            budget,
            min_confidence,
            agent_priority,
            manifest,
            output,
        }) => {
            return memory::merge(&memory::MergeOptions {
                inputs: &inputs,
                strategy: &strategy,
                budget: budget.as_deref(),
                min_confidence: min_confidence.as_deref(),
                agent_priority: &agent_priority,
                manifest: manifest.as_deref(),
                output: &output,
            })
        }
    };
    match cmd {
        Wire::Inspect { file } => {
            let mut line = commands::inspect(&file, &limits)?;
            line.push('\n');
            commands::emit_text(&line, None)
        }
        Wire::Roundtrip {
            input,
            output,
            batch,
        } => commands::roundtrip(&input, &output, batch, &limits),
        Wire::Merge {
            inputs,
            output,
            compress,
        } => commands::merge(&inputs, &output, compress, &limits),
        Wire::ToJson { input, output } => {
            let text = commands::to_json(&input, &limits)?;
            commands::emit_text(&text, output.as_deref())
        }
        Wire::FromJson {
            input,
            output,
            compress,
        } => commands::from_json(&input, &output, compress, &limits),
    }
}

fn model_merge(a: ModelMergeArgs) -> Result<()> {
    let quick;
    let source = match (&a.config, &a.pipeline, &a.method) {
        (Some(c), _, _) => model::Source::Config(c),
        (None, Some(p), _) => model::Source::Pipeline(p),
        (None, None, Some(m)) => {
            quick = model::QuickArgs {
                method: m.clone(),
                base: a.base.clone(),
                models: a.models.clone(),
                weights: a.weight.clone(),
                density: a.density,
                t: a.t,
                seed: a.seed,
            };
            model::Source::Quick(&quick)
        }
        (None, None, None) => {
            return Err(error::CliError::BadOption {
                name: "--config",
                msg: "give --config, --pipeline or --method".into(),
            })
        }
    };
    if !matches!(source, model::Source::Quick(_)) && !a.models.is_empty() {
        return Err(error::CliError::BadOption {
            name: "MODEL",
            msg: "model paths go with --method (the config or pipeline names the models)".into(),
        });
    }
    model::merge(&model::MergeOptions {
        source,
        output: &a.output,
        out_dtype: a.out_dtype.as_deref(),
        max_shard: a.max_shard_size,
        threads: a.threads,
        model_card: a.model_card,
        fsync: a.fsync,
    })
}

/// One line on stderr: newlines and other control characters in paths or
/// messages are escaped so the error is always exactly one line.
fn report(msg: &str) {
    use std::io::Write;
    let line: String = msg
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // Not eprintln!: it panics when stderr is a closed pipe.
    let _ = writeln!(std::io::stderr(), "crdt-merge: {line}");
}

/// mimalloc's `mi_option_purge_delay` (its C enum's value; the sys crate
/// names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc options, each unless the user chose with its environment
/// variable:
/// - large (2 MiB, transparent huge) OS pages (`MIMALLOC_LARGE_OS_PAGES`):
///   table merges hold hundreds of MB of small cells, and 4 KiB page faults
///   cost as much system time as the parse;
/// - no purging of freed memory (`MIMALLOC_PURGE_DELAY`): every command is
///   one job that ends with the process, so memory freed on the way is
///   better reused than handed back to the OS and faulted in again (and the
///   large blocks freed at the end need no `madvise` each). Peak RSS is
///   about the same.
fn allocator_options() {
    // SAFETY: each call sets a plain integer option in mimalloc's option
    // table; this runs once, first thing in main, before any thread starts.
    #[allow(unsafe_code)]
    unsafe {
        if std::env::var_os("MIMALLOC_LARGE_OS_PAGES").is_none() {
            libmimalloc_sys::mi_option_set_enabled(libmimalloc_sys::mi_option_large_os_pages, true)
        }
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1)
        }
    }
}

fn main() -> ExitCode {
    allocator_options();
    let cli = Cli::parse();
    // No panic is expected; should one happen, report it as one line (after
    // unwinding, so temporary output files are removed) instead of a backtrace.
    std::panic::set_hook(Box::new(|_| {}));
    match std::panic::catch_unwind(move || run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            report(&e.to_string());
            ExitCode::FAILURE
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            report(&format!("-: internal error: {what}"));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MI_OPTION_PURGE_DELAY;

    /// `MI_OPTION_PURGE_DELAY` still names mimalloc's purge delay (should a
    /// mimalloc update renumber its options): that option's default in the
    /// mimalloc v3 that `libmimalloc-sys` builds is 1000 ms, and the test
    /// binary never calls `allocator_options`.
    #[test]
    fn purge_delay_option_number_is_mimallocs() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads a plain integer option.
        #[allow(unsafe_code)]
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}

//! `crdt-merge ql 'MERGE a, b ON id ...' --table a=A.csv --table b=B.jsonl -o OUT`:
//! run a MergeQL statement (core `table::mergeql`) over table files. The
//! statement is parsed before any file is read; its errors are reported as
//! `query:LINE:COLUMN: message`. `EXPLAIN MERGE ...` writes the plan as JSON
//! (OUT must end in `.json`); any other statement writes the result rows.

use std::path::{Path, PathBuf};

use crdt_merge_core::table::mergeql::{parse, MergeQl, MergeqlError};
use crdt_merge_core::traits::WireType;

use crate::error::{CliError, Result};
use crate::merge::{read_tables, write_outputs};

fn query_error(e: MergeqlError) -> CliError {
    match e {
        MergeqlError::Syntax { line, column, msg }
        | MergeqlError::Validation { line, column, msg } => CliError::Data {
            place: format!("query:{line}:{column}"),
            msg,
        },
        MergeqlError::Data(msg) => CliError::Data {
            place: "query".into(),
            msg,
        },
    }
}

/// Run `crdt-merge ql`.
pub fn run(query: &str, tables: &[String], output: &Path) -> Result<()> {
    let stmt = parse(query).map_err(query_error)?;
    let mut names = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for t in tables {
        let Some((n, f)) = t
            .split_once('=')
            .filter(|(n, f)| !n.is_empty() && !f.is_empty())
        else {
            return Err(CliError::BadOption {
                name: "--table",
                msg: format!("expected NAME=FILE, got {t:?}"),
            });
        };
        if names.contains(&n) {
            return Err(CliError::BadOption {
                name: "--table",
                msg: format!("table name {n:?} given twice"),
            });
        }
        names.push(n);
        paths.push(PathBuf::from(f));
    }
    // Unknown sources are reported (with their position) before reading anything.
    let mut engine = MergeQl::new();
    for (n, _) in names.iter().zip(&paths) {
        engine.register(*n, Default::default());
    }
    engine
        .run(&parse(query).map_err(query_error)?)
        .map_err(query_error)?;
    if stmt.query.explain {
        if output.extension().and_then(|e| e.to_str()) != Some("json") {
            return Err(CliError::BadOption {
                name: "--output",
                msg: "EXPLAIN writes the plan as JSON: OUT must end in .json".into(),
            });
        }
    } else {
        crdt_merge_io::table::TableFormat::from_path(output)?;
    }
    // Read only the tables the statement names.
    let used: Vec<usize> = (0..names.len())
        .filter(|&i| stmt.query.sources.iter().any(|s| s == names[i]))
        .collect();
    let refs: Vec<&Path> = used.iter().map(|&i| paths[i].as_path()).collect();
    let read = read_tables(&refs, "reading tables")?;
    for (i, t) in used.into_iter().zip(read) {
        engine.register(names[i], t);
    }
    let out = engine.run(&stmt).map_err(query_error)?;
    if stmt.query.explain {
        let v = out.plan.to_value();
        let text =
            crdt_merge_core::json::write::to_string_pretty(&v).map_err(CliError::encode(output))?;
        return crate::files::write_atomic(output, format!("{text}\n").as_bytes());
    }
    write_outputs(output, &out.table, &[])
}

//! `table-vs-reference [ROWS] [--ref-rows N] [--python PY]`: the keyed record
//! merge of two tables of ROWS rows x 8 columns (half the keys shared, every
//! shared row with conflicts) with `merge_owned`, then the same merge on the
//! Python reference (benches/table_merge_reference.py, run in the same
//! process tree on `--ref-rows` rows, default 200k, since the reference needs
//! seconds per 100k), printed side by side as seconds and rows per second.
//! Our figures are CPU time of the merging thread (best of 3); the
//! reference's are wall time (best of 2). Nothing here asserts a time.

use std::process::Command;

/// The allocator the CLI uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

use crdt_merge_core::table::{merge_owned, MergeOptions, Table};
use crdt_merge_core::Value;

fn rows(n: usize, offset: usize, salt: usize) -> Table {
    let columns = [
        "id", "name", "qty", "price", "city", "active", "score", "note",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    let rows = (offset..offset + n)
        .map(|i| {
            vec![
                Some(Value::Int(i as i64)),
                Some(Value::Str(format!("name{}", i % 5000))),
                Some(Value::Int(((i * 7 + salt) % 1000) as i64)),
                Some(Value::Float((i % 997) as f64 / 4.0 + salt as f64)),
                Some(Value::Str(format!("city{}", (i + salt) % 300))),
                Some(Value::Bool((i + salt).is_multiple_of(3))),
                Some(Value::Int(((i * 13) % 101) as i64)),
                Some(Value::Str(format!("n{}", (i * 31 + salt) % 10007))),
            ]
        })
        .collect();
    Table { columns, rows }
}

/// CPU time of this thread in seconds (Linux `schedstat`; `None` elsewhere).
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Best time of `reps` merges of fresh copies (copying is not timed).
fn time_merge(n: usize, dedup: bool, reps: usize) -> (f64, usize) {
    let a = rows(n, 0, 0);
    let b = rows(n, n / 2, 1);
    let mut o = MergeOptions::keyed(["id"]);
    o.dedup = dedup;
    let mut best = f64::INFINITY;
    let mut out_rows = 0;
    for _ in 0..reps {
        let (a, b) = (a.clone(), b.clone());
        let (t, c) = (Instant::now(), thread_cpu());
        let out = merge_owned(a, b, &o).expect("merge");
        // CPU time when the OS gives it (the machine may be shared), else wall time.
        let spent = match (c, thread_cpu()) {
            (Some(c0), Some(c1)) => c1 - c0,
            _ => t.elapsed().as_secs_f64(),
        };
        best = best.min(spent);
        out_rows = out.rows.len();
        drop(out);
    }
    (best, out_rows)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let ref_rows: usize = flag("--ref-rows")
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let python = flag("--python").unwrap_or_else(|| "conformance/.venv/bin/python".into());

    let (t_dedup, out) = time_merge(n, true, 3);
    let (t_plain, _) = time_merge(n, false, 3);
    let (s_dedup, _) = time_merge(ref_rows, true, 3);
    let (s_plain, _) = time_merge(ref_rows, false, 3);

    eprintln!("running the Python reference on 2 x {ref_rows} rows ...");
    let py = Command::new(&python)
        .arg("benches/table_merge_reference.py")
        .arg(ref_rows.to_string())
        .env("PYTHONHASHSEED", "0")
        .output();
    let reference: Option<(f64, f64)> = match py {
        Ok(o) if o.status.success() => {
            let v = crdt_merge_core::json::parse(String::from_utf8_lossy(&o.stdout).trim()).ok();
            v.and_then(|v| {
                Some((
                    v.get("merge_dedup")?.as_f64()?,
                    v.get("merge_no_dedup")?.as_f64()?,
                ))
            })
        }
        Ok(o) => {
            eprintln!("reference failed: {}", String::from_utf8_lossy(&o.stderr));
            None
        }
        Err(e) => {
            eprintln!("cannot run {python}: {e}");
            None
        }
    };

    println!("keyed merge, 8 columns, key \"id\", half the keys shared ({out} output rows at {n})");
    println!("| workload | rows per side | reference | crdt-merge-rs | speed-up |");
    println!("|---|---:|---:|---:|---:|");
    let ms = |s: f64| format!("{:.1} ms", s * 1e3);
    for (name, ours_small, ours_big, r) in [
        (
            "merge (dedup, the default)",
            s_dedup,
            t_dedup,
            reference.map(|r| r.0),
        ),
        ("merge, dedup off", s_plain, t_plain, reference.map(|r| r.1)),
    ] {
        match r {
            Some(r) => println!(
                "| {name} | {ref_rows} | {} | {} | {:.0}x |",
                ms(r),
                ms(ours_small),
                r / ours_small
            ),
            None => println!("| {name} | {ref_rows} | n/a | {} | |", ms(ours_small)),
        }
        println!(
            "| {name} | {n} | | {} ({:.1} M rows/s in) | |",
            ms(ours_big),
            2.0 * n as f64 / ours_big / 1e6
        );
    }
}

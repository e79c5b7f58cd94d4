//! `sorted_stream [ROWS[,ROWS...]] [BATCH] [--reps N] [--ref-rows N] [--python PY] [--no-reference]`:
//! `merge_sorted_stream` over two generated, key-sorted row streams of ROWS
//! rows per side (default 20,000,000), in batches of BATCH rows (default
//! 10,000): 8 columns like `benches/table_vs_reference.py`'s `make`, half the
//! keys shared, a deterministic RNG. Rows are generated lazily batch by
//! batch, so nothing but the merge's own buffers is ever held: the peak RSS
//! (`VmHWM`) shows whether the merge is bounded.
//!
//! Each measurement runs in a fresh child process (this binary with
//! `--child`) so that its `VmHWM` is its own; the child prints its RSS
//! before the merge (the process's baseline), its peak RSS, the time and a
//! checksum folded over every output cell (so nothing is optimised away).
//! Three workloads per size: generation alone (both streams, no merge), the
//! plain merge (the reference's default: LWW on equal timestamps) and a
//! MergeSchema of mixed strategies (max / min / union / longest / LWW on `ts`).
//!
//! Then benches/sorted_stream_reference.py runs the reference's
//! `crdt_merge.streaming.merge_sorted_stream` on the same kind of data at
//! `--ref-rows` rows per side (default 1,000,000; it needs about a minute
//! there), and both are printed side by side at that size. Our times are the
//! best of `--reps` (default 2) child runs, the reference's one run; each
//! child consumes its stream once, so `timing.rs`'s in-process best-of-N
//! timer does not apply. Nothing here asserts a time.

use std::process::Command;
use std::time::Instant;

use crdt_merge_core::table::{merge_sorted_stream, MergeOptions, MergeSchema, Strategy, Table};
use crdt_merge_core::Value;

/// The allocator the CLI uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORDS: [&str; 10] = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
];
const CITIES: [&str; 8] = [
    "Paris", "Berlin", "Lagos", "Lima", "Osaka", "Perth", "Quito", "Oslo",
];
const COLUMNS: [&str; 8] = [
    "id", "name", "city", "score", "amount", "active", "tags", "ts",
];

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One side's rows, ids `start..start + n`, generated `batch` rows at a time.
struct Generator {
    rng: Rng,
    next: u64,
    end: u64,
    batch: usize,
    /// Every "word word" name and "word,other" tag pair, built once (cells clone them).
    names: Vec<String>,
    tags: Vec<String>,
}

impl Generator {
    fn new(start: u64, n: u64, batch: usize, seed: u64) -> Generator {
        let pairs = |sep: &str, distinct: bool| {
            let mut v = Vec::new();
            for x in WORDS {
                for y in WORDS {
                    if !distinct || x != y {
                        v.push(format!("{x}{sep}{y}"));
                    }
                }
            }
            v
        };
        Generator {
            rng: Rng(seed),
            next: start,
            end: start + n,
            batch,
            names: pairs(" ", false),
            tags: pairs(",", true),
        }
    }
}

impl Iterator for Generator {
    type Item = Table;

    fn next(&mut self) -> Option<Table> {
        if self.next >= self.end {
            return None;
        }
        let stop = self.end.min(self.next + self.batch as u64);
        let (r, names, tags) = (&mut self.rng, &self.names, &self.tags);
        let rows = (self.next..stop)
            .map(|id| {
                vec![
                    Some(Value::Int(id as i64)),
                    Some(Value::Str(names[r.below(100) as usize].clone())),
                    Some(Value::Str(CITIES[r.below(8) as usize].to_string())),
                    Some(Value::Int(r.below(1000) as i64)),
                    Some(Value::Float((r.unit() * 100_000.0).round() / 100.0)),
                    Some(Value::Bool(r.next() & 1 == 1)),
                    Some(Value::Str(tags[r.below(90) as usize].clone())),
                    Some(Value::Int(1_700_000_000 + r.below(1000) as i64)),
                ]
            })
            .collect();
        self.next = stop;
        Some(Table {
            columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows,
        })
    }
}

/// Side A: ids `0..n`; side B: ids `n/2..n/2+n` (half of each side shared).
fn sides(n: u64, batch: usize) -> (Generator, Generator) {
    (
        Generator::new(0, n, batch, 7),
        Generator::new(n / 2, n, batch, 8),
    )
}

fn options(variant: &str) -> MergeOptions {
    let mut o = MergeOptions::keyed(["id"]);
    if variant == "schema" {
        o.schema = Some(
            MergeSchema::new(Strategy::Lww)
                .with("score", Strategy::MaxWins)
                .with("amount", Strategy::MinWins)
                .with("tags", Strategy::union_set())
                .with("name", Strategy::LongestWins),
        );
        o.timestamp_col = Some("ts".into());
    }
    o
}

/// Fold one cell into the checksum.
fn fold(h: u64, c: &Option<Value>) -> u64 {
    let x = match c {
        None => 1,
        Some(Value::None) => 2,
        Some(Value::Int(i)) => *i as u64,
        Some(Value::Float(f)) => f.to_bits(),
        Some(Value::Bool(b)) => 3 + u64::from(*b),
        Some(Value::Str(s)) => {
            s.len() as u64 ^ (u64::from(s.as_bytes().first().copied().unwrap_or(0)) << 8)
        }
        Some(_) => 5,
    };
    (h ^ x).wrapping_mul(0x100_0000_01B3)
}

/// `(VmRSS, VmHWM)` of this process in KiB.
fn rss_kib() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time of this thread in seconds (Linux `schedstat`; 0 elsewhere).
fn thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// One measurement in this process: prints `wall_secs cpu_secs out_rows
/// checksum base_kib peak_kib merged unique_a unique_b batches`.
fn child(variant: &str, n: u64, batch: usize) {
    let (a, b) = sides(n, batch);
    let (base, _) = rss_kib();
    let mut out_rows = 0u64;
    let mut h = 0xCBF2_9CE4_8422_2325u64;
    let t = Instant::now();
    let cpu = thread_cpu();
    let (merged, ua, ub, batches) = if variant == "generate" {
        let mut batches = 0;
        for t in a.chain(b) {
            out_rows += t.rows.len() as u64;
            batches += 1;
            for r in &t.rows {
                h = r.iter().fold(h, fold);
            }
        }
        (0, 0, 0, batches)
    } else {
        let o = options(variant);
        let mut s = merge_sorted_stream(a, b, &o, batch).expect("options");
        for t in s.by_ref() {
            let t = t.expect("merge");
            out_rows += t.rows.len() as u64;
            for r in &t.rows {
                h = r.iter().fold(h, fold);
            }
        }
        let st = s.stats();
        (
            st.rows_merged,
            st.rows_unique_a,
            st.rows_unique_b,
            st.batches,
        )
    };
    let secs = t.elapsed().as_secs_f64();
    let cpu = thread_cpu() - cpu;
    let (_, peak) = rss_kib();
    println!("{secs} {cpu} {out_rows} {h:016x} {base} {peak} {merged} {ua} {ub} {batches}");
}

/// One measurement: ours (from a child) or the reference's.
struct Run {
    wall: f64,
    cpu: f64,
    out_rows: u64,
    checksum: String,
    base_kib: u64,
    peak_kib: u64,
}

fn spawn(variant: &str, n: u64, batch: usize) -> Option<Run> {
    let exe = std::env::current_exe().ok()?;
    let o = Command::new(exe)
        .args(["--child", variant, &n.to_string(), &batch.to_string()])
        .output()
        .ok()?;
    if !o.status.success() {
        eprintln!(
            "child {variant} {n} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        return None;
    }
    let line = String::from_utf8_lossy(&o.stdout);
    let f: Vec<&str> = line.split_whitespace().collect();
    Some(Run {
        wall: f.first()?.parse().ok()?,
        cpu: f.get(1)?.parse().ok()?,
        out_rows: f.get(2)?.parse().ok()?,
        checksum: f.get(3)?.to_string(),
        base_kib: f.get(4)?.parse().ok()?,
        peak_kib: f.get(5)?.parse().ok()?,
    })
}

/// `reps` runs in fresh processes: the smallest times, the largest RSS figures.
fn best_of(reps: usize, variant: &str, n: u64, batch: usize) -> Option<Run> {
    let mut best: Option<Run> = None;
    for _ in 0..reps {
        let r = spawn(variant, n, batch)?;
        best = Some(match best {
            None => r,
            Some(b) => Run {
                wall: b.wall.min(r.wall),
                cpu: b.cpu.min(r.cpu),
                base_kib: b.base_kib.max(r.base_kib),
                peak_kib: b.peak_kib.max(r.peak_kib),
                ..r
            },
        });
    }
    best
}

/// The reference's runs by variant (benches/sorted_stream_reference.py).
fn reference(python: &str, n: u64, batch: usize) -> Vec<(String, Run)> {
    eprintln!("running the reference's merge_sorted_stream on 2 x {n} rows ...");
    let o = Command::new(python)
        .args([
            "benches/sorted_stream_reference.py",
            &n.to_string(),
            &batch.to_string(),
        ])
        .env("PYTHONHASHSEED", "0")
        .output();
    let o = match o {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("reference failed: {}", String::from_utf8_lossy(&o.stderr));
            return Vec::new();
        }
        Err(e) => {
            eprintln!("cannot run {python}: {e}");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let v = crdt_merge_core::json::parse(l.trim()).ok()?;
            let num = |k: &str| v.get(k).and_then(Value::as_f64);
            Some((
                v.get("variant")?.as_str()?.to_string(),
                Run {
                    wall: num("secs")?,
                    cpu: num("cpu_secs")?,
                    out_rows: num("rows")? as u64,
                    checksum: String::new(),
                    base_kib: num("base_kib")? as u64,
                    peak_kib: num("peak_kib")? as u64,
                },
            ))
        })
        .collect()
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

const VARIANTS: [(&str, &str); 3] = [
    ("generate", "generation alone (no merge)"),
    ("plain", "merge_sorted_stream, default (LWW)"),
    ("schema", "merge_sorted_stream, MergeSchema"),
];

/// Prints one table row; `gen_cpu` is the CPU time of generation alone on the same side.
fn print_row(v: &str, n: u64, who: &str, r: &Run, gen_cpu: Option<f64>) {
    let name = VARIANTS.iter().find(|x| x.0 == v).map_or(v, |x| x.1);
    let rate = |s: f64| format!("{:.2}", 2.0 * n as f64 / s / 1e6);
    let merge_only = match gen_cpu {
        Some(g) if v != "generate" && r.cpu > g => rate(r.cpu - g),
        _ => String::new(),
    };
    println!(
        "| {name} | {n} | {who} | {:.2} | {:.2} | {} | {merge_only} | {} | {} |",
        r.cpu,
        r.wall,
        rate(r.cpu),
        mib(r.base_kib),
        mib(r.peak_kib)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let n = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000);
        let batch = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(10_000);
        child(args.get(2).map_or("plain", String::as_str), n, batch);
        return;
    }
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let mut positional: Vec<&String> = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        if a == "--ref-rows" || a == "--python" || a == "--reps" {
            it.next();
        } else if !a.starts_with("--") {
            positional.push(a);
        }
    }
    let sizes: Vec<u64> = positional
        .first()
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![20_000_000]);
    let batch: usize = positional
        .get(1)
        .and_then(|s| s.parse().ok())
        .filter(|&b| b > 0)
        .unwrap_or(10_000);
    let ref_rows: u64 = flag("--ref-rows")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let python = flag("--python").unwrap_or_else(|| "conformance/.venv/bin/python".into());
    let with_ref = !args.iter().any(|a| a == "--no-reference");
    let reps: usize = flag("--reps")
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
        .max(1);

    println!(
        "merge_sorted_stream: two key-sorted streams, 8 columns, half the keys shared, \
         batches of {batch} rows, generated lazily\n"
    );
    println!(
        "| workload | rows per side | implementation | CPU s | wall s | M rows/s in | \
         M rows/s in, merge only | RSS before | peak RSS |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|");
    let mut checks = Vec::new();
    let mut all: Vec<u64> = sizes.clone();
    if with_ref && !all.contains(&ref_rows) {
        all.insert(0, ref_rows);
    }
    for &n in &all {
        let mut gen_cpu = None;
        for (v, _) in VARIANTS {
            match best_of(reps, v, n, batch) {
                Some(r) => {
                    if v == "generate" {
                        gen_cpu = Some(r.cpu);
                    }
                    print_row(v, n, "crdt-merge-rs", &r, gen_cpu);
                    checks.push(format!(
                        "ours {v} {n}: {} rows out, checksum {}",
                        r.out_rows, r.checksum
                    ));
                }
                None => println!("| {v} | {n} | crdt-merge-rs | failed | | | | | |"),
            }
        }
        if with_ref && n == ref_rows {
            let runs = reference(&python, n, batch);
            let gen_cpu = runs.iter().find(|r| r.0 == "generate").map(|r| r.1.cpu);
            for (v, r) in &runs {
                print_row(v, n, "reference 0.8.3", r, gen_cpu);
                checks.push(format!("reference {v} {n}: {} rows out", r.out_rows));
            }
        }
    }
    println!();
    for c in checks {
        println!("{c}");
    }
    println!(
        "\nOurs: best of {reps} runs (smallest CPU and wall time, largest peak), each in its own \
         process; the reference: one run. M rows/s in = 2 x rows per side / CPU seconds of \
         the merging thread, generating the rows included; \"merge only\" subtracts the CPU \
         time of generation alone. RSS before = VmRSS once the streams are set up; peak RSS = \
         VmHWM (ours) or ru_maxrss (the reference)."
    );
}

//! `dedup-vs-reference [N] [--python PY]`: fuzzy dedup (bigram Dice >= 0.85)
//! of N synthetic person records (default 100,000; about a third are
//! near-duplicates with typos), timed on crdt-merge-core's MinHash + LSH
//! dedup, and on the reference's `dedup_list(method="fuzzy")` (O(n²)) at
//! sizes it can finish. Both see the same texts (written to a temp file);
//! where both ran, the duplicate indices are compared. The reference's
//! time at N is extrapolated from its largest run (quadratic), not run.
//! Nothing here asserts a time.

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use crdt_merge_core::table::dedup::{dedup_list, DedupMethod};

const FIRST: &[&str] = &[
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "chris",
    "karen",
    "daniel",
    "lisa",
    "matthew",
    "nancy",
    "anthony",
    "betty",
    "mark",
    "sandra",
];
const LAST: &[&str] = &[
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
];
const STREET: &[&str] = &[
    "main",
    "oak",
    "pine",
    "maple",
    "cedar",
    "elm",
    "washington",
    "lake",
    "hill",
    "park",
    "view",
    "sunset",
    "river",
    "church",
    "north",
    "south",
    "mill",
    "spring",
    "ridge",
    "forest",
];
const CITY: &[&str] = &[
    "springfield",
    "riverside",
    "franklin",
    "greenville",
    "bristol",
    "clinton",
    "fairview",
    "salem",
    "madison",
    "georgetown",
    "arlington",
    "ashland",
    "dover",
    "oxford",
    "jackson",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

fn typo(rng: &mut Rng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    for _ in 0..1 + rng.below(2) {
        let p = rng.below(c.len());
        match rng.below(3) {
            0 if c.len() > 1 => {
                c.remove(p);
            }
            1 => c.insert(p, (b'a' + rng.below(26) as u8) as char),
            _ => c[p] = (b'a' + rng.below(26) as u8) as char,
        }
    }
    c.into_iter().collect()
}

fn records(n: usize) -> Vec<String> {
    let mut rng = Rng(42);
    let mut out: Vec<String> = Vec::with_capacity(n);
    for _ in 0..n {
        if !out.is_empty() && rng.below(3) == 0 {
            let src = out[rng.below(out.len())].clone();
            out.push(typo(&mut rng, &src));
        } else {
            out.push(format!(
                "{} {}, {} {} st, {} {:05}",
                rng.pick(FIRST),
                rng.pick(LAST),
                1 + rng.below(9999),
                rng.pick(STREET),
                rng.pick(CITY),
                rng.below(100_000)
            ));
        }
    }
    out
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let python = args
        .iter()
        .position(|a| a == "--python")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let th = 0.85;
    let texts = records(n);
    let small: Vec<usize> = [500, 1000, 2000].into_iter().filter(|&s| s < n).collect();

    let mut ours = Vec::new();
    let mut our_dups = Vec::new();
    for &s in small.iter().chain(std::iter::once(&n)) {
        let t = Instant::now();
        let (_, dups) = dedup_list(&texts[..s], DedupMethod::Fuzzy, th).unwrap();
        let secs = t.elapsed().as_secs_f64();
        black_box(&dups);
        ours.push((s, secs, dups.len()));
        our_dups.push(dups);
    }
    let t = Instant::now();
    let (_, exact) = dedup_list(&texts, DedupMethod::Exact, th).unwrap();
    let exact_secs = t.elapsed().as_secs_f64();

    // The reference on the small sizes.
    let mut reference: Vec<Option<(f64, Vec<usize>)>> = vec![None; small.len()];
    if let Some(py) = python {
        let path = std::env::temp_dir().join(format!("dedup-bench-{}.json", std::process::id()));
        let body: Vec<String> = texts[..*small.last().unwrap_or(&0)]
            .iter()
            .map(|t| json_str(t))
            .collect();
        std::fs::write(&path, format!("[{}]", body.join(","))).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/dedup_reference.py");
        for (i, &s) in small.iter().enumerate() {
            let out = Command::new(&py)
                .env("PYTHONHASHSEED", "0")
                .arg(script)
                .arg(&path)
                .arg(s.to_string())
                .arg(th.to_string())
                .output()
                .expect("run the reference");
            let text = String::from_utf8_lossy(&out.stdout);
            let mut lines = text.lines();
            let secs: f64 = match lines.next().and_then(|l| l.parse().ok()) {
                Some(x) => x,
                None => {
                    eprintln!("reference failed: {}", String::from_utf8_lossy(&out.stderr));
                    break;
                }
            };
            let dups: Vec<usize> = lines
                .next()
                .unwrap_or("")
                .split(',')
                .filter(|x| !x.is_empty())
                .map(|x| x.parse().unwrap())
                .collect();
            reference[i] = Some((secs, dups));
        }
        let _ = std::fs::remove_file(&path);
    }

    println!("fuzzy dedup, bigram Dice >= {th}, synthetic person records (1/3 near-duplicates)");
    println!(
        "| records | reference dedup_list(fuzzy) | crdt-merge-rs (MinHash+LSH) | speed-up | same duplicates |"
    );
    println!("|---:|---:|---:|---:|:---:|");
    let mut last_ref: Option<(usize, f64)> = None;
    for (i, &(s, secs, nd)) in ours.iter().enumerate() {
        let (r, same) = match reference.get(i).cloned().flatten() {
            Some((rs, rd)) => {
                last_ref = Some((s, rs));
                (
                    format!("{:.3} s", rs),
                    if rd == our_dups[i] { "yes" } else { "NO" }.to_string(),
                )
            }
            None if i < small.len() => ("not run".into(), "-".into()),
            None => match last_ref {
                Some((ls, lt)) => (
                    format!(
                        "~{:.0} s (extrapolated n², not run)",
                        lt * (s as f64 / ls as f64).powi(2)
                    ),
                    "-".into(),
                ),
                None => ("not run".into(), "-".into()),
            },
        };
        let speed = match reference.get(i).cloned().flatten() {
            Some((rs, _)) => format!("{:.0}x", rs / secs),
            None => match last_ref {
                Some((ls, lt)) if i >= small.len() => {
                    format!("~{:.0}x", lt * (s as f64 / ls as f64).powi(2) / secs)
                }
                _ => "-".into(),
            },
        };
        println!(
            "| {s} | {r} | {:.3} s ({nd} dups) | {speed} | {same} |",
            secs
        );
    }
    println!(
        "exact dedup of {n} records: {:.3} s ({} dups)",
        exact_secs,
        exact.len()
    );
}

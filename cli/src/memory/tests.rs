//! Differential test of `memory merge`: on random input files (shared facts,
//! missing fields, metadata, escapes, unicode, blank lines, bad lines) and
//! random options, the chunked in-place merge writes exactly the bytes (and
//! the manifest) of one sequential `ContextMerge::merge_owned` over memories
//! read line by line, or fails with exactly the same one-line error and
//! writes nothing.

use std::io::{BufRead, BufReader};

use crdt_merge_core::memory::{parse_memory_line, Memory};
use proptest::prelude::*;

use std::path::Path;

use super::{build, merge_with, MergeOptions};
use crate::error::{CliError, Result};

/// The line-by-line reader (the command's behaviour before the chunked one).
fn read_lines(path: &Path) -> Result<Vec<Memory>> {
    let file = std::fs::File::open(path).map_err(CliError::io(path))?;
    let mut reader = BufReader::new(file);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(CliError::io(path))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = std::str::from_utf8(&buf).map_err(|e| CliError::Line {
            path: path.to_path_buf(),
            line: line_no,
            msg: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        out.push(parse_memory_line(text).map_err(|e| CliError::Line {
            path: path.to_path_buf(),
            line: line_no,
            msg: e.to_string(),
        })?);
    }
    Ok(out)
}

/// Output text and manifest text of the sequential merge.
fn reference(opts: &MergeOptions<'_>) -> Result<(String, Option<String>)> {
    let cm = build(opts)?;
    let lists: Vec<Vec<Memory>> = opts
        .inputs
        .iter()
        .map(|p| read_lines(p))
        .collect::<Result<_>>()?;
    let outcome = cm.merge_owned(lists);
    let mut text = String::new();
    for m in &outcome.memories {
        m.write_json_line(&mut text).unwrap();
        text.push('\n');
    }
    let manifest = opts
        .manifest
        .map(|_| outcome.manifest.to_json_pretty().unwrap() + "\n");
    Ok((text, manifest))
}

fn simple(fact: &str, conf: &str, ts: Option<&str>, source: &str, tags: &str) -> String {
    let mut f = vec![
        format!("\"fact\": \"{fact}\""),
        format!("\"confidence\": {conf}"),
        format!("\"source\": \"{source}\""),
    ];
    if let Some(ts) = ts {
        f.push(format!("\"ts\": {ts}"));
    }
    f.push("\"topic\": \"ops\"".into());
    f.push(format!("\"tags\": {tags}"));
    format!("{{{}}}", f.join(", "))
}

fn line() -> impl Strategy<Value = String> {
    let fact = prop::sample::select(vec![
        // longer than a sort key after the shared prefix: ties broken by the whole fact
        "a shared prefix of twenty bytes: 1",
        "a shared prefix of twenty bytes: 2",
        "a shared prefix of twenty bytes: 1x",
        "a shared prefix of twenty bytes: 12",
        "f1",
        "f2",
        "f3",
        "agent fact 1",
        "agent fact 10",
        "caf\u{e9}",
        "a\\u0062",
        "ab",
        "",
    ]);
    let conf = prop::sample::select(vec![
        "0.5", "0.9", "1", "0.50", "0.0", "-0.0", "1e400", "0.25",
    ]);
    let ts = prop::option::of(prop::sample::select(vec![
        "1700000000.0",
        "0",
        "1700000000",
        "3.5",
        "0.0",
    ]));
    let source = prop::sample::select(vec!["alice", "bob", "", "\u{e9}ve"]);
    let tags = prop::sample::select(vec!["[]", "[\"b\", \"a\"]", "[\"a\", \"a\"]", "[\"c\"]"]);
    prop_oneof![
        8 => (fact.clone(), conf.clone(), ts.clone(), source.clone(), tags.clone())
            .prop_map(|(f, c, t, s, g)| simple(f, c, t, s, g)),
        // metadata, escapes, nulls, odd spacing: the full parser's lines
        2 => (fact.clone(), conf, prop::sample::select(vec![
            ", \"note\": 1", ", \"note\": \"x\"", ", \"meta\": {\"k\": [1, 2]}",
            ", \"topic\": null", ", \"tags\": [\"a\\nb\"]", ", \"source\": \"a\\\"b\"",
        ])).prop_map(|(f, c, extra)| format!("{{\"fact\":\"{f}\",\"confidence\":{c}{extra}}}")),
        1 => Just(String::new()),
        1 => Just("  \r".to_string()),
        1 => fact.prop_map(|f| format!("\u{a0}{{\"fact\": \"{f}\"}}\u{a0}")),
    ]
}

fn bad_line() -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(vec![
        b"{\"fact\": \"x\",".to_vec(),
        b"{\"confidence\": 0.5}".to_vec(),
        b"{\"fact\": \"x\", \"confidence\": \"high\"}".to_vec(),
        b"{\"fact\": \"x\", \"tags\": \"a,b\"}".to_vec(),
        b"[1, 2]".to_vec(),
        b"{\"fact\": \"\xff\"}".to_vec(),
        b"{\"fact\": \"x\"} \xc3".to_vec(),
    ])
}

#[derive(Debug, Clone)]
struct Case {
    files: Vec<Vec<String>>,
    bad: Option<(usize, usize, Vec<u8>)>,
    strategy: &'static str,
    budget: Option<String>,
    min_confidence: Option<String>,
    priority: Vec<String>,
    manifest: bool,
    threads: usize,
    chunk: usize,
    final_newline: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(prop::collection::vec(line(), 0..14), 2..4),
        prop::option::of((0usize..4, 0usize..16, bad_line())),
        prop::sample::select(vec!["lww", "max_confidence", "priority", "union"]),
        prop::option::of(prop::sample::select(vec!["0", "1", "3", "100"]).prop_map(String::from)),
        prop::option::of(prop::sample::select(vec!["0.5", "-1", "0.9"]).prop_map(String::from)),
        prop::sample::select(vec![vec![], vec!["alice=2".to_string(), "bob=1".into()]]),
        any::<bool>(),
        1usize..4,
        prop::sample::select(vec![1usize, 40, 200, 1 << 20]),
        any::<bool>(),
    )
        .prop_map(
            |(
                files,
                bad,
                strategy,
                budget,
                min_confidence,
                priority,
                manifest,
                threads,
                chunk,
                nl,
            )| Case {
                files,
                bad,
                strategy,
                budget,
                min_confidence,
                priority,
                manifest,
                threads,
                chunk,
                final_newline: nl,
            },
        )
}

fn run_case(c: &Case) -> std::result::Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    for (i, lines) in c.files.iter().enumerate() {
        let mut bytes: Vec<u8> = Vec::new();
        for (k, l) in lines.iter().enumerate() {
            if let Some((f, at, bad)) = &c.bad {
                if *f == i && *at == k {
                    bytes.extend_from_slice(bad);
                    bytes.push(b'\n');
                }
            }
            bytes.extend_from_slice(l.as_bytes());
            if k + 1 < lines.len() || c.final_newline {
                bytes.push(b'\n');
            }
        }
        let p = dir.path().join(format!("in{i}.jsonl"));
        std::fs::write(&p, bytes).unwrap();
        inputs.push(p);
    }
    let out = dir.path().join("out").join("o.jsonl");
    let man = dir.path().join("out").join("m.json");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let opts = MergeOptions {
        inputs: &inputs,
        strategy: c.strategy,
        budget: c.budget.as_deref(),
        min_confidence: c.min_confidence.as_deref(),
        agent_priority: &c.priority,
        manifest: c.manifest.then_some(man.as_path()),
        output: &out,
    };
    let want = reference(&opts);
    let got = merge_with(&opts, c.threads, Some(c.chunk));
    match (want, got) {
        (Ok((text, manifest)), Ok(())) => {
            prop_assert_eq!(std::fs::read_to_string(&out).unwrap(), text);
            if let Some(m) = manifest {
                prop_assert_eq!(std::fs::read_to_string(&man).unwrap(), m);
            }
        }
        (Err(w), Err(g)) => {
            prop_assert_eq!(g.to_string(), w.to_string());
            prop_assert_eq!(
                std::fs::read_dir(dir.path().join("out")).unwrap().count(),
                0
            );
        }
        (w, g) => prop_assert!(false, "reference {:?} vs merge {:?}", w.map(|_| ()), g),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn chunked_merge_equals_sequential_merge(c in case()) {
        run_case(&c)?;
    }
}

#[test]
fn many_lines_over_many_chunks_and_threads() {
    let lines: Vec<String> = (0..3000)
        .map(|i| {
            let conf = format!("0.{:03}", (i * 37) % 1000);
            let ts = format!("{}.0", 1_700_000_000 + i % 97);
            let fact = format!("agent fact with a long shared part {}", (i * 7919) % 2000);
            simple(
                &fact,
                &conf,
                Some(&ts),
                ["alice", "bob"][i % 2],
                "[\"d\", \"b\"]",
            )
        })
        .collect();
    let half = lines.len() / 2;
    for (threads, chunk, budget) in [(1, 1 << 20, None), (4, 500, None), (3, 64, Some("700"))] {
        let c = Case {
            files: vec![lines[..half].to_vec(), lines[half..].to_vec()],
            bad: None,
            strategy: "lww",
            budget: budget.map(String::from),
            min_confidence: Some("0.1".into()),
            priority: vec![],
            manifest: true,
            threads,
            chunk,
            final_newline: true,
        };
        run_case(&c).unwrap();
    }
}

#[test]
fn content_hash_is_the_cores() {
    for text in [
        &b""[..],
        b"\n",
        b"a\n",
        b"a\nb\n",
        b"a\nb",
        &[b'x'; 1000][..],
    ] {
        assert_eq!(
            super::content_hash(text),
            crdt_merge_core::memory::context::content_hash(text)
        );
    }
}

//! `crdt-merge merge` end to end against the reference: every case of
//! `fixtures/merge/cases.json` (written by `merge_cli_gen.py` from
//! crdt-merge 0.8.3) runs the binary on the fixture files (or on Parquet
//! copies of them) into each output format; rows must equal the reference's
//! (order free, each row as a dict). Bad inputs must exit 1 with one stderr
//! line naming the file and place, leaving no output and no temporary file.
//! Also `crdt-merge ql` on the same files.

use std::path::{Path, PathBuf};
use std::process::Command;

use crdt_merge_core::json;
use crdt_merge_core::table::Table;
use crdt_merge_core::value::Value;
use crdt_merge_io::table::{parse_table, read_table, write_table, TableFormat};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/merge")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_crdt-merge"))
}

/// Rows as a sorted multiset of sorted dicts.
fn row_set(t: &Table) -> Vec<Value> {
    let mut v: Vec<Value> = t.to_dict_rows().iter().map(Value::sorted).collect();
    v.sort();
    v
}

/// Pass a table through a format (what the reference's rows look like once written there).
fn through(t: &Table, format: TableFormat) -> Table {
    let mut buf = Vec::new();
    write_table("x", format, t, &mut buf).unwrap();
    parse_table("x", format, buf).unwrap()
}

fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".crdt-merge-"))
        .collect()
}

#[test]
fn merge_cases_match_the_reference() {
    let text = std::fs::read_to_string(fixtures().join("cases.json")).unwrap();
    let fx = json::parse(&text).unwrap();
    let cases = fx.get("cases").and_then(Value::as_list).unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case.get("name").and_then(Value::as_str).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for side in ["a", "b"] {
            let f = case.get(side).and_then(Value::as_str).unwrap();
            let src = fixtures().join(f);
            if case.get("inputs_as").and_then(Value::as_str) == Some("parquet") {
                let t = read_table(&src).unwrap();
                let p = dir.path().join(format!("{side}.parquet"));
                let file = std::fs::File::create(&p).unwrap();
                write_table("p", TableFormat::Parquet, &t, file).unwrap();
                inputs.push(p);
            } else {
                inputs.push(src);
            }
        }
        let out = dir
            .path()
            .join(case.get("out").and_then(Value::as_str).unwrap());
        let mut cmd = bin();
        cmd.arg("merge").arg(&inputs[0]).arg(&inputs[1]);
        let args = case.get("args").and_then(Value::as_list).unwrap();
        let mut prev = "";
        for a in args {
            let a = a.as_str().unwrap();
            if prev == "--schema" {
                cmd.arg(fixtures().join(a));
            } else {
                cmd.arg(a);
            }
            prev = a;
        }
        cmd.arg("-o").arg(&out);
        let res = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&res.stderr).into_owned();
        if let Some(msg) = case.get("expect_error").and_then(Value::as_str) {
            assert_eq!(res.status.code(), Some(1), "{name}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
            assert!(stderr.starts_with("crdt-merge: "), "{name}: {stderr}");
            assert!(stderr.contains(msg), "{name}: want {msg:?} in {stderr:?}");
            assert!(!out.exists(), "{name}: output written on failure");
            assert!(leftovers(dir.path()).is_empty(), "{name}: temp files left");
            continue;
        }
        assert!(res.status.success(), "{name}: {stderr}");
        assert!(
            stderr.is_empty(),
            "{name}: quiet when piped, got {stderr:?}"
        );
        let got = read_table(&out).unwrap();
        let want_rows = case.get("expect_rows").and_then(Value::as_list).unwrap();
        let mut want = Table::from_dict_rows(want_rows);
        let format = TableFormat::from_path(&out).unwrap();
        if matches!(format, TableFormat::Csv | TableFormat::Parquet) {
            want = through(&want, format);
        }
        assert_eq!(row_set(&got), row_set(&want), "{name}");
        assert!(leftovers(dir.path()).is_empty(), "{name}: temp files left");
    }
}

#[test]
fn provenance_log_is_written_with_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.csv");
    let log = dir.path().join("log.json");
    let res = bin()
        .args(["merge"])
        .arg(fixtures().join("basic_a.csv"))
        .arg(fixtures().join("basic_b.csv"))
        .args(["--key", "id", "--provenance"])
        .arg(&log)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let v = json::parse(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(v.get("total_rows").and_then(Value::as_int), Some(18));
    assert_eq!(v.get("merged_rows").and_then(Value::as_int), Some(6));
    // a failing merge writes neither file
    let out2 = dir.path().join("o2.csv");
    let log2 = dir.path().join("log2.json");
    let res = bin()
        .arg("merge")
        .arg(fixtures().join("basic_a.csv"))
        .arg(fixtures().join("bad_row.csv"))
        .args(["--key", "id", "--provenance"])
        .arg(&log2)
        .arg("-o")
        .arg(&out2)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    assert!(!out2.exists() && !log2.exists());
}

#[test]
fn ql_runs_statements_on_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("q.jsonl");
    let a = format!("a={}", fixtures().join("basic_a.csv").display());
    let b = format!("b={}", fixtures().join("sparse_b.jsonl").display());
    let res = bin()
        .args([
            "ql",
            "MERGE a, b ON id STRATEGY score='max' WHERE score > 50 MAP name -> who LIMIT 5",
            "--table",
            &a,
            "--table",
            &b,
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let t = read_table(&out).unwrap();
    assert!(t.len() <= 5);
    let s = t.column_index("score").unwrap();
    assert!(t
        .rows
        .iter()
        .all(|r| r[s].as_ref().and_then(Value::as_int) > Some(50)));
    assert!(t.column_index("who").is_some() && t.column_index("name").is_none());

    // errors name the statement position; nothing is written
    let out2 = dir.path().join("q2.jsonl");
    let res = bin()
        .args(["ql", "MERGE a, c ON id", "--table", &a, "-o"])
        .arg(&out2)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(1));
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(
        err.trim_end(),
        "crdt-merge: query:1:10: source 'c' not registered"
    );
    assert!(!out2.exists());

    // EXPLAIN writes the plan
    let plan = dir.path().join("plan.json");
    let res = bin()
        .args([
            "ql",
            "EXPLAIN MERGE a, b ON id",
            "--table",
            &a,
            "--table",
            &b,
            "-o",
        ])
        .arg(&plan)
        .output()
        .unwrap();
    assert!(res.status.success());
    let v = json::parse(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    assert_eq!(v.get("merge_key").and_then(Value::as_str), Some("id"));
}

/// JSON lines in and out take the byte-level fast path; whatever it declines
/// falls back to the table path, so bad input still fails with one line
/// naming the file and place, and writes nothing.
#[test]
fn jsonl_inputs_report_errors_like_every_other_format() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    std::fs::write(
        &good,
        "{\"id\": 1, \"v\": 1.5}\n{\"id\": 2, \"v\": \"x\"}\n",
    )
    .unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("bad.jsonl", "{\"id\": 1}\n{\"id\": 2,\n", "bad.jsonl:2:"),
        (
            "strkey.jsonl",
            "{\"id\": \"1\"}\n",
            "strkey.jsonl: row 1: key column \"id\" holds str",
        ),
        (
            "nokey.jsonl",
            "{\"x\": 1}\n",
            "nokey.jsonl: key column \"id\" not found",
        ),
        ("empty.jsonl", "\n\n", "empty.jsonl: empty file"),
        ("nan.jsonl", "{\"id\": 3, \"v\": NaN}\n", "nan.jsonl:1:"),
        ("listkey.jsonl", "{\"id\": [1]}\n", "holds list values"),
        ("utf8.jsonl", "{\"id\": 1, \"v\": \"\u{ff}\"}\n", ""),
    ];
    for (name, text, want) in cases {
        let p = dir.path().join(name);
        if *name == "utf8.jsonl" {
            std::fs::write(&p, b"{\"id\": 1, \"v\": \"\xff\"}\n").unwrap();
        } else {
            std::fs::write(&p, text).unwrap();
        }
        let out = dir.path().join("out.jsonl");
        let res = bin()
            .arg("merge")
            .arg(&good)
            .arg(&p)
            .args(["--key", "id", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(1), "{name}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert!(stderr.contains(want), "{name}: want {want:?} in {stderr}");
        assert!(!out.exists(), "{name}: output written");
        assert!(leftovers(dir.path()).is_empty(), "{name}: temp files left");
    }
    // and a good pair writes the merge
    let other = dir.path().join("other.jsonl");
    std::fs::write(
        &other,
        "{\"id\": 2, \"v\": \"y\", \"w\": true}\n{\"id\": 3}\n",
    )
    .unwrap();
    let out = dir.path().join("out.jsonl");
    let res = bin()
        .arg("merge")
        .arg(&good)
        .arg(&other)
        .args(["--key", "id", "--prefer", "b", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "{\"id\": 1, \"v\": 1.5}\n{\"id\": 2, \"v\": \"y\", \"w\": true}\n{\"id\": 3}\n"
    );
}

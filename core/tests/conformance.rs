//! The golden conformance runner: every case of conformance/manifest.json
//! (frames written by the Python reference) must decode, show the expected
//! canonical view, re-encode to the same bytes where the reference is
//! deterministic, merge to the reference's result (or, in the documented
//! deviation cases, obey the laws the reference breaks), and every bad input
//! must fail with one of the listed error categories.

use std::path::{Path, PathBuf};

use crdt_merge_core::wire::{self, batch, Limits};
use crdt_merge_core::{json, AnyCrdt, Value};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(root().join("manifest.json")).expect("read manifest.json");
    json::parse(&text).expect("parse manifest.json")
}

fn read(rel: &Value) -> Vec<u8> {
    let rel = rel.as_str().expect("file path");
    std::fs::read(root().join("golden").join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn s(v: &Value) -> String {
    json::to_string(v).unwrap_or_else(|_| format!("{v:?}"))
}

fn decode(bytes: &[u8]) -> Result<(AnyCrdt, wire::PayloadEncoding), String> {
    AnyCrdt::decode(bytes, &Limits::DEFAULT).map_err(|e| e.to_string())
}

fn check_roundtrip(case: &Value) -> Result<(), String> {
    let bytes = read(case.get("file").unwrap());
    let (obj, enc) = decode(&bytes)?;
    let view = obj.to_json_view();
    let want = case.get("view").unwrap();
    if view.sorted() != want.sorted() {
        return Err(format!("view\n    got  {}\n    want {}", s(&view), s(want)));
    }
    let ws = wire::wire_size(&bytes).map_err(|e| e.to_string())?;
    if let Some(r) = case.get("ref_api").and_then(|r| r.get("wire_size")) {
        let same = r.get("total_bytes").and_then(Value::as_int) == Some(ws.total_bytes as i64)
            && r.get("payload_bytes").and_then(Value::as_int) == Some(ws.payload_bytes as i64)
            && r.get("compressed") == Some(&Value::Bool(ws.compressed))
            && r.get("type_name").and_then(Value::as_str) == Some(ws.type_name);
        if !same {
            return Err(format!("wire_size {ws:?} != reference {}", s(r)));
        }
    }
    let compressed = case.get("compressed") == Some(&Value::Bool(true));
    let again = obj
        .encode_with(enc, compressed)
        .map_err(|e| e.to_string())?;
    if case.get("bytes_exact") == Some(&Value::Bool(true)) {
        if again != bytes {
            return Err("re-encoded bytes differ from the reference's".into());
        }
    } else {
        let (back, _) = decode(&again)?;
        if back != obj {
            return Err("re-encoded frame decodes to a different state".into());
        }
    }
    // the canonical view is lossless: view → object → same state
    let from_view = AnyCrdt::from_json_view(&view).map_err(|e| format!("from_json_view: {e}"))?;
    if from_view != obj {
        return Err("from_json_view(to_json_view(x)) != x".into());
    }
    Ok(())
}

fn check_merge(case: &Value) -> Result<(), String> {
    let inputs: Vec<AnyCrdt> = case
        .get("inputs")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .map(|f| decode(&read(f)).map(|(o, _)| o))
        .collect::<Result<_, _>>()?;
    let [a, b] = &inputs[..] else {
        return Err("merge cases have two inputs".into());
    };
    let ab = a.merge(b).map_err(|e| e.to_string())?;
    let ba = b.merge(a).map_err(|e| e.to_string())?;
    // laws hold in every case, deviation or not
    if ab.to_json_view() != ba.to_json_view() {
        return Err(format!(
            "not commutative:\n    a⊔b {}\n    b⊔a {}",
            s(&ab.to_json_view()),
            s(&ba.to_json_view())
        ));
    }
    for x in [a, b] {
        let xx = x.merge(x).map_err(|e| e.to_string())?;
        if xx != *x {
            return Err(format!("not idempotent on {}", s(&x.to_json_view())));
        }
    }
    let abab = ab.merge(&ab).map_err(|e| e.to_string())?;
    if abab != ab {
        return Err("merge result is not idempotent".into());
    }
    if case.get("deviation").is_none() {
        let want = case.get("view").unwrap();
        let got = ab.to_json_view();
        if got.sorted() != want.sorted() {
            return Err(format!(
                "merge view\n    got  {}\n    want {}",
                s(&got),
                s(want)
            ));
        }
        let (expected, _) = decode(&read(case.get("expected").unwrap()))?;
        if expected != ab {
            return Err("merge differs from the reference's merged frame".into());
        }
    }
    Ok(())
}

fn check_batch(case: &Value) -> Result<(), String> {
    let bytes = read(case.get("file").unwrap());
    let frames = batch::split_batch(&bytes, &Limits::DEFAULT).map_err(|e| e.to_string())?;
    let want = case.get("view").and_then(Value::as_list).unwrap();
    if frames.len() != want.len() {
        return Err(format!("{} frames, want {}", frames.len(), want.len()));
    }
    let compressed = case.get("compressed") == Some(&Value::Bool(true));
    let mut again = Vec::new();
    for (f, w) in frames.iter().zip(want) {
        let (obj, enc) = decode(f)?;
        if obj.to_json_view().sorted() != w.sorted() {
            return Err(format!(
                "batch item view {} != {}",
                s(&obj.to_json_view()),
                s(w)
            ));
        }
        again.push(
            obj.encode_with(enc, compressed)
                .map_err(|e| e.to_string())?,
        );
    }
    if case.get("bytes_exact") == Some(&Value::Bool(true)) && batch::encode_batch(&again) != bytes {
        return Err("re-encoded batch differs".into());
    }
    Ok(())
}

fn check_bad(case: &Value) -> Result<(), String> {
    let bytes = read(case.get("file").unwrap());
    let allowed: Vec<&str> = case
        .get("errors")
        .and_then(Value::as_list)
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let err = if case
        .get("file")
        .and_then(Value::as_str)
        .is_some_and(|f| f.ends_with(".crdtb"))
    {
        batch::split_batch(&bytes, &Limits::DEFAULT)
            .map_err(|e| e.category())
            .and_then(|fs| {
                fs.iter().try_for_each(|f| {
                    AnyCrdt::decode(f, &Limits::DEFAULT)
                        .map(drop)
                        .map_err(|e| e.category())
                })
            })
            .err()
    } else {
        AnyCrdt::decode(&bytes, &Limits::DEFAULT)
            .err()
            .map(|e| e.category())
    };
    match err {
        None => Err(format!("accepted bad input (allowed errors: {allowed:?})")),
        Some(cat) if allowed.contains(&cat) => Ok(()),
        Some(cat) => Err(format!("error category {cat:?} not in {allowed:?}")),
    }
}

#[test]
fn golden_manifest() {
    let m = manifest();
    let cases = m.get("cases").and_then(Value::as_list).expect("cases");
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for case in cases {
        let kind = case.get("kind").and_then(Value::as_str).unwrap();
        let name = case.get("name").and_then(Value::as_str).unwrap();
        *counts.entry(kind).or_default() += 1;
        let r = match kind {
            "roundtrip" => check_roundtrip(case),
            "merge" => check_merge(case),
            "batch" => check_batch(case),
            "bad" => check_bad(case),
            other => Err(format!("unknown kind {other}")),
        };
        if let Err(e) = r {
            failures.push(format!("{name} [{kind}]: {e}"));
        }
    }
    eprintln!(
        "conformance: {} cases {counts:?}, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(cases.len() > 100, "manifest unexpectedly small");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

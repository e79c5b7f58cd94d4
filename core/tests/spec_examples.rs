//! Executes every `example` block of wire-spec/SPEC.md and wire-spec/memory.md: decoding `hex` must
//! give the canonical view `json`, and encoding `json` must give `hex`.

use crdt_merge_core::{json, wire::Limits, AnyCrdt, Value};

struct Example {
    name: String,
    json: String,
    hex: String,
}

fn examples() -> Vec<Example> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../wire-spec/");
    let spec = ["SPEC.md", "memory.md", "model.md"]
        .iter()
        .map(|f| std::fs::read_to_string(format!("{dir}{f}")).expect("read spec"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut lines = spec.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```example" {
            continue;
        }
        let (mut name, mut js, mut hex) = (String::new(), String::new(), String::new());
        for l in lines.by_ref() {
            if l.trim() == "```" {
                break;
            }
            if let Some(v) = l.strip_prefix("name:") {
                name = v.trim().to_string();
            } else if let Some(v) = l.strip_prefix("json:") {
                js = v.trim().to_string();
            } else if let Some(v) = l.strip_prefix("hex:") {
                hex.push_str(&v.replace(' ', ""));
            } else if !hex.is_empty() {
                hex.push_str(&l.trim().replace(' ', ""));
            }
        }
        out.push(Example {
            name,
            json: js,
            hex,
        });
    }
    out
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn every_spec_example_holds() {
    let all = examples();
    assert!(!all.is_empty(), "SPEC.md has no example blocks");
    let mut failures = Vec::new();
    for ex in &all {
        let want_view: Value =
            json::parse(&ex.json).unwrap_or_else(|e| panic!("{}: bad json: {e}", ex.name));
        let bytes = unhex(&ex.hex);
        match AnyCrdt::decode(&bytes, &Limits::DEFAULT) {
            Ok((obj, enc)) => {
                let got = obj.to_json_view();
                if got.sorted() != want_view.sorted() {
                    failures.push(format!(
                        "{}: decoded view\n  {}\n!= documented\n  {}",
                        ex.name,
                        json::to_string(&got).unwrap(),
                        ex.json
                    ));
                }
                let from_json = AnyCrdt::from_json_view(&want_view)
                    .map_err(|e| format!("{}: from_json_view: {e}", ex.name));
                match from_json.and_then(|o| {
                    o.encode_with(enc, false)
                        .map_err(|e| format!("{}: encode: {e}", ex.name))
                }) {
                    Ok(b) if b == bytes => {}
                    Ok(b) => failures.push(format!(
                        "{}: encoded\n  {}\n!= documented\n  {}",
                        ex.name,
                        hex(&b),
                        ex.hex
                    )),
                    Err(e) => failures.push(e),
                }
            }
            Err(e) => failures.push(format!("{}: decode failed: {e}", ex.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
    // every type tag has at least one worked example
    let missing: Vec<&str> = crdt_merge_core::wire::TypeTag::ALL
        .iter()
        .map(|t| t.name())
        .filter(|n| {
            !all.iter()
                .any(|ex| ex.json.starts_with(&format!("{{\"type\": \"{n}\"")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "types without a worked example in wire-spec/: {missing:?}"
    );
}

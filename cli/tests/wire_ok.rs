//! The CLI against frames made by the reference crdt-merge 0.8.3.

mod common;

use common::*;
use crdt_merge_core::json;

#[test]
fn inspect_matches_reference_wire_size() {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    let expected = json::parse(&text).unwrap();
    let mut checked = 0;
    for name in FRAMES {
        let e = expected
            .get(name)
            .unwrap_or_else(|| panic!("{name} in expected.json"));
        let line = format!(
            "{{\"type\": \"{}\", \"version\": {}, \"compressed\": {}, \"total_bytes\": {}, \"header_bytes\": {}, \"payload_bytes\": {}}}\n",
            e.get("type_name").unwrap().as_str().unwrap(),
            e.get("protocol_version").unwrap().as_int().unwrap(),
            e.get("compressed").unwrap() == &crdt_merge_core::Value::Bool(true),
            e.get("total_bytes").unwrap().as_int().unwrap(),
            e.get("header_bytes").unwrap().as_int().unwrap(),
            e.get("payload_bytes").unwrap().as_int().unwrap(),
        );
        assert_eq!(
            run([
                "wire".as_ref(),
                "inspect".as_ref(),
                fixture(name).as_os_str()
            ])
            .ok(),
            line,
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 10);
    // The compressed and JSON-payload fixtures really are what they claim.
    assert!(run([
        "wire".as_ref(),
        "inspect".as_ref(),
        fixture("generic_compressed.crdt").as_os_str()
    ])
    .ok()
    .contains("\"compressed\": true"));
    assert!(run([
        "wire".as_ref(),
        "inspect".as_ref(),
        fixture("vector_clock.crdt").as_os_str()
    ])
    .ok()
    .contains("\"vector_clock\""));
}

#[test]
fn roundtrip_is_byte_identical() {
    let dir = tempdir();
    for name in FRAMES {
        let out = dir.path().join(format!("{name}.out"));
        run([
            "wire".as_ref(),
            "roundtrip".as_ref(),
            fixture(name).as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ])
        .ok();
        assert_eq!(std::fs::read(&out).unwrap(), read_fixture(name), "{name}");
    }
}

#[test]
fn roundtrip_batch_is_byte_identical() {
    let dir = tempdir();
    for name in ["batch.crdtb", "batch_compressed.crdtb"] {
        let out = dir.path().join("b.out");
        run([
            "wire".as_ref(),
            "roundtrip".as_ref(),
            "--batch".as_ref(),
            fixture(name).as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ])
        .ok();
        assert_eq!(std::fs::read(&out).unwrap(), read_fixture(name), "{name}");
    }
    assert_eq!(entries(dir.path()), ["b.out"], "no temporary files left");
}

#[test]
fn roundtrip_overwrites_existing_output() {
    let dir = tempdir();
    let out = dir.path().join("o.crdt");
    std::fs::write(&out, b"old").unwrap();
    run([
        "wire".as_ref(),
        "roundtrip".as_ref(),
        fixture("generic.crdt").as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    assert_eq!(std::fs::read(&out).unwrap(), read_fixture("generic.crdt"));
}

fn to_json(path: &std::path::Path) -> String {
    run(["wire".as_ref(), "to-json".as_ref(), path.as_os_str()])
        .ok()
        .to_string()
}

/// to-json, then from-json (compressed when the fixture was), must give the fixture back.
fn json_roundtrip_identical(name: &str) {
    let dir = tempdir();
    let j = dir.path().join("v.json");
    let out = dir.path().join("back.crdt");
    run([
        "wire".as_ref(),
        "to-json".as_ref(),
        fixture(name).as_os_str(),
        "-o".as_ref(),
        j.as_os_str(),
    ])
    .ok();
    assert_eq!(
        std::fs::read_to_string(&j).unwrap(),
        to_json(&fixture(name)),
        "-o writes what stdout shows"
    );
    let compressed = name.contains("compressed");
    let mut args = vec![
        "wire".as_ref(),
        "from-json".as_ref(),
        j.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ];
    if compressed {
        args.push("--compress".as_ref());
    }
    run(args).ok();
    assert_eq!(std::fs::read(&out).unwrap(), read_fixture(name), "{name}");
}

#[test]
fn json_roundtrip_identical_generic() {
    json_roundtrip_identical("generic.crdt");
    json_roundtrip_identical("generic_compressed.crdt");
}

/// Until a type is typed in AnyCrdt its view sorts the payload's keys, which
/// changes the reference's key order on the way back.
#[test]

fn json_roundtrip_identical_typed() {
    // Not gcounter_ab / gcounter_abc: the reference's merge writes its keys in
    // set-iteration order, which no canonical view can reproduce.
    for name in FRAMES.iter().filter(|n| !n.starts_with("gcounter_ab")) {
        json_roundtrip_identical(name);
    }
}

#[test]
fn json_view_is_stable() {
    let dir = tempdir();
    for name in FRAMES {
        let view = to_json(&fixture(name));
        assert!(view.starts_with("{\n  \"type\": "), "{name}: {view}");
        let j = dir.path().join("v.json");
        std::fs::write(&j, &view).unwrap();
        let out = dir.path().join("f.crdt");
        run([
            "wire".as_ref(),
            "from-json".as_ref(),
            j.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ])
        .ok();
        assert_eq!(to_json(&out), view, "{name}");
    }
}

#[test]
fn global_limits_accept_small_enough_input() {
    let f = fixture("gcounter_a.crdt");
    let r = run([
        "--max-payload-bytes".as_ref(),
        "62".as_ref(),
        "wire".as_ref(),
        "inspect".as_ref(),
        f.as_os_str(),
    ]);
    r.ok();
    let r = run([
        "wire".as_ref(),
        "inspect".as_ref(),
        f.as_os_str(),
        "--max-payload-bytes".as_ref(),
        "62".as_ref(),
    ]);
    r.ok();
}

fn merge_to(inputs: &[&str], out: &std::path::Path, compress: bool) {
    let mut args: Vec<std::ffi::OsString> = vec!["wire".into(), "merge".into()];
    args.extend(inputs.iter().map(|n| fixture(n).into_os_string()));
    args.push("-o".into());
    args.push(out.as_os_str().into());
    if compress {
        args.push("--compress".into());
    }
    run(args).ok();
}

#[test]

fn merge_two_gcounters_matches_reference() {
    let dir = tempdir();
    let out = dir.path().join("m.crdt");
    merge_to(&["gcounter_a.crdt", "gcounter_b.crdt"], &out, false);
    assert_eq!(to_json(&out), to_json(&fixture("gcounter_ab.crdt")));
    assert!(run(["wire".as_ref(), "inspect".as_ref(), out.as_os_str()])
        .ok()
        .contains("\"compressed\": false"));
    // Commutative.
    merge_to(&["gcounter_b.crdt", "gcounter_a.crdt"], &out, false);
    assert_eq!(to_json(&out), to_json(&fixture("gcounter_ab.crdt")));
}

#[test]

fn merge_three_gcounters_matches_reference() {
    let dir = tempdir();
    let out = dir.path().join("m.crdt");
    merge_to(
        &["gcounter_a.crdt", "gcounter_b.crdt", "gcounter_c.crdt"],
        &out,
        false,
    );
    assert_eq!(to_json(&out), to_json(&fixture("gcounter_abc.crdt")));
    // Idempotent with repeated inputs, and --compress keeps the meaning.
    merge_to(
        &[
            "gcounter_a.crdt",
            "gcounter_b.crdt",
            "gcounter_c.crdt",
            "gcounter_a.crdt",
        ],
        &out,
        true,
    );
    assert_eq!(to_json(&out), to_json(&fixture("gcounter_abc.crdt")));
    assert_eq!(entries(dir.path()), ["m.crdt"]);
}

#[test]
fn help_and_version() {
    let r = run(["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("wire"));
    let r = run(["wire", "--help"]);
    assert_eq!(r.code, 0);
    for sub in ["inspect", "roundtrip", "merge", "to-json", "from-json"] {
        assert!(r.stdout.contains(sub), "{sub}");
    }
    assert_eq!(run(["--version"]).code, 0);
}

#[test]
fn long_work_is_silent_when_stderr_is_piped() {
    // More than 8 frames: long enough for a progress bar, but stderr is a pipe here.
    let frames: Vec<Vec<u8>> = FRAMES.iter().map(|n| read_fixture(n)).collect();
    assert!(frames.len() > 8);
    let dir = tempdir();
    let input = dir.path().join("many.crdtb");
    std::fs::write(&input, crdt_merge_core::wire::batch::encode_batch(&frames)).unwrap();
    let out = dir.path().join("out.crdtb");
    run([
        "wire".as_ref(),
        "roundtrip".as_ref(),
        "--batch".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ])
    .ok();
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&input).unwrap());
    // A merge of more than 8 files that fails prints only its one error line.
    let mut args: Vec<std::ffi::OsString> = vec!["wire".into(), "merge".into()];
    args.extend(std::iter::repeat_n(
        fixture("schema_change.crdt").into_os_string(),
        10,
    ));
    args.extend(["-o".into(), dir.path().join("m.crdt").into_os_string()]);
    run(args).data_error(&fixture("schema_change.crdt"), "has no merge");
}

#[test]

fn merge_many_gcounters_matches_reference() {
    let dir = tempdir();
    let out = dir.path().join("m.crdt");
    let names: Vec<&str> = ["gcounter_a.crdt", "gcounter_b.crdt", "gcounter_c.crdt"]
        .iter()
        .copied()
        .cycle()
        .take(12)
        .collect();
    merge_to(&names, &out, false);
    assert_eq!(to_json(&out), to_json(&fixture("gcounter_abc.crdt")));
}

/// The deepest values a frame may hold still go through to-json / from-json,
/// although their views nest deeper (`$map` adds levels).
#[test]
fn deepest_frames_roundtrip_through_json() {
    use crdt_merge_core::wire::{encode_frame, Limits, PayloadEncoding, TypeTag};
    use crdt_merge_core::Value;
    let depth = Limits::DEFAULT.max_depth;
    let mut list = Value::None;
    let mut map = Value::Int(0);
    for i in 0..depth {
        list = Value::List(vec![list]);
        // Int keys: each level's view is {"$map": [[k, v]]}, three levels deep.
        map = Value::Map(vec![(Value::Int(i as i64), map)]);
    }
    let dir = tempdir();
    for (name, v) in [("list", list), ("map", map)] {
        let frame = encode_frame(TypeTag::Generic, &v, PayloadEncoding::Codec, false).unwrap();
        let f = dir.path().join(format!("{name}.crdt"));
        std::fs::write(&f, &frame).unwrap();
        let j = dir.path().join(format!("{name}.json"));
        run([
            "wire".as_ref(),
            "to-json".as_ref(),
            f.as_os_str(),
            "-o".as_ref(),
            j.as_os_str(),
        ])
        .ok();
        let back = dir.path().join(format!("{name}.back"));
        run([
            "wire".as_ref(),
            "from-json".as_ref(),
            j.as_os_str(),
            "-o".as_ref(),
            back.as_os_str(),
        ])
        .ok();
        assert_eq!(std::fs::read(&back).unwrap(), frame, "{name}");
    }
}

//! Bad input: exit code 1 with exactly one stderr line
//! `crdt-merge: <FILE>: <message>`, no output file, an existing output left
//! untouched, no temporary file left behind; usage errors exit 2.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use common::*;
use crdt_merge_core::wire::{compress, Header, TypeTag, HEADER_SIZE, PROTOCOL_VERSION};

/// A scratch directory with one bad input file written into it.
struct Case {
    dir: tempfile::TempDir,
    input: PathBuf,
}

fn case(name: &str, bytes: &[u8]) -> Case {
    let dir = tempdir();
    let input = dir.path().join(name);
    std::fs::write(&input, bytes).unwrap();
    Case { dir, input }
}

fn os(p: &Path) -> OsString {
    p.as_os_str().to_owned()
}

/// Run a command writing `OUT` in the case's directory, twice: once with no
/// OUT (it must not appear) and once with an existing OUT (it must be left
/// as it was). Every run must be a data error about `blame` containing `needle`.
fn check_writer(c: &Case, blame: &Path, needle: &str, make_args: impl Fn(&Path) -> Vec<OsString>) {
    let out = c.dir.path().join("OUT");
    let before = entries(c.dir.path());
    run(make_args(&out)).data_error(blame, needle);
    assert!(!out.exists(), "no output file on failure");
    assert_eq!(entries(c.dir.path()), before, "no temporary file left");

    std::fs::write(&out, b"precious").unwrap();
    run(make_args(&out)).data_error(blame, needle);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"precious",
        "existing output untouched"
    );
    std::fs::remove_file(&out).unwrap();
}

/// Every frame-reading command must reject `bytes` with `needle` in the message.
fn bad_frame(bytes: &[u8], needle: &str) {
    let c = case("in.crdt", bytes);
    let input = c.input.clone();
    run([os(Path::new("wire")), "inspect".into(), os(&input)]).data_error(&input, needle);
    run([os(Path::new("wire")), "to-json".into(), os(&input)]).data_error(&input, needle);
    check_writer(&c, &input, needle, |out| {
        vec![
            "wire".into(),
            "roundtrip".into(),
            os(&input),
            "-o".into(),
            os(out),
        ]
    });
    check_writer(&c, &input, needle, |out| {
        vec![
            "wire".into(),
            "to-json".into(),
            os(&input),
            "-o".into(),
            os(out),
        ]
    });
    // As the second input of a merge, after a good frame: the bad one is blamed.
    let good = fixture("gcounter_a.crdt");
    check_writer(&c, &input, needle, |out| {
        vec![
            "wire".into(),
            "merge".into(),
            os(&good),
            os(&input),
            "-o".into(),
            os(out),
        ]
    });
}

fn good() -> Vec<u8> {
    read_fixture("gcounter_a.crdt")
}

#[test]
fn missing_file() {
    let dir = tempdir();
    let missing = dir.path().join("nope.crdt");
    run([os(Path::new("wire")), "inspect".into(), os(&missing)])
        .data_error(&missing, "No such file");
    let c = Case {
        input: missing.clone(),
        dir,
    };
    check_writer(&c, &missing, "No such file", |out| {
        vec![
            "wire".into(),
            "roundtrip".into(),
            os(&missing),
            "-o".into(),
            os(out),
        ]
    });
    check_writer(&c, &missing, "No such file", |out| {
        vec![
            "wire".into(),
            "from-json".into(),
            os(&missing),
            "-o".into(),
            os(out),
        ]
    });
    let g = fixture("gcounter_a.crdt");
    check_writer(&c, &missing, "No such file", |out| {
        vec![
            "wire".into(),
            "merge".into(),
            os(&g),
            os(&missing),
            "-o".into(),
            os(out),
        ]
    });
}

#[test]
fn directory_as_input() {
    let dir = tempdir();
    let d = dir.path().to_path_buf();
    run([os(Path::new("wire")), "inspect".into(), os(&d)]).data_error(&d, "not a regular file");
}

#[test]
fn empty_and_truncated_header() {
    bad_frame(b"", "truncated");
    bad_frame(&good()[..5], "truncated");
}

#[test]
fn truncated_payload() {
    let g = good();
    bad_frame(&g[..g.len() - 1], "length mismatch");
}

#[test]
fn trailing_byte() {
    let mut g = good();
    g.push(0);
    bad_frame(&g, "length mismatch");
}

#[test]
fn wrong_magic() {
    let mut g = good();
    g[..4].copy_from_slice(b"CRDX");
    bad_frame(&g, "bad magic");
}

#[test]
fn wrong_version() {
    let mut g = good();
    g[5] = 2;
    bad_frame(&g, "unsupported protocol version 2");
}

#[test]
fn unknown_tag() {
    let mut g = good();
    g[6] = 0x7f;
    bad_frame(&g, "unknown type tag 0x7f");
}

#[test]
fn unknown_flags() {
    let mut g = good();
    g[7] = 0x82;
    bad_frame(&g, "unknown flag bits");
}

/// Frames whose header is fine but whose payload is bad fail in the commands
/// that decode (inspect only checks the header and length).
fn bad_payload(bytes: &[u8], needle: &str) {
    let c = case("in.crdt", bytes);
    let input = c.input.clone();
    run([os(Path::new("wire")), "inspect".into(), os(&input)]).ok();
    run([os(Path::new("wire")), "to-json".into(), os(&input)]).data_error(&input, needle);
    check_writer(&c, &input, needle, |out| {
        vec![
            "wire".into(),
            "roundtrip".into(),
            os(&input),
            "-o".into(),
            os(out),
        ]
    });
    check_writer(&c, &input, needle, |out| {
        vec![
            "wire".into(),
            "merge".into(),
            os(&input),
            os(&input),
            "-o".into(),
            os(out),
        ]
    });
}

fn frame(tag: TypeTag, flags: u8, payload: &[u8]) -> Vec<u8> {
    let h = Header {
        version: PROTOCOL_VERSION,
        tag,
        flags,
        payload_len: payload.len() as u32,
    };
    let mut f = h.to_bytes().to_vec();
    f.extend_from_slice(payload);
    f
}

#[test]
fn zlib_bomb() {
    // 64 MiB of one byte compresses to ~64 KiB; 1 MiB decompressed is allowed.
    let payload = compress::compress(&vec![7u8; 64 << 20]);
    assert!(payload.len() < 1 << 20);
    let bomb = frame(TypeTag::GCounter, 1, &payload);
    let c = case("bomb.crdt", &bomb);
    let input = c.input.clone();
    let lim = || -> Vec<OsString> { vec!["--max-decompressed-bytes".into(), "1048576".into()] };
    let needle = "decompressed payload exceeds the limit of 1048576";
    run([lim(), vec!["wire".into(), "to-json".into(), os(&input)]].concat())
        .data_error(&input, needle);
    check_writer(&c, &input, needle, |out| {
        [
            lim(),
            vec![
                "wire".into(),
                "roundtrip".into(),
                os(&input),
                "-o".into(),
                os(out),
            ],
        ]
        .concat()
    });
}

#[test]
fn corrupt_zlib_and_codec() {
    bad_payload(
        &frame(TypeTag::GCounter, 1, b"\x78\x9cnot zlib at all"),
        "zlib decompression failed",
    );
    bad_payload(
        &frame(TypeTag::GCounter, 0, b"\x05\x00\x00\x00\x09abc"),
        "truncated",
    );
    bad_payload(
        &frame(TypeTag::GCounter, 0, b"\x0b"),
        "unknown value tag 0x0b",
    );
    bad_payload(&frame(TypeTag::GCounter, 0, b"\x00\x00"), "trailing bytes");
    bad_payload(
        &frame(TypeTag::VectorClock, 0, b"{\"type\": "),
        "invalid JSON",
    );
    bad_payload(
        &frame(TypeTag::VectorClock, 0, b"0 "),
        "payload must be a dict, found int",
    );
}

#[test]
fn file_larger_than_limit_is_refused_before_reading() {
    let c = case("big.crdt", &good());
    let input = c.input.clone();
    let args = |out: &Path| -> Vec<OsString> {
        vec![
            "--max-payload-bytes".into(),
            "10".into(),
            "wire".into(),
            "roundtrip".into(),
            os(&input),
            "-o".into(),
            os(out),
        ]
    };
    check_writer(
        &c,
        &input,
        "file is 74 bytes, larger than the limit of 22 bytes",
        args,
    );
    run([
        "--max-payload-bytes".into(),
        "10".into(),
        os(Path::new("wire")),
        "inspect".into(),
        os(&input),
    ])
    .data_error(&input, "larger than the limit");
    // The declared payload length is checked against the limit too.
    let g = good();
    let c2 = case("declared.crdt", &g);
    let in2 = c2.input.clone();
    run([
        "--max-payload-bytes".into(),
        "61".into(),
        os(Path::new("wire")),
        "inspect".into(),
        os(&in2),
    ])
    .data_error(&in2, "larger than the limit of 73 bytes");
}

#[test]
fn bad_batches() {
    let b = read_fixture("batch.crdtb");
    let roundtrip = |c: &Case, needle: &str| {
        let input = c.input.clone();
        check_writer(c, &input, needle, |out| {
            vec![
                "wire".into(),
                "roundtrip".into(),
                "--batch".into(),
                os(&input),
                "-o".into(),
                os(out),
            ]
        });
    };
    roundtrip(&case("b1", &b[..b.len() - 1]), "batch:");
    roundtrip(
        &case("b2", &[0xff, 0xff, 0xff, 0xff]),
        "batch item count exceeds",
    );
    roundtrip(&case("b3", &[0, 0]), "batch: too short");
    let mut extra = b.clone();
    extra.push(0);
    roundtrip(&case("b4", &extra), "trailing bytes");
    // A bad frame inside a well-formed batch names its index.
    let mut inner = b.clone();
    inner[8] = b'X';
    roundtrip(&case("b5", &inner), "batch item 0 of 3: bad magic");
    // A single frame is not a batch, and a batch is not a frame.
    roundtrip(&case("b6", &good()), "batch item count exceeds");
    let c = case("b7", &b);
    let input = c.input.clone();
    check_writer(&c, &input, "bad magic", |out| {
        vec![
            "wire".into(),
            "roundtrip".into(),
            os(&input),
            "-o".into(),
            os(out),
        ]
    });
}

#[test]
fn invalid_json_views() {
    let cases: &[(&[u8], &str)] = &[
        (b"{\"type\": \"generic\", ", "invalid JSON"),
        (b"", "invalid JSON"),
        (b"\xff\xfe", "invalid UTF-8 at byte 0"),
        (b"[1, 2]", "missing string field \"type\""),
        (
            b"{\"type\": \"nope\", \"value\": {}}",
            "unknown type \"nope\"",
        ),
        (b"{\"type\": \"generic\"}", "missing field \"value\""),
        (
            b"{\"type\": \"generic\", \"value\": {\"$bytes\": \"abc\"}}",
            "odd length",
        ),
        (
            b"{\"type\": \"vector_clock\", \"value\": {\"$bytes\": \"00\"}}",
            "payload must be a dict",
        ),
    ];
    for (text, needle) in cases {
        let c = case("v.json", text);
        let input = c.input.clone();
        check_writer(&c, &input, needle, |out| {
            vec![
                "wire".into(),
                "from-json".into(),
                os(&input),
                "-o".into(),
                os(out),
            ]
        });
    }
}

#[test]
fn json_view_too_deep_for_a_frame() {
    // A plain list nested 300 deep parses as a view but no frame may hold it.
    let mut text = String::from("{\"type\": \"generic\", \"value\": ");
    text.push_str(&"[".repeat(300));
    text.push_str(&"]".repeat(300));
    text.push('}');
    let c = case("deep.json", text.as_bytes());
    let input = c.input.clone();
    check_writer(
        &c,
        &input,
        "nesting depth exceeds the limit of 256",
        |out| {
            vec![
                "wire".into(),
                "from-json".into(),
                os(&input),
                "-o".into(),
                os(out),
            ]
        },
    );
    // Deeper than any view of a frame: refused by the parser.
    let text = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    let c = case("deeper.json", text.as_bytes());
    let input = c.input.clone();
    check_writer(&c, &input, "nesting too deep", |out| {
        vec![
            "wire".into(),
            "from-json".into(),
            os(&input),
            "-o".into(),
            os(out),
        ]
    });
}

#[test]
fn merge_of_different_types() {
    let dir = tempdir();
    let c = Case {
        input: fixture("vector_clock.crdt"),
        dir,
    };
    let (a, vc, g) = (
        fixture("gcounter_a.crdt"),
        fixture("vector_clock.crdt"),
        fixture("generic.crdt"),
    );
    check_writer(
        &c,
        &vc,
        "cannot merge a g_counter with a vector_clock",
        |out| {
            vec![
                "wire".into(),
                "merge".into(),
                os(&a),
                os(&vc),
                "-o".into(),
                os(out),
            ]
        },
    );
    check_writer(&c, &g, "cannot merge a g_counter with a generic", |out| {
        vec![
            "wire".into(),
            "merge".into(),
            os(&a),
            os(&a),
            os(&g),
            "-o".into(),
            os(out),
        ]
    });
}

#[test]
fn merge_of_a_type_without_merge() {
    // The reference's SchemaChange has no merge.
    let dir = tempdir();
    let s = fixture("schema_change.crdt");
    let c = Case {
        input: s.clone(),
        dir,
    };
    check_writer(&c, &s, "schema_change has no merge", |out| {
        vec![
            "wire".into(),
            "merge".into(),
            os(&s),
            os(&s),
            "-o".into(),
            os(out),
        ]
    });
}

#[test]
fn output_directory_missing() {
    let dir = tempdir();
    let out = dir.path().join("no/such/dir/out.crdt");
    run([
        os(Path::new("wire")),
        "roundtrip".into(),
        os(&fixture("generic.crdt")),
        "-o".into(),
        os(&out),
    ])
    .data_error(&out, "No such file");
    assert!(!out.exists());
}

#[test]
fn usage_errors_exit_2() {
    let g = fixture("gcounter_a.crdt");
    for args in [
        vec![],
        vec![os(Path::new("wire"))],
        vec!["wire".into(), "roundtrip".into(), os(&g)],
        vec![
            "wire".into(),
            "merge".into(),
            os(&g),
            "-o".into(),
            "x".into(),
        ],
        vec![
            "wire".into(),
            "inspect".into(),
            os(&g),
            "--max-payload-bytes".into(),
            "lots".into(),
        ],
        vec!["wire".into(), "frobnicate".into()],
    ] {
        let r = run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
    }
    assert_eq!(HEADER_SIZE, 12);
}

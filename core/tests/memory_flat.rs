//! The in-place memory path (`memory::flat`) equals the `Memory` path on
//! random lines: a line the flat parser takes parses to the same memory;
//! it never takes a line the full parser rejects; the flat join of lines
//! sharing a fact equals `join_group` of their memories and writes the same
//! line; number texts it copies are exactly Python's `repr`.

use crdt_merge_core::memory::context::join_group;
use crdt_merge_core::memory::flat::{is_float_repr, ByteCount};
use crdt_merge_core::memory::{parse_memory_line, FlatJoin, FlatLine, Memory};
use crdt_merge_core::pyrepr::float_repr;
use proptest::prelude::*;

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1",
            "-0",
            "0",
            "0.0",
            "-0.0",
            "0.5",
            "0.50",
            "1.0",
            "1.5e3",
            "1E-2",
            "01",
            "1.",
            ".5",
            "-",
            "NaN",
            "Infinity",
            "1e400",
            "0.0001",
            "0.00001",
            "1e16",
            "1700033432.0",
            "1700033432",
            "1e+16",
            "9223372036854775808",
            "-9223372036854775808",
            "1000000000000000.0",
            "10000000000000000.0",
            "0.1234567890123456",
            "0.123456789012345",
            "123456789012345.5",
            "2.5",
            "-1.25",
        ])
        .prop_map(String::from),
        (-1000i64..1000).prop_map(|i| i.to_string()),
        (0u32..1000).prop_map(|i| format!("0.{i:03}")),
        any::<f64>().prop_map(float_repr),
        (-1e6f64..1e6).prop_map(|f| format!("{f}")),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\"x\"",
            "\"caf\u{e9}\"",
            "\"a\\\"b\"",
            "\"tab\\t\"",
            "\"\\u00e9\"",
            "\"\u{7f}\"",
            "\"\"",
            "null",
            "\"high\"",
            "\" 0.5 \"",
            "\"\u{1F600}\"",
        ])
        .prop_map(String::from),
        "[a-d ]{0,4}".prop_map(|s| format!("\"{s}\"")),
    ]
}

fn tags() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(
            prop_oneof![
                "[a-d]{0,2}".prop_map(|s| format!("\"{s}\"")),
                Just("\"\u{e9}\"".to_string()),
                Just("\"a\\nb\"".to_string()),
                Just("1".to_string()),
            ],
            0..5
        )
        .prop_map(|v| format!("[{}]", v.join(", "))),
        prop::sample::select(vec![
            "[]",
            "[ ]",
            "[\"a\",\"b\" ]",
            "\"a\"",
            "null",
            "[\"a\" \"b\"]"
        ])
        .prop_map(String::from),
    ]
}

fn value_for(key: &'static str) -> BoxedStrategy<String> {
    match key {
        "confidence" | "ts" => prop_oneof![4 => number(), 1 => text()].boxed(),
        "tags" => tags().boxed(),
        "note" => prop_oneof![text(), number(), Just("[1, {\"x\": null}]".to_string())].boxed(),
        _ => prop_oneof![4 => text(), 1 => number()].boxed(),
    }
}

/// A line of random keys (mostly reserved), values and spacing.
fn line() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "fact",
        "fact",
        "confidence",
        "source",
        "ts",
        "topic",
        "tags",
        "note",
        "fa\\u0063t",
    ])
    .prop_flat_map(|k| {
        (
            Just(k),
            value_for(k),
            prop::sample::select(vec!["", " ", "\t", " \r"]),
        )
    });
    (
        prop::collection::vec(field, 0..8),
        prop::sample::select(vec!["", " ", "\r", "x", ",", "}", "\u{a0}"]),
        prop::sample::select(vec!["", " ", "\u{a0}", "\u{b}"]),
    )
        .prop_map(|(fields, tail, head)| {
            let body: Vec<String> = fields
                .iter()
                .map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}"))
                .collect();
            format!("{head}{{{}}}{tail}", body.join(", "))
        })
}

/// A line of the common shape with one of a few facts (so that groups form).
fn simple_line() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["a", "b", "caf\u{e9}", "x y"]),
        number(),
        prop::option::of(number()),
        prop::sample::select(vec!["", "alice", "bob", "\u{e9}ve"]),
        prop::sample::select(vec!["", "ops", "chat"]),
        tags(),
        any::<bool>(),
    )
        .prop_map(|(fact, conf, ts, source, topic, tags, spaced)| {
            let sep = if spaced { ", " } else { "," };
            let mut f = vec![
                format!("\"fact\": \"{fact}\""),
                format!("\"confidence\": {conf}"),
            ];
            if !source.is_empty() {
                f.push(format!("\"source\": \"{source}\""));
            }
            if let Some(ts) = ts {
                f.push(format!("\"ts\": {ts}"));
            }
            f.push(format!("\"topic\": \"{topic}\""));
            f.push(format!("\"tags\": {tags}"));
            format!("{{{}}}", f.join(sep))
        })
}

fn flat(line: &str) -> Option<FlatLine> {
    FlatLine::parse(line, 0, line.len())
}

fn written(m: &Memory) -> String {
    m.to_json_line().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn flat_parse_equals_full_parse(line in line()) {
        let full = parse_memory_line(line.trim());
        if let Some(f) = flat(&line) {
            let full = full.unwrap_or_else(|e| panic!("flat took a bad line {line:?}: {e}"));
            prop_assert_eq!(f.to_memory(&line), full, "{}", line);
        }
    }

    #[test]
    fn flat_parse_takes_simple_lines(line in simple_line()) {
        let full = parse_memory_line(&line);
        match flat(&line) {
            Some(f) => prop_assert_eq!(f.to_memory(&line), full.unwrap(), "{}", line),
            // only invalid lines, escapes and NaN / Infinity leave the flat path
            None => prop_assert!(
                full.is_err() || line.contains('\\') || line.contains("NaN") || line.contains("Infinity"),
                "{}",
                line
            ),
        }
    }

    #[test]
    fn flat_join_equals_join_group(
        lines in prop::collection::vec(simple_line(), 1..6),
        now in prop::sample::select(vec![0.0, 5.0, 1700000000.5]),
    ) {
        // group by fact, keep the lines the flat parser takes
        let mut by_fact: std::collections::BTreeMap<String, Vec<&String>> = Default::default();
        for l in &lines {
            if let Some(f) = flat(l) {
                by_fact.entry(f.fact(l).to_string()).or_default().push(l);
            }
        }
        for group in by_fact.values() {
            let mut j = FlatJoin::new();
            for (i, l) in group.iter().enumerate() {
                let f = flat(l).unwrap();
                if i == 0 { j.start(l, &f, now) } else { j.join(l, &f, now) }
            }
            j.finish();
            let want = join_group(group.iter().map(|l| parse_memory_line(l).unwrap()), now).unwrap();
            let mut got = String::new();
            j.write_line(&mut got);
            prop_assert_eq!(&got, &written(&want), "{:?}", group);
            prop_assert_eq!(j.confidence().to_bits(), want.confidence.to_bits());
            let mut n = ByteCount(0);
            j.write_line(&mut n);
            prop_assert_eq!(n.0, got.len());
            // join order does not matter
            let mut k = FlatJoin::new();
            for (i, l) in group.iter().rev().enumerate() {
                let f = flat(l).unwrap();
                if i == 0 { k.start(l, &f, now) } else { k.join(l, &f, now) }
            }
            k.finish();
            let mut again = String::new();
            k.write_line(&mut again);
            prop_assert_eq!(again, got);
        }
    }

    #[test]
    fn single_len_is_the_written_length(
        line in simple_line(),
        now in prop::sample::select(vec![0.0, 5.0, 1700000000.5]),
    ) {
        if let Some(f) = flat(&line) {
            let mut j = FlatJoin::new();
            j.start(&line, &f, now);
            j.finish();
            let mut out = String::new();
            j.write_line(&mut out);
            if let Some(n) = f.single_len(&line) {
                prop_assert_eq!(n, out.len(), "{}", line);
            }
        }
    }

    #[test]
    fn copied_numbers_are_python_repr(t in number()) {
        if is_float_repr(&t) {
            let v: f64 = t.parse().unwrap();
            prop_assert_eq!(float_repr(v), t);
        }
    }

    #[test]
    fn short_reprs_are_copied(f in any::<f64>()) {
        let r = float_repr(f);
        let digits = r.trim_start_matches('-').trim_start_matches(['0', '.']).replace('.', "");
        if f.is_finite() && !r.contains('e') && digits.trim_end_matches('0').len() <= 15 {
            prop_assert!(is_float_repr(&r), "{}", r);
        }
    }
}

#[test]
fn known_number_texts() {
    for t in [
        "0.5",
        "0.0",
        "-0.0",
        "1.0",
        "1700033432.0",
        "0.0001",
        "1000000000000000.0",
    ] {
        assert!(is_float_repr(t), "{t}");
    }
    for t in [
        "1",
        "0.50",
        "1e3",
        "0.00001",
        "10000000000000000.0",
        "01.5",
        ".5",
        "1.",
        "-",
        "",
    ] {
        assert!(!is_float_repr(t), "{t}");
    }
}

#[test]
fn flat_lines_point_into_their_buffer() {
    let buf = "junk\n{\"fact\": \"b\", \"tags\": [\"y\", \"x\", \"y\"], \"ts\": 0}\nmore";
    let f = FlatLine::parse(buf, 5, buf.len() - 5).expect("simple line");
    assert_eq!(f.fact(buf), "b");
    assert_eq!(f.tags(buf).collect::<Vec<_>>(), ["y", "x", "y"]);
    assert_eq!(f.ts(), Some(0.0));
    assert!(FlatLine::parse(buf, 0, 4).is_none());
    let line = r#"{"fact": "b", "confidence": 0.5, "ts": 3.0, "tags": ["y", "x", "y"]}"#;
    let f = flat(line).unwrap();
    let mut j = FlatJoin::new();
    j.start(line, &f, 0.0);
    j.finish();
    let mut out = String::new();
    j.write_line(&mut out);
    assert_eq!(f.single_len(line), Some(out.len()));
    let zero_ts = FlatLine::parse(buf, 5, buf.len() - 5).unwrap();
    assert_eq!(zero_ts.single_len(buf), None, "a zero ts is formatted");
    // metadata, escapes and duplicate keys go to the full parser
    for line in [
        r#"{"fact": "x", "note": 1}"#,
        r#"{"fact": "a\"b"}"#,
        r#"{"fact": "x", "fact": "y"}"#,
        r#"{"confidence": 1}"#,
        r#"{"fact": "x", "source": null}"#,
    ] {
        assert!(flat(line).is_none(), "{line}");
    }
}

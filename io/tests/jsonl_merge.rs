//! The JSON-lines fast merge (`jsonl_merge::merge_jsonl`) against the table
//! path it replaces (read both files, `merge_owned`, `write_jsonl`): on
//! generated inputs, byte-identical output whenever it takes the merge, and
//! declining (never a different answer) where the table path fails or keys
//! cannot match.

use crdt_merge_core::table::{merge_owned, MergeOptions, MergeSchema, Prefer, Table};
use crdt_merge_core::value::Value;
use crdt_merge_io::table::jsonl::{read_jsonl, write_jsonl};
use crdt_merge_io::table::jsonl_merge::{merge_jsonl, FastMerge};
use proptest::prelude::*;

/// A small deterministic generator (xorshift), seeded by proptest.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

const COLUMNS: &[&str] = &[
    "name",
    "score",
    "amount",
    "tags",
    "_ts",
    "ts",
    "note",
    "caf\u{e9}",
];

/// A JSON value's text, in canonical or other spellings.
fn value_text(g: &mut Gen) -> String {
    match g.below(16) {
        0 => "null".into(),
        1 => "true".into(),
        2 => "false".into(),
        3 => format!("{}", g.below(50) as i64 - 10),
        4 => format!("{}.{}", g.below(100), g.below(100)),
        5 => (*g.pick(&[
            "1.0",
            "1.50",
            "-0",
            "-0.0",
            "0.0",
            "1e3",
            "2E-2",
            "0.00001",
            "1234567890123456789",
            "12.000",
        ]))
        .into(),
        6 => format!("\"{}\"", g.pick(&["a", "b", "alpha", "a,b", "b, c", ""])),
        7 => (*g.pick(&[
            "\"\\u0061\"",
            "\"tab\\there\"",
            "\"caf\u{e9}\"",
            "\"q\\\"uote\"",
            "\"\\ud83d\\ude00\"",
        ]))
        .into(),
        8 => "[1, \"x\", null]".into(),
        9 => "{\"k\": [true]}".into(),
        10 => format!("{}", 1_700_000_000 + g.below(5)),
        11 => (*g.pick(&["\"2024-01-01T00:00:00Z\"", "\"1700000001\"", "\"zzz\""])).into(),
        12 => (*g.pick(&[
            "\"a fairly long string value that runs past thirty-two bytes\"",
            "\"a fairly long string value that runs past 32 bytes\\n then an escape\"",
            "\"a fairly long string value that runs past 32 bytes, then caf\u{e9}\"",
        ]))
        .into(),
        _ => format!("\"w{}\"", g.below(6)),
    }
}

/// A key value's text (ints, equal floats and bools, strings, null).
fn key_text(g: &mut Gen, kinds: u64) -> String {
    let n = g.below(12);
    match g.below(kinds) {
        0..=2 => format!("{n}"),
        3 => format!("{n}.0"),
        4 => format!("\"k{n}\""),
        5 => (*g.pick(&["true", "false", "null", "\"k\\u0031\"", "1.5"])).into(),
        _ => "[1]".into(),
    }
}

/// One input: lines of objects over a random column subset.
fn input(g: &mut Gen, rows: usize, kinds: u64) -> String {
    let mut cols: Vec<&str> = COLUMNS.iter().copied().filter(|_| g.chance(70)).collect();
    if g.chance(20) {
        cols.reverse();
    }
    let mut out = String::new();
    for r in 0..rows {
        let sep = if g.chance(90) { ", " } else { "," };
        let colon = if g.chance(90) { ": " } else { ":" };
        let mut fields: Vec<String> = Vec::new();
        if !(r > 0 && g.chance(3)) {
            fields.push(format!("\"id\"{colon}{}", key_text(g, kinds)));
        }
        for c in &cols {
            if g.chance(85) {
                let name = if c.is_ascii() {
                    format!("\"{c}\"")
                } else {
                    "\"caf\\u00e9\"".into()
                };
                fields.push(format!("{name}{colon}{}", value_text(g)));
            }
        }
        if g.chance(5) {
            fields.push(format!("\"name\"{colon}{}", value_text(g)));
        }
        if g.chance(10) && fields.len() > 1 {
            let i = g.below(fields.len() as u64) as usize;
            let f = fields.remove(i);
            fields.push(f);
        }
        if g.chance(3) {
            out.push('\n');
        }
        let lead = if g.chance(5) { " " } else { "" };
        out.push_str(&format!("{lead}{{{}}}", fields.join(sep)));
        if g.chance(3) {
            out.push_str(" \r");
        }
        out.push('\n');
    }
    out
}

fn options(g: &mut Gen) -> MergeOptions {
    let mut o = MergeOptions::keyed(["id"]);
    o.prefer = *g.pick(&[Prefer::A, Prefer::B, Prefer::Latest]);
    if g.chance(30) {
        o.timestamp_col = Some(g.pick(&["ts", "_ts", "missing"]).to_string());
    }
    if g.chance(40) {
        let json = g.pick(&[
            r#"{"score": {"strategy": "MaxWins"}, "amount": {"strategy": "MinWins"}, "tags": {"strategy": "UnionSet", "separator": ","}, "name": {"strategy": "LongestWins"}, "__default__": {"strategy": "LWW"}}"#,
            r#"{"note": {"strategy": "Concat", "separator": " | "}, "name": {"strategy": "Priority", "priority": ["w1", "w3", "alpha"]}, "__default__": {"strategy": "MaxWins"}}"#,
        ]);
        o.schema = Some(MergeSchema::from_json(json).unwrap());
    }
    o
}

/// Kind of a key value for the CLI's type check (numbers alike).
fn kinds(t: &Table) -> u8 {
    let Some(i) = t.column_index("id") else {
        return 0;
    };
    t.rows.iter().fold(0, |k, r| {
        k | match &r[i] {
            Some(Value::Bool(_) | Value::Int(_) | Value::Float(_)) => 1,
            Some(Value::Str(_)) => 2,
            Some(Value::None) | None => 0,
            Some(_) => 4,
        }
    })
}

fn table_path(a: &str, b: &str, o: &MergeOptions) -> Result<Vec<u8>, String> {
    let ta = read_jsonl("a.jsonl", a.as_bytes()).map_err(|e| e.to_string())?;
    let tb = read_jsonl("b.jsonl", b.as_bytes()).map_err(|e| e.to_string())?;
    let (ka, kb) = (kinds(&ta), kinds(&tb));
    if ka != 0 && kb != 0 && ka & kb == 0 {
        return Err("key types differ".into());
    }
    let t = merge_owned(ta, tb, o).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    write_jsonl("o.jsonl", &t, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn check(seed: u64, rows_a: usize, rows_b: usize, kinds: u64) -> Result<(), TestCaseError> {
    let mut g = Gen(seed | 1);
    let (a, b) = (input(&mut g, rows_a, kinds), input(&mut g, rows_b, kinds));
    let o = options(&mut g);
    let slow = table_path(&a, &b, &o);
    let mut fast = Vec::new();
    let r = merge_jsonl(
        "o.jsonl",
        a.as_bytes(),
        b.as_bytes(),
        &o,
        &mut fast,
        &|_| {},
    )
    .unwrap();
    match (&slow, r) {
        (Ok(s), FastMerge::Done(st)) => {
            prop_assert_eq!(
                String::from_utf8_lossy(s),
                String::from_utf8_lossy(&fast),
                "A:\n{}\nB:\n{}\n{:?}",
                a,
                b,
                o
            );
            prop_assert_eq!(st.rows, s.iter().filter(|&&c| c == b'\n').count());
        }
        (Err(_), FastMerge::NotTaken(_)) => prop_assert!(fast.is_empty()),
        (Ok(_), FastMerge::NotTaken(why)) => {
            prop_assert!(
                false,
                "fast path declined ({}) a valid merge\nA:\n{}\nB:\n{}",
                why,
                a,
                b
            )
        }
        (Err(e), FastMerge::Done(_)) => {
            prop_assert!(
                false,
                "fast path took input the table path rejects ({})\nA:\n{}\nB:\n{}",
                e,
                a,
                b
            )
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Valid inputs of every shape: same bytes as the table path.
    #[test]
    fn same_bytes_as_the_table_path(seed in any::<u64>(), ra in 1usize..40, rb in 1usize..40) {
        check(seed, ra, rb, 6)?;
    }

    /// With unhashable and mismatched keys mixed in: never a different answer.
    #[test]
    fn declines_what_the_table_path_rejects(seed in any::<u64>(), ra in 1usize..12, rb in 1usize..12) {
        check(seed, ra, rb, 7)?;
    }
}

/// Many rows (several scan chunks and output chunks) still match.
#[test]
fn large_inputs_match() {
    let mut text_a = String::new();
    let mut text_b = String::new();
    for i in 0..60_000u64 {
        text_a.push_str(&format!(
            "{{\"id\": {i}, \"name\": \"n{}\", \"x\": {}.25, \"s\": \"{}\"}}\n",
            i % 7,
            i % 1000,
            "y".repeat((i % 50) as usize)
        ));
        let j = i + 30_000;
        text_b.push_str(&format!(
            "{{\"id\": {j}, \"x\": {}.5, \"name\": \"m{}\", \"t\": [{}]}}\n",
            j % 900,
            j % 5,
            j % 3
        ));
    }
    for prefer in [Prefer::A, Prefer::B, Prefer::Latest] {
        let mut o = MergeOptions::keyed(["id"]);
        o.prefer = prefer;
        let slow = table_path(&text_a, &text_b, &o).unwrap();
        let mut fast = Vec::new();
        let r = merge_jsonl(
            "o",
            text_a.as_bytes(),
            text_b.as_bytes(),
            &o,
            &mut fast,
            &|_| {},
        );
        assert!(matches!(r, Ok(FastMerge::Done(_))));
        assert!(slow == fast, "outputs differ for prefer {prefer:?}");
    }
}

/// Invalid input is declined with nothing written.
#[test]
fn bad_input_is_declined() {
    for (a, b) in [
        ("{\"id\": 1}\n{\"id\": 2,}\n", "{\"id\": 1}\n"),
        ("{\"id\": 1}\n", "\n \n"),
        ("{\"x\": 1}\n{\"id\": 2}\n", "{\"id\": 1}\n"),
        ("{\"id\": [1]}\n", "{\"id\": 1}\n"),
        ("{\"id\": 1} x\n", "{\"id\": 1}\n"),
        ("{\"id\": \"\\ud800\"}\n", "{\"id\": 1}\n"),
        ("{\"id\": 1, \"v\": NaN}\n", "{\"id\": 1}\n"),
    ] {
        let mut out = Vec::new();
        let r = merge_jsonl(
            "o",
            a.as_bytes(),
            b.as_bytes(),
            &MergeOptions::keyed(["id"]),
            &mut out,
            &|_| {},
        );
        assert!(matches!(r, Ok(FastMerge::NotTaken(_))), "{a:?}");
        assert!(out.is_empty());
    }
    let mut out = Vec::new();
    let bad_utf8 = b"{\"id\": 1, \"s\": \"\xff\"}\n";
    let r = merge_jsonl(
        "o",
        bad_utf8,
        b"{\"id\": 1}\n",
        &MergeOptions::keyed(["id"]),
        &mut out,
        &|_| {},
    );
    assert!(matches!(r, Ok(FastMerge::NotTaken(_))));
}

/// A line with the previous canonical line's keys is matched against that
/// template; key values seen on other lines in between must not leak into
/// it (a line without the key column has a null key).
#[test]
fn template_lines_do_not_inherit_key_values() {
    let a = "{\"id\": 1, \"x\": 1}\n{\"x\": 2}\n{\"id\": 2,\"x\": 3}\n{\"x\": 4}\n{\"x\": 4, \"id\": 3}\n{\"x\": 5}\n";
    let b = "{\"id\": 2, \"x\": 9}\n{\"x\": 4}\n{\"x\": 6}\n";
    for prefer in [Prefer::A, Prefer::B] {
        let mut o = MergeOptions::keyed(["id"]);
        o.prefer = prefer;
        let slow = table_path(a, b, &o).unwrap();
        let mut fast = Vec::new();
        let r = merge_jsonl("o", a.as_bytes(), b.as_bytes(), &o, &mut fast, &|_| {});
        assert!(matches!(r, Ok(FastMerge::Done(_))), "{r:?}");
        assert_eq!(
            String::from_utf8_lossy(&slow),
            String::from_utf8_lossy(&fast)
        );
    }
}

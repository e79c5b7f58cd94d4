//! Table files: random tables survive a write and read in every format
//! (exactly for JSON-lines and JSON; as the format types them for CSV and
//! Parquet), and random or truncated bytes are a typed error, never a panic.

use crdt_merge_core::table::Table;
use crdt_merge_core::value::Value;
use crdt_merge_io::table::{parse_table, write_table, TableFormat};
use proptest::prelude::*;

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::None),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
        "[a-z ,\"\n\u{e9}\u{1F600}]{0,8}".prop_map(Value::Str),
        prop::collection::vec(any::<i32>().prop_map(|i| Value::Int(i.into())), 0..3)
            .prop_map(Value::List),
    ]
}

fn arb_table() -> impl Strategy<Value = Table> {
    (1usize..5).prop_flat_map(|ncols| {
        prop::collection::vec(
            prop::collection::vec(prop::option::of(arb_value()), ncols),
            0..12,
        )
        .prop_map(move |rows| Table {
            columns: (0..ncols).map(|i| format!("c{i}")).collect(),
            rows,
        })
    })
}

fn roundtrip(t: &Table, f: TableFormat) -> Table {
    let mut buf = Vec::new();
    write_table("t", f, t, &mut buf).unwrap();
    parse_table("t", f, buf).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn json_formats_roundtrip_exactly(t in arb_table()) {
        // JSON-lines drops columns no row carries; compare as dict rows.
        // A table without rows is an empty file, which reads as an error.
        if !t.rows.is_empty() {
            let back = roundtrip(&t, TableFormat::Jsonl);
            prop_assert_eq!(back.to_dict_rows(), t.to_dict_rows());
            let back = roundtrip(&t, TableFormat::Json);
            prop_assert_eq!(back.to_dict_rows(), t.to_dict_rows());
        }
    }

    #[test]
    fn csv_and_parquet_are_stable_after_one_pass(t in arb_table()) {
        // One pass types the cells as the format can; a second pass changes nothing.
        for f in [TableFormat::Csv, TableFormat::Parquet] {
            let once = roundtrip(&t, f);
            prop_assert_eq!(once.rows.len(), t.rows.len());
            let twice = roundtrip(&once, f);
            prop_assert_eq!(&twice, &once);
        }
    }

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for f in [TableFormat::Csv, TableFormat::Jsonl, TableFormat::Json, TableFormat::Parquet] {
            let _ = parse_table("g", f, bytes.clone());
        }
    }

    #[test]
    fn truncated_files_never_panic(t in arb_table(), cut in 0.0f64..1.0) {
        for f in [TableFormat::Csv, TableFormat::Jsonl, TableFormat::Json, TableFormat::Parquet] {
            let mut buf = Vec::new();
            write_table("t", f, &t, &mut buf).unwrap();
            let n = (buf.len() as f64 * cut) as usize;
            let _ = parse_table("t", f, buf[..n].to_vec());
        }
    }
}

#[test]
fn csv_keeps_an_all_null_column_and_numbers_typed() {
    let t = parse_table("t.csv", TableFormat::Csv, b"a,b,c\n1,,x\n2,,3\n".to_vec()).unwrap();
    assert_eq!(
        t.rows[0],
        vec![
            Some(Value::Int(1)),
            Some(Value::None),
            Some(Value::str("x"))
        ]
    );
    assert_eq!(t.rows[1][2], Some(Value::str("3")));
}

//! Parquet tables through arrow-rs: read as record batches, each column
//! converted to cells in one pass over its array; written as batches of
//! typed columns (snappy, like pyarrow's default).
//!
//! Types read: booleans, signed and unsigned integers (within int64),
//! floats (NaN refused), UTF-8 strings (plain, large, view, dictionary),
//! binary (bytes), lists and structs (recursively), null columns. Others
//! (timestamps, decimals, ...) are a typed error naming the column.
//! Types written, per column from its values: int64, float64 (ints and
//! floats mixed), bool, utf8, binary; a column of other or mixed values is
//! written as utf8 JSON text.

use std::io::Write;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow_schema::{DataType, Field, Schema};
use crdt_merge_core::table::{Cell, Table};
use crdt_merge_core::value::Value;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::error::{one_line, TableIoError};
use super::jsonl::push_json;

const BATCH: usize = 65_536;

fn perr(file: &str, e: impl std::fmt::Display) -> TableIoError {
    TableIoError::Parquet {
        file: file.to_string(),
        msg: one_line(e),
    }
}

/// Read a Parquet file's bytes into a table.
pub fn read_parquet(file: &str, bytes: Vec<u8>) -> Result<Table, TableIoError> {
    if bytes.is_empty() {
        return Err(TableIoError::Empty {
            file: file.to_string(),
        });
    }
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(|e| perr(file, e))?;
    let columns: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for (i, c) in columns.iter().enumerate() {
        if columns[..i].contains(c) {
            return Err(perr(file, format!("duplicate column name {c:?}")));
        }
    }
    let total = builder.metadata().file_metadata().num_rows().max(0) as usize;
    let reader = builder
        .with_batch_size(BATCH)
        .build()
        .map_err(|e| perr(file, e))?;
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(total.min(1 << 26));
    for batch in reader {
        let batch = batch.map_err(|e| perr(file, e))?;
        let base = rows.len();
        rows.extend((0..batch.num_rows()).map(|_| Vec::with_capacity(columns.len())));
        for (ci, col) in batch.columns().iter().enumerate() {
            let vals =
                values(col).map_err(|m| perr(file, format!("column {:?}: {m}", columns[ci])))?;
            for (r, v) in rows[base..].iter_mut().zip(vals) {
                r.push(Some(v));
            }
        }
    }
    Ok(Table { columns, rows })
}

fn ints<I: Iterator<Item = Option<i64>>>(it: I) -> Vec<Value> {
    it.map(|v| v.map_or(Value::None, Value::Int)).collect()
}

fn floats<I: Iterator<Item = Option<f64>>>(it: I) -> Result<Vec<Value>, String> {
    it.map(|v| match v {
        None => Ok(Value::None),
        Some(f) if f.is_nan() => Err("NaN is not accepted".to_string()),
        Some(f) => Ok(Value::Float(f)),
    })
    .collect()
}

/// One arrow array as values (null slots as `Value::None`).
fn values(a: &ArrayRef) -> Result<Vec<Value>, String> {
    let strs = |it: &mut dyn Iterator<Item = Option<&str>>| -> Vec<Value> {
        it.map(|s| s.map_or(Value::None, Value::str)).collect()
    };
    Ok(match a.data_type() {
        DataType::Null => vec![Value::None; a.len()],
        DataType::Boolean => a
            .as_boolean()
            .iter()
            .map(|v| v.map_or(Value::None, Value::Bool))
            .collect(),
        DataType::Int8 => ints(
            a.as_primitive::<Int8Type>()
                .iter()
                .map(|v| v.map(i64::from)),
        ),
        DataType::Int16 => ints(
            a.as_primitive::<Int16Type>()
                .iter()
                .map(|v| v.map(i64::from)),
        ),
        DataType::Int32 => ints(
            a.as_primitive::<Int32Type>()
                .iter()
                .map(|v| v.map(i64::from)),
        ),
        DataType::Int64 => ints(a.as_primitive::<Int64Type>().iter()),
        DataType::UInt8 => ints(
            a.as_primitive::<UInt8Type>()
                .iter()
                .map(|v| v.map(i64::from)),
        ),
        DataType::UInt16 => ints(
            a.as_primitive::<UInt16Type>()
                .iter()
                .map(|v| v.map(i64::from)),
        ),
        DataType::UInt32 => ints(
            a.as_primitive::<UInt32Type>()
                .iter()
                .map(|v| v.map(i64::from)),
        ),
        DataType::UInt64 => a
            .as_primitive::<UInt64Type>()
            .iter()
            .map(|v| match v {
                None => Ok(Value::None),
                Some(u) => i64::try_from(u)
                    .map(Value::Int)
                    .map_err(|_| format!("{u} is outside the 64-bit signed range")),
            })
            .collect::<Result<_, _>>()?,
        DataType::Float32 => floats(
            a.as_primitive::<Float32Type>()
                .iter()
                .map(|v| v.map(f64::from)),
        )?,
        DataType::Float64 => floats(a.as_primitive::<Float64Type>().iter())?,
        DataType::Utf8 => strs(&mut a.as_string::<i32>().iter()),
        DataType::LargeUtf8 => strs(&mut a.as_string::<i64>().iter()),
        DataType::Utf8View => strs(&mut a.as_string_view().iter()),
        DataType::Binary => a
            .as_binary::<i32>()
            .iter()
            .map(|v| v.map_or(Value::None, |b| Value::Bytes(b.to_vec())))
            .collect(),
        DataType::LargeBinary => a
            .as_binary::<i64>()
            .iter()
            .map(|v| v.map_or(Value::None, |b| Value::Bytes(b.to_vec())))
            .collect(),
        DataType::Dictionary(_, _) => {
            let d = a
                .as_any_dictionary_opt()
                .ok_or_else(|| "unreadable dictionary column".to_string())?;
            let dict = values(d.values())?;
            let keys = d.normalized_keys();
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        Value::None
                    } else {
                        dict.get(keys[i]).cloned().unwrap_or(Value::None)
                    }
                })
                .collect()
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let inner = values(l.values())?;
            let offs = l.value_offsets();
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        Value::None
                    } else {
                        let (s, e) = (offs[i] as usize, offs[i + 1] as usize);
                        Value::List(inner[s..e].to_vec())
                    }
                })
                .collect()
        }
        DataType::LargeList(_) => {
            let l = a.as_list::<i64>();
            let inner = values(l.values())?;
            let offs = l.value_offsets();
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        Value::None
                    } else {
                        let (s, e) = (offs[i] as usize, offs[i + 1] as usize);
                        Value::List(inner[s..e].to_vec())
                    }
                })
                .collect()
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let cols: Vec<Vec<Value>> = s.columns().iter().map(values).collect::<Result<_, _>>()?;
            (0..a.len())
                .map(|i| {
                    if a.is_null(i) {
                        Value::None
                    } else {
                        Value::Map(
                            fields
                                .iter()
                                .zip(&cols)
                                .map(|(f, c)| (Value::str(f.name().as_str()), c[i].clone()))
                                .collect(),
                        )
                    }
                })
                .collect()
        }
        other => return Err(format!("unsupported type {other}")),
    })
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Empty,
    Int,
    Float,
    Bool,
    Str,
    Bytes,
    Json,
}

fn kind_of(v: &Value) -> Kind {
    match v {
        Value::None => Kind::Empty,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Bool(_) => Kind::Bool,
        Value::Str(_) => Kind::Str,
        Value::Bytes(_) => Kind::Bytes,
        _ => Kind::Json,
    }
}

fn join(a: Kind, b: Kind) -> Kind {
    match (a, b) {
        (x, y) if x == y => x,
        (Kind::Empty, y) => y,
        (x, Kind::Empty) => x,
        (Kind::Int, Kind::Float) | (Kind::Float, Kind::Int) => Kind::Float,
        _ => Kind::Json,
    }
}

fn column_array(
    file: &str,
    t: &Table,
    ci: usize,
    kind: Kind,
    rows: std::ops::Range<usize>,
) -> Result<ArrayRef, TableIoError> {
    let cell = |r: usize| t.rows[r][ci].as_ref().filter(|v| !matches!(v, Value::None));
    Ok(match kind {
        Kind::Int => Arc::new(
            rows.map(|r| match cell(r) {
                Some(Value::Int(i)) => Some(*i),
                _ => None,
            })
            .collect::<Int64Array>(),
        ),
        Kind::Float => Arc::new(
            rows.map(|r| match cell(r) {
                Some(Value::Int(i)) => Some(*i as f64),
                Some(Value::Float(f)) => Some(*f),
                _ => None,
            })
            .collect::<Float64Array>(),
        ),
        Kind::Bool => Arc::new(
            rows.map(|r| match cell(r) {
                Some(Value::Bool(b)) => Some(*b),
                _ => None,
            })
            .collect::<BooleanArray>(),
        ),
        Kind::Bytes => Arc::new(
            rows.map(|r| match cell(r) {
                Some(Value::Bytes(b)) => Some(b.as_slice()),
                _ => None,
            })
            .collect::<BinaryArray>(),
        ),
        Kind::Str | Kind::Empty => Arc::new(
            rows.map(|r| match cell(r) {
                Some(Value::Str(s)) => Some(s.as_str()),
                _ => None,
            })
            .collect::<StringArray>(),
        ),
        Kind::Json => {
            let mut out: Vec<Option<String>> = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(match cell(r) {
                    None => None,
                    Some(Value::Str(s)) => Some(s.clone()),
                    Some(v) => {
                        let mut s = String::new();
                        push_json(v, &mut s).map_err(|msg| TableIoError::Unwritable {
                            file: file.to_string(),
                            row: r,
                            column: t.columns[ci].clone(),
                            msg,
                        })?;
                        Some(s)
                    }
                });
            }
            Arc::new(StringArray::from(out))
        }
    })
}

/// Write a table as Parquet.
pub fn write_parquet<W: Write + Send>(file: &str, t: &Table, w: W) -> Result<(), TableIoError> {
    let kinds: Vec<Kind> = (0..t.columns.len())
        .map(|ci| {
            t.rows.iter().fold(Kind::Empty, |k, r| {
                join(k, r[ci].as_ref().map_or(Kind::Empty, kind_of))
            })
        })
        .collect();
    let fields: Vec<Field> = t
        .columns
        .iter()
        .zip(&kinds)
        .map(|(c, k)| {
            let dt = match k {
                Kind::Int => DataType::Int64,
                Kind::Float => DataType::Float64,
                Kind::Bool => DataType::Boolean,
                Kind::Bytes => DataType::Binary,
                Kind::Str | Kind::Empty | Kind::Json => DataType::Utf8,
            };
            Field::new(c, dt, true)
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer =
        ArrowWriter::try_new(w, schema.clone(), Some(props)).map_err(|e| perr(file, e))?;
    let mut start = 0;
    while start < t.rows.len() || (start == 0 && t.rows.is_empty()) {
        let end = (start + BATCH).min(t.rows.len());
        let cols = kinds
            .iter()
            .enumerate()
            .map(|(ci, k)| column_array(file, t, ci, *k, start..end))
            .collect::<Result<Vec<_>, _>>()?;
        let batch = RecordBatch::try_new(schema.clone(), cols).map_err(|e| perr(file, e))?;
        writer.write(&batch).map_err(|e| perr(file, e))?;
        if t.rows.is_empty() {
            break;
        }
        start = end;
    }
    writer.close().map_err(|e| perr(file, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_keeps_types_and_nulls() {
        let t = Table {
            columns: vec!["id".into(), "x".into(), "s".into(), "b".into(), "l".into()],
            rows: vec![
                vec![
                    Some(Value::Int(1)),
                    Some(Value::Float(1.5)),
                    Some(Value::str("a")),
                    Some(Value::Bool(true)),
                    Some(Value::List(vec![Value::Int(1)])),
                ],
                vec![
                    Some(Value::Int(2)),
                    Some(Value::None),
                    None,
                    Some(Value::Bool(false)),
                    Some(Value::None),
                ],
            ],
        };
        let mut buf = Vec::new();
        write_parquet("t.parquet", &t, &mut buf).unwrap();
        let back = read_parquet("t.parquet", buf).unwrap();
        assert_eq!(back.columns, t.columns);
        assert_eq!(back.rows[0][..4], t.rows[0][..4]);
        assert_eq!(back.rows[0][4], Some(Value::str("[1]")));
        assert_eq!(back.rows[1][2], Some(Value::None));
    }

    #[test]
    fn garbage_is_an_error() {
        let e = read_parquet("t.parquet", b"not a parquet file at all".to_vec()).unwrap_err();
        assert!(e.to_string().starts_with("t.parquet: parquet: "), "{e}");
    }
}

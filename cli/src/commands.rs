//! The `wire` subcommands, written only against `AnyCrdt`, the wire module
//! and the JSON module of the core, so new types work here unchanged.

use std::path::{Path, PathBuf};

use crdt_merge_core::json;
use crdt_merge_core::wire::{self, batch, Header, Limits, HEADER_SIZE};
use crdt_merge_core::{AnyCrdt, DecodeError, MergeError, Value};

use crate::error::{CliError, Result};
use crate::files::{file_size, read_limited, read_prefix, write_atomic};
use crate::progress;

/// The largest input file accepted: one frame of the largest payload.
pub fn input_limit(limits: &Limits) -> u64 {
    (limits.max_payload_bytes as u64).saturating_add(HEADER_SIZE as u64)
}

fn read_input(path: &Path, limits: &Limits) -> Result<Vec<u8>> {
    read_limited(path, input_limit(limits))
}

/// Validate a frame's header, its declared length against the limit and the
/// bytes present (without decoding the payload).
fn check_frame(data: &[u8], limits: &Limits) -> Result<Header, DecodeError> {
    let h = Header::parse(data)?;
    let declared = h.payload_len as usize;
    if declared > limits.max_payload_bytes {
        return Err(DecodeError::LimitExceeded {
            what: "payload length",
            limit: limits.max_payload_bytes,
            got: declared,
        });
    }
    let actual = data.len() - HEADER_SIZE;
    if actual != declared {
        return Err(DecodeError::LengthMismatch { declared, actual });
    }
    Ok(h)
}

/// `wire inspect FILE`: one line of JSON with the frame's size facts.
pub fn inspect(path: &Path, limits: &Limits) -> Result<String> {
    let data = read_input(path, limits)?;
    check_frame(&data, limits).map_err(CliError::decode(path))?;
    let ws = wire::wire_size(&data).map_err(CliError::decode(path))?;
    let v = Value::map([
        ("type", Value::str(ws.type_name)),
        ("version", Value::Int(ws.protocol_version.into())),
        ("compressed", Value::Bool(ws.compressed)),
        ("total_bytes", Value::Int(ws.total_bytes as i64)),
        ("header_bytes", Value::Int(ws.header_bytes as i64)),
        ("payload_bytes", Value::Int(ws.payload_bytes as i64)),
    ]);
    json::to_string(&v).map_err(CliError::decode(path))
}

/// Decode one frame and re-encode it with the same compression flag and payload encoding.
fn reencode(frame: &[u8], limits: &Limits) -> Result<Vec<u8>, DecodeError> {
    let compressed = check_frame(frame, limits)?.compressed();
    let (obj, encoding) = AnyCrdt::decode(frame, limits)?;
    obj.encode_with(encoding, compressed)
}

/// `wire roundtrip IN -o OUT [--batch]`.
pub fn roundtrip(input: &Path, out: &Path, is_batch: bool, limits: &Limits) -> Result<()> {
    let data = read_input(input, limits)?;
    let bytes = if is_batch {
        let frames = batch::split_batch(&data, limits).map_err(CliError::decode(input))?;
        let count = frames.len();
        let pb = progress::bar(data.len() as u64, count, "roundtrip");
        let mut outs = Vec::with_capacity(count);
        for (index, f) in frames.iter().enumerate() {
            let r = reencode(f, limits).map_err(|source| CliError::BatchItem {
                path: input.to_path_buf(),
                index,
                count,
                source,
            });
            pb.inc(f.len() as u64 + 4);
            match r {
                Ok(b) => outs.push(b),
                Err(e) => {
                    pb.finish_and_clear();
                    return Err(e);
                }
            }
        }
        pb.finish_and_clear();
        batch::encode_batch(&outs)
    } else {
        reencode(&data, limits).map_err(CliError::decode(input))?
    };
    write_atomic(out, &bytes)
}

/// `wire merge A B [MORE...] -o OUT [--compress]`.
pub fn merge(inputs: &[PathBuf], out: &Path, compress: bool, limits: &Limits) -> Result<()> {
    let limit = input_limit(limits);
    // Cheap pre-pass: sizes and headers of every input, so a missing file,
    // an oversized one or a type mismatch fails before any heavy decoding.
    let mut total = 0u64;
    let mut first: Option<(&PathBuf, Header)> = None;
    for p in inputs {
        let size = file_size(p)?;
        if size > limit {
            return Err(CliError::TooLarge {
                path: p.clone(),
                size,
                limit,
            });
        }
        total = total.saturating_add(size);
        let h = Header::parse(&read_prefix(p, HEADER_SIZE)?).map_err(CliError::decode(p))?;
        match &first {
            None => first = Some((p, h)),
            Some((_, h0)) if h0.tag != h.tag => {
                let source = MergeError::TypeMismatch {
                    left: h0.tag.name(),
                    right: h.tag.name(),
                };
                return Err(CliError::Merge {
                    path: p.clone(),
                    source,
                });
            }
            Some(_) => {}
        }
    }
    let pb = progress::bar(total, inputs.len(), "merge");
    let result = merge_inputs(inputs, limits, &pb);
    pb.finish_and_clear();
    let (merged, first_path) = result?;
    let bytes = merged
        .encode(compress)
        .map_err(CliError::encode(first_path))?;
    write_atomic(out, &bytes)
}

/// Decode and fold the inputs left to right, one file in memory at a time
/// (the same result as `AnyCrdt::merge_all`, but the error names the file).
fn merge_inputs<'a>(
    inputs: &'a [PathBuf],
    limits: &Limits,
    pb: &indicatif::ProgressBar,
) -> Result<(AnyCrdt, &'a Path)> {
    let mut acc: Option<AnyCrdt> = None;
    for p in inputs {
        let data = read_input(p, limits)?;
        check_frame(&data, limits).map_err(CliError::decode(p))?;
        let (obj, _) = AnyCrdt::decode(&data, limits).map_err(CliError::decode(p))?;
        pb.inc(data.len() as u64);
        drop(data);
        acc = Some(match acc {
            None => obj,
            Some(a) => a.merge(&obj).map_err(|source| CliError::Merge {
                path: p.clone(),
                source,
            })?,
        });
    }
    // With one input (clap requires two) the fold is the input itself; a
    // type without merge must still be refused, as merge_all would.
    let merged = acc.ok_or_else(|| CliError::Merge {
        path: PathBuf::from("-"),
        source: MergeError::Empty,
    })?;
    if inputs.len() == 1 {
        merged.merge(&merged).map_err(|source| CliError::Merge {
            path: inputs[0].clone(),
            source,
        })?;
    }
    Ok((merged, &inputs[0]))
}

/// `wire to-json IN`: the canonical JSON view, pretty-printed, with a final newline.
pub fn to_json(input: &Path, limits: &Limits) -> Result<String> {
    let data = read_input(input, limits)?;
    check_frame(&data, limits).map_err(CliError::decode(input))?;
    let (obj, _) = AnyCrdt::decode(&data, limits).map_err(CliError::decode(input))?;
    let mut text = json::to_string_pretty(&obj.to_json_view()).map_err(CliError::encode(input))?;
    text.push('\n');
    Ok(text)
}

/// `wire from-json IN.json -o OUT [--compress]`.
pub fn from_json(input: &Path, out: &Path, compress: bool, limits: &Limits) -> Result<()> {
    let data = read_input(input, limits)?;
    let text = std::str::from_utf8(&data).map_err(|e| CliError::NotUtf8 {
        path: input.to_path_buf(),
        offset: e.valid_up_to(),
    })?;
    let view =
        json::parse_with_max_depth(text, view_depth(limits)).map_err(CliError::decode(input))?;
    let obj = AnyCrdt::from_json_view(&view).map_err(CliError::decode(input))?;
    let bytes = obj.encode(compress).map_err(CliError::encode(input))?;
    // Never write a frame this tool (with these limits) could not read back,
    // e.g. one nested deeper than --max-depth allows.
    AnyCrdt::decode(&bytes, limits).map_err(CliError::encode(input))?;
    write_atomic(out, &bytes)
}

/// How deep a canonical view of a frame's value may nest: each map level of
/// the value can become three (`{"$map": [[k, v]]}`), plus the
/// `{"type", "value"}` wrapper.
fn view_depth(limits: &Limits) -> usize {
    limits.max_depth.saturating_mul(3).saturating_add(2)
}

/// Write text to `out` atomically, or to stdout.
pub fn emit_text(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(p) => write_atomic(p, text.as_bytes()),
        None => {
            use std::io::Write;
            let mut so = std::io::stdout().lock();
            so.write_all(text.as_bytes())
                .and_then(|_| so.flush())
                .map_err(CliError::io("<stdout>"))
        }
    }
}

//! The safetensors format: reading a file by memory map, tensor by tensor,
//! and laying out and writing one as a stream.
//!
//! A file is an 8-byte little-endian header length `N`, `N` bytes of JSON
//! (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
//! "__metadata__": {str: str}}`), then the data; offsets are relative to the
//! end of the header. Readers here check every offset against the file and
//! every byte length against shape and dtype before any data is touched.
//! Writers compute the header from shapes and dtypes first, so data can be
//! written at known positions (`pwrite`) from several threads.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde_json::{Map, Value};

use super::error::{ModelIoError, Result};

/// Largest header accepted (as the reference safetensors library: 100 MB).
pub const MAX_HEADER: u64 = 100_000_000;

/// Element types of safetensors tensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// IEEE binary32.
    F32,
    /// IEEE binary16.
    F16,
    /// bfloat16 (upper half of binary32).
    BF16,
    /// IEEE binary64.
    F64,
    /// Any other type (ints, bool, fp8): kept by name, not mergeable.
    Other(&'static str),
}

impl Dtype {
    /// Parse a safetensors dtype name (`F32`, `BF16`, ...).
    pub fn parse(s: &str) -> Option<Dtype> {
        Some(match s {
            "F32" => Dtype::F32,
            "F16" => Dtype::F16,
            "BF16" => Dtype::BF16,
            "F64" => Dtype::F64,
            "I8" => Dtype::Other("I8"),
            "U8" => Dtype::Other("U8"),
            "I16" => Dtype::Other("I16"),
            "U16" => Dtype::Other("U16"),
            "I32" => Dtype::Other("I32"),
            "U32" => Dtype::Other("U32"),
            "I64" => Dtype::Other("I64"),
            "U64" => Dtype::Other("U64"),
            "BOOL" => Dtype::Other("BOOL"),
            "F8_E4M3" => Dtype::Other("F8_E4M3"),
            "F8_E5M2" => Dtype::Other("F8_E5M2"),
            _ => return None,
        })
    }
    /// Parse a torch / mergekit dtype name (`float32`, `bfloat16`, `float16`, `fp16`, ...).
    pub fn parse_torch(s: &str) -> Option<Dtype> {
        Some(match s.trim_start_matches("torch.") {
            "float32" | "float" | "fp32" | "f32" => Dtype::F32,
            "float16" | "half" | "fp16" | "f16" => Dtype::F16,
            "bfloat16" | "bf16" => Dtype::BF16,
            "float64" | "double" | "f64" => Dtype::F64,
            _ => return None,
        })
    }
    /// The safetensors name.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::F64 => "F64",
            Dtype::Other(s) => s,
        }
    }
    /// The torch name (as `config.json`'s `torch_dtype`).
    pub fn torch_name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::F16 => "float16",
            Dtype::BF16 => "bfloat16",
            Dtype::F64 => "float64",
            Dtype::Other(s) => s,
        }
    }
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
            Dtype::F64 => 8,
            Dtype::Other(s) => match s {
                "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => 1,
                "I16" | "U16" => 2,
                "I32" | "U32" => 4,
                _ => 8,
            },
        }
    }
    /// True for the float types merges read and write.
    pub fn is_float(self) -> bool {
        !matches!(self, Dtype::Other(_))
    }
}

/// One tensor's entry in a header.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Name.
    pub name: String,
    /// Element type.
    pub dtype: Dtype,
    /// Shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// Byte range relative to the start of the data section.
    pub begin: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

impl TensorInfo {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A safetensors file, memory-mapped; tensors are read on demand.
#[derive(Debug)]
pub struct SafeTensors {
    path: PathBuf,
    map: Mmap,
    data_start: usize,
    tensors: Vec<TensorInfo>,
    metadata: Map<String, Value>,
}

fn bad(path: &Path, msg: impl Into<String>) -> ModelIoError {
    ModelIoError::BadSafetensors {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

impl SafeTensors {
    /// Map `path` and check its header.
    pub fn open(path: &Path) -> Result<SafeTensors> {
        let file = File::open(path).map_err(ModelIoError::io(path))?;
        let len = file.metadata().map_err(ModelIoError::io(path))?.len();
        if len < 8 {
            return Err(bad(
                path,
                format!("file is {len} bytes, shorter than the 8-byte header length"),
            ));
        }
        // SAFETY: the map is read-only; the file is an input we do not write.
        // Another process truncating it while we read would fault (SIGBUS);
        // safetensors readers everywhere accept this, as do we.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file) }.map_err(ModelIoError::io(path))?;
        let n = u64::from_le_bytes(map[..8].try_into().expect("8 bytes"));
        if n > MAX_HEADER || n > len - 8 {
            return Err(bad(path, format!("header length {n} exceeds the file ({len} bytes) or the {MAX_HEADER}-byte limit")));
        }
        let data_start = 8 + n as usize;
        let (tensors, metadata) = parse_header(path, &map[8..data_start], map.len() - data_start)?;
        Ok(SafeTensors {
            path: path.to_path_buf(),
            map,
            data_start,
            tensors,
            metadata,
        })
    }
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Tensors in header order (sorted by data offset).
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }
    /// The `__metadata__` map (empty when absent).
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }
    /// A tensor's entry by name.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }
    /// A tensor's raw bytes.
    pub fn bytes(&self, t: &TensorInfo) -> &[u8] {
        &self.map[self.data_start + t.begin..self.data_start + t.end]
    }
    /// A float tensor as `f32`: borrowed from the map when it is F32 and
    /// aligned (little-endian hosts), converted otherwise.
    pub fn read_f32(&self, t: &TensorInfo) -> Result<Cow<'_, [f32]>> {
        let raw = self.bytes(t);
        to_f32(&t.name, t.dtype, raw)
    }
    /// Tell the kernel the pages of `t` are no longer needed, so a merge
    /// over many large models keeps only the tensors in flight resident.
    pub fn release(&self, t: &TensorInfo) {
        self.release_part(t, 0, t.end - t.begin);
    }
    /// [`SafeTensors::release`] for bytes `[from, to)` of `t`'s data only
    /// (whole pages inside the range).
    pub fn release_part(&self, t: &TensorInfo, from: usize, to: usize) {
        let page = 4096;
        let to = to.min(t.end - t.begin);
        let start = (self.data_start + t.begin + from).div_ceil(page) * page;
        let end = ((self.data_start + t.begin + to) / page) * page;
        if end > start {
            // SAFETY: the map is a read-only file mapping: dropped pages are
            // read back from the file on the next access, so no data is lost
            // and no reference we hand out can observe a change.
            #[allow(unsafe_code)]
            let _ = unsafe {
                self.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    start,
                    end - start,
                )
            };
        }
    }
}

/// Parse and check a header (`data_len`: bytes after it).
fn parse_header(
    path: &Path,
    raw: &[u8],
    data_len: usize,
) -> Result<(Vec<TensorInfo>, Map<String, Value>)> {
    let v: Value =
        serde_json::from_slice(raw).map_err(|e| bad(path, format!("header is not JSON: {e}")))?;
    let Value::Object(obj) = v else {
        return Err(bad(path, "header is not a JSON object"));
    };
    let mut tensors = Vec::with_capacity(obj.len());
    let mut metadata = Map::new();
    for (name, entry) in obj {
        if name == "__metadata__" {
            match entry {
                Value::Object(m) => metadata = m,
                _ => return Err(bad(path, "__metadata__ is not an object")),
            }
            continue;
        }
        let e = |msg: &str| bad(path, format!("tensor \"{name}\": {msg}"));
        let dtype = entry
            .get("dtype")
            .and_then(Value::as_str)
            .ok_or_else(|| e("missing dtype"))?;
        let dtype = Dtype::parse(dtype).ok_or_else(|| e(&format!("unknown dtype {dtype}")))?;
        let shape = entry
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| e("missing shape"))?
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| e("shape is not a list of non-negative integers"))?;
        let offs = entry
            .get("data_offsets")
            .and_then(Value::as_array)
            .filter(|a| a.len() == 2)
            .ok_or_else(|| e("missing data_offsets [begin, end]"))?;
        let (Some(begin), Some(end)) = (offs[0].as_u64(), offs[1].as_u64()) else {
            return Err(e("data_offsets are not integers"));
        };
        let nbytes = shape
            .iter()
            .try_fold(dtype.size() as u64, |acc, &d| acc.checked_mul(d as u64))
            .ok_or_else(|| e("shape overflows"))?;
        if begin > end || end > data_len as u64 {
            return Err(e(&format!(
                "data_offsets [{begin}, {end}] outside the {data_len} data bytes"
            )));
        }
        if end - begin != nbytes {
            return Err(e(&format!(
                "data_offsets span {} bytes, shape {:?} of {} needs {nbytes}",
                end - begin,
                shape,
                dtype.name()
            )));
        }
        tensors.push(TensorInfo {
            name,
            dtype,
            shape,
            begin: begin as usize,
            end: end as usize,
        });
    }
    tensors.sort_by_key(|t| (t.begin, t.end));
    Ok((tensors, metadata))
}

// f16/bf16 conversions (round to nearest even) are the core's: one implementation.
use crdt_merge_core::model::dtype::{f16_to_f32, f32_to_bf16, f32_to_f16};

/// Convert raw little-endian bytes of a float dtype to `f32`.
pub fn to_f32<'a>(tensor: &str, dtype: Dtype, raw: &'a [u8]) -> Result<Cow<'a, [f32]>> {
    Ok(match dtype {
        Dtype::F32 => {
            if cfg!(target_endian = "little") {
                if let Ok(s) = bytemuck::try_cast_slice::<u8, f32>(raw) {
                    return Ok(Cow::Borrowed(s));
                }
            }
            Cow::Owned(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            )
        }
        Dtype::BF16 => Cow::Owned(
            raw.chunks_exact(2)
                .map(|c| f32::from_bits((u16::from_le_bytes([c[0], c[1]]) as u32) << 16))
                .collect(),
        ),
        Dtype::F16 => Cow::Owned(
            raw.chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
        ),
        Dtype::F64 => Cow::Owned(
            raw.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) as f32)
                .collect(),
        ),
        Dtype::Other(name) => {
            return Err(ModelIoError::Dtype {
                tensor: tensor.to_string(),
                dtype: name.to_string(),
            })
        }
    })
}

/// Append `data` converted to `dtype` (little-endian) to `out`.
pub fn from_f32(tensor: &str, dtype: Dtype, data: &[f32], out: &mut Vec<u8>) -> Result<()> {
    out.reserve(data.len() * dtype.size());
    match dtype {
        Dtype::F32 => out.extend_from_slice(bytemuck::cast_slice(data)),
        Dtype::BF16 => out.extend(data.iter().flat_map(|&x| f32_to_bf16(x).to_le_bytes())),
        Dtype::F16 => out.extend(data.iter().flat_map(|&x| f32_to_f16(x).to_le_bytes())),
        Dtype::F64 => out.extend(data.iter().flat_map(|&x| (x as f64).to_le_bytes())),
        Dtype::Other(name) => {
            return Err(ModelIoError::Dtype {
                tensor: tensor.to_string(),
                dtype: name.to_string(),
            })
        }
    }
    Ok(())
}

/// A tensor to be written: name, dtype, shape.
#[derive(Debug, Clone, PartialEq)]
pub struct OutTensor {
    /// Name.
    pub name: String,
    /// Element type written.
    pub dtype: Dtype,
    /// Shape.
    pub shape: Vec<usize>,
}

impl OutTensor {
    /// Bytes of its data.
    pub fn nbytes(&self) -> usize {
        self.shape.iter().product::<usize>() * self.dtype.size()
    }
}

/// The layout of one output file: its header bytes and where each tensor's
/// data goes (absolute file offsets), computed before any data exists.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The 8-byte length and JSON header, padded with spaces to 8 bytes.
    pub header: Vec<u8>,
    /// Absolute file offset of each tensor's data, in the order given.
    pub offsets: Vec<u64>,
    /// Total file size.
    pub file_size: u64,
}

/// Lay out `tensors` (data in the order given) with `metadata`.
pub fn layout(tensors: &[OutTensor], metadata: &[(String, String)]) -> Layout {
    let mut obj = Map::new();
    if !metadata.is_empty() {
        let m: Map<String, Value> = metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        obj.insert("__metadata__".into(), Value::Object(m));
    }
    let mut rel = Vec::with_capacity(tensors.len());
    let mut pos = 0usize;
    for t in tensors {
        let n = t.nbytes();
        let mut e = Map::new();
        e.insert("dtype".into(), Value::String(t.dtype.name().into()));
        e.insert("shape".into(), Value::from(t.shape.clone()));
        e.insert("data_offsets".into(), Value::from(vec![pos, pos + n]));
        obj.insert(t.name.clone(), Value::Object(e));
        rel.push(pos);
        pos += n;
    }
    let mut json = serde_json::to_vec(&Value::Object(obj)).expect("JSON of strings and numbers");
    while json.len() % 8 != 0 {
        json.push(b' ');
    }
    let mut header = Vec::with_capacity(8 + json.len());
    header.extend_from_slice(&(json.len() as u64).to_le_bytes());
    header.extend_from_slice(&json);
    let base = header.len() as u64;
    Layout {
        offsets: rel.iter().map(|&r| base + r as u64).collect(),
        file_size: base + pos as u64,
        header,
    }
}

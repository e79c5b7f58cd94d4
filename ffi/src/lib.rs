//! # crdt-merge-ffi
//!
//! The C ABI of crdt-merge: a thin layer over [`AnyCrdt`] (decode, encode,
//! canonical JSON views, merge), the wire helpers (`peek_type`,
//! `wire_size`, batches) and the agent-memory merge. The header
//! `ffi/include/crdt_merge.h` is generated from this file by cbindgen (and
//! checked by `tests/header.rs`).
//!
//! Rules every entry point follows:
//! - returns a [`CmStatus`]; on failure fills the caller's [`CmError`]
//!   (status, category, message) when it is not NULL: no thread-local state,
//!   so callers whose threads move (Go goroutines, .NET tasks) see their own
//!   error;
//! - writes out-parameters only on success;
//! - checks every pointer for NULL;
//! - runs inside `catch_unwind`: a panic becomes [`CmStatus::Panic`].
//!
//! Handles ([`CmObject`]) are immutable after creation and `Send + Sync`.
#![allow(clippy::missing_safety_doc)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use crdt_merge_core::memory::{parse_memory_line, ContextMerge, Memory, Strategy};
use crdt_merge_core::wire::{self, batch, Limits, PayloadEncoding};
use crdt_merge_core::{json, AnyCrdt, DecodeError, MergeError, Value, WireType};

/// Status of a call. `CM_STATUS_OK` (0) is success.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmStatus {
    /// Success.
    Ok = 0,
    /// Bytes or JSON could not be decoded (truncated frame, bad magic, unknown tag, bad JSON view, ...).
    Decode = 1,
    /// A merge is not defined for the inputs (different types, sketch parameters differ, empty list).
    Merge = 2,
    /// A NULL pointer, bad UTF-8 text or bad options from the caller.
    InvalidArgument = 3,
    /// A Rust panic was caught at the boundary (a bug; please report).
    Panic = 4,
    /// An object could not be encoded (e.g. a value JSON cannot hold).
    Encode = 5,
    /// A memory line (JSONL) is not a valid memory.
    Memory = 6,
}

/// An owned, NUL-terminated UTF-8 string. `len` excludes the NUL. Free with
/// `cm_string_free`. `ptr` is NULL for an empty (zeroed) value.
#[repr(C)]
#[derive(Debug)]
pub struct CmString {
    /// Start of the text (NUL-terminated).
    pub ptr: *mut c_char,
    /// Bytes of text, without the terminating NUL.
    pub len: usize,
    /// Allocation capacity (private to the library).
    pub cap: usize,
}

/// An owned byte buffer. Free with `cm_bytes_free`.
#[repr(C)]
#[derive(Debug)]
pub struct CmBytes {
    /// Start of the bytes (NULL when zeroed).
    pub ptr: *mut u8,
    /// Number of bytes.
    pub len: usize,
    /// Allocation capacity (private to the library).
    pub cap: usize,
}

/// An owned list of byte buffers (frames of a batch). Free with `cm_bytes_list_free`.
#[repr(C)]
#[derive(Debug)]
pub struct CmBytesList {
    /// Array of `len` buffers.
    pub items: *mut CmBytes,
    /// Number of buffers.
    pub len: usize,
    /// Allocation capacity (private to the library).
    pub cap: usize,
}

/// Error details of a failed call. Zero-initialise it (`CmError e = {0};`)
/// before passing it; free with `cm_error_free` after a failure.
#[repr(C)]
#[derive(Debug)]
pub struct CmError {
    /// The status the call returned.
    pub status: CmStatus,
    /// Stable short code: the core's `category()` ("truncated", "bad_magic",
    /// "type_mismatch", ...) or "invalid_argument", "panic", "memory".
    pub category: CmString,
    /// Human-readable one-line message.
    pub message: CmString,
}

/// Size facts of a frame (the reference's `wire_size`).
#[repr(C)]
#[derive(Debug)]
pub struct CmWireSize {
    /// Bytes of the whole frame.
    pub total_bytes: usize,
    /// Header bytes (always 12).
    pub header_bytes: usize,
    /// Payload bytes as stored (after compression).
    pub payload_bytes: usize,
    /// Whether the payload is compressed.
    pub compressed: bool,
    /// Protocol version of the frame.
    pub protocol_version: u16,
    /// The `peek_type` name: static, NUL-terminated, never freed.
    pub type_name: *const c_char,
}

/// A decoded CRDT object of any wire type. Opaque; immutable after
/// creation, so it may be shared between threads. Free with `cm_object_free`.
pub struct CmObject {
    obj: AnyCrdt,
    /// The payload encoding `cm_encode` writes: the decoded frame's, or the
    /// type's default for objects built by merge or from JSON.
    encoding: PayloadEncoding,
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<CmObject>();
};

// ---------------------------------------------------------------- internals

struct Failure {
    status: CmStatus,
    category: String,
    message: String,
}

impl Failure {
    fn invalid(msg: impl Into<String>) -> Failure {
        Failure {
            status: CmStatus::InvalidArgument,
            category: "invalid_argument".into(),
            message: msg.into(),
        }
    }
}

impl From<DecodeError> for Failure {
    fn from(e: DecodeError) -> Failure {
        Failure {
            status: CmStatus::Decode,
            category: e.category().into(),
            message: e.to_string(),
        }
    }
}

impl From<MergeError> for Failure {
    fn from(e: MergeError) -> Failure {
        Failure {
            status: CmStatus::Merge,
            category: e.category().into(),
            message: e.to_string(),
        }
    }
}

fn encode_failure(e: DecodeError) -> Failure {
    Failure {
        status: CmStatus::Encode,
        category: e.category().into(),
        message: e.to_string(),
    }
}

fn string_from(s: String) -> CmString {
    let mut v = s.into_bytes();
    v.push(0);
    let mut v = std::mem::ManuallyDrop::new(v);
    CmString {
        ptr: v.as_mut_ptr().cast(),
        len: v.len() - 1,
        cap: v.capacity(),
    }
}

fn bytes_from(v: Vec<u8>) -> CmBytes {
    let mut v = std::mem::ManuallyDrop::new(v);
    CmBytes {
        ptr: v.as_mut_ptr(),
        len: v.len(),
        cap: v.capacity(),
    }
}

const EMPTY_STRING: CmString = CmString {
    ptr: ptr::null_mut(),
    len: 0,
    cap: 0,
};

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Run `f` with panics caught; report a failure through `err`.
fn guard(err: *mut CmError, f: impl FnOnce() -> Result<(), Failure>) -> CmStatus {
    let fail = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return CmStatus::Ok,
        Ok(Err(fail)) => fail,
        Err(p) => Failure {
            status: CmStatus::Panic,
            category: "panic".into(),
            message: format!("panic in crdt-merge: {}", panic_message(&*p)),
        },
    };
    let status = fail.status;
    if !err.is_null() {
        // Building the strings can itself fail only on allocation failure (abort).
        let e = CmError {
            status,
            category: string_from(fail.category),
            message: string_from(fail.message),
        };
        // SAFETY: the caller passes a valid CmError (or NULL, checked above);
        // we overwrite without reading (a stale value would leak, not crash).
        unsafe { ptr::write(err, e) };
    }
    status
}

/// Borrow `len` bytes at `data` (NULL allowed when `len` is 0).
unsafe fn slice<'a>(data: *const u8, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::invalid(format!(
                "{what} is NULL but its length is {len}"
            )))
        };
    }
    // SAFETY: the caller promises `len` readable bytes at `data`.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

unsafe fn text<'a>(data: *const c_char, len: usize, what: &str) -> Result<&'a str, Failure> {
    // SAFETY: as `slice`.
    let b = unsafe { slice(data.cast(), len, what)? };
    std::str::from_utf8(b).map_err(|e| Failure::invalid(format!("{what} is not valid UTF-8: {e}")))
}

unsafe fn object<'a>(h: *const CmObject, what: &str) -> Result<&'a CmObject, Failure> {
    // SAFETY: a non-NULL handle was created by this library and not yet freed.
    unsafe { h.as_ref() }.ok_or_else(|| Failure::invalid(format!("{what} is NULL")))
}

fn check_out<T>(out: *mut T, what: &str) -> Result<(), Failure> {
    if out.is_null() {
        Err(Failure::invalid(format!("{what} (out-parameter) is NULL")))
    } else {
        Ok(())
    }
}

fn new_handle(obj: AnyCrdt, encoding: PayloadEncoding) -> *mut CmObject {
    Box::into_raw(Box::new(CmObject { obj, encoding }))
}

fn default_handle(obj: AnyCrdt) -> *mut CmObject {
    let enc = PayloadEncoding::default_for(obj.tag());
    new_handle(obj, enc)
}

// ---------------------------------------------------------------- basics

/// The library version ("0.1.0"): static, NUL-terminated, never freed.
#[no_mangle]
pub extern "C" fn cm_version() -> *const c_char {
    static V: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    // Cannot panic; wrapped anyway so that every entry point is guarded.
    catch_unwind(|| V.as_ptr().cast::<c_char>()).unwrap_or(ptr::null())
}

/// The wire-format version of the reference this library speaks
/// ("crdt-merge==0.8.3"): static, NUL-terminated, never freed.
#[no_mangle]
pub extern "C" fn cm_reference_version() -> *const c_char {
    catch_unwind(|| c"crdt-merge==0.8.3".as_ptr()).unwrap_or(ptr::null())
}

/// Free the strings of an error filled by a failed call and zero it. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn cm_error_free(err: *mut CmError) {
    if err.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: err is a CmError filled by this library or zeroed.
        let e = unsafe { &mut *err };
        unsafe {
            cm_string_free(&mut e.category);
            cm_string_free(&mut e.message);
        }
        e.status = CmStatus::Ok;
    }));
}

/// Free an owned string and zero it. NULL or a zeroed value is ignored.
#[no_mangle]
pub unsafe extern "C" fn cm_string_free(s: *mut CmString) {
    if s.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: s points to a CmString from this library (or zeroed).
        let s = unsafe { &mut *s };
        if !s.ptr.is_null() {
            // SAFETY: ptr/len+1/cap come from a Vec<u8> we leaked in string_from.
            drop(unsafe { Vec::from_raw_parts(s.ptr.cast::<u8>(), s.len + 1, s.cap) });
        }
        *s = EMPTY_STRING;
    }));
}

/// Free an owned byte buffer and zero it. NULL or a zeroed value is ignored.
#[no_mangle]
pub unsafe extern "C" fn cm_bytes_free(b: *mut CmBytes) {
    if b.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: b points to a CmBytes from this library (or zeroed).
        let b = unsafe { &mut *b };
        if !b.ptr.is_null() {
            // SAFETY: ptr/len/cap come from a Vec<u8> we leaked in bytes_from.
            drop(unsafe { Vec::from_raw_parts(b.ptr, b.len, b.cap) });
        }
        *b = CmBytes {
            ptr: ptr::null_mut(),
            len: 0,
            cap: 0,
        };
    }));
}

/// Free a list of byte buffers (and each buffer) and zero it. NULL or a zeroed value is ignored.
#[no_mangle]
pub unsafe extern "C" fn cm_bytes_list_free(l: *mut CmBytesList) {
    if l.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: l points to a CmBytesList from this library (or zeroed).
        let l = unsafe { &mut *l };
        if !l.items.is_null() {
            // SAFETY: items/len/cap come from a Vec<CmBytes> leaked in cm_batch_split.
            let mut items = unsafe { Vec::from_raw_parts(l.items, l.len, l.cap) };
            for b in &mut items {
                unsafe { cm_bytes_free(b) };
            }
        }
        *l = CmBytesList {
            items: ptr::null_mut(),
            len: 0,
            cap: 0,
        };
    }));
}

/// Free an object handle. NULL is ignored. The handle must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn cm_object_free(obj: *mut CmObject) {
    if obj.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: obj came from Box::into_raw in this library and is freed once.
        drop(unsafe { Box::from_raw(obj) });
    }));
}

// ---------------------------------------------------------------- frames

/// Decode one wire frame (default limits: 256 MiB payload and decompressed
/// size, depth 256) into a new handle `*out`.
#[no_mangle]
pub unsafe extern "C" fn cm_decode(
    data: *const u8,
    len: usize,
    out: *mut *mut CmObject,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let bytes = unsafe { slice(data, len, "data")? };
        check_out(out, "out")?;
        let (obj, enc) = AnyCrdt::decode(bytes, &Limits::DEFAULT)?;
        unsafe { *out = new_handle(obj, enc) };
        Ok(())
    })
}

/// [`cm_decode`] with explicit limits; 0 for a limit means its default.
#[no_mangle]
pub unsafe extern "C" fn cm_decode_with_limits(
    data: *const u8,
    len: usize,
    max_payload_bytes: usize,
    max_decompressed_bytes: usize,
    out: *mut *mut CmObject,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let bytes = unsafe { slice(data, len, "data")? };
        check_out(out, "out")?;
        let d = Limits::DEFAULT;
        let limits = Limits {
            max_payload_bytes: if max_payload_bytes == 0 {
                d.max_payload_bytes
            } else {
                max_payload_bytes
            },
            max_decompressed_bytes: if max_decompressed_bytes == 0 {
                d.max_decompressed_bytes
            } else {
                max_decompressed_bytes
            },
            ..d
        };
        let (obj, enc) = AnyCrdt::decode(bytes, &limits)?;
        unsafe { *out = new_handle(obj, enc) };
        Ok(())
    })
}

/// Encode an object as a frame into `*out` (free with `cm_bytes_free`).
/// A decoded object keeps its frame's payload encoding, so decoding and
/// encoding a deterministic reference frame gives the same bytes. With
/// `compress`, the payload is zlib-compressed when that makes it smaller
/// (as the reference does).
#[no_mangle]
pub unsafe extern "C" fn cm_encode(
    obj: *const CmObject,
    compress: bool,
    out: *mut CmBytes,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let o = unsafe { object(obj, "obj")? };
        check_out(out, "out")?;
        let bytes = o
            .obj
            .encode_with(o.encoding, compress)
            .map_err(encode_failure)?;
        unsafe { ptr::write(out, bytes_from(bytes)) };
        Ok(())
    })
}

/// The object's type name (the `peek_type` name, e.g. "g_counter"): static,
/// NUL-terminated, never freed. NULL if `obj` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cm_type_name(obj: *const CmObject) -> *const c_char {
    catch_unwind(AssertUnwindSafe(|| match unsafe { obj.as_ref() } {
        Some(o) => static_name(o.obj.type_name()),
        None => ptr::null(),
    }))
    .unwrap_or(ptr::null())
}

/// Type names are `&'static str` without NUL; keep one NUL-terminated copy
/// of each, built once (a flat list, so leak checkers see it as reachable).
fn static_name(name: &'static str) -> *const c_char {
    use std::sync::OnceLock;
    static NAMES: OnceLock<Vec<std::ffi::CString>> = OnceLock::new();
    static UNKNOWN: &CStr = c"unknown";
    let names = NAMES.get_or_init(|| {
        (0..=u8::MAX)
            .filter_map(wire::TypeTag::from_u8)
            .filter_map(|t| std::ffi::CString::new(t.name()).ok())
            .collect()
    });
    names
        .iter()
        .find(|c| c.as_bytes() == name.as_bytes())
        .map_or(UNKNOWN.as_ptr(), |c| c.as_ptr())
}

/// The type name of a frame from its header alone (payload not decoded):
/// `*out_name` is static, NUL-terminated, never freed.
#[no_mangle]
pub unsafe extern "C" fn cm_peek_type(
    data: *const u8,
    len: usize,
    out_name: *mut *const c_char,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let bytes = unsafe { slice(data, len, "data")? };
        check_out(out_name, "out_name")?;
        let name = wire::peek_type(bytes)?;
        unsafe { *out_name = static_name(name) };
        Ok(())
    })
}

/// Size facts of a frame (header validated, payload not decoded).
#[no_mangle]
pub unsafe extern "C" fn cm_wire_size(
    data: *const u8,
    len: usize,
    out: *mut CmWireSize,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let bytes = unsafe { slice(data, len, "data")? };
        check_out(out, "out")?;
        let ws = wire::wire_size(bytes)?;
        let r = CmWireSize {
            total_bytes: ws.total_bytes,
            header_bytes: ws.header_bytes,
            payload_bytes: ws.payload_bytes,
            compressed: ws.compressed,
            protocol_version: ws.protocol_version,
            type_name: static_name(ws.type_name),
        };
        unsafe { ptr::write(out, r) };
        Ok(())
    })
}

/// The canonical JSON view `{"type": name, "value": view}` as compact JSON
/// text (keys sorted; see wire-spec/SPEC.md section 4) into `*out`.
#[no_mangle]
pub unsafe extern "C" fn cm_to_json(
    obj: *const CmObject,
    out: *mut CmString,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let o = unsafe { object(obj, "obj")? };
        check_out(out, "out")?;
        let text = json::to_string(&o.obj.to_json_view()).map_err(encode_failure)?;
        unsafe { ptr::write(out, string_from(text)) };
        Ok(())
    })
}

/// Rebuild an object from its canonical JSON view (UTF-8 text of `len` bytes,
/// no NUL needed) into a new handle `*out`.
#[no_mangle]
pub unsafe extern "C" fn cm_from_json(
    text_ptr: *const c_char,
    len: usize,
    out: *mut *mut CmObject,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let t = unsafe { text(text_ptr, len, "text")? };
        check_out(out, "out")?;
        let v = json::parse(t)?;
        let obj = AnyCrdt::from_json_view(&v)?;
        unsafe { *out = default_handle(obj) };
        Ok(())
    })
}

/// 1 if two objects hold the same state, 0 if not, -1 if either is NULL (or on a caught panic).
#[no_mangle]
pub unsafe extern "C" fn cm_object_equal(a: *const CmObject, b: *const CmObject) -> i32 {
    catch_unwind(AssertUnwindSafe(|| {
        match unsafe { (a.as_ref(), b.as_ref()) } {
            (Some(a), Some(b)) => i32::from(a.obj == b.obj),
            _ => -1,
        }
    }))
    .unwrap_or(-1)
}

/// Merge two objects of the same type into a new handle `*out` (commutative,
/// associative, idempotent). The inputs are unchanged.
#[no_mangle]
pub unsafe extern "C" fn cm_merge(
    a: *const CmObject,
    b: *const CmObject,
    out: *mut *mut CmObject,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let a = unsafe { object(a, "a")? };
        let b = unsafe { object(b, "b")? };
        check_out(out, "out")?;
        let m = a.obj.merge(&b.obj)?;
        unsafe { *out = default_handle(m) };
        Ok(())
    })
}

/// Merge `n >= 1` objects (an array of handles) left to right into `*out`.
/// `n == 0` fails with CM_STATUS_MERGE, category "empty".
#[no_mangle]
pub unsafe extern "C" fn cm_merge_many(
    objs: *const *const CmObject,
    n: usize,
    out: *mut *mut CmObject,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        check_out(out, "out")?;
        if n == 0 {
            return Err(MergeError::Empty.into());
        }
        if objs.is_null() {
            return Err(Failure::invalid("objs is NULL"));
        }
        // SAFETY: the caller passes n readable handle pointers.
        let hs = unsafe { std::slice::from_raw_parts(objs, n) };
        let mut acc: Option<AnyCrdt> = None;
        for (i, h) in hs.iter().enumerate() {
            let o = unsafe { object(*h, &format!("objs[{i}]"))? };
            acc = Some(match acc {
                None => o.obj.clone(),
                Some(a) => a.merge(&o.obj)?,
            });
        }
        let m = acc.ok_or(MergeError::Empty)?;
        unsafe { *out = default_handle(m) };
        Ok(())
    })
}

// ---------------------------------------------------------------- batches

/// Split a batch (u32 BE count, then u32 BE length + frame each) into its
/// frames, not decoded, into `*out` (free with `cm_bytes_list_free`).
#[no_mangle]
pub unsafe extern "C" fn cm_batch_split(
    data: *const u8,
    len: usize,
    out: *mut CmBytesList,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let bytes = unsafe { slice(data, len, "data")? };
        check_out(out, "out")?;
        let frames = batch::split_batch(bytes, &Limits::DEFAULT)?;
        let items: Vec<CmBytes> = frames.into_iter().map(|f| bytes_from(f.to_vec())).collect();
        let mut items = std::mem::ManuallyDrop::new(items);
        let l = CmBytesList {
            items: items.as_mut_ptr(),
            len: items.len(),
            cap: items.capacity(),
        };
        unsafe { ptr::write(out, l) };
        Ok(())
    })
}

/// Join `n` frames into a batch. The frames are given concatenated in
/// `data` (total `data_len` bytes) with their lengths in `lens[0..n]` (so
/// callers need no array of pointers). The lengths must sum to `data_len`.
#[no_mangle]
pub unsafe extern "C" fn cm_batch_join(
    data: *const u8,
    data_len: usize,
    lens: *const usize,
    n: usize,
    out: *mut CmBytes,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let bytes = unsafe { slice(data, data_len, "data")? };
        check_out(out, "out")?;
        let lens: &[usize] = if n == 0 {
            &[]
        } else if lens.is_null() {
            return Err(Failure::invalid("lens is NULL"));
        } else {
            // SAFETY: the caller passes n lengths.
            unsafe { std::slice::from_raw_parts(lens, n) }
        };
        let total = lens.iter().try_fold(0usize, |a, &l| a.checked_add(l));
        if total != Some(bytes.len()) {
            return Err(Failure::invalid(format!(
                "frame lengths sum to {total:?}, but data has {} bytes",
                bytes.len()
            )));
        }
        if lens.iter().any(|&l| l > u32::MAX as usize) || n > u32::MAX as usize {
            return Err(Failure::invalid(
                "a batch holds at most 2^32-1 frames of at most 2^32-1 bytes",
            ));
        }
        let mut frames = Vec::with_capacity(n);
        let mut pos = 0;
        for &l in lens {
            frames.push(&bytes[pos..pos + l]);
            pos += l;
        }
        unsafe { ptr::write(out, bytes_from(batch::encode_batch(&frames))) };
        Ok(())
    })
}

// ---------------------------------------------------------------- memory

fn memory_options(text: &str) -> Result<ContextMerge, Failure> {
    let mut cm = ContextMerge::default();
    if text.trim().is_empty() {
        return Ok(cm);
    }
    let v = json::parse(text).map_err(|e| Failure::invalid(format!("options: {e}")))?;
    let entries = v
        .as_map()
        .ok_or_else(|| Failure::invalid("options must be a JSON object"))?;
    let num = |k: &str, v: &Value| -> Result<f64, Failure> {
        match v {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) => Ok(*f),
            _ => Err(Failure::invalid(format!("options.{k} must be a number"))),
        }
    };
    for (k, val) in entries {
        let k = k
            .as_str()
            .ok_or_else(|| Failure::invalid("option keys must be strings"))?;
        match k {
            "strategy" => {
                let s = val.as_str().ok_or_else(|| Failure::invalid("options.strategy must be a string"))?;
                cm.strategy = Strategy::parse(s).map_err(Failure::invalid)?;
            }
            "budget" => {
                cm.budget = match val {
                    Value::None => None,
                    Value::Int(i) if *i >= 0 => Some(*i as usize),
                    _ => return Err(Failure::invalid("options.budget must be a non-negative integer or null")),
                }
            }
            "min_confidence" => cm.min_confidence = num(k, val)?,
            "now" => cm.now = num(k, val)?,
            "hash_content" => match val {
                Value::Bool(b) => cm.hash_content = *b,
                _ => return Err(Failure::invalid("options.hash_content must be a boolean")),
            },
            "agent_priority" => {
                let m = val.as_map().ok_or_else(|| Failure::invalid("options.agent_priority must be an object"))?;
                for (a, p) in m {
                    let (Some(a), Some(p)) = (a.as_str(), p.as_int()) else {
                        return Err(Failure::invalid("options.agent_priority maps agent names to integers"));
                    };
                    cm.agent_priority.insert(a.to_string(), p);
                }
            }
            other => {
                return Err(Failure::invalid(format!(
                    "unknown option {other:?}; known: strategy, budget, min_confidence, agent_priority, now, hash_content"
                )))
            }
        }
    }
    Ok(cm)
}

fn parse_jsonl(text: &str, which: &str) -> Result<Vec<Memory>, Failure> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let m = parse_memory_line(line).map_err(|e| Failure {
            status: CmStatus::Memory,
            category: "memory".into(),
            message: format!("{which} line {}: {e}", i + 1),
        })?;
        out.push(m);
    }
    Ok(out)
}

/// Merge two agents' memory lists (JSONL: one memory object per line; blank
/// lines are skipped) with `ContextMerge`. `options_json` (NULL or empty for
/// defaults) is a JSON object with optional keys `strategy` ("lww",
/// "max_confidence", "priority", "union"), `budget` (int or null),
/// `min_confidence`, `agent_priority` ({agent: int}), `now` (the clock for
/// memories without `ts`; default 0) and `hash_content` (bool). On success
/// `*out_jsonl` holds the surviving memories, sorted by fact, one JSON line
/// each (every line ends with "\n"), and `*out_manifest_json` the merge
/// manifest as a JSON object. A bad line fails with CM_STATUS_MEMORY
/// (category "memory"; the message names the input and line).
#[no_mangle]
pub unsafe extern "C" fn cm_memory_merge(
    jsonl_a: *const c_char,
    len_a: usize,
    jsonl_b: *const c_char,
    len_b: usize,
    options_json: *const c_char,
    options_len: usize,
    out_jsonl: *mut CmString,
    out_manifest_json: *mut CmString,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let a = unsafe { text(jsonl_a, len_a, "jsonl_a")? };
        let b = unsafe { text(jsonl_b, len_b, "jsonl_b")? };
        let o = unsafe { text(options_json, options_len, "options_json")? };
        check_out(out_jsonl, "out_jsonl")?;
        check_out(out_manifest_json, "out_manifest_json")?;
        let cm = memory_options(o)?;
        let a = parse_jsonl(a, "jsonl_a")?;
        let b = parse_jsonl(b, "jsonl_b")?;
        let outcome = cm.merge_owned(vec![a, b]);
        let mut lines = String::new();
        for m in &outcome.memories {
            m.write_json_line(&mut lines).map_err(encode_failure)?;
            lines.push('\n');
        }
        let manifest = json::to_string(&outcome.manifest.to_value()).map_err(encode_failure)?;
        unsafe {
            ptr::write(out_jsonl, string_from(lines));
            ptr::write(out_manifest_json, string_from(manifest));
        }
        Ok(())
    })
}

// ---------------------------------------------------------------- records

fn table_failure(e: crdt_merge_core::table::TableError) -> Failure {
    Failure {
        status: CmStatus::InvalidArgument,
        category: "table".into(),
        message: e.to_string(),
    }
}

fn record_options(text: &str) -> Result<crdt_merge_core::table::MergeOptions, Failure> {
    if text.trim().is_empty() {
        return Ok(crdt_merge_core::table::MergeOptions::default());
    }
    let v = json::parse(text).map_err(|e| Failure::invalid(format!("options_json: {e}")))?;
    crdt_merge_core::table::MergeOptions::from_value(&v).map_err(table_failure)
}

fn record_rows(text: &str, which: &str) -> Result<crdt_merge_core::table::Table, Failure> {
    let v = json::parse(text).map_err(|e| Failure::invalid(format!("{which}: {e}")))?;
    crdt_merge_core::table::Table::from_record_list(&v, which).map_err(table_failure)
}

/// Keyed merge of two record lists (the reference's `merge()`): `rows_a` and
/// `rows_b` are JSON arrays of objects; `options_json` (NULL or empty for
/// defaults) a JSON object with optional keys `key` (string or list),
/// `prefer` ("a", "b", "latest"), `timestamp_col`, `schema` (the reference's
/// `MergeSchema.to_dict()`), `dedup`, `fuzzy_dedup`, `fuzzy_threshold`. On
/// success `*out_rows_json` holds the merged rows as a JSON array. Bad rows,
/// options or schemas fail with CM_STATUS_INVALID_ARGUMENT (category
/// "table" for merge rules such as a missing key column).
#[no_mangle]
pub unsafe extern "C" fn cm_merge_records(
    rows_a: *const c_char,
    len_a: usize,
    rows_b: *const c_char,
    len_b: usize,
    options_json: *const c_char,
    options_len: usize,
    out_rows_json: *mut CmString,
    err: *mut CmError,
) -> CmStatus {
    guard(err, || {
        let a = unsafe { text(rows_a, len_a, "rows_a")? };
        let b = unsafe { text(rows_b, len_b, "rows_b")? };
        let o = unsafe { text(options_json, options_len, "options_json")? };
        check_out(out_rows_json, "out_rows_json")?;
        let opts = record_options(o)?;
        let t = crdt_merge_core::table::merge_owned(
            record_rows(a, "rows_a")?,
            record_rows(b, "rows_b")?,
            &opts,
        )
        .map_err(table_failure)?;
        let out = json::to_string(&Value::List(t.to_dict_rows())).map_err(encode_failure)?;
        unsafe { ptr::write(out_rows_json, string_from(out)) };
        Ok(())
    })
}

// ---------------------------------------------------------------- testing

/// Panics inside the library on purpose, to test that bindings see
/// CM_STATUS_PANIC (category "panic") and that nothing crosses the boundary.
#[no_mangle]
pub unsafe extern "C" fn cm_debug_panic(err: *mut CmError) -> CmStatus {
    guard(err, || panic!("cm_debug_panic was called"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden(rel: &str) -> Vec<u8> {
        std::fs::read(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../conformance/golden/").to_string() + rel,
        )
        .unwrap()
    }

    fn zero_err() -> CmError {
        CmError {
            status: CmStatus::Ok,
            category: EMPTY_STRING,
            message: EMPTY_STRING,
        }
    }

    fn s(c: &CmString) -> &str {
        unsafe { CStr::from_ptr(c.ptr) }.to_str().unwrap()
    }

    #[test]
    fn decode_encode_roundtrip() {
        let bytes = golden("g_counter/single.crdt");
        let mut h = ptr::null_mut();
        let mut e = zero_err();
        assert_eq!(
            unsafe { cm_decode(bytes.as_ptr(), bytes.len(), &mut h, &mut e) },
            CmStatus::Ok
        );
        let name = unsafe { CStr::from_ptr(cm_type_name(h)) };
        assert_eq!(name.to_str().unwrap(), "g_counter");
        let mut out = CmBytes {
            ptr: ptr::null_mut(),
            len: 0,
            cap: 0,
        };
        assert_eq!(
            unsafe { cm_encode(h, false, &mut out, &mut e) },
            CmStatus::Ok
        );
        assert_eq!(
            unsafe { std::slice::from_raw_parts(out.ptr, out.len) },
            &bytes[..]
        );
        let mut j = EMPTY_STRING;
        assert_eq!(unsafe { cm_to_json(h, &mut j, &mut e) }, CmStatus::Ok);
        assert_eq!(
            s(&j),
            r#"{"type": "g_counter", "value": {"counts": {"a": 5}, "type": "g_counter"}}"#
        );
        let mut h2 = ptr::null_mut();
        assert_eq!(
            unsafe { cm_from_json(j.ptr, j.len, &mut h2, &mut e) },
            CmStatus::Ok
        );
        assert_eq!(unsafe { cm_object_equal(h, h2) }, 1);
        unsafe {
            cm_string_free(&mut j);
            cm_string_free(&mut j);
            cm_bytes_free(&mut out);
            cm_object_free(h);
            cm_object_free(h2);
        }
    }

    #[test]
    fn errors_and_panics() {
        let mut e = zero_err();
        let mut h = ptr::null_mut();
        assert_eq!(
            unsafe { cm_decode(b"CRDX".as_ptr(), 4, &mut h, &mut e) },
            CmStatus::Decode
        );
        assert!(h.is_null());
        assert_eq!(s(&e.category), "truncated");
        unsafe { cm_error_free(&mut e) };
        assert_eq!(
            unsafe { cm_decode(ptr::null(), 3, &mut h, &mut e) },
            CmStatus::InvalidArgument
        );
        assert_eq!(s(&e.category), "invalid_argument");
        unsafe { cm_error_free(&mut e) };
        assert_eq!(unsafe { cm_debug_panic(&mut e) }, CmStatus::Panic);
        assert_eq!(s(&e.category), "panic");
        unsafe { cm_error_free(&mut e) };
        assert_eq!(unsafe { cm_debug_panic(ptr::null_mut()) }, CmStatus::Panic);
        assert_eq!(
            unsafe { cm_merge_many(ptr::null(), 0, &mut h, &mut e) },
            CmStatus::Merge
        );
        assert_eq!(s(&e.category), "empty");
        unsafe { cm_error_free(&mut e) };
    }

    #[test]
    fn merge_records() {
        let call = |a: &str, b: &str, o: &str, out: &mut CmString, e: &mut CmError| unsafe {
            cm_merge_records(
                a.as_ptr().cast(),
                a.len(),
                b.as_ptr().cast(),
                b.len(),
                o.as_ptr().cast(),
                o.len(),
                out,
                e,
            )
        };
        let a = r#"[{"id": 1, "x": 1, "_ts": 1}, {"id": 2, "x": 5}]"#;
        let b = r#"[{"id": 1, "x": 2, "_ts": 2}, {"id": 3, "x": 7}]"#;
        let o = r#"{"key": "id"}"#;
        let (mut out, mut e) = (EMPTY_STRING, zero_err());
        assert_eq!(call(a, b, o, &mut out, &mut e), CmStatus::Ok);
        let rows = json::parse(s(&out)).unwrap();
        assert_eq!(rows.as_list().map(|l| l.len()), Some(3));
        assert!(s(&out).contains("\"x\": 2"), "{}", s(&out));
        unsafe { cm_string_free(&mut out) };
        assert_eq!(
            call(r#"[{"y": 1}]"#, b, o, &mut out, &mut e),
            CmStatus::InvalidArgument
        );
        assert_eq!(s(&e.category), "table");
        unsafe { cm_error_free(&mut e) };
        let o = r#"{"key": "id", "prefer": "sideways"}"#;
        assert_eq!(call(a, b, o, &mut out, &mut e), CmStatus::InvalidArgument);
        unsafe { cm_error_free(&mut e) };
    }

    #[test]
    fn memory_merge() {
        let a = "{\"fact\": \"sky is blue\", \"confidence\": 0.9, \"source\": \"alice\", \"ts\": 10}\n\n";
        let b = "{\"fact\": \"sky is blue\", \"confidence\": 0.7, \"source\": \"bob\", \"ts\": 12}\n{\"fact\": \"fire is hot\"}\n";
        let o = r#"{"strategy": "max_confidence", "now": 100}"#;
        let (mut jl, mut man, mut e) = (EMPTY_STRING, EMPTY_STRING, zero_err());
        let st = unsafe {
            cm_memory_merge(
                a.as_ptr().cast(),
                a.len(),
                b.as_ptr().cast(),
                b.len(),
                o.as_ptr().cast(),
                o.len(),
                &mut jl,
                &mut man,
                &mut e,
            )
        };
        assert_eq!(st, CmStatus::Ok);
        assert_eq!(s(&jl).lines().count(), 2);
        assert!(
            s(&jl).starts_with("{\"fact\": \"fire is hot\""),
            "{}",
            s(&jl)
        );
        assert!(s(&man).contains("\"unique_memories\": 2"), "{}", s(&man));
        unsafe {
            cm_string_free(&mut jl);
            cm_string_free(&mut man);
        }
        let bad = "{\"confidence\": 1}";
        let st = unsafe {
            cm_memory_merge(
                bad.as_ptr().cast(),
                bad.len(),
                ptr::null(),
                0,
                ptr::null(),
                0,
                &mut jl,
                &mut man,
                &mut e,
            )
        };
        assert_eq!(st, CmStatus::Memory);
        assert!(
            s(&e.message).contains("jsonl_a line 1"),
            "{}",
            s(&e.message)
        );
        unsafe { cm_error_free(&mut e) };
    }
}

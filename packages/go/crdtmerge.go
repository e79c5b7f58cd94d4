// Package crdtmerge merges CRDT state in the binary wire format of the
// Python package crdt-merge 0.8.3, byte for byte. It wraps the Rust core
// through its C ABI (ffi/include/crdt_merge.h, library crdt_merge_ffi).
//
// Build the library first: `cargo build --release -p crdt-merge-ffi` in
// the repository root; cgo links target/release/libcrdt_merge_ffi.so (with
// an rpath, so tests run without LD_LIBRARY_PATH).
//
// An *Object is immutable: any number of goroutines may use the same
// object at once. Close it when done (a finalizer frees forgotten ones);
// Close must not race with other uses of the same object. Errors are
// *Error values carrying the C status Code and the core's Category.
package crdtmerge

/*
#cgo CFLAGS: -I${SRCDIR}/../../ffi/include
#cgo LDFLAGS: -L${SRCDIR}/../../target/release -lcrdt_merge_ffi -Wl,-rpath,${SRCDIR}/../../target/release
#include <stdlib.h>
#include "crdt_merge.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Code is the status of a failed call (the C ABI's CmStatus).
type Code int

// Status codes.
const (
	CodeOK              Code = C.CM_STATUS_OK
	CodeDecode          Code = C.CM_STATUS_DECODE
	CodeMerge           Code = C.CM_STATUS_MERGE
	CodeInvalidArgument Code = C.CM_STATUS_INVALID_ARGUMENT
	CodePanic           Code = C.CM_STATUS_PANIC
	CodeEncode          Code = C.CM_STATUS_ENCODE
	CodeMemory          Code = C.CM_STATUS_MEMORY
)

func (c Code) String() string {
	switch c {
	case CodeOK:
		return "ok"
	case CodeDecode:
		return "decode"
	case CodeMerge:
		return "merge"
	case CodeInvalidArgument:
		return "invalid_argument"
	case CodePanic:
		return "panic"
	case CodeEncode:
		return "encode"
	case CodeMemory:
		return "memory"
	}
	return fmt.Sprintf("code(%d)", int(c))
}

// Error is a failure reported by the library.
type Error struct {
	// Code is the status class (decode, merge, invalid argument, ...).
	Code Code
	// Category is the stable short code ("truncated", "bad_magic",
	// "type_mismatch", ..., "invalid_argument", "panic", "memory").
	Category string
	// Message is a one-line human description.
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("crdtmerge: %s (%s): %s", e.Code, e.Category, e.Message)
}

func cmString(s *C.CmString) string {
	if s.ptr == nil {
		return ""
	}
	return C.GoStringN(s.ptr, C.int(s.len))
}

// takeString copies an owned CmString into Go and frees it.
func takeString(s *C.CmString) string {
	out := cmString(s)
	C.cm_string_free(s)
	return out
}

func takeBytes(b *C.CmBytes) []byte {
	var out []byte
	if b.ptr != nil {
		out = C.GoBytes(unsafe.Pointer(b.ptr), C.int(b.len))
	} else {
		out = []byte{}
	}
	C.cm_bytes_free(b)
	return out
}

func check(st C.CmStatus, e *C.CmError) error {
	if st == C.CM_STATUS_OK {
		return nil
	}
	err := &Error{Code: Code(st), Category: cmString(&e.category), Message: cmString(&e.message)}
	C.cm_error_free(e)
	return err
}

func bytesPtr(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

func strPtr(s string) (*C.char, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// Version is the library version.
func Version() string { return C.GoString(C.cm_version()) }

// ReferenceVersion is the reference whose wire format this speaks ("crdt-merge==0.8.3").
func ReferenceVersion() string { return C.GoString(C.cm_reference_version()) }

// Object is a decoded CRDT object of any wire type. Immutable; safe for
// concurrent use. Close releases it.
type Object struct {
	h atomic.Pointer[byte] // a *C.CmObject (C memory; cgo types are incomplete)
}

func wrap(h *C.CmObject) *Object {
	o := &Object{}
	o.h.Store((*byte)(unsafe.Pointer(h)))
	runtime.SetFinalizer(o, (*Object).Close)
	return o
}

// Close frees the object. Calling it twice is harmless.
func (o *Object) Close() error {
	if o == nil {
		return nil
	}
	if h := o.h.Swap(nil); h != nil {
		C.cm_object_free((*C.CmObject)(unsafe.Pointer(h)))
		runtime.SetFinalizer(o, nil)
	}
	return nil
}

func (o *Object) handle() *C.CmObject {
	if o == nil {
		return nil
	}
	return (*C.CmObject)(unsafe.Pointer(o.h.Load()))
}

// Decode reads one wire frame.
func Decode(frame []byte) (*Object, error) {
	var e C.CmError
	var h *C.CmObject
	p, n := bytesPtr(frame)
	if err := check(C.cm_decode(p, n, &h, &e), &e); err != nil {
		return nil, err
	}
	runtime.KeepAlive(frame)
	return wrap(h), nil
}

// DecodeWithLimits reads one frame with caps on the stored and the
// decompressed payload size (0 means the default, 256 MiB).
func DecodeWithLimits(frame []byte, maxPayload, maxDecompressed int) (*Object, error) {
	var e C.CmError
	var h *C.CmObject
	p, n := bytesPtr(frame)
	if err := check(C.cm_decode_with_limits(p, n, C.size_t(maxPayload), C.size_t(maxDecompressed), &h, &e), &e); err != nil {
		return nil, err
	}
	return wrap(h), nil
}

// Encode writes the object as a frame (in the payload encoding it was
// decoded from); with compress the payload is zlib-compressed when smaller.
func (o *Object) Encode(compress bool) ([]byte, error) {
	var e C.CmError
	var b C.CmBytes
	err := check(C.cm_encode(o.handle(), C.bool(compress), &b, &e), &e)
	runtime.KeepAlive(o)
	if err != nil {
		return nil, err
	}
	return takeBytes(&b), nil
}

// TypeName is the object's wire type name (e.g. "g_counter"); "" after Close.
func (o *Object) TypeName() string {
	p := C.cm_type_name(o.handle())
	runtime.KeepAlive(o)
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// JSON is the canonical JSON view {"type": name, "value": view}.
func (o *Object) JSON() (string, error) {
	var e C.CmError
	var s C.CmString
	err := check(C.cm_to_json(o.handle(), &s, &e), &e)
	runtime.KeepAlive(o)
	if err != nil {
		return "", err
	}
	return takeString(&s), nil
}

// Equal reports whether two objects hold the same state.
func (o *Object) Equal(other *Object) bool {
	r := C.cm_object_equal(o.handle(), other.handle())
	runtime.KeepAlive(o)
	runtime.KeepAlive(other)
	return r == 1
}

// FromJSON rebuilds an object from its canonical JSON view.
func FromJSON(view string) (*Object, error) {
	var e C.CmError
	var h *C.CmObject
	p, n := strPtr(view)
	err := check(C.cm_from_json(p, n, &h, &e), &e)
	runtime.KeepAlive(view)
	if err != nil {
		return nil, err
	}
	return wrap(h), nil
}

// Merge merges two objects of the same type into a new object.
func Merge(a, b *Object) (*Object, error) {
	var e C.CmError
	var h *C.CmObject
	err := check(C.cm_merge(a.handle(), b.handle(), &h, &e), &e)
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	if err != nil {
		return nil, err
	}
	return wrap(h), nil
}

// MergeMany merges one or more objects left to right.
func MergeMany(objs ...*Object) (*Object, error) {
	var e C.CmError
	var h *C.CmObject
	// C memory for the handle array keeps cgo's pointer rules trivially satisfied.
	n := len(objs)
	arr := (**C.CmObject)(C.malloc(C.size_t(max(n, 1)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
	defer C.free(unsafe.Pointer(arr))
	hs := unsafe.Slice(arr, max(n, 1))
	for i, o := range objs {
		hs[i] = o.handle()
	}
	err := check(C.cm_merge_many(arr, C.size_t(n), &h, &e), &e)
	runtime.KeepAlive(objs)
	if err != nil {
		return nil, err
	}
	return wrap(h), nil
}

// PeekType is the type name in a frame's header (payload not decoded).
func PeekType(frame []byte) (string, error) {
	var e C.CmError
	var name *C.char
	p, n := bytesPtr(frame)
	if err := check(C.cm_peek_type(p, n, &name, &e), &e); err != nil {
		return "", err
	}
	return C.GoString(name), nil
}

// WireSize holds the size facts of a frame (the reference's wire_size).
type WireSize struct {
	TotalBytes      int    `json:"total_bytes"`
	HeaderBytes     int    `json:"header_bytes"`
	PayloadBytes    int    `json:"payload_bytes"`
	Compressed      bool   `json:"compressed"`
	ProtocolVersion int    `json:"protocol_version"`
	TypeName        string `json:"type_name"`
}

// GetWireSize reads a frame's header and reports its sizes.
func GetWireSize(frame []byte) (WireSize, error) {
	var e C.CmError
	var ws C.CmWireSize
	p, n := bytesPtr(frame)
	if err := check(C.cm_wire_size(p, n, &ws, &e), &e); err != nil {
		return WireSize{}, err
	}
	return WireSize{
		TotalBytes:      int(ws.total_bytes),
		HeaderBytes:     int(ws.header_bytes),
		PayloadBytes:    int(ws.payload_bytes),
		Compressed:      bool(ws.compressed),
		ProtocolVersion: int(ws.protocol_version),
		TypeName:        C.GoString(ws.type_name),
	}, nil
}

// SplitBatch splits a batch into its frames (not decoded).
func SplitBatch(batch []byte) ([][]byte, error) {
	var e C.CmError
	var l C.CmBytesList
	p, n := bytesPtr(batch)
	if err := check(C.cm_batch_split(p, n, &l, &e), &e); err != nil {
		return nil, err
	}
	defer C.cm_bytes_list_free(&l)
	out := make([][]byte, int(l.len))
	if l.len > 0 {
		items := unsafe.Slice(l.items, int(l.len))
		for i := range items {
			out[i] = C.GoBytes(unsafe.Pointer(items[i].ptr), C.int(items[i].len))
		}
	}
	return out, nil
}

// JoinBatch joins frames into a batch.
func JoinBatch(frames [][]byte) ([]byte, error) {
	var cat []byte
	lens := make([]C.size_t, max(len(frames), 1))
	for i, f := range frames {
		cat = append(cat, f...)
		lens[i] = C.size_t(len(f))
	}
	var e C.CmError
	var b C.CmBytes
	p, n := bytesPtr(cat)
	if err := check(C.cm_batch_join(p, n, &lens[0], C.size_t(len(frames)), &b, &e), &e); err != nil {
		return nil, err
	}
	return takeBytes(&b), nil
}

// MemoryOptions are the options of MemoryMerge (nil fields take defaults).
type MemoryOptions struct {
	Strategy      string           `json:"strategy,omitempty"`
	Budget        *int             `json:"budget,omitempty"`
	MinConfidence *float64         `json:"min_confidence,omitempty"`
	AgentPriority map[string]int64 `json:"agent_priority,omitempty"`
	Now           *float64         `json:"now,omitempty"`
	HashContent   *bool            `json:"hash_content,omitempty"`
}

// MemoryMerge merges two agents' memory lists (JSONL, one memory object per
// line) and returns the surviving memories as JSONL (sorted by fact) and
// the merge manifest as JSON.
func MemoryMerge(jsonlA, jsonlB string, opts *MemoryOptions) (jsonl string, manifest string, err error) {
	optText := ""
	if opts != nil {
		b, jerr := json.Marshal(opts)
		if jerr != nil {
			return "", "", &Error{Code: CodeInvalidArgument, Category: "invalid_argument", Message: jerr.Error()}
		}
		optText = string(b)
	}
	var e C.CmError
	var outL, outM C.CmString
	pa, na := strPtr(jsonlA)
	pb, nb := strPtr(jsonlB)
	po, no := strPtr(optText)
	err = check(C.cm_memory_merge(pa, na, pb, nb, po, no, &outL, &outM, &e), &e)
	runtime.KeepAlive(jsonlA)
	runtime.KeepAlive(jsonlB)
	runtime.KeepAlive(optText)
	if err != nil {
		return "", "", err
	}
	return takeString(&outL), takeString(&outM), nil
}

// RecordOptions are the reference merge() options of MergeRecords. Schema is
// the reference's MergeSchema.to_dict() form, e.g.
// {"price": {"strategy": "MaxWins"}, "__default__": {"strategy": "LWW"}}.
type RecordOptions struct {
	Key            []string       `json:"key,omitempty"`
	Prefer         string         `json:"prefer,omitempty"`
	TimestampCol   string         `json:"timestamp_col,omitempty"`
	Schema         map[string]any `json:"schema,omitempty"`
	Dedup          *bool          `json:"dedup,omitempty"`
	FuzzyDedup     bool           `json:"fuzzy_dedup,omitempty"`
	FuzzyThreshold *float64       `json:"fuzzy_threshold,omitempty"`
}

// MergeRecords is the keyed record merge (the reference's merge()): rows are
// JSON objects; the merged rows come back in the same form.
func MergeRecords(a, b []map[string]any, opts *RecordOptions) ([]map[string]any, error) {
	enc := func(v any) (string, error) {
		out, err := json.Marshal(v)
		if err != nil {
			return "", &Error{Code: CodeInvalidArgument, Category: "invalid_argument", Message: err.Error()}
		}
		return string(out), nil
	}
	if a == nil {
		a = []map[string]any{}
	}
	if b == nil {
		b = []map[string]any{}
	}
	ta, err := enc(a)
	if err != nil {
		return nil, err
	}
	tb, err := enc(b)
	if err != nil {
		return nil, err
	}
	to := ""
	if opts != nil {
		if to, err = enc(opts); err != nil {
			return nil, err
		}
	}
	var e C.CmError
	var out C.CmString
	pa, na := strPtr(ta)
	pb, nb := strPtr(tb)
	po, no := strPtr(to)
	err = check(C.cm_merge_records(pa, na, pb, nb, po, no, &out, &e), &e)
	runtime.KeepAlive(ta)
	runtime.KeepAlive(tb)
	runtime.KeepAlive(to)
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	d := json.NewDecoder(strings.NewReader(takeString(&out)))
	d.UseNumber()
	if err := d.Decode(&rows); err != nil {
		return nil, &Error{Code: CodeEncode, Category: "json", Message: err.Error()}
	}
	return rows, nil
}

// debugPanic makes the library panic on purpose (tests the PANIC path).
func debugPanic() error {
	var e C.CmError
	return check(C.cm_debug_panic(&e), &e)
}

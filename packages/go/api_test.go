package crdtmerge

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

func mustDecode(t *testing.T, rel string) *Object {
	t.Helper()
	o, _, err := decodeFile(rel)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return o
}

func TestVersion(t *testing.T) {
	if Version() != "0.1.0" {
		t.Errorf("Version() = %q", Version())
	}
	if ReferenceVersion() != "crdt-merge==0.8.3" {
		t.Errorf("ReferenceVersion() = %q", ReferenceVersion())
	}
}

func TestRoundtripAndViews(t *testing.T) {
	o := mustDecode(t, "g_counter/single.crdt")
	defer o.Close()
	if o.TypeName() != "g_counter" {
		t.Fatalf("type %q", o.TypeName())
	}
	js, err := o.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type": "g_counter", "value": {"counts": {"a": 5}, "type": "g_counter"}}`
	if js != want {
		t.Errorf("JSON %s", js)
	}
	back, err := FromJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if !back.Equal(o) {
		t.Error("FromJSON(JSON(x)) != x")
	}
	z, err := o.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	if !o2.Equal(o) {
		t.Error("compressed roundtrip")
	}
}

func TestErrors(t *testing.T) {
	_, err := Decode([]byte("CRDT"))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeDecode || e.Category != "truncated" {
		t.Fatalf("Decode(short) = %v", err)
	}
	if !strings.Contains(err.Error(), "truncated") {
		t.Errorf("message %q", err.Error())
	}
	_, err = Decode(nil)
	if !errors.As(err, &e) || e.Code != CodeDecode {
		t.Errorf("Decode(nil) = %v", err)
	}
	_, err = FromJSON(`{"type": "nope", "value": 1}`)
	if !errors.As(err, &e) || e.Code != CodeDecode || e.Category != "shape" {
		t.Errorf("FromJSON(unknown type) = %v", err)
	}
	_, err = FromJSON("{")
	if !errors.As(err, &e) || e.Category != "json" {
		t.Errorf("FromJSON({) = %v", err)
	}
	_, err = FromJSON("\xff")
	if !errors.As(err, &e) || e.Code != CodeInvalidArgument {
		t.Errorf("FromJSON(bad utf8) = %v", err)
	}
	a := mustDecode(t, "g_counter/single.crdt")
	defer a.Close()
	b := mustDecode(t, "pn_counter/basic.crdt")
	defer b.Close()
	_, err = Merge(a, b)
	if !errors.As(err, &e) || e.Code != CodeMerge || e.Category != "type_mismatch" {
		t.Errorf("Merge(g, pn) = %v", err)
	}
	_, err = MergeMany()
	if !errors.As(err, &e) || e.Code != CodeMerge || e.Category != "empty" {
		t.Errorf("MergeMany() = %v", err)
	}
	closed := mustDecode(t, "g_counter/single.crdt")
	closed.Close()
	closed.Close()
	if closed.TypeName() != "" {
		t.Error("TypeName after Close")
	}
	_, err = closed.JSON()
	if !errors.As(err, &e) || e.Code != CodeInvalidArgument {
		t.Errorf("JSON after Close = %v", err)
	}
	_, err = Merge(a, nil)
	if !errors.As(err, &e) || e.Code != CodeInvalidArgument {
		t.Errorf("Merge(a, nil) = %v", err)
	}
	err = debugPanic()
	if !errors.As(err, &e) || e.Code != CodePanic || e.Category != "panic" {
		t.Errorf("debugPanic = %v", err)
	}
	if _, err := PeekType([]byte("xx")); err == nil {
		t.Error("PeekType(short) succeeded")
	}
	if _, err := GetWireSize(nil); err == nil {
		t.Error("GetWireSize(nil) succeeded")
	}
	if _, err := DecodeWithLimits(mustRead(t, "or_set/elements-1000-z.crdt"), 0, 100); err == nil {
		t.Error("decompressed limit not applied")
	}
}

func mustRead(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := golden(rel)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMergeMany(t *testing.T) {
	a := mustDecode(t, "g_counter/merge/overlap.a.crdt")
	defer a.Close()
	b := mustDecode(t, "g_counter/merge/overlap.b.crdt")
	defer b.Close()
	want := mustDecode(t, "g_counter/merge/overlap.ab.crdt")
	defer want.Close()
	m, err := MergeMany(a, b, a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.Equal(want) {
		t.Error("MergeMany != reference")
	}
}

func TestBatch(t *testing.T) {
	raw := mustRead(t, "batch/mixed.crdtb")
	frames, err := SplitBatch(raw)
	if err != nil {
		t.Fatal(err)
	}
	joined, err := JoinBatch(frames)
	if err != nil {
		t.Fatal(err)
	}
	if string(joined) != string(raw) {
		t.Error("JoinBatch(SplitBatch(x)) != x")
	}
	empty, err := JoinBatch(nil)
	if err != nil || len(empty) != 4 {
		t.Errorf("JoinBatch(nil) = %v, %v", empty, err)
	}
	var e *Error
	if _, err := SplitBatch([]byte{0, 0}); !errors.As(err, &e) || e.Category != "batch" {
		t.Errorf("SplitBatch(short) = %v", err)
	}
}

func TestMemoryMerge(t *testing.T) {
	a := `{"fact": "sky is blue", "confidence": 0.9, "source": "alice", "ts": 10, "tags": ["sci"]}
{"fact": "grass is green", "confidence": 0.4, "source": "alice", "ts": 11}
`
	b := `{"fact": "sky is blue", "confidence": 0.7, "source": "bob", "ts": 12, "tags": ["color"]}
{"fact": "fire is hot", "source": "bob"}`
	now := 100.0
	jsonl, manifest, err := MemoryMerge(a, b, &MemoryOptions{Strategy: "max_confidence", Now: &now})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(jsonl, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], `{"fact": "fire is hot"`) {
		t.Errorf("jsonl %q", jsonl)
	}
	if !strings.Contains(jsonl, `"tags": ["color", "sci"]`) || !strings.Contains(manifest, `"unique_memories": 3`) {
		t.Errorf("jsonl %q manifest %q", jsonl, manifest)
	}
	budget := 1
	jsonl, _, err = MemoryMerge(a, b, &MemoryOptions{Budget: &budget})
	if err != nil || strings.Count(jsonl, "\n") != 1 {
		t.Errorf("budget: %q %v", jsonl, err)
	}
	var e *Error
	_, _, err = MemoryMerge(a, `{"confidence": 1}`, nil)
	if !errors.As(err, &e) || e.Code != CodeMemory || !strings.Contains(e.Message, "jsonl_b line 1") {
		t.Errorf("bad line: %v", err)
	}
	_, _, err = MemoryMerge(a, b, &MemoryOptions{Strategy: "nope"})
	if !errors.As(err, &e) || e.Code != CodeInvalidArgument {
		t.Errorf("bad strategy: %v", err)
	}
}

// Goroutines move between OS threads; errors and handles must not care.
func TestConcurrentSharedHandle(t *testing.T) {
	shared := mustDecode(t, "or_set/basic.crdt")
	defer shared.Close()
	want, err := shared.JSON()
	if err != nil {
		t.Fatal(err)
	}
	other := mustDecode(t, "g_counter/single.crdt")
	defer other.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				m, err := Merge(shared, shared)
				if err != nil {
					errs <- err
					return
				}
				js, err := m.JSON()
				m.Close()
				if err != nil || js != want {
					errs <- errors.New("view changed under concurrency")
					return
				}
				// an error on this goroutine must be this goroutine's error
				_, err = Merge(shared, other)
				var e *Error
				if !errors.As(err, &e) || e.Category != "type_mismatch" {
					errs <- err
					return
				}
				if _, err := shared.Encode(i%2 == 0); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestMergeRecords(t *testing.T) {
	a := []map[string]any{{"id": 1, "x": 1, "_ts": 1}, {"id": 2, "x": 5}}
	b := []map[string]any{{"id": 1, "x": 2, "_ts": 2}, {"id": 3, "x": 7}}
	rows, err := MergeRecords(a, b, &RecordOptions{Key: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("got %d rows: %v", len(rows), rows)
	}
	for _, r := range rows {
		if r["id"].(json.Number).String() == "1" && r["x"].(json.Number).String() != "2" {
			t.Errorf("row 1 kept x=%v, want the later write 2", r["x"])
		}
	}
	schema := map[string]any{"x": map[string]any{"strategy": "MaxWins"}, "__default__": map[string]any{"strategy": "LWW"}}
	rows, err = MergeRecords([]map[string]any{{"id": 1, "x": 9}}, []map[string]any{{"id": 1, "x": 3}}, &RecordOptions{Key: []string{"id"}, Schema: schema})
	if err != nil || len(rows) != 1 || rows[0]["x"].(json.Number).String() != "9" {
		t.Fatalf("MaxWins: %v %v", rows, err)
	}
	_, err = MergeRecords([]map[string]any{{"y": 1}}, b, &RecordOptions{Key: []string{"id"}})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidArgument || e.Category != "table" || !strings.Contains(e.Message, "id") {
		t.Fatalf("missing key column: %v", err)
	}
	_, err = MergeRecords(a, b, &RecordOptions{Key: []string{"id"}, Prefer: "sideways"})
	if !errors.As(err, &e) {
		t.Fatalf("bad prefer: %v", err)
	}
}

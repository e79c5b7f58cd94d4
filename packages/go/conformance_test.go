package crdtmerge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The conformance corpus (conformance/manifest.json): frames written by the
// Python reference; every binding runs the same cases.

type manifestCase struct {
	Name       string          `json:"name"`
	Kind       string          `json:"kind"`
	Type       *string         `json:"type"`
	File       string          `json:"file"`
	Inputs     []string        `json:"inputs"`
	Expected   string          `json:"expected"`
	Compressed bool            `json:"compressed"`
	BytesExact bool            `json:"bytes_exact"`
	Deviation  string          `json:"deviation"`
	Errors     []string        `json:"errors"`
	View       json.RawMessage `json:"view"`
	RefAPI     map[string]any  `json:"-"`
	Raw        map[string]any  `json:"-"`
	FrameTypes []string        `json:"frame_types"`
}

func conformanceDir() string { return filepath.Join("..", "..", "conformance") }

func loadManifest(t *testing.T) []manifestCase {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(conformanceDir(), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Cases []json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(text, &m); err != nil {
		t.Fatal(err)
	}
	out := make([]manifestCase, 0, len(m.Cases))
	for _, raw := range m.Cases {
		var c manifestCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatal(err)
		}
		var full map[string]any
		_ = json.Unmarshal(raw, &full)
		c.Raw = full
		if r, ok := full["ref_api"].(map[string]any); ok {
			c.RefAPI = r
		}
		out = append(out, c)
	}
	if len(out) < 100 {
		t.Fatalf("manifest unexpectedly small: %d cases", len(out))
	}
	return out
}

func golden(rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(conformanceDir(), "golden", rel))
}

// parseJSON parses with json.Number so that big ints and float spellings survive.
func parseJSON(text []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func numEqual(a, b json.Number) bool {
	if a == b {
		return true
	}
	isFloat := func(n json.Number) bool { return strings.ContainsAny(string(n), ".eE") }
	if isFloat(a) != isFloat(b) {
		return false
	}
	ra, oka := new(big.Rat).SetString(string(a))
	rb, okb := new(big.Rat).SetString(string(b))
	return oka && okb && ra.Cmp(rb) == 0
}

// jsonEqual compares two parsed JSON documents structurally.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		return ok && numEqual(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(a, b)
	}
}

func viewEqual(obj *Object, want []byte) error {
	got, err := obj.JSON()
	if err != nil {
		return err
	}
	g, err := parseJSON([]byte(got))
	if err != nil {
		return fmt.Errorf("our view is not JSON: %v", err)
	}
	w, err := parseJSON(want)
	if err != nil {
		return fmt.Errorf("manifest view is not JSON: %v", err)
	}
	if !jsonEqual(g, w) {
		return fmt.Errorf("view\n    got  %s\n    want %s", got, want)
	}
	return nil
}

func decodeFile(rel string) (*Object, []byte, error) {
	b, err := golden(rel)
	if err != nil {
		return nil, nil, err
	}
	o, err := Decode(b)
	return o, b, err
}

func checkRoundtrip(c manifestCase) error {
	obj, raw, err := decodeFile(c.File)
	if err != nil {
		return err
	}
	defer obj.Close()
	if c.Type != nil && obj.TypeName() != *c.Type {
		return fmt.Errorf("type %q, want %q", obj.TypeName(), *c.Type)
	}
	if err := viewEqual(obj, c.View); err != nil {
		return err
	}
	if ref := c.RefAPI; ref != nil {
		if pt, ok := ref["peek_type"].(string); ok {
			got, err := PeekType(raw)
			if err != nil || got != pt {
				return fmt.Errorf("peek_type %q (%v), want %q", got, err, pt)
			}
		}
		if ws, ok := ref["wire_size"].(map[string]any); ok {
			got, err := GetWireSize(raw)
			if err != nil {
				return err
			}
			gj, _ := json.Marshal(got)
			var gm map[string]any
			_ = json.Unmarshal(gj, &gm)
			if !reflect.DeepEqual(gm, ws) {
				return fmt.Errorf("wire_size %v, want %v", gm, ws)
			}
		}
	}
	again, err := obj.Encode(c.Compressed)
	if err != nil {
		return err
	}
	if c.BytesExact {
		if !bytes.Equal(again, raw) {
			return fmt.Errorf("re-encoded bytes differ from the reference's (%d vs %d bytes)", len(again), len(raw))
		}
	} else {
		back, err := Decode(again)
		if err != nil {
			return fmt.Errorf("re-encoded frame does not decode: %v", err)
		}
		defer back.Close()
		if !back.Equal(obj) {
			return fmt.Errorf("re-encoded frame decodes to a different state")
		}
	}
	text, err := obj.JSON()
	if err != nil {
		return err
	}
	fromView, err := FromJSON(text)
	if err != nil {
		return fmt.Errorf("FromJSON: %v", err)
	}
	defer fromView.Close()
	if !fromView.Equal(obj) {
		return fmt.Errorf("FromJSON(JSON(x)) != x")
	}
	return nil
}

func checkMerge(c manifestCase) error {
	if len(c.Inputs) != 2 {
		return fmt.Errorf("merge cases have two inputs, got %d", len(c.Inputs))
	}
	a, _, err := decodeFile(c.Inputs[0])
	if err != nil {
		return err
	}
	defer a.Close()
	b, _, err := decodeFile(c.Inputs[1])
	if err != nil {
		return err
	}
	defer b.Close()
	ab, err := Merge(a, b)
	if err != nil {
		return err
	}
	defer ab.Close()
	ba, err := Merge(b, a)
	if err != nil {
		return err
	}
	defer ba.Close()
	if !ab.Equal(ba) {
		return fmt.Errorf("merge is not commutative")
	}
	for _, x := range []*Object{a, b, ab} {
		xx, err := Merge(x, x)
		if err != nil {
			return err
		}
		same := xx.Equal(x)
		xx.Close()
		if !same {
			return fmt.Errorf("merge is not idempotent")
		}
	}
	if c.Deviation != "" {
		return nil
	}
	if err := viewEqual(ab, c.View); err != nil {
		return fmt.Errorf("a⊔b: %v", err)
	}
	if err := viewEqual(ba, c.View); err != nil {
		return fmt.Errorf("b⊔a: %v", err)
	}
	exp, expBytes, err := decodeFile(c.Expected)
	if err != nil {
		return err
	}
	defer exp.Close()
	if !exp.Equal(ab) {
		return fmt.Errorf("merge differs from the reference's merged frame")
	}
	if c.BytesExact {
		got, err := ab.Encode(false)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, expBytes) {
			return fmt.Errorf("encoded merge differs from the reference's bytes")
		}
	}
	return nil
}

func checkBatch(c manifestCase) error {
	raw, err := golden(c.File)
	if err != nil {
		return err
	}
	frames, err := SplitBatch(raw)
	if err != nil {
		return err
	}
	var views []json.RawMessage
	if err := json.Unmarshal(c.View, &views); err != nil {
		return err
	}
	if len(frames) != len(views) {
		return fmt.Errorf("%d frames, want %d", len(frames), len(views))
	}
	var again [][]byte
	for i, f := range frames {
		o, err := Decode(f)
		if err != nil {
			return err
		}
		if i < len(c.FrameTypes) && o.TypeName() != c.FrameTypes[i] {
			o.Close()
			return fmt.Errorf("frame %d type %q, want %q", i, o.TypeName(), c.FrameTypes[i])
		}
		if err := viewEqual(o, views[i]); err != nil {
			o.Close()
			return fmt.Errorf("frame %d: %v", i, err)
		}
		e, err := o.Encode(c.Compressed)
		o.Close()
		if err != nil {
			return err
		}
		again = append(again, e)
	}
	joined, err := JoinBatch(again)
	if err != nil {
		return err
	}
	if c.BytesExact && !bytes.Equal(joined, raw) {
		return fmt.Errorf("re-encoded batch differs")
	}
	return nil
}

func checkBad(c manifestCase) error {
	raw, err := golden(c.File)
	if err != nil {
		return err
	}
	var failure error
	if strings.HasSuffix(c.File, ".crdtb") {
		frames, err := SplitBatch(raw)
		failure = err
		if err == nil {
			for _, f := range frames {
				o, err := Decode(f)
				if err != nil {
					failure = err
					break
				}
				o.Close()
			}
		}
	} else {
		o, err := Decode(raw)
		failure = err
		if err == nil {
			o.Close()
		}
	}
	if failure == nil {
		return fmt.Errorf("accepted bad input (allowed errors: %v)", c.Errors)
	}
	e, ok := failure.(*Error)
	if !ok {
		return fmt.Errorf("error is %T, not *Error", failure)
	}
	if e.Code != CodeDecode {
		return fmt.Errorf("code %v, want decode", e.Code)
	}
	for _, cat := range c.Errors {
		if cat == e.Category {
			return nil
		}
	}
	return fmt.Errorf("error category %q not in %v (%s)", e.Category, c.Errors, e.Message)
}

func TestConformanceManifest(t *testing.T) {
	counts := map[string]int{}
	failed := 0
	for _, c := range loadManifest(t) {
		c := c
		counts[c.Kind]++
		t.Run(c.Name, func(t *testing.T) {
			var err error
			switch c.Kind {
			case "roundtrip":
				err = checkRoundtrip(c)
			case "merge":
				err = checkMerge(c)
			case "batch":
				err = checkBatch(c)
			case "bad":
				err = checkBad(c)
			default:
				err = fmt.Errorf("unknown kind %q", c.Kind)
			}
			if err != nil {
				failed++
				t.Error(err)
			}
		})
	}
	t.Logf("conformance: %v, %d failed", counts, failed)
}

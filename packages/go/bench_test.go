package crdtmerge

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSmallMerge is the Go (C ABI) side of benches/boundary/run.sh:
// decode two small golden frames, merge, encode — one round of calls.
func BenchmarkSmallMerge(b *testing.B) {
	dir := filepath.Join("..", "..", "conformance", "golden", "g_counter", "merge")
	fa, err := os.ReadFile(filepath.Join(dir, "overlap.a.crdt"))
	if err != nil {
		b.Fatal(err)
	}
	fb, err := os.ReadFile(filepath.Join(dir, "overlap.b.crdt"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, err := Decode(fa)
		if err != nil {
			b.Fatal(err)
		}
		y, err := Decode(fb)
		if err != nil {
			b.Fatal(err)
		}
		m, err := Merge(x, y)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Encode(false); err != nil {
			b.Fatal(err)
		}
		x.Close()
		y.Close()
		m.Close()
	}
}

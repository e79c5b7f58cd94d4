// Command chainstep is the Go step of tests/chain/run.sh: it reads the
// previous step's frames, changes them through canonical JSON views and
// merges (per-node max for the counter, a new element for the set), and
// writes the next frames.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	crdtmerge "github.com/crdt-merge/crdt-merge-go"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "chainstep:", err)
		os.Exit(1)
	}
}

// step decodes in/<name>, merges it with a state built from its JSON view
// after edit(view), and writes out/<name>.
func step(dir, in, out string, edit func(map[string]any)) {
	frame, err := os.ReadFile(filepath.Join(dir, in))
	must(err)
	obj, err := crdtmerge.Decode(frame)
	must(err)
	defer obj.Close()
	text, err := obj.JSON()
	must(err)
	var view map[string]any
	must(json.Unmarshal([]byte(text), &view))
	edit(view["value"].(map[string]any))
	changed, err := json.Marshal(view)
	must(err)
	other, err := crdtmerge.FromJSON(string(changed))
	must(err)
	defer other.Close()
	merged, err := crdtmerge.Merge(obj, other)
	must(err)
	defer merged.Close()
	bytes, err := merged.Encode(false)
	must(err)
	must(os.WriteFile(filepath.Join(dir, out), bytes, 0o644))
}

func main() {
	dir := os.Args[1]
	step(dir, "2_gc.crdt", "3g_gc.crdt", func(v map[string]any) {
		v["counts"].(map[string]any)["go"] = 4
	})
	step(dir, "2_or.crdt", "3g_or.crdt", func(v map[string]any) {
		v["elements"].(map[string]any)["v"] = []any{"0000000000cc"}
	})
	// the map goes through unchanged: decode, encode
	frame, err := os.ReadFile(filepath.Join(dir, "2_map.crdt"))
	must(err)
	obj, err := crdtmerge.Decode(frame)
	must(err)
	defer obj.Close()
	bytes, err := obj.Encode(false)
	must(err)
	must(os.WriteFile(filepath.Join(dir, "3g_map.crdt"), bytes, 0o644))
}

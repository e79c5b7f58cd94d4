// The C# step of tests/chain/run.sh: merges each state with one built from a
// canonical JSON view (a new counter slot, a new set element) and writes the
// next frames; the map passes through decode/encode.
using System;
using System.IO;
using CrdtMerge;

static class CsStep
{
    static void Step(string dir, string input, string output, string addView)
    {
        using (var obj = CrdtObject.Decode(File.ReadAllBytes(Path.Combine(dir, input))))
        using (var add = CrdtObject.FromJson(addView))
        using (var merged = CrdtObject.Merge(obj, add))
        {
            File.WriteAllBytes(Path.Combine(dir, output), merged.Encode());
        }
    }

    static int Main(string[] args)
    {
        string dir = args[0];
        Step(dir, "3g_gc.crdt", "3c_gc.crdt", "{\"type\": \"g_counter\", \"value\": {\"counts\": {\"cs\": 6}, \"type\": \"g_counter\"}}");
        Step(dir, "3g_or.crdt", "3c_or.crdt", "{\"type\": \"or_set\", \"value\": {\"elements\": {\"u\": [\"0000000000dd\"]}, \"type\": \"or_set\"}}");
        using (var m = CrdtObject.Decode(File.ReadAllBytes(Path.Combine(dir, "3g_map.crdt"))))
        {
            File.WriteAllBytes(Path.Combine(dir, "3c_map.crdt"), m.Encode());
        }
        return 0;
    }
}

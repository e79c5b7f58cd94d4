// Console test runner: every case of conformance/manifest.json plus API tests.
// Usage: mono CrdtMerge.Tests.exe CONFORMANCE_DIR. Prints "N passed, N failed".
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;

namespace CrdtMerge.Tests
{
    public static class TestRunner
    {
        static int passed, failed;
        static string conformance;

        static void Run(string name, Action test)
        {
            try
            {
                test();
                passed++;
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine("FAIL " + name + ": " + e.GetType().Name + ": " + e.Message);
            }
        }

        static void Assert(bool cond, string msg)
        {
            if (!cond) throw new Exception(msg);
        }

        static T Throws<T>(Action a) where T : Exception
        {
            try { a(); }
            catch (T e) { return e; }
            throw new Exception("expected " + typeof(T).Name);
        }

        static byte[] Golden(string rel) { return File.ReadAllBytes(Path.Combine(conformance, "golden", rel)); }

        static string S(object v) { return v as string; }
        static bool B(Dictionary<string, object> c, string k) { object v; return c.TryGetValue(k, out v) && v is bool && (bool)v; }

        static void ViewEquals(CrdtObject o, object want, string what)
        {
            var got = o.ToJson();
            Assert(Json.DeepEquals(Json.Parse(got), want), what + " view\n    got  " + got + "\n    want " + Json.Write(want));
        }

        static void Roundtrip(Dictionary<string, object> c)
        {
            var raw = Golden(S(c["file"]));
            using (var o = CrdtObject.Decode(raw))
            {
                Assert(o.TypeName == S(c["type"]), "type " + o.TypeName);
                ViewEquals(o, c["view"], "roundtrip");
                object refApi;
                if (c.TryGetValue("ref_api", out refApi))
                {
                    var r = (Dictionary<string, object>)refApi;
                    object pt, ws;
                    if (r.TryGetValue("peek_type", out pt)) Assert(CrdtObject.PeekType(raw) == S(pt), "peek_type");
                    if (r.TryGetValue("wire_size", out ws))
                    {
                        var w = (Dictionary<string, object>)ws;
                        var g = CrdtObject.GetWireSize(raw);
                        Assert(((JsonNumber)w["total_bytes"]).Text == g.TotalBytes.ToString()
                            && ((JsonNumber)w["payload_bytes"]).Text == g.PayloadBytes.ToString()
                            && ((JsonNumber)w["header_bytes"]).Text == g.HeaderBytes.ToString()
                            && (bool)w["compressed"] == g.Compressed
                            && S(w["type_name"]) == g.TypeName, "wire_size");
                    }
                }
                var again = o.Encode(B(c, "compressed"));
                if (B(c, "bytes_exact"))
                    Assert(again.SequenceEqual(raw), "re-encoded bytes differ from the reference's");
                else
                    using (var back = CrdtObject.Decode(again))
                        Assert(back.StateEquals(o), "re-encoded frame decodes to a different state");
                using (var fromView = CrdtObject.FromJson(o.ToJson()))
                    Assert(fromView.StateEquals(o), "FromJson(ToJson(x)) != x");
            }
        }

        static void MergeCase(Dictionary<string, object> c)
        {
            var inputs = (List<object>)c["inputs"];
            using (var a = CrdtObject.Decode(Golden(S(inputs[0]))))
            using (var b = CrdtObject.Decode(Golden(S(inputs[1]))))
            using (var ab = CrdtObject.Merge(a, b))
            using (var ba = CrdtObject.Merge(b, a))
            {
                Assert(ab.StateEquals(ba), "not commutative");
                foreach (var x in new[] { a, b, ab })
                    using (var xx = CrdtObject.Merge(x, x))
                        Assert(xx.StateEquals(x), "not idempotent");
                if (c.ContainsKey("deviation")) return;
                ViewEquals(ab, c["view"], "a+b");
                ViewEquals(ba, c["view"], "b+a");
                var expBytes = Golden(S(c["expected"]));
                using (var exp = CrdtObject.Decode(expBytes))
                    Assert(exp.StateEquals(ab), "merge differs from the reference's merged frame");
                if (B(c, "bytes_exact"))
                    Assert(ab.Encode(false).SequenceEqual(expBytes), "encoded merge differs from the reference's bytes");
            }
        }

        static void BatchCase(Dictionary<string, object> c)
        {
            var raw = Golden(S(c["file"]));
            var frames = Batch.Split(raw);
            var views = (List<object>)c["view"];
            Assert(frames.Length == views.Count, frames.Length + " frames, want " + views.Count);
            var again = new List<byte[]>();
            for (int i = 0; i < frames.Length; i++)
                using (var o = CrdtObject.Decode(frames[i]))
                {
                    ViewEquals(o, views[i], "frame " + i);
                    again.Add(o.Encode(B(c, "compressed")));
                }
            var joined = Batch.Join(again);
            if (B(c, "bytes_exact")) Assert(joined.SequenceEqual(raw), "re-encoded batch differs");
        }

        static void BadCase(Dictionary<string, object> c)
        {
            var file = S(c["file"]);
            var raw = Golden(file);
            var allowed = ((List<object>)c["errors"]).Select(S).ToList();
            var e = Throws<CrdtMergeException>(() =>
            {
                if (file.EndsWith(".crdtb"))
                {
                    foreach (var f in Batch.Split(raw)) CrdtObject.Decode(f).Dispose();
                }
                else
                {
                    CrdtObject.Decode(raw).Dispose();
                }
            });
            Assert(e.Code == StatusCode.Decode, "code " + e.Code);
            Assert(allowed.Contains(e.Category), "category " + e.Category + " not in [" + string.Join(", ", allowed) + "]");
        }

        static void Conformance()
        {
            var manifest = (Dictionary<string, object>)Json.Parse(File.ReadAllText(Path.Combine(conformance, "manifest.json")));
            var cases = (List<object>)manifest["cases"];
            var counts = new SortedDictionary<string, int>();
            foreach (Dictionary<string, object> c in cases)
            {
                var kind = S(c["kind"]);
                int n;
                counts.TryGetValue(kind, out n);
                counts[kind] = n + 1;
                switch (kind)
                {
                    case "roundtrip": Run(S(c["name"]), () => Roundtrip(c)); break;
                    case "merge": Run(S(c["name"]), () => MergeCase(c)); break;
                    case "batch": Run(S(c["name"]), () => BatchCase(c)); break;
                    case "bad": Run(S(c["name"]), () => BadCase(c)); break;
                    default: Run(S(c["name"]), () => { throw new Exception("unknown kind " + kind); }); break;
                }
            }
            Console.WriteLine("conformance cases: " + cases.Count + " (" + string.Join(", ", counts.Select(kv => kv.Key + " " + kv.Value)) + ")");
            Run("manifest size", () => Assert(cases.Count > 100, "manifest unexpectedly small"));
        }

        static void Api()
        {
            Run("version", () =>
            {
                Assert(CrdtObject.Version == "0.1.0", CrdtObject.Version);
                Assert(CrdtObject.ReferenceVersion == "crdt-merge==0.8.3", CrdtObject.ReferenceVersion);
            });
            Run("roundtrip api", () =>
            {
                using (var o = CrdtObject.Decode(Golden("g_counter/single.crdt")))
                {
                    Assert(o.TypeName == "g_counter", o.TypeName);
                    Assert(o.ToJson() == "{\"type\": \"g_counter\", \"value\": {\"counts\": {\"a\": 5}, \"type\": \"g_counter\"}}", o.ToJson());
                    using (var z = CrdtObject.Decode(o.Encode(true))) Assert(z.StateEquals(o), "compressed roundtrip");
                }
            });
            Run("decode errors", () =>
            {
                var e = Throws<CrdtMergeException>(() => CrdtObject.Decode(new byte[] { 0x43, 0x52, 0x44, 0x54 }));
                Assert(e.Code == StatusCode.Decode && e.Category == "truncated", e.Category);
                e = Throws<CrdtMergeException>(() => CrdtObject.Decode(new byte[0]));
                Assert(e.Code == StatusCode.Decode, e.Category);
                Throws<ArgumentNullException>(() => CrdtObject.Decode(null));
                e = Throws<CrdtMergeException>(() => CrdtObject.FromJson("{\"type\": \"nope\", \"value\": 1}"));
                Assert(e.Category == "shape", e.Category);
                e = Throws<CrdtMergeException>(() => CrdtObject.FromJson("{"));
                Assert(e.Category == "json", e.Category);
                e = Throws<CrdtMergeException>(() => CrdtObject.Decode(Golden("or_set/elements-1000-z.crdt"), 0, 100));
                Assert(e.Category == "limit_exceeded", e.Category);
                e = Throws<CrdtMergeException>(() => CrdtObject.PeekType(new byte[] { 1, 2 }));
                Assert(e.Code == StatusCode.Decode, e.Category);
            });
            Run("merge errors", () =>
            {
                using (var g = CrdtObject.Decode(Golden("g_counter/single.crdt")))
                using (var p = CrdtObject.Decode(Golden("pn_counter/basic.crdt")))
                {
                    var e = Throws<CrdtMergeException>(() => CrdtObject.Merge(g, p));
                    Assert(e.Code == StatusCode.Merge && e.Category == "type_mismatch", e.Category);
                    Assert(e.Message.Contains("g_counter"), e.Message);
                }
                var e2 = Throws<CrdtMergeException>(() => CrdtObject.MergeMany());
                Assert(e2.Category == "empty", e2.Category);
                var d = CrdtObject.Decode(Golden("g_counter/single.crdt"));
                d.Dispose();
                d.Dispose();
                Throws<ObjectDisposedException>(() => d.ToJson());
            });
            Run("merge many", () =>
            {
                using (var a = CrdtObject.Decode(Golden("g_counter/merge/overlap.a.crdt")))
                using (var b = CrdtObject.Decode(Golden("g_counter/merge/overlap.b.crdt")))
                using (var want = CrdtObject.Decode(Golden("g_counter/merge/overlap.ab.crdt")))
                using (var m = CrdtObject.MergeMany(a, b, a))
                    Assert(m.StateEquals(want), "MergeMany != reference");
            });
            Run("batch", () =>
            {
                var raw = Golden("batch/mixed.crdtb");
                Assert(Batch.Join(Batch.Split(raw)).SequenceEqual(raw), "Join(Split(x)) != x");
                Assert(Batch.Join(new List<byte[]>()).Length == 4, "empty batch");
                var e = Throws<CrdtMergeException>(() => Batch.Split(new byte[] { 0, 0 }));
                Assert(e.Category == "batch", e.Category);
            });
            Run("memory merge", () =>
            {
                var a = "{\"fact\": \"sky is blue\", \"confidence\": 0.9, \"source\": \"alice\", \"ts\": 10, \"tags\": [\"sci\"]}\n"
                      + "{\"fact\": \"grass is green\", \"confidence\": 0.4, \"source\": \"alice\", \"ts\": 11}\n";
                var b = "{\"fact\": \"sky is blue\", \"confidence\": 0.7, \"source\": \"bob\", \"ts\": 12, \"tags\": [\"color\"]}\n"
                      + "{\"fact\": \"fire is hot\", \"source\": \"bob\"}";
                var r = Memory.Merge(a, b, "{\"strategy\": \"max_confidence\", \"now\": 100}");
                var lines = r.Jsonl.TrimEnd('\n').Split('\n');
                Assert(lines.Length == 3 && lines[0].StartsWith("{\"fact\": \"fire is hot\""), r.Jsonl);
                Assert(r.Jsonl.Contains("\"tags\": [\"color\", \"sci\"]"), r.Jsonl);
                var man = (Dictionary<string, object>)Json.Parse(r.ManifestJson);
                Assert(((JsonNumber)man["unique_memories"]).Text == "3", r.ManifestJson);
                var e = Throws<CrdtMergeException>(() => Memory.Merge(a, "{\"confidence\": 1}"));
                Assert(e.Code == StatusCode.Memory && e.Message.Contains("jsonl_b line 1"), e.Message);
                e = Throws<CrdtMergeException>(() => Memory.Merge(a, b, "{\"strategy\": \"nope\"}"));
                Assert(e.Code == StatusCode.InvalidArgument, e.Message);
            });
            Run("panic becomes an exception", () =>
            {
                var e = Throws<CrdtMergeException>(() => CrdtObject.DebugPanic());
                Assert(e.Code == StatusCode.Panic && e.Category == "panic", e.Category);
            });
            Run("threads share a handle", () =>
            {
                using (var shared = CrdtObject.Decode(Golden("or_set/basic.crdt")))
                using (var other = CrdtObject.Decode(Golden("g_counter/single.crdt")))
                {
                    var want = shared.ToJson();
                    var errors = new List<string>();
                    var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
                    {
                        try
                        {
                            for (int i = 0; i < 100; i++)
                            {
                                using (var m = CrdtObject.Merge(shared, shared))
                                    if (m.ToJson() != want) throw new Exception("view changed");
                                var e = Throws<CrdtMergeException>(() => CrdtObject.Merge(shared, other));
                                if (e.Category != "type_mismatch") throw new Exception("wrong error " + e.Category);
                                shared.Encode(i % 2 == 0);
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors) errors.Add(e.Message);
                        }
                    })).ToList();
                    threads.ForEach(t => t.Start());
                    threads.ForEach(t => t.Join());
                    Assert(errors.Count == 0, string.Join("; ", errors));
                }
            });
        }

        public static int Main(string[] args)
        {
            conformance = args.Length > 0 ? args[0] : Path.Combine("..", "..", "conformance");
            Api();
            Conformance();
            Console.WriteLine("C#: " + passed + " passed, " + failed + " failed");
            return failed == 0 ? 0 : 1;
        }
    }
}

// Public API of the CrdtMerge package: a thin wrapper over the Rust core's C ABI.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("CrdtMerge.Tests")]

namespace CrdtMerge
{
    /// <summary>A failure reported by the native library.</summary>
    public sealed class CrdtMergeException : Exception
    {
        /// <summary>The status class (decode, merge, invalid argument, ...).</summary>
        public StatusCode Code { get; private set; }
        /// <summary>Stable short code: "truncated", "bad_magic", "type_mismatch", ..., "invalid_argument", "panic", "memory".</summary>
        public string Category { get; private set; }

        public CrdtMergeException(StatusCode code, string category, string message)
            : base(message)
        {
            Code = code;
            Category = category;
        }
    }

    /// <summary>Owns a native CmObject*; released exactly once by the runtime.</summary>
    public sealed class ObjectHandle : SafeHandle
    {
        public ObjectHandle() : base(IntPtr.Zero, true) { }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
        protected override bool ReleaseHandle()
        {
            Native.cm_object_free(handle);
            return true;
        }
    }

    /// <summary>Size facts of a frame (the reference's wire_size).</summary>
    public struct WireSize
    {
        public long TotalBytes;
        public long HeaderBytes;
        public long PayloadBytes;
        public bool Compressed;
        public int ProtocolVersion;
        public string TypeName;
    }

    /// <summary>
    /// A decoded CRDT object of any wire type. Immutable: safe to share between
    /// threads. Dispose it when done (the SafeHandle frees it otherwise).
    /// </summary>
    public sealed class CrdtObject : IDisposable
    {
        private readonly ObjectHandle _h;

        private CrdtObject(ObjectHandle h) { _h = h; }

        internal ObjectHandle Handle { get { return _h; } }

        /// <summary>The library version.</summary>
        public static string Version { get { return Native.StaticString(Native.cm_version()); } }

        /// <summary>The reference whose wire format this speaks.</summary>
        public static string ReferenceVersion { get { return Native.StaticString(Native.cm_reference_version()); } }

        private static CrdtObject Wrap(int status, ObjectHandle h, ref CmError err)
        {
            if (status != 0)
            {
                if (h != null) h.Dispose();
                Native.Check(status, ref err);
            }
            return new CrdtObject(h);
        }

        /// <summary>Decode one wire frame.</summary>
        public static CrdtObject Decode(byte[] frame)
        {
            if (frame == null) throw new ArgumentNullException("frame");
            var err = new CmError();
            ObjectHandle h;
            int st = Native.cm_decode(frame, Native.Len(frame), out h, ref err);
            return Wrap(st, h, ref err);
        }

        /// <summary>Decode with caps on stored and decompressed payload sizes (0 = default).</summary>
        public static CrdtObject Decode(byte[] frame, long maxPayloadBytes, long maxDecompressedBytes)
        {
            if (frame == null) throw new ArgumentNullException("frame");
            var err = new CmError();
            ObjectHandle h;
            int st = Native.cm_decode_with_limits(frame, Native.Len(frame), new UIntPtr((ulong)maxPayloadBytes), new UIntPtr((ulong)maxDecompressedBytes), out h, ref err);
            return Wrap(st, h, ref err);
        }

        /// <summary>Rebuild an object from its canonical JSON view.</summary>
        public static CrdtObject FromJson(string view)
        {
            if (view == null) throw new ArgumentNullException("view");
            var bytes = Encoding.UTF8.GetBytes(view);
            var err = new CmError();
            ObjectHandle h;
            int st = Native.cm_from_json(bytes, Native.Len(bytes), out h, ref err);
            return Wrap(st, h, ref err);
        }

        /// <summary>Merge two objects of the same type into a new object.</summary>
        public static CrdtObject Merge(CrdtObject a, CrdtObject b)
        {
            if (a == null) throw new ArgumentNullException("a");
            if (b == null) throw new ArgumentNullException("b");
            var err = new CmError();
            ObjectHandle h;
            int st = Native.cm_merge(a._h, b._h, out h, ref err);
            return Wrap(st, h, ref err);
        }

        /// <summary>Merge one or more objects left to right.</summary>
        public static CrdtObject MergeMany(params CrdtObject[] objs)
        {
            if (objs == null) throw new ArgumentNullException("objs");
            var ptrs = new IntPtr[Math.Max(objs.Length, 1)];
            var added = new bool[objs.Length];
            try
            {
                for (int i = 0; i < objs.Length; i++)
                {
                    if (objs[i] == null) throw new ArgumentNullException("objs[" + i + "]");
                    objs[i]._h.DangerousAddRef(ref added[i]);
                    ptrs[i] = objs[i]._h.DangerousGetHandle();
                }
                var err = new CmError();
                ObjectHandle h;
                int st = Native.cm_merge_many(ptrs, new UIntPtr((ulong)objs.Length), out h, ref err);
                return Wrap(st, h, ref err);
            }
            finally
            {
                for (int i = 0; i < objs.Length; i++)
                    if (added[i]) objs[i]._h.DangerousRelease();
            }
        }

        /// <summary>The wire type name, e.g. "g_counter".</summary>
        public string TypeName { get { return Native.StaticString(Native.cm_type_name(_h)); } }

        /// <summary>Encode as a frame (in the payload encoding it was decoded from).</summary>
        public byte[] Encode(bool compress = false)
        {
            var err = new CmError();
            CmBytes b;
            Native.Check(Native.cm_encode(_h, compress, out b, ref err), ref err);
            try { return b.Read(); }
            finally { Native.cm_bytes_free(ref b); }
        }

        /// <summary>The canonical JSON view {"type": name, "value": view}.</summary>
        public string ToJson()
        {
            var err = new CmError();
            CmString s;
            Native.Check(Native.cm_to_json(_h, out s, ref err), ref err);
            try { return s.Read(); }
            finally { Native.cm_string_free(ref s); }
        }

        /// <summary>Whether two objects hold the same state.</summary>
        public bool StateEquals(CrdtObject other)
        {
            return other != null && Native.cm_object_equal(_h, other._h) == 1;
        }

        public void Dispose() { _h.Dispose(); }

        /// <summary>The type name in a frame's header (payload not decoded).</summary>
        public static string PeekType(byte[] frame)
        {
            if (frame == null) throw new ArgumentNullException("frame");
            var err = new CmError();
            IntPtr name;
            Native.Check(Native.cm_peek_type(frame, Native.Len(frame), out name, ref err), ref err);
            return Native.StaticString(name);
        }

        /// <summary>Size facts of a frame.</summary>
        public static WireSize GetWireSize(byte[] frame)
        {
            if (frame == null) throw new ArgumentNullException("frame");
            var err = new CmError();
            CmWireSize ws;
            Native.Check(Native.cm_wire_size(frame, Native.Len(frame), out ws, ref err), ref err);
            return new WireSize
            {
                TotalBytes = (long)ws.TotalBytes.ToUInt64(),
                HeaderBytes = (long)ws.HeaderBytes.ToUInt64(),
                PayloadBytes = (long)ws.PayloadBytes.ToUInt64(),
                Compressed = ws.Compressed != 0,
                ProtocolVersion = ws.ProtocolVersion,
                TypeName = Native.StaticString(ws.TypeName),
            };
        }

        internal static void DebugPanic()
        {
            var err = new CmError();
            Native.Check(Native.cm_debug_panic(ref err), ref err);
        }
    }

    /// <summary>Batches: u32 BE count, then u32 BE length + frame each.</summary>
    public static class Batch
    {
        public static byte[][] Split(byte[] batch)
        {
            if (batch == null) throw new ArgumentNullException("batch");
            var err = new CmError();
            CmBytesList l;
            Native.Check(Native.cm_batch_split(batch, Native.Len(batch), out l, ref err), ref err);
            try
            {
                int n = checked((int)l.Len.ToUInt64());
                var frames = new byte[n][];
                int size = Marshal.SizeOf(typeof(CmBytes));
                for (int i = 0; i < n; i++)
                {
                    var b = (CmBytes)Marshal.PtrToStructure(new IntPtr(l.Items.ToInt64() + (long)i * size), typeof(CmBytes));
                    frames[i] = b.Read();
                }
                return frames;
            }
            finally { Native.cm_bytes_list_free(ref l); }
        }

        public static byte[] Join(IList<byte[]> frames)
        {
            if (frames == null) throw new ArgumentNullException("frames");
            int total = 0;
            foreach (var f in frames) total += f.Length;
            var cat = new byte[total];
            var lens = new UIntPtr[Math.Max(frames.Count, 1)];
            int pos = 0;
            for (int i = 0; i < frames.Count; i++)
            {
                Buffer.BlockCopy(frames[i], 0, cat, pos, frames[i].Length);
                pos += frames[i].Length;
                lens[i] = new UIntPtr((ulong)frames[i].Length);
            }
            var err = new CmError();
            CmBytes b;
            Native.Check(Native.cm_batch_join(cat, Native.Len(cat), lens, new UIntPtr((ulong)frames.Count), out b, ref err), ref err);
            try { return b.Read(); }
            finally { Native.cm_bytes_free(ref b); }
        }
    }

    /// <summary>Result of a memory merge.</summary>
    public sealed class MemoryMergeResult
    {
        /// <summary>Surviving memories, one JSON object per line, sorted by fact.</summary>
        public string Jsonl { get; internal set; }
        /// <summary>The merge manifest as a JSON object.</summary>
        public string ManifestJson { get; internal set; }
    }

    /// <summary>Agent-memory merge (ContextMerge) over JSONL memory lists.</summary>
    public static class Memory
    {
        /// <summary>
        /// Merge two memory lists. <paramref name="optionsJson"/> is null or a JSON object with
        /// optional strategy, budget, min_confidence, agent_priority, now, hash_content.
        /// </summary>
        public static MemoryMergeResult Merge(string jsonlA, string jsonlB, string optionsJson = null)
        {
            var a = Encoding.UTF8.GetBytes(jsonlA ?? "");
            var b = Encoding.UTF8.GetBytes(jsonlB ?? "");
            var o = Encoding.UTF8.GetBytes(optionsJson ?? "");
            var err = new CmError();
            CmString jl, man;
            Native.Check(Native.cm_memory_merge(a, Native.Len(a), b, Native.Len(b), o, Native.Len(o), out jl, out man, ref err), ref err);
            try { return new MemoryMergeResult { Jsonl = jl.Read(), ManifestJson = man.Read() }; }
            finally
            {
                Native.cm_string_free(ref jl);
                Native.cm_string_free(ref man);
            }
        }
    }
}

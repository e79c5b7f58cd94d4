// P/Invoke declarations for ffi/include/crdt_merge.h. Internal: use CrdtObject and friends.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace CrdtMerge
{
    /// <summary>Status of a call (the C ABI's CmStatus).</summary>
    public enum StatusCode
    {
        Ok = 0,
        Decode = 1,
        Merge = 2,
        InvalidArgument = 3,
        Panic = 4,
        Encode = 5,
        Memory = 6,
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CmString
    {
        public IntPtr Ptr;
        public UIntPtr Len;
        public UIntPtr Cap;

        public string Read()
        {
            if (Ptr == IntPtr.Zero) return "";
            int n = checked((int)Len.ToUInt64());
            var buf = new byte[n];
            Marshal.Copy(Ptr, buf, 0, n);
            return Encoding.UTF8.GetString(buf);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CmBytes
    {
        public IntPtr Ptr;
        public UIntPtr Len;
        public UIntPtr Cap;

        public byte[] Read()
        {
            int n = checked((int)Len.ToUInt64());
            var buf = new byte[n];
            if (n > 0) Marshal.Copy(Ptr, buf, 0, n);
            return buf;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CmBytesList
    {
        public IntPtr Items;
        public UIntPtr Len;
        public UIntPtr Cap;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CmError
    {
        public int Status;
        public CmString Category;
        public CmString Message;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct CmWireSize
    {
        public UIntPtr TotalBytes;
        public UIntPtr HeaderBytes;
        public UIntPtr PayloadBytes;
        public byte Compressed;
        public ushort ProtocolVersion;
        public IntPtr TypeName;
    }

    internal static class Native
    {
        private const string Lib = "crdt_merge_ffi";

        [DllImport(Lib)] internal static extern IntPtr cm_version();
        [DllImport(Lib)] internal static extern IntPtr cm_reference_version();
        [DllImport(Lib)] internal static extern void cm_error_free(ref CmError err);
        [DllImport(Lib)] internal static extern void cm_string_free(ref CmString s);
        [DllImport(Lib)] internal static extern void cm_bytes_free(ref CmBytes b);
        [DllImport(Lib)] internal static extern void cm_bytes_list_free(ref CmBytesList l);
        [DllImport(Lib)] internal static extern void cm_object_free(IntPtr obj);

        [DllImport(Lib)] internal static extern int cm_decode(byte[] data, UIntPtr len, out ObjectHandle obj, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_decode_with_limits(byte[] data, UIntPtr len, UIntPtr maxPayload, UIntPtr maxDecompressed, out ObjectHandle obj, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_encode(ObjectHandle obj, [MarshalAs(UnmanagedType.I1)] bool compress, out CmBytes outBytes, ref CmError err);
        [DllImport(Lib)] internal static extern IntPtr cm_type_name(ObjectHandle obj);
        [DllImport(Lib)] internal static extern int cm_peek_type(byte[] data, UIntPtr len, out IntPtr name, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_wire_size(byte[] data, UIntPtr len, out CmWireSize ws, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_to_json(ObjectHandle obj, out CmString outText, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_from_json(byte[] text, UIntPtr len, out ObjectHandle obj, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_object_equal(ObjectHandle a, ObjectHandle b);
        [DllImport(Lib)] internal static extern int cm_merge(ObjectHandle a, ObjectHandle b, out ObjectHandle obj, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_merge_many(IntPtr[] objs, UIntPtr n, out ObjectHandle obj, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_batch_split(byte[] data, UIntPtr len, out CmBytesList list, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_batch_join(byte[] data, UIntPtr dataLen, UIntPtr[] lens, UIntPtr n, out CmBytes outBytes, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_memory_merge(byte[] a, UIntPtr lenA, byte[] b, UIntPtr lenB, byte[] opts, UIntPtr optsLen, out CmString jsonl, out CmString manifest, ref CmError err);
        [DllImport(Lib)] internal static extern int cm_debug_panic(ref CmError err);

        internal static string StaticString(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var buf = new byte[n];
            Marshal.Copy(p, buf, 0, n);
            return Encoding.UTF8.GetString(buf);
        }

        /// <summary>Throw a CrdtMergeException for a failed status (and free the error).</summary>
        internal static void Check(int status, ref CmError err)
        {
            if (status == 0) return;
            var ex = new CrdtMergeException((StatusCode)status, err.Category.Read(), err.Message.Read());
            cm_error_free(ref err);
            throw ex;
        }

        internal static UIntPtr Len(byte[] b) { return new UIntPtr((ulong)(b == null ? 0 : b.Length)); }
    }
}

// A tiny JSON parser for the test runner: objects become Dictionary<string, object>,
// arrays List<object>, numbers JsonNumber (their exact text), strings, bools, null.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace CrdtMerge.Tests
{
    public sealed class JsonNumber
    {
        public readonly string Text;
        public JsonNumber(string text) { Text = text; }
        public bool IsFloat { get { return Text.IndexOfAny(new[] { '.', 'e', 'E' }) >= 0; } }
        public override string ToString() { return Text; }

        public bool NumEquals(JsonNumber o)
        {
            if (Text == o.Text) return true;
            if (IsFloat != o.IsFloat) return false;
            if (!IsFloat) return BigInteger.Parse(Text, CultureInfo.InvariantCulture) == BigInteger.Parse(o.Text, CultureInfo.InvariantCulture);
            return double.Parse(Text, CultureInfo.InvariantCulture) == double.Parse(o.Text, CultureInfo.InvariantCulture);
        }
    }

    public static class Json
    {
        public static object Parse(string text)
        {
            int i = 0;
            var v = Value(text, ref i);
            Ws(text, ref i);
            if (i != text.Length) throw new FormatException("trailing characters at " + i);
            return v;
        }

        static void Ws(string s, ref int i)
        {
            while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        }

        static object Value(string s, ref int i)
        {
            Ws(s, ref i);
            if (i >= s.Length) throw new FormatException("unexpected end");
            char c = s[i];
            if (c == '{')
            {
                var d = new Dictionary<string, object>();
                i++;
                Ws(s, ref i);
                if (s[i] == '}') { i++; return d; }
                while (true)
                {
                    Ws(s, ref i);
                    var k = Str(s, ref i);
                    Ws(s, ref i);
                    if (s[i++] != ':') throw new FormatException("expected : at " + (i - 1));
                    d[k] = Value(s, ref i);
                    Ws(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i] == '}') { i++; return d; }
                    throw new FormatException("expected , or } at " + i);
                }
            }
            if (c == '[')
            {
                var l = new List<object>();
                i++;
                Ws(s, ref i);
                if (s[i] == ']') { i++; return l; }
                while (true)
                {
                    l.Add(Value(s, ref i));
                    Ws(s, ref i);
                    if (s[i] == ',') { i++; continue; }
                    if (s[i] == ']') { i++; return l; }
                    throw new FormatException("expected , or ] at " + i);
                }
            }
            if (c == '"') return Str(s, ref i);
            if (string.CompareOrdinal(s, i, "true", 0, 4) == 0) { i += 4; return true; }
            if (string.CompareOrdinal(s, i, "false", 0, 5) == 0) { i += 5; return false; }
            if (string.CompareOrdinal(s, i, "null", 0, 4) == 0) { i += 4; return null; }
            int start = i;
            while (i < s.Length && "+-0123456789.eE".IndexOf(s[i]) >= 0) i++;
            if (i == start) throw new FormatException("unexpected character '" + c + "' at " + i);
            return new JsonNumber(s.Substring(start, i - start));
        }

        static string Str(string s, ref int i)
        {
            if (s[i] != '"') throw new FormatException("expected string at " + i);
            i++;
            var sb = new StringBuilder();
            while (true)
            {
                char c = s[i++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                char e = s[i++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        sb.Append((char)Convert.ToInt32(s.Substring(i, 4), 16));
                        i += 4;
                        break;
                    default: throw new FormatException("bad escape at " + i);
                }
            }
        }

        /// <summary>Structural equality of parsed documents (object key order ignored).</summary>
        public static bool DeepEquals(object a, object b)
        {
            if (a == null || b == null) return a == null && b == null;
            var na = a as JsonNumber;
            if (na != null) { var nb = b as JsonNumber; return nb != null && na.NumEquals(nb); }
            var da = a as Dictionary<string, object>;
            if (da != null)
            {
                var db = b as Dictionary<string, object>;
                if (db == null || da.Count != db.Count) return false;
                foreach (var kv in da)
                {
                    object w;
                    if (!db.TryGetValue(kv.Key, out w) || !DeepEquals(kv.Value, w)) return false;
                }
                return true;
            }
            var la = a as List<object>;
            if (la != null)
            {
                var lb = b as List<object>;
                if (lb == null || la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++) if (!DeepEquals(la[i], lb[i])) return false;
                return true;
            }
            return a.Equals(b);
        }

        /// <summary>Write a parsed value back as compact JSON (for manifest sub-documents).</summary>
        public static string Write(object v)
        {
            var sb = new StringBuilder();
            WriteTo(v, sb);
            return sb.ToString();
        }

        static void WriteTo(object v, StringBuilder sb)
        {
            if (v == null) { sb.Append("null"); return; }
            if (v is bool) { sb.Append((bool)v ? "true" : "false"); return; }
            var n = v as JsonNumber;
            if (n != null) { sb.Append(n.Text); return; }
            var s = v as string;
            if (s != null)
            {
                sb.Append('"');
                foreach (char c in s)
                {
                    if (c == '"' || c == '\\') sb.Append('\\').Append(c);
                    else if (c < 0x20) sb.AppendFormat("\\u{0:x4}", (int)c);
                    else sb.Append(c);
                }
                sb.Append('"');
                return;
            }
            var d = v as Dictionary<string, object>;
            if (d != null)
            {
                sb.Append('{');
                bool first = true;
                foreach (var kv in d)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    WriteTo(kv.Key, sb);
                    sb.Append(": ");
                    WriteTo(kv.Value, sb);
                }
                sb.Append('}');
                return;
            }
            var l = (List<object>)v;
            sb.Append('[');
            for (int i = 0; i < l.Count; i++)
            {
                if (i > 0) sb.Append(", ");
                WriteTo(l[i], sb);
            }
            sb.Append(']');
        }
    }
}

package org.crdtmerge

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File

class CrdtMergeTest {
    private val conformance = File(System.getProperty("conformance.dir") ?: "../../conformance")
    private val golden = File(conformance, "golden")
    private val cases: List<JSONObject> by lazy {
        val arr = JSONObject(File(conformance, "manifest.json").readText()).getJSONArray("cases")
        (0 until arr.length()).map { arr.getJSONObject(it) }
    }

    // README example: kept identical to the ```kotlin block of packages/kotlin/README.md
    // BEGIN README
    @Test
    fun readmeExample() {
        val a = GCounter()
        a.increment("node-a", 3)
        val b = GCounter()
        b.increment("node-b", 4)
        val wire: ByteArray = b.encode(false)          // bytes the Python reference reads too
        val merged = a.merge(GCounter.decode(wire))
        check(merged.value() == 7L)
        check(peekType(wire) == "g_counter")
    }
    // END README

    @Test
    fun readmeMatchesThisFile() {
        val readme = File("README.md").readText()
        val block = Regex("```kotlin\\n(.*?)```", RegexOption.DOT_MATCHES_ALL).find(readme)!!.groupValues[1]
        val src = File("src/test/kotlin/org/crdtmerge/CrdtMergeTest.kt").readText()
        val body = src.substringAfter("fun readmeExample() {\n").substringBefore("    }\n    // END README")
        assertEquals(block.trimIndent().trim(), body.trimIndent().trim())
    }

    @Test
    fun everyRoundtripCase() {
        var n = 0
        for (c in cases.filter { it.getString("kind") == "roundtrip" }) {
            val data = File(golden, c.getString("file")).readBytes()
            val f = Frame.decode(data)
            assertEquals(c.getString("type"), f.typeName())
            assertTrue(JSONObject(f.toJsonView()).similar(c.getJSONObject("view")), c.getString("name"))
            if (c.getBoolean("bytes_exact")) {
                assertArrayEquals(data, f.encode(c.getBoolean("compressed")), c.getString("name"))
            }
            n++
        }
        assertTrue(n > 50)
    }

    @Test
    fun everyMergeCaseIsLawful() {
        for (c in cases.filter { it.getString("kind") == "merge" }) {
            val ins = c.getJSONArray("inputs")
            val a = Frame.decode(File(golden, ins.getString(0)).readBytes())
            val b = Frame.decode(File(golden, ins.getString(1)).readBytes())
            val ab = JSONObject(a.merge(b).toJsonView())
            assertTrue(ab.similar(JSONObject(b.merge(a).toJsonView())), c.getString("name"))
            if (c.getBoolean("law_safe")) assertTrue(ab.similar(c.getJSONObject("view")), c.getString("name"))
        }
    }

    @Test
    fun everyBadCaseThrowsWithItsCode() {
        for (c in cases.filter { it.getString("kind") == "bad" }) {
            val data = File(golden, c.getString("file")).readBytes()
            val e = assertThrows<CrdtException> {
                if (c.optString("type") == "batch") splitBatch(data).forEach { Frame.decode(it) } else Frame.decode(data)
            }
            val code = (e as CrdtException.Decode).code
            val allowed = c.getJSONArray("errors").toList()
            assertTrue(code in allowed, "${c.getString("name")}: $code")
        }
    }

    @Test
    fun typedApiAndErrors() {
        val m = LwwMap()
        m.set("k", "{\"a\": [1, 2.5]}", Stamp.Float(1.0), "n")
        assertEquals("{\"a\":[1,2.5]}", m.getJson("k")!!.replace(" ", ""))
        val h = Hll(10u)
        h.addStrs((0 until 1000).map { "u$it" })
        assertTrue(kotlin.math.abs(h.cardinality() - 1000) < 100)
        val e = assertThrows<CrdtException.Merge> { h.merge(Hll(12u)) }
        assertEquals("parameter_mismatch", e.code)
        assertThrows<CrdtException.Argument> { GCounter().increment("a", -1) }
        val w = wireSize(GCounter().encode(false))
        assertEquals(12uL, w.headerBytes)
    }
}

package org.crdtmerge

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Test
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.PrintStream

/**
 * The Kotlin example of the repository's top-level README.md is the program
 * `src/test/kotlin/ReadmeExample.kt`, character for character; this test
 * checks that and runs it (tests/readme/run.sh also runs it with `java`).
 */
class ReadmeExampleTest {
    private val program = File("src/test/kotlin/ReadmeExample.kt")

    @Test
    fun topLevelReadmeBlockIsTheExampleProgram() {
        val readme = File(System.getProperty("readme.path") ?: "../../README.md").readText()
        val block = Regex("<!-- readme-test: kotlin -->\\n```kotlin\\n(.*?)```", RegexOption.DOT_MATCHES_ALL).find(readme)
        assertNotNull(block, "README.md has no block marked <!-- readme-test: kotlin -->")
        assertEquals(block!!.groupValues[1], program.readText())
    }

    @Test
    fun exampleProgramRunsAndPrintsTheMergedValue() {
        val out = ByteArrayOutputStream()
        val saved = System.out
        System.setOut(PrintStream(out, true, "UTF-8"))
        try {
            Class.forName("ReadmeExampleKt").getMethod("main", Array<String>::class.java).invoke(null, arrayOf<String>())
        } finally {
            System.setOut(saved)
        }
        assertEquals("g_counter 7\n", out.toString("UTF-8"))
    }
}

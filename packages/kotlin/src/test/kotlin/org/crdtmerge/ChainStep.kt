package org.crdtmerge

import java.io.File

/**
 * The Kotlin step of the cross-language chain (tests/chain/run.sh): reads the
 * C# step's frames (`3c_*.crdt`), changes each state through the Kotlin API
 * and writes `3k_*.crdt` for the Python binding's step. Run with the test
 * classpath after `mvn test-compile` (the chain script does that).
 */
fun main(args: Array<String>) {
    val dir = File(args.single())
    fun read(name: String) = File(dir, name).readBytes()

    val counter = GCounter.decode(read("3c_gc.crdt"))
    counter.increment("kt", 8)
    val set = OrSet.decode(read("3c_or.crdt"))
    set.add("\"t\"", "00000000kt01")
    val map = LwwMap.decode(read("3c_map.crdt"))
    map.set("runtime", "\"jvm\"", Stamp.Float(3.0), "kt")

    File(dir, "3k_gc.crdt").writeBytes(counter.encode(false))
    File(dir, "3k_or.crdt").writeBytes(set.encode(false))
    File(dir, "3k_map.crdt").writeBytes(map.encode(false))
}

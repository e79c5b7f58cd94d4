import org.crdtmerge.GCounter
import org.crdtmerge.peekType

fun main() {
    val a = GCounter()
    a.increment("node-a", 3)                                // replica A
    val b = GCounter()
    b.increment("node-b", 4)                                // replica B
    val merged = a.merge(GCounter.decode(b.encode(false)))  // B's state arrives as wire bytes
    val wire: ByteArray = merged.encode(false)              // bytes the Python reference reads too
    val back = GCounter.decode(wire)
    println("${peekType(wire)} ${back.value()}")            // g_counter 7
    check(back.value() == 7L && back.get("node-a") == 3L && back.get("node-b") == 4L)
}

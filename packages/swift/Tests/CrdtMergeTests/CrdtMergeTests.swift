import XCTest
@testable import CrdtMerge

final class CrdtMergeTests: XCTestCase {
    // README example: kept identical to the ```swift block of packages/swift/README.md
    func testReadmeExample() throws {
        let a = GCounter()
        try a.increment(nodeId: "node-a", amount: 3)
        let b = GCounter()
        try b.increment(nodeId: "node-b", amount: 4)
        let wire: Data = try b.encode(compress: false)   // bytes the Python reference reads too
        let merged = try a.merge(other: GCounter.decode(data: wire))
        XCTAssertEqual(try merged.value(), 7)
        XCTAssertEqual(try peekType(data: wire), "g_counter")
    }

    func testErrorsCarryCodes() {
        XCTAssertThrowsError(try Frame.decode(data: Data())) { error in
            guard case CrdtError.Decode(let code, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, "truncated")
        }
    }
}

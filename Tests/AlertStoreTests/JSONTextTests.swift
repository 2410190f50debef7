import AlertStore
import Foundation
import XCTest

final class JSONTextTests: XCTestCase {
  func testRendersValidOrderedJSON() throws {
    let value = JSONText.object([
      ("b", .int(1)), ("a", .string("quote \" backslash \\ newline \n tab \t bell \u{07} é")),
      ("f", .float(0.9442857)), ("d", .double(2458881.9954051)), ("nan", .double(.nan)), ("inf", .float(.infinity)),
      ("n", .null), ("t", .bool(true)), ("list", .array([.int(-5), .raw("{\"x\":[1,2]}")])),
    ])
    let text = value.rendered
    XCTAssertTrue(text.hasPrefix("{\"b\":1,\"a\":"), text)
    XCTAssertTrue(text.contains("\"f\":0.9442857,"), "float32 values keep their short form: \(text)")
    XCTAssertTrue(text.contains("\\u0007"), text)
    let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    XCTAssertEqual(parsed["a"] as? String, "quote \" backslash \\ newline \n tab \t bell \u{07} é")
    XCTAssertEqual(parsed["d"] as? Double, 2458881.9954051)
    XCTAssertTrue(parsed["nan"] is NSNull)
    XCTAssertTrue(parsed["inf"] is NSNull)
    XCTAssertEqual(((parsed["list"] as? [Any])?[1] as? [String: Any])?["x"] as? [Int], [1, 2])
  }

  func testTablesQuoteCSVCellsAndAlignColumns() {
    let table = RecordTable(columns: ["id", "note"], rows: [["1", "plain"], ["22", "a, \"b\""]])
    XCTAssertEqual(table.csv, "id,note\n1,plain\n22,\"a, \"\"b\"\"\"\n")
    XCTAssertEqual(table.aligned, "id  note\n--  ------\n1   plain\n22  a, \"b\"\n")
  }

  func testTableCompactsFloat32ValuesOnly() {
    let table = RecordTable(
      columns: ["a", "b", "c", "d"], rows: [[String(Double(Float(17.54656))), "2458881.9954051", "1127495406315015005", "x.y"]])
    XCTAssertEqual(table.compactingFloat32().rows[0], ["17.54656", "2458881.9954051", "1127495406315015005", "x.y"])
  }
}

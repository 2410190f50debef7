import AstroIO
import Foundation
import TestSupport
import XCTest

/// The `braai score` executable end to end (built by `swift build`, which `make test` runs first).
final class BraaiCLITests: XCTestCase {
  func run(_ arguments: [String]) throws -> ProductRun { try runProduct("braai", arguments) }

  func testScoreBundledFolderAsCSV() throws {
    let folder = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts").path
    let result = try run(["score", folder])
    XCTAssertEqual(result.status, 0, result.stderr)
    let lines = result.stdout.split(separator: "\n")
    XCTAssertEqual(lines.first, "candid,objectId,score,drb")
    XCTAssertEqual(lines.count, 11)
    // Rows follow the sorted file order; the packet without drb has an empty last column.
    XCTAssertTrue(lines[1].hasPrefix("1105522281015015000,ZTF20aaelulu,"))
    XCTAssertTrue(lines.contains { $0.hasPrefix("739260766315010006,ZTF17aaacxxf,") && $0.hasSuffix(",") })
    for line in lines.dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      if let drb = Double(f[3]) { XCTAssertEqual(Double(f[2])!, drb, accuracy: 1e-5, String(line)) }
    }
  }

  func testJSONAndFailureExitCode() throws {
    let good = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts/1127495406315015005.avro").path
    let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).avro")
    try Data([0x4f, 0x62, 0x6a, 0x01, 0xff]).write(to: bad)
    defer { try? FileManager.default.removeItem(at: bad) }
    let result = try run(["score", "--format", "json", good, bad.path])
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.stderr.contains("braai: \(bad.lastPathComponent): header metadata: truncated"), result.stderr)
    XCTAssertFalse(result.stderr.contains("\(bad.lastPathComponent): \(bad.path)"), "the file is named once: \(result.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [[String: Any]]
    XCTAssertEqual(json.count, 1)
    XCTAssertEqual(json[0]["objectId"] as? String, "ZTF20aajcdad")
  }

  func testUnknownNormalisationIsAUsageError() throws {
    let result = try run(["score", "--norm", "columns", "Datasets/ztf-alerts"])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.stderr.contains("norm"), result.stderr)
  }

  /// Two-channel triplets are the data's fault, and the error says so (it used to blame the weights file).
  func testEvaluateBlamesTheDataForTripletsOfTheWrongShape() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("two-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try NpyArray(shape: [2, 63, 63, 2], floats: [Float](repeating: 0.1, count: 2 * 63 * 63 * 2)).write(to: folder + "/triplets.x.npy")
    try NpyArray(shape: [2], floats: [0, 1]).write(to: folder + "/labels.x.npy")
    let result = try run(["evaluate", "--npy", folder, "--stamp", "x", "--out", folder + "/report"])
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(
      result.stderr.contains("triplets.x.npy: samples of shape [63, 63, 2], but d6_m7.h5 holds weights for [63, 63, 3] triplets"),
      result.stderr)
  }
}

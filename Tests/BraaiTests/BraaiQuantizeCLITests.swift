import AstroIO
import Foundation
import TestSupport
import XCTest

/// `braai triplets`, `braai quantize` and `braai score --model` end to end on the bundled alerts.
final class BraaiQuantizeCLITests: XCTestCase {
  func testTripletsQuantizeAndScoreWithTheInt8Model() throws {
    let alerts = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts").path
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braai-int8-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let triplets = folder.appendingPathComponent("triplets.npy").path
    let made = try runProduct("braai", ["triplets", alerts, "--out", triplets])
    XCTAssertEqual(made.status, 0, made.stderr)
    let array = try NpyArray.read(path: triplets)
    XCTAssertEqual(array.shape, [10, 63, 63, 3])
    let candids = try NpyArray.read(path: folder.appendingPathComponent("candids.npy").path).int64s()
    XCTAssertEqual(candids.first, 1_105_522_281_015_015_000)

    let model = folder.appendingPathComponent("d6_m7.int8.tflite").path
    let quantized = try runProduct("braai", ["quantize", "--calibration", triplets, "--calibration-count", "6", "--out", model])
    XCTAssertEqual(quantized.status, 0, quantized.stderr)
    XCTAssertTrue(quantized.stdout.contains("| conv1 | conv1 | mse |"), quantized.stdout)

    let floatRun = try runProduct("braai", ["score", alerts])
    let intRun = try runProduct("braai", ["score", "--model", model, alerts])
    XCTAssertEqual(intRun.status, 0, intRun.stderr)
    let floatLines = floatRun.stdout.split(separator: "\n"), intLines = intRun.stdout.split(separator: "\n")
    XCTAssertEqual(intLines.count, floatLines.count)
    XCTAssertEqual(intLines.first, "candid,objectId,score,drb")
    for (f, q) in zip(floatLines.dropFirst(), intLines.dropFirst()) {
      let a = f.split(separator: ",", omittingEmptySubsequences: false), b = q.split(separator: ",", omittingEmptySubsequences: false)
      XCTAssertEqual(a[0], b[0])
      XCTAssertEqual(Double(a[2])!, Double(b[2])!, accuracy: 0.06, "\(a[1])")
    }

    let edge = folder.appendingPathComponent("d6_m7.edgetpu.tflite").path
    let compiled = try runProduct("braai", ["quantize", "--calibration", alerts, "--edgetpu", "--out", edge])
    XCTAssertEqual(compiled.status, 0, compiled.stderr)
    XCTAssertTrue(compiled.stdout.contains("12 of 12 operators on the Edge TPU"), compiled.stdout)
  }

  func testAnEdgeTPUCompiledModelIsRefusedWithAReason() throws {
    let compiled = try SharedData.path("reference/tflite/braai_d6_m7.edgetpu.tflite")
    let alerts = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts").path
    let run = try runProduct("braai", ["score", "--model", compiled, alerts])
    XCTAssertNotEqual(run.status, 0)
    XCTAssertTrue(run.stderr.contains("Edge TPU"), run.stderr)
  }
}

import AstroONNX
import AstroTFLite
import Foundation
import TestSupport
import XCTest

/// `kill -9` of the exporters at 20 random moments each: the destination is either absent or the whole file
/// (byte for byte what an uninterrupted export writes), never a part of one.
final class ExportKillTests: XCTestCase {
  private let root = SharedData.packageRoot

  /// Runs the export 20 times, each killed after a random delay up to 80% of an uninterrupted export's run time
  /// (measured here, so that a faster machine or a faster engine does not let the exports outrun the kills).
  private func killRepeatedly(
    _ product: String, _ arguments: [String], out: String, check: (Data) throws -> Void
  ) throws {
    let binary = try SharedData.builtProduct(product)
    let began = Date()
    let complete = try runProduct(product, arguments + ["--out", out])
    let within = UInt32(max(10_000, Date().timeIntervalSince(began) * 0.8e6))
    XCTAssertEqual(complete.status, 0, complete.stderr)
    let expected = try Data(contentsOf: URL(fileURLWithPath: out))
    try check(expected)
    var random = SystemRandomNumberGenerator()
    var kills = 0
    for _ in 0..<20 {
      try? FileManager.default.removeItem(atPath: out)  // absent when the previous export was killed before its rename
      let process = Process()
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = arguments + ["--out", out]
      process.currentDirectoryURL = root
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      usleep(UInt32.random(in: 0...within, using: &random))
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        kills += 1
      }
      process.waitUntilExit()
      if let written = FileManager.default.contents(atPath: out) {
        XCTAssertEqual(written, expected, "\(product): a killed export left a partial \(out)")
      }
    }
    XCTAssertGreaterThanOrEqual(kills, 5, "\(product): the kills landed while exports ran")
  }

  func testKilledONNXAndTFLiteExportsLeaveNoPartialFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("export-kill-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let artefact = root.appendingPathComponent("Datasets/braai/d6_m9.artefact.h5").path
    try killRepeatedly("astrolearn", ["export", artefact, "--format", "onnx"], out: folder + "/m9.onnx") {
      _ = try ONNXModel(bytes: [UInt8]($0))
    }
    let packets = root.appendingPathComponent("Datasets/ztf-alerts").path
    try killRepeatedly("braai", ["quantize", "--calibration", packets, "--method", "minmax"], out: folder + "/m7.tflite") {
      _ = try TFLiteModel(bytes: [UInt8]($0))
    }
  }
}

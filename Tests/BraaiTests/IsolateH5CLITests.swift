import AstroIO
import Foundation
import TestSupport
import XCTest

/// `--isolate-h5` on every command that reads weights from outside: the file is read in the child check first, so
/// a child that dies (standing in for libhdf5 crashing on a malformed file) ends the command with an error naming
/// the file, and without the flag the child is never started.
final class IsolateH5CLITests: XCTestCase {
  func testEveryWeightsReadingCommandChecksInAChildWhenAsked() throws {
    let scratch = try TemporaryFolder("isolate-h5")
    let helper = scratch.path("crashing-check")
    try "#!/bin/sh\nkill -SEGV $$\n".write(toFile: helper, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper)
    setenv("ASTRO_H5CHECK", helper, 1)
    defer { unsetenv("ASTRO_H5CHECK") }
    let artefact = SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m9.artefact.h5").path
    let weights = scratch.path("rb_vgg6.h5")
    try FileManager.default.copyItem(atPath: artefact, toPath: weights)
    let crashed = "libhdf5 crashed reading the file (signal 11, in the child check): it is malformed and was not loaded"
    let commands: [(String, [String], String)] = [
      ("astrolearn", ["summary", artefact], "d6_m9.artefact.h5"),
      ("astrolearn", ["predict", artefact, "--input", "x.npy", "--out", scratch.path("y.npy")], "d6_m9.artefact.h5"),
      ("astrolearn", ["export", artefact, "--format", "onnx", "--out", scratch.path("m.onnx")], "d6_m9.artefact.h5"),
      ("astrolearn", ["quantize", artefact, "--calibration", "x.npy", "--out", scratch.path("m.tflite")], "d6_m9.artefact.h5"),
      ("deepstreaks", ["evaluate", "--family", "rb", "--model", "vgg6", "--models", scratch.path, "--data", scratch.path, "--stamp", "s"], "rb_vgg6.h5"),
      ("deepstreaks", ["classify", "--models", scratch.path, "--data", scratch.path, "--stamp", "s"], "rb_vgg6.h5"),
      ("braai", ["score", "--weights", weights, "Datasets/ztf-alerts"], "rb_vgg6.h5"),
    ]
    for (product, arguments, file) in commands {
      let run = try runProduct(product, arguments + ["--isolate-h5"])
      XCTAssertNotEqual(run.status, 0, "\(product) \(arguments.first!)")
      XCTAssertTrue(run.stderr.contains("\(file): \(crashed)"), "\(product) \(arguments.first!): \(run.stderr)")
    }
    let plain = try runProduct("astrolearn", ["summary", artefact])
    XCTAssertEqual(plain.status, 0, "without --isolate-h5 no child check runs: \(plain.stderr)")
  }
}

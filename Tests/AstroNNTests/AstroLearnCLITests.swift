import AstroIO
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// The `astrolearn` executable on BTSbot's model file, with its two inputs.
final class AstroLearnCLITests: XCTestCase {
  let model = "Datasets/btsbot/btsbot_v1.0.1.h5"
  var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("astrolearn-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

  /// The fixture's inputs as .npy files; returns their paths and TF's scores.
  func writeFixtureInputs() throws -> (triplet: String, metadata: String, scores: [Float]) {
    let fixture = try HDF5File(path: SharedData.path("data/btsbot/btsbot_v1.0.1.fixture.h5"), mode: .readOnly)
    var paths: [String] = []
    for name in ["triplet", "metadata"] {
      let (shape, values) = try fixture.readFloats(name)
      let path = folder.appendingPathComponent("\(name).npy").path
      try NpyArray(shape: shape, floats: values).write(to: path)
      paths.append(path)
    }
    return (paths[0], paths[1], try fixture.readFloats("score").values)
  }

  func testSummaryNamesInputsAndOutputs() throws {
    let result = try runProduct("astrolearn", ["summary", model])
    XCTAssertEqual(result.status, 0, result.stderr)
    XCTAssertTrue(result.stdout.contains("input  triplet: [N] + [63, 63, 3]"), result.stdout)
    XCTAssertTrue(result.stdout.contains("input  metadata: [N] + [25]"), result.stdout)
    XCTAssertTrue(result.stdout.contains("Total params: 227861"), result.stdout)
  }

  func testPredictWithTwoInputsWritesTensorFlowsScores() throws {
    let (triplet, metadata, scores) = try writeFixtureInputs()
    let out = folder.appendingPathComponent("scores.npy").path
    let result = try runProduct(
      "astrolearn", ["predict", model, "--input", "metadata=\(metadata)", "--input", "triplet=\(triplet)", "--out", out, "--batch", "3"])
    XCTAssertEqual(result.status, 0, result.stderr)
    let written = try NpyArray.read(path: out)
    XCTAssertEqual(written.shape, [8, 1])
    assertClose(written.floats(), scores, atol: 1e-5, rtol: 0)
  }

  func testPredictNamesWhatIsMissingOrWrong() throws {
    let (triplet, metadata, _) = try writeFixtureInputs()
    let out = folder.appendingPathComponent("x.npy").path
    let missing = try runProduct("astrolearn", ["predict", model, "--input", "triplet=\(triplet)", "--out", out])
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.stderr.contains("no --input metadata=FILE.npy"), missing.stderr)
    let unknown = try runProduct("astrolearn", ["predict", model, "--input", "image=\(triplet)", "--input", "metadata=\(metadata)", "--out", out])
    XCTAssertTrue(unknown.stderr.contains("the model has no input 'image'; its inputs are triplet, metadata"), unknown.stderr)
    let swapped = try runProduct("astrolearn", ["predict", model, "--input", "triplet=\(metadata)", "--input", "metadata=\(triplet)", "--out", out])
    XCTAssertTrue(swapped.stderr.contains("array of shape [8, 25], input 'triplet' takes [N] + [63, 63, 3]"), swapped.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a failed run wrote its output")
  }
}

import AstroIO
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// `astrolearn quantize`, `predict` on a .tflite and `edgetpu-report` on a model saved by this library.
final class AstroLearnQuantizeCLITests: XCTestCase {
  func testQuantizePredictAndReport() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("astrolearn-int8-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let model = try PostTrainingQuantizationTests.makeModel()
    let keras = folder.appendingPathComponent("mixed.h5").path
    try model.saveKeras(to: keras)
    let samples = PostTrainingQuantizationTests.inputs(48, seed: 9)
    let inputs = folder.appendingPathComponent("x.npy").path
    try samples.npyArray().write(to: inputs)

    let tflite = folder.appendingPathComponent("mixed.tflite").path
    let quantize = try runProduct("astrolearn", ["quantize", keras, "--calibration", "image=\(inputs)", "--out", tflite])
    XCTAssertEqual(quantize.status, 0, quantize.stderr)
    XCTAssertTrue(quantize.stdout.contains("relative RMS error"), quantize.stdout)

    let scores = folder.appendingPathComponent("scores.npy").path
    let predict = try runProduct("astrolearn", ["predict", tflite, "--input", inputs, "--out", scores])
    XCTAssertEqual(predict.status, 0, predict.stderr)
    let int8 = try NpyArray.read(path: scores)
    XCTAssertEqual(int8.shape, [48, 1])
    let expected = try model.predict(samples).values
    XCTAssertLessThan(zip(int8.floats(), expected).map { abs($0 - $1) }.max()!, 0.05)

    let report = try runProduct("astrolearn", ["edgetpu-report", tflite])
    XCTAssertEqual(report.status, 0, report.stderr)
    XCTAssertTrue(report.stdout.contains("dynamic shapes"), report.stdout)
    let missing = try runProduct("astrolearn", ["quantize", keras, "--calibration", "other=\(inputs)", "--out", tflite])
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.stderr.contains("no input 'other'"), missing.stderr)
  }
}

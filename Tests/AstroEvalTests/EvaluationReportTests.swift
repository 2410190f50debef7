import AstroEval
import AstroPlot
import Foundation
import XCTest

final class EvaluationReportTests: XCTestCase {
  private func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "astroeval-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
  }

  /// The hand example of `ConfusionMatrixTests`, with candids.
  private func predictions() throws -> BinaryPredictions {
    try BinaryPredictions(
      scores: [0.9, 0.8, 0.6, 0.4, 0.3, 0.2, 0.55, 0.5], labels: [1, 1, 0, 1, 0, 0, 1, 0],
      ids: [101, 102, 103, 104, 105, 106, 107, 108])
  }

  private func curves() throws -> TrainingCurves {
    try TrainingCurves(
      loss: [0.7, 0.5, 0.4, 0.35], accuracy: [0.6, 0.75, 0.8, 0.85], validationLoss: [0.72, 0.55, 0.5, 0.52],
      validationAccuracy: [0.55, 0.7, 0.78, 0.77])
  }

  /// One 4x4x3 image per sample whose values encode the sample index (for checking which images are shown).
  private func images(count: Int = 8) throws -> SampleImages {
    try SampleImages(values: (0..<(count * 48)).map { Float($0 / 48) + Float($0 % 7) / 10 }, width: 4, height: 4, channels: 3)
  }

  func testSummaryFields() throws {
    let report = try EvaluationReport(
      title: "hand", predictions: predictions(), thresholds: [0.7], targetFNRs: [0.25], targetFPRs: [0.25])
    XCTAssertEqual(report.sampleCount, 8)
    XCTAssertEqual(report.positiveCount, 4)
    XCTAssertEqual(report.negativeCount, 4)
    XCTAssertEqual(report.confusionMatrices.map(\.threshold), [0.5, 0.7])
    XCTAssertEqual(report.mainConfusionMatrix.counts, [[2, 2], [1, 3]])
    // AUC by hand: positives 0.9, 0.8, 0.55, 0.4 vs negatives 0.6, 0.5, 0.3, 0.2: 4 + 4 + 3 + 2 = 13 of 16.
    XCTAssertEqual(try XCTUnwrap(report.auc), 13.0 / 16, accuracy: 1e-12)
    // Misclassified at 0.5: 0.6 (label 0, 0.1 away), 0.5 (label 0, 0 away), 0.4 (label 1, 0.1 away), most
    // confident first, ties in sample order.
    XCTAssertEqual(report.misclassified.map(\.id), [103, 104, 108])
    XCTAssertEqual(report.misclassified.map(\.label), [0, 1, 0])
    // Target FNR 25%: positives ascending 0.4, 0.55, 0.8, 0.9, one miss allowed: threshold 0.55.
    let fnrTarget = try XCTUnwrap(report.targetOperatingPoints.first { $0.rate == .falseNegativeRate })
    XCTAssertEqual(fnrTarget.point.threshold, 0.55)
    XCTAssertEqual(fnrTarget.point.falseNegativeRate, 0.25)
    XCTAssertEqual(fnrTarget.point.falsePositiveRate, 0.25)  // only 0.6 passes
    XCTAssertEqual(report.plotFiles, ["roc.png", "fnr_fpr_vs_threshold.png", "score_histogram.png", "confusion_matrix.png"])
  }

  func testJSONRoundTrip() throws {
    let report = try EvaluationReport(
      title: "round trip", predictions: predictions(), thresholds: [0.3, 0.7], training: curves(), images: images())
    let data = try report.jsonData()
    let decoded = try EvaluationReport.decode(jsonData: data)
    XCTAssertEqual(decoded, report)
    XCTAssertEqual(try decoded.jsonData(), data)
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    XCTAssertEqual(object["samples"] as? Int, 8)
    XCTAssertEqual(object["auc"] as? Double, 13.0 / 16)
    XCTAssertEqual((object["confusion_matrices"] as? [[String: Any]])?.first?["fnr"] as? Double, 0.25)
    XCTAssertNotNil(object["training"] as? [String: Any])
    XCTAssertThrowsError(try EvaluationReport.decode(jsonData: Data("{\"title\": 1}".utf8)))
  }

  func testMarkdownContainsTheTables() throws {
    let report = try EvaluationReport(title: "markdown", predictions: predictions(), thresholds: [0.7])
    let md = report.markdown
    XCTAssertTrue(md.hasPrefix("# markdown\n"))
    XCTAssertTrue(md.contains("| true \\ predicted | bogus | real |"))
    XCTAssertTrue(md.contains("| **bogus** | 2 (50.00%) | 2 (50.00%) |"))
    XCTAssertTrue(md.contains("| **real** | 1 (25.00%) | 3 (75.00%) |"))
    XCTAssertTrue(md.contains("| 0.5 | 2 | 2 | 1 | 3 | 62.50% | 25.00% | 50.00% | 60.00% |"))
    XCTAssertTrue(md.contains("| 0.7 | 4 | 0 | 2 | 2 | 75.00% | 50.00% | 0.00% | 100.00% |"))
    XCTAssertTrue(md.contains("- AUC: 0.8125"))
    XCTAssertTrue(md.contains("| 1 | 103 | 0.6000 | 0 |"))
    XCTAssertTrue(md.contains("![roc.png](roc.png)"))
  }

  func testWriteProducesReadablePNGsOfTheExpectedSizes() throws {
    let folder = try temporaryFolder() + "/report"
    let report = try EvaluationReport(
      title: "write", predictions: predictions(), training: curves(), images: images())
    let written = try report.write(to: folder)
    XCTAssertEqual(written.count, 8)
    let expectedSizes: [String: (Int, Int)] = [
      "roc.png": (1200, 560), "fnr_fpr_vs_threshold.png": (800, 600), "score_histogram.png": (800, 600),
      "confusion_matrix.png": (640, 640), "training_curves.png": (1200, 500),
    ]
    for (file, (width, height)) in expectedSizes {
      let image = try RasterImage(pngFile: folder + "/" + file)
      XCTAssertEqual(image.width, width, file)
      XCTAssertEqual(image.height, height, file)
      XCTAssertLessThan(image.pixels.filter { $0 < 100 }.count, image.pixels.count / 2, "\(file) is mostly light")
      XCTAssertGreaterThan(image.pixels.filter { $0 < 100 }.count, 1000, "\(file) has ink")
    }
    // The grid: three misclassified samples in one row of 4x4 images at pixel scale 2.
    let grid = try RasterImage(pngFile: folder + "/misclassified.png")
    XCTAssertGreaterThan(grid.width, 3 * 3 * 8)
    let json = try Data(contentsOf: URL(fileURLWithPath: folder + "/report.json"))
    XCTAssertEqual(try EvaluationReport.decode(jsonData: json), report)
    XCTAssertEqual(try String(contentsOfFile: folder + "/report.md", encoding: .utf8), report.markdown + "\n")
    XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: folder).contains { $0.hasPrefix(".") },
                   "no temporary files left")
  }

  func testDecodedReportWritesOnlyJSONAndMarkdown() throws {
    let folder = try temporaryFolder()
    let report = try EvaluationReport.decode(jsonData: EvaluationReport(predictions: predictions()).jsonData())
    let written = try report.write(to: folder)
    XCTAssertEqual(written.map { URL(fileURLWithPath: $0).lastPathComponent }, ["report.json", "report.md"])
  }

  func testSingleClassReportLeavesOutROCBasedParts() throws {
    let report = try EvaluationReport(predictions: BinaryPredictions(scores: [0.1, 0.7, 0.3], labels: [0, 0, 0]))
    XCTAssertNil(report.auc)
    XCTAssertNil(report.equalError)
    XCTAssertTrue(report.targetOperatingPoints.isEmpty)
    XCTAssertEqual(report.plotFiles, ["score_histogram.png", "confusion_matrix.png"])
    XCTAssertTrue(report.markdown.contains("AUC: undefined"))
    let folder = try temporaryFolder()
    XCTAssertEqual(try report.write(to: folder).count, 4)
  }

  func testBadInputErrors() throws {
    let p = try predictions()
    XCTAssertThrowsError(try EvaluationReport(predictions: p, thresholds: [.nan]))
    XCTAssertThrowsError(try EvaluationReport(predictions: p, targetFNRs: [1.0]))
    XCTAssertThrowsError(try EvaluationReport(predictions: p, targetFPRs: [-0.01]))
    XCTAssertThrowsError(try EvaluationReport(predictions: p, classNames: ["only one"]))
    XCTAssertThrowsError(try EvaluationReport(predictions: p, images: images(count: 7))) { error in
      XCTAssertEqual(error as? EvaluationError, .lengthMismatch("7 images for 8 samples"))
    }
    XCTAssertThrowsError(try SampleImages(values: [1, 2, 3], width: 2, height: 2, channels: 1))
    XCTAssertThrowsError(try TrainingCurves(loss: [], accuracy: []))
    XCTAssertThrowsError(try TrainingCurves(loss: [1, 2], accuracy: [0.5]))
    XCTAssertThrowsError(try TrainingCurves(loss: [1, .nan], accuracy: [0.5, 0.6]))
    XCTAssertThrowsError(try TrainingCurves(kerasHistory: ["loss": [1]]))
    let keras = try TrainingCurves(kerasHistory: ["loss": [1, 0.5], "acc": [0.5, 0.8], "val_loss": [1.1, 0.4]])
    XCTAssertEqual(keras.validationLoss, [1.1, 0.4])
    XCTAssertNil(keras.validationAccuracy)
    XCTAssertEqual(keras.bestEpoch, 2)
    let unwritable = "/proc/astroeval-cannot-write-here"
    XCTAssertThrowsError(try EvaluationReport(predictions: p).write(to: unwritable))
  }
}

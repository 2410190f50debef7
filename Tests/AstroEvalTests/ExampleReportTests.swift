import AstroEval
import AstroPlot
import Foundation
import XCTest

/// Writes a full example report (600 synthetic samples with 63x63x3 triplets and training curves) into
/// `$TMPDIR/astroeval-example-report` for people to look at, and checks every file it lists.
final class ExampleReportTests: XCTestCase {
  func testExampleReport() throws {
    var generator = SplitMix64(seed: 42)
    func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
    var scores: [Float] = [], labels: [Int] = [], ids: [Int64] = []
    for i in 0..<600 {
      let label = i % 3 == 0 ? 1 : 0
      var score = label == 1 ? 1 - pow(uniform(), 3) * 0.9 : pow(uniform(), 4) * 0.95
      if i % 97 == 5 { score = 1 - score }  // a few confident mistakes
      scores.append(Float(score))
      labels.append(label)
      ids.append(1_200_000_000_000_000_000 + Int64(i))
    }
    var triplets = [Float]()
    triplets.reserveCapacity(600 * 63 * 63 * 3)
    for i in 0..<600 {
      let amplitude: Double = labels[i] == 1 ? 400 : 50
      for y in 0..<63 {
        for x in 0..<63 {
          let dx = Double(x - 31), dy = Double(y - 31)
          let blob = exp(-(dx * dx + dy * dy) / 6)
          triplets.append(Float(100 + amplitude * blob + 10 * uniform()))
          triplets.append(Float(100 + 100 * blob + 10 * uniform()))
          triplets.append(Float((amplitude - 100) * blob + 10 * uniform()))
        }
      }
    }
    let epochs = (1...20).map(Double.init)
    let curves = try TrainingCurves(
      loss: epochs.map { 0.7 * exp(-$0 / 6) + 0.05 }, accuracy: epochs.map { 1 - 0.4 * exp(-$0 / 5) },
      validationLoss: epochs.map { 0.7 * exp(-$0 / 6) + 0.08 + 0.002 * $0 },
      validationAccuracy: epochs.map { 0.97 - 0.4 * exp(-$0 / 5) })
    let report = try EvaluationReport(
      title: "Example: synthetic real/bogus test set", predictions: BinaryPredictions(scores: scores, labels: labels, ids: ids),
      thresholds: [0.3, 0.7], training: curves, images: SampleImages(values: triplets))
    let folder = NSTemporaryDirectory() + "astroeval-example-report"
    let written = try report.write(to: folder)
    XCTAssertEqual(written.count, report.plotFiles.count + 2)
    XCTAssertEqual(report.plotFiles.count, 6)
    for file in report.plotFiles {
      let image = try RasterImage(pngFile: folder + "/" + file)
      XCTAssertGreaterThan(image.width, 300, file)
    }
    let auc = try XCTUnwrap(report.auc)
    XCTAssertGreaterThan(auc, 0.8)
    XCTAssertLessThan(auc, 1)
  }
}

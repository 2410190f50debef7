import AstroInt8
import AstroQuantization
import AstroTensor
import Braai
import Foundation
import TestSupport
import XCTest

/// d6_m7 quantized to int8 with 14 real alerts as calibration, scored on all 44 shared alerts against float d6_m7.
final class QuantizationTests: XCTestCase {
  func testPostTrainingQuantizationOfD6M7TracksTheFloatScores() throws {
    let folder = try SharedData.path("data/ztf-alerts")
    let braai = try BraaiModel(weights: SharedData.path("data/braai/d6_m7.h5"))
    let (items, failures) = AlertScorer(model: braai, normalization: .row).triplets(files: try AlertScorer.avroFiles(in: [folder]))
    XCTAssertTrue(failures.isEmpty)
    XCTAssertEqual(items.count, 44)
    func batch(_ rows: ArraySlice<AlertScorer.AlertTriplet>) throws -> Tensor {
      try Tensor(shape: [rows.count, 63, 63, 3], values: rows.flatMap(\.triplet))
    }
    let all = try batch(items[...])
    let floatScores = try braai.score(all)
    let quantized = try PostTrainingQuantization.quantize(braai.model, calibration: [try batch(items.prefix(14))])
    let intScores = try quantized.predict([all])[0].values
    let differences = zip(intScores, floatScores).map { abs($0 - $1) }.sorted()
    let p95 = differences[Int((Double(differences.count - 1) * 0.95).rounded())]
    let flips = zip(intScores, floatScores).filter { ($0 >= 0.5) != ($1 >= 0.5) }.count
    // TensorFlow's converter with the same 14 alerts: p95 0.35, max 0.50 (its logits range is one-sided).
    XCTAssertEqual(flips, 0, "label flips at 0.5")
    XCTAssertLessThanOrEqual(differences.last!, 0.05, "max |Δscore|")
    XCTAssertLessThanOrEqual(p95, 0.03, "p95 |Δscore| (measured 0.021)")
    print("d6_m7 int8 vs float on 44 alerts: median \(differences[22]) p95 \(p95) max \(differences.last!)")
  }
}

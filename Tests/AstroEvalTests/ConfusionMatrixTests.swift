import AstroEval
import XCTest

final class ConfusionMatrixTests: XCTestCase {
  /// Eight samples worked by hand: at 0.5, tp = {0.9, 0.8, 0.55}, fp = {0.6, 0.5 (>= is positive)},
  /// fn = {0.4}, tn = {0.3, 0.2}.
  static func handExample() throws -> BinaryPredictions {
    try BinaryPredictions(scores: [0.9, 0.8, 0.6, 0.4, 0.3, 0.2, 0.55, 0.5], labels: [1, 1, 0, 1, 0, 0, 1, 0])
  }

  func testCountsAndRatesAtOneHalf() throws {
    let m = try ConfusionMatrix(Self.handExample(), threshold: 0.5)
    XCTAssertEqual([m.trueNegatives, m.falsePositives, m.falseNegatives, m.truePositives], [2, 2, 1, 3])
    XCTAssertEqual(m.counts, [[2, 2], [1, 3]])
    XCTAssertEqual(m.total, 8)
    XCTAssertEqual(m.classCounts, [4, 4])
    XCTAssertEqual(m.predictedCounts, [3, 5])
    XCTAssertEqual(m.accuracy, 0.625)
    XCTAssertEqual(m.falseNegativeRate, 0.25)
    XCTAssertEqual(m.falsePositiveRate, 0.5)
    XCTAssertEqual(m.truePositiveRate, 0.75)
    XCTAssertEqual(m.trueNegativeRate, 0.5)
    XCTAssertEqual(m.precision, 0.6)
    XCTAssertEqual(try XCTUnwrap(m.f1Score), 2 * 0.6 * 0.75 / 1.35, accuracy: 1e-12)
    XCTAssertEqual(m.normalized, [[0.5, 0.5], [0.25, 0.75]])
  }

  func testHigherThresholdTradesFalsePositivesForFalseNegatives() throws {
    let m = try ConfusionMatrix(Self.handExample(), threshold: 0.7)
    XCTAssertEqual(m.counts, [[4, 0], [2, 2]])
    XCTAssertEqual(m.falseNegativeRate, 0.5)
    XCTAssertEqual(m.falsePositiveRate, 0)
    XCTAssertEqual(m.precision, 1)
  }

  func testUndefinedRatesAreNil() throws {
    let negativesOnly = try BinaryPredictions(scores: [0.1, 0.9], labels: [0, 0])
    let m = try ConfusionMatrix(negativesOnly, threshold: 0.5)
    XCTAssertNil(m.falseNegativeRate)
    XCTAssertNil(m.truePositiveRate)
    XCTAssertEqual(m.falsePositiveRate, 0.5)
    XCTAssertEqual(m.normalized[1], [0, 0])
    let nothingPositive = try ConfusionMatrix(Self.handExample(), threshold: .infinity)
    XCTAssertNil(nothingPositive.precision)
    XCTAssertEqual(nothingPositive.falseNegativeRate, 1)
    XCTAssertThrowsError(try ConfusionMatrix(Self.handExample(), threshold: .nan))
  }

  func testFloatLabelsAndBadInput() throws {
    let floats = try BinaryPredictions(scores: [0.2, 0.7], labels: [Float(0), 1], ids: [11, 12])
    XCTAssertEqual(floats.labels, [0, 1])
    XCTAssertEqual(floats.positiveScores, [0.7])

    func expect(_ expected: EvaluationError, _ body: () throws -> Any) {
      XCTAssertThrowsError(try body()) { XCTAssertEqual($0 as? EvaluationError, expected) }
    }
    expect(.empty("no scores")) { try BinaryPredictions(scores: [], labels: [Int]()) }
    expect(.lengthMismatch("2 scores but 1 labels")) { try BinaryPredictions(scores: [0.1, 0.2], labels: [1]) }
    expect(.lengthMismatch("2 scores but 3 ids")) { try BinaryPredictions(scores: [0.1, 0.2], labels: [1, 0], ids: [1, 2, 3]) }
    expect(.invalidLabel(index: 1, value: 2)) { try BinaryPredictions(scores: [0.1, 0.2], labels: [1, 2]) }
    expect(.invalidLabel(index: 0, value: 0.5)) { try BinaryPredictions(scores: [0.1], labels: [Float(0.5)]) }
    expect(.nonFinite("score nan at sample 1")) { try BinaryPredictions(scores: [0.1, .nan], labels: [1, 0]) }
    XCTAssertThrowsError(try BinaryPredictions(scores: [0.1], labels: [Float.nan]))
    XCTAssertThrowsError(try BinaryPredictions(scores: [.infinity], labels: [1]))
  }

  func testJSONIncludesDerivedRatesAndRoundTrips() throws {
    let m = try ConfusionMatrix(Self.handExample(), threshold: 0.5)
    let data = try JSONEncoder().encode(m)
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    XCTAssertEqual(object["fnr"] as? Double, 0.25)
    XCTAssertEqual(object["tp"] as? Int, 3)
    XCTAssertEqual(try JSONDecoder().decode(ConfusionMatrix.self, from: data), m)
  }
}

import AstroEval
import XCTest

final class ROCCurveTests: XCTestCase {
  /// Positives 0.9, 0.7, 0.7, 0.4; negatives 0.8, 0.7, 0.3, 0.3: a three-way tie at 0.7.
  private func tiedExample() throws -> BinaryPredictions {
    try BinaryPredictions(
      scores: [0.9, 0.8, 0.7, 0.7, 0.7, 0.4, 0.3, 0.3], labels: [1, 0, 1, 1, 0, 1, 0, 0])
  }

  /// P(s+ > s-) + 1/2 P(s+ = s-) over all positive-negative pairs, counted directly.
  private func mannWhitney(_ p: BinaryPredictions) -> Double {
    var wins = 0.0
    for a in p.positiveScores {
      for b in p.negativeScores { wins += a > b ? 1 : (a == b ? 0.5 : 0) }
    }
    return wins / Double(p.positiveCount * p.negativeCount)
  }

  func testPointsHaveOneStepPerDistinctScore() throws {
    let roc = try ROCCurve(tiedExample())
    // By hand: (0,0) then after 0.9: (0, 1/4); 0.8: (1/4, 1/4); the 0.7 tie (2 pos, 1 neg): (1/2, 3/4);
    // 0.4: (1/2, 1); 0.3: (1, 1).
    XCTAssertEqual(roc.points.map(\.falsePositiveRate), [0, 0, 0.25, 0.5, 0.5, 1])
    XCTAssertEqual(roc.points.map(\.truePositiveRate), [0, 0.25, 0.25, 0.75, 1, 1])
    XCTAssertEqual(roc.points.map(\.threshold), [.infinity, 0.9, 0.8, 0.7, 0.4, 0.3])
  }

  func testAUCByHandAndEqualsMannWhitney() throws {
    let p = try tiedExample()
    let roc = try ROCCurve(p)
    // Trapezoids: 0 + 0.25*0.25 + 0.25*(0.25+0.75)/2 + 0 + 0.5*1 = 0.0625 + 0.125 + 0.5 = 11/16.
    XCTAssertEqual(roc.auc, 11.0 / 16, accuracy: 1e-12)
    // Pairs: 0.9 beats 4; each 0.7 beats 2 and ties 1 (2.5 each); 0.4 beats 2: 11 of 16.
    XCTAssertEqual(mannWhitney(p), 11.0 / 16, accuracy: 1e-12)
  }

  func testAUCEqualsMannWhitneyOnRandomScoresWithManyTies() throws {
    var generator = SplitMix64(seed: 2024)
    for _ in 0..<20 {
      let n = Int.random(in: 2...60, using: &generator)
      // Scores on a coarse grid so ties are frequent; make sure both classes occur.
      let scores = (0..<n).map { _ in Float(Int.random(in: 0...5, using: &generator)) / 5 }
      var labels = (0..<n).map { _ in Int.random(in: 0...1, using: &generator) }
      labels[0] = 0
      labels[1] = 1
      let p = try BinaryPredictions(scores: scores, labels: labels)
      XCTAssertEqual(try ROCCurve(p).auc, mannWhitney(p), accuracy: 1e-12, "scores \(scores) labels \(labels)")
    }
  }

  func testPerfectInvertedAndConstantClassifiers() throws {
    let perfect = try BinaryPredictions(scores: [0.1, 0.2, 0.8, 0.9], labels: [0, 0, 1, 1])
    XCTAssertEqual(try ROCCurve(perfect).auc, 1)
    let inverted = try BinaryPredictions(scores: [0.1, 0.2, 0.8, 0.9], labels: [1, 1, 0, 0])
    XCTAssertEqual(try ROCCurve(inverted).auc, 0)
    let constant = try BinaryPredictions(scores: [0.5, 0.5, 0.5], labels: [0, 1, 1])
    XCTAssertEqual(try ROCCurve(constant).auc, 0.5)
  }

  func testThresholdForTargetFNRIsTheHighestMeetingIt() throws {
    let roc = try ROCCurve(tiedExample())
    // Positives ascending 0.4, 0.7, 0.7, 0.9; 25% of 4 allows one miss: cut at the second, 0.7.
    let quarter = try roc.threshold(forTargetFNR: 0.25)
    XCTAssertEqual(quarter.threshold, 0.7)
    XCTAssertEqual(quarter.falseNegativeRate, 0.25)
    XCTAssertEqual(quarter.falsePositiveRate, 0.5)  // negatives 0.8 and 0.7 pass
    // Any higher threshold misses three positives: 0.7 is the highest meeting the target.
    XCTAssertEqual(roc.rates(at: Float(0.7).nextUp).falseNegativeRate, 0.75)
    // 50% would allow two misses, but the tie at 0.7 means the next cut up already misses three.
    XCTAssertEqual(try roc.threshold(forTargetFNR: 0.5).threshold, 0.7)
    XCTAssertEqual(try roc.threshold(forTargetFNR: 0).threshold, 0.4)
    XCTAssertEqual(try roc.threshold(forTargetFNR: 0).falseNegativeRate, 0)
  }

  func testThresholdForTargetFPRIsTheLowestMeetingIt() throws {
    let roc = try ROCCurve(tiedExample())
    // Negatives descending 0.8, 0.7, 0.3, 0.3; 25% allows one: the cut must be above 0.7; the lowest sample
    // score above it is 0.8.
    let quarter = try roc.threshold(forTargetFPR: 0.25)
    XCTAssertEqual(quarter.threshold, 0.8)
    XCTAssertEqual(quarter.falsePositiveRate, 0.25)
    XCTAssertEqual(quarter.falseNegativeRate, 0.75)
    XCTAssertEqual(roc.rates(at: 0.7).falsePositiveRate, 0.5, "the next lower sample score breaks the target")
    XCTAssertEqual(try roc.threshold(forTargetFPR: 0).threshold, 0.9)
    // Nothing scores above the top negative: the next float up.
    let top = try ROCCurve(BinaryPredictions(scores: [0.2, 0.9], labels: [1, 0]))
    XCTAssertEqual(try top.threshold(forTargetFPR: 0).threshold, Float(0.9).nextUp)
  }

  func testRatesOnAGridAndEqualErrorPoint() throws {
    let roc = try ROCCurve(tiedExample())
    let grid = ROCCurve.thresholdGrid(from: 0, to: 1, count: 11)
    XCTAssertEqual(grid.count, 11)
    XCTAssertEqual(grid[5], 0.5)
    let rates = roc.rates(atThresholds: grid)
    XCTAssertEqual(rates[5].falseNegativeRate, 0.25)  // 0.4 < 0.5
    XCTAssertEqual(rates[5].falsePositiveRate, 0.5)   // 0.8, 0.7 >= 0.5
    XCTAssertEqual(rates[0].falseNegativeRate, 0)
    XCTAssertEqual(rates[0].falsePositiveRate, 1)
    XCTAssertEqual(rates[10].falseNegativeRate, 1)
    XCTAssertEqual(rates[10].falsePositiveRate, 0)
    // FNR - FPR: 0.5 at (1/4, 1/4), -0.25 at (1/2, 3/4); the crossing is 2/3 of the way: FPR = 1/4 + 2/3 * 1/4.
    let eer = roc.equalErrorPoint
    XCTAssertEqual(eer.threshold, 0.7)
    XCTAssertEqual(eer.rate, 5.0 / 12, accuracy: 1e-12)
    XCTAssertEqual(eer.point.falseNegativeRate, 0.25)
  }

  func testBadInput() throws {
    XCTAssertThrowsError(try ROCCurve(BinaryPredictions(scores: [0.1, 0.2], labels: [1, 1]))) { error in
      guard case EvaluationError.missingClass = error else { return XCTFail("\(error)") }
    }
    let roc = try ROCCurve(tiedExample())
    XCTAssertThrowsError(try roc.threshold(forTargetFNR: 1))
    XCTAssertThrowsError(try roc.threshold(forTargetFNR: -0.1))
    XCTAssertThrowsError(try roc.threshold(forTargetFPR: .nan))
  }
}

/// A small seeded generator (SplitMix64) so the randomised test is reproducible.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

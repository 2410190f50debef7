import ActiveLearning
import Foundation
import XCTest

final class UncertaintyTests: XCTestCase {
  /// The brief's §1.3: for one sigmoid output the three measures are monotone in |p − 0.5| and rank alike.
  func testTheThreeMeasuresRankABinaryPoolIdentically() {
    let ps: [Float] = [0.02, 0.5, 0.93, 0.41, 0.7, 0.11, 0.999, 0.55, 0.3]
    let rows = ps.flatMap { [1 - $0, $0] }
    func ranking(_ m: UncertaintyMeasure) -> [Int] {
      let s = m.scores(rows, classes: 2)
      return s.indices.sorted { s[$0] > s[$1] }
    }
    let expected = ps.indices.sorted { abs(ps[$0] - 0.5) < abs(ps[$1] - 0.5) }
    XCTAssertEqual(ranking(.leastConfidence), expected)
    XCTAssertEqual(ranking(.margin), expected)
    XCTAssertEqual(ranking(.entropy), expected)
    let half = UncertaintyMeasure.entropy.scores([0.5, 0.5], classes: 2)[0]
    XCTAssertEqual(half, Float(log(2.0)), accuracy: 1e-6)
    XCTAssertEqual(UncertaintyMeasure.margin.scores([0.5, 0.5], classes: 2)[0], 1)
    XCTAssertEqual(UncertaintyMeasure.leastConfidence.scores([0.5, 0.5], classes: 2)[0], 0.5)
  }

  /// With three classes they differ: least confidence prefers a flat top, margin a close second.
  func testWithThreeClassesTheMeasuresDisagree() {
    let rows: [Float] = [0.5, 0.49, 0.01, 0.4, 0.3, 0.3]
    let lc = UncertaintyMeasure.leastConfidence.scores(rows, classes: 3)
    let margin = UncertaintyMeasure.margin.scores(rows, classes: 3)
    XCTAssertEqual(lc[0], 0.5, accuracy: 1e-6)
    XCTAssertEqual(lc[1], 0.6, accuracy: 1e-6)
    XCTAssertEqual(margin[0], 0.99, accuracy: 1e-6)
    XCTAssertEqual(margin[1], 0.9, accuracy: 1e-6)
    XCTAssertGreaterThan(lc[1], lc[0])
    XCTAssertGreaterThan(margin[0], margin[1])
    let entropy = UncertaintyMeasure.entropy.scores(rows, classes: 3)
    XCTAssertEqual(entropy[1], Float(-(0.4 * log(0.4) + 0.6 * log(0.3))), accuracy: 1e-5)
  }

  /// BALD: zero when members agree, ln 2 for two confident members that contradict each other.
  func testMutualInformationByHand() {
    var agree = MutualInformation.Accumulator(samples: 1, classes: 2)
    agree.add([0.3, 0.7])
    agree.add([0.3, 0.7])
    XCTAssertEqual(agree.values[0], 0, accuracy: 1e-6)
    var split = MutualInformation.Accumulator(samples: 2, classes: 2)
    split.add([1, 0, 0.5, 0.5])
    split.add([0, 1, 0.5, 0.5])
    XCTAssertEqual(split.values[0], Float(log(2.0)), accuracy: 1e-6)
    XCTAssertEqual(split.values[1], 0, accuracy: 1e-6, "two members equally unsure: all aleatoric, no disagreement")
    XCTAssertEqual(split.meanProbabilities, [0.5, 0.5, 0.5, 0.5])
    // 0.9/0.1 against 0.1/0.9: H(0.5) − H(0.9) = ln 2 − (−0.9 ln 0.9 − 0.1 ln 0.1).
    var partial = MutualInformation.Accumulator(samples: 1, classes: 2)
    partial.add([0.9, 0.1])
    partial.add([0.1, 0.9])
    XCTAssertEqual(Double(partial.values[0]), log(2.0) + 0.9 * log(0.9) + 0.1 * log(0.1), accuracy: 1e-6)
  }

  func testStrategyNamesRoundTrip() {
    for name in AcquisitionStrategy.names {
      guard let strategy = AcquisitionStrategy(parsing: name) else { return XCTFail("\(name) does not parse") }
      XCTAssertNotNil(AcquisitionStrategy(parsing: strategy.description), name)
    }
    XCTAssertNil(AcquisitionStrategy(parsing: "smart"))
  }
}

final class StoppingCriteriaTests: XCTestCase {
  func testCohensKappaByHand() {
    // p_o = 0.75; p_e = 0.5·0.25 + 0.5·0.75 = 0.5; kappa = 0.5.
    XCTAssertEqual(cohensKappa([0, 0, 1, 1], [0, 1, 1, 1]), 0.5, accuracy: 1e-12)
    XCTAssertEqual(cohensKappa([0, 1, 0, 1], [0, 1, 0, 1]), 1)
    XCTAssertEqual(cohensKappa([0, 1, 0, 1], [1, 0, 1, 0]), -1, accuracy: 1e-12)
    XCTAssertEqual(cohensKappa([1, 1, 1], [1, 1, 1]), 1)
  }

  func testKappaStabilizationStopsAfterAStableWindow() {
    var criterion = KappaStabilization(threshold: 0.99, window: 2)
    XCTAssertFalse(criterion.update(RoundSummary(labels: 10, stoppingSetPredictions: [0, 1, 0, 1])))
    XCTAssertFalse(criterion.update(RoundSummary(labels: 20, stoppingSetPredictions: [0, 1, 1, 1])))
    XCTAssertFalse(criterion.update(RoundSummary(labels: 30, stoppingSetPredictions: [0, 1, 1, 1])), "one stable pair of two")
    XCTAssertTrue(criterion.update(RoundSummary(labels: 40, stoppingSetPredictions: [0, 1, 1, 1])))
    XCTAssertEqual(criterion.kappas.count, 3)
  }

  func testBudgetAndPlateau() {
    var budget = LabelBudget(100)
    XCTAssertFalse(budget.update(RoundSummary(labels: 90)))
    XCTAssertTrue(budget.update(RoundSummary(labels: 100)))
    var plateau = MetricPlateau(patience: 2, minimumGain: 0.01)
    XCTAssertFalse(plateau.update(RoundSummary(labels: 1, metric: 0.80)))
    XCTAssertFalse(plateau.update(RoundSummary(labels: 2, metric: 0.85)))
    XCTAssertFalse(plateau.update(RoundSummary(labels: 3, metric: 0.855)))
    XCTAssertTrue(plateau.update(RoundSummary(labels: 4, metric: 0.851)))
  }
}

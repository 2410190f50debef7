@testable import ActiveLearning
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// The simulation protocol's guarantees, on a toy problem small enough for `make test`.
final class SimulationTests: XCTestCase {
  func toyData(count: Int = 260) throws -> SimulationData {
    let (images, labels) = ToyData.blobsVersusHotPixels(count: count, shape: [8, 8, 1], seed: 4)
    return try SimulationData(inputs: [images], labels: labels.values.map { $0 >= 0.5 ? 1 : 0 }, description: "toy blobs")
  }

  func makeModel(_ seed: UInt64) throws -> Model {
    try ModelBuilder.sequential(name: "toy", inputShape: [8, 8, 1], seed: seed, [
      Conv2D(4, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)), Flatten(), Dense(8, activation: .relu), Dropout(0.3),
      Dense(1, activation: .sigmoid),
    ])
  }

  func settings(_ strategies: [String], seeds: Int = 2) -> SimulationSettings {
    SimulationSettings(strategies: strategies, seeds: seeds, poolSize: 160, testSize: 100, initialLabels: 6, batchSize: 8, rounds: 3,
                       trainingSteps: 20, trainingBatchSize: 16, learningRate: 3e-3, monteCarloPasses: 4, referenceEpochs: 3)
  }

  func testSplitsKeepTheTestSetOutOfThePoolAndStartFromBothClasses() throws {
    let simulation = try ActiveLearningSimulation(settings: settings(["random"]), data: try toyData(), makeModel: makeModel)
    for seed: UInt64 in [1, 2, 3] {
      let split = simulation.split(seed)
      XCTAssertTrue(Set(split.pool).isDisjoint(with: split.test))
      XCTAssertEqual(split.pool.count, 160)
      XCTAssertEqual(split.test.count, 100)
      XCTAssertEqual(Set(split.initial.map { simulation.oracle(split.pool[$0]) }), [0, 1])
      XCTAssertEqual(simulation.split(seed).initial, split.initial, "the split depends on the seed only")
    }
    XCTAssertNotEqual(simulation.split(1).test, simulation.split(2).test)
  }

  /// Every strategy starts each seed from the same labels and weights, so round 0 is identical; labels grow by
  /// the batch; the summaries are what the per-seed curves say.
  func testReportIsConsistentWithItsCurves() throws {
    let names = ["random", "uncertainty", "bald", "coreset"]
    let report = try ActiveLearningSimulation(settings: settings(names), data: try toyData(), makeModel: makeModel).run()
    XCTAssertEqual(report.seeds.count, 2)
    for seed in report.seeds {
      let first = seed.curves["random"]![0]
      for name in names {
        let curve = seed.curves[name]!
        XCTAssertEqual(curve.map(\.labels), [6, 14, 22, 30])
        XCTAssertEqual(curve[0].auc, first.auc, "\(name): round 0 differs from random's")
        XCTAssertTrue(curve.allSatisfy { (0...1).contains($0.auc) && (0...1).contains($0.fnrAt1PercentFPR) })
      }
    }
    for name in names {
      let summary = report.strategies[name]!
      let perSeed = report.seeds.map { s in s.curves[name]!.map(\.auc).reduce(0, +) / 4 }
      XCTAssertEqual(summary.aulc.mean, perSeed.reduce(0, +) / 2, accuracy: 1e-12)
      XCTAssertEqual(summary.rounds.count, 4)
      XCTAssertEqual(name == "random", summary.savingsVsRandom95 == nil && summary.seedsAtLeastRandom == nil)
    }
    // Savings recomputed from the curves: paired per seed where random reaches 95% of the full-pool AUC.
    var expected = [Double]()
    for seed in report.seeds {
      let target = 0.95 * seed.fullPool.auc
      guard let base = StrategySummary.labelsToReach(target, seed.curves["random"]!) else { continue }
      let mine = StrategySummary.labelsToReach(target, seed.curves["uncertainty"]!) ?? Double(6 + 4 * 8)
      expected.append(1 - mine / base)
    }
    XCTAssertEqual(report.strategies["uncertainty"]!.savingsVsRandom95?.mean, Interval(expected)?.mean)
    let json = try JSONSerialization.jsonObject(with: try report.jsonData()) as! [String: Any]
    let uncertainty = (json["strategies"] as! [String: Any])["uncertainty"] as! [String: Any]
    for key in ["aulc", "labels_to_95", "labels_to_99", "savings_vs_random_95"] where uncertainty[key] != nil {
      XCTAssertNotNil((uncertainty[key] as? [String: Any])?["ci_low"], key)
    }
    XCTAssertNotNil(uncertainty["aulc"])
    XCTAssertEqual((json["settings"] as! [String: Any])["warm_start"] as? Bool, false)
  }

  func testLabelsToReachInterpolatesBetweenRounds() {
    func round(_ labels: Int, _ auc: Double) -> RoundResult {
      RoundResult(labels: labels, auc: auc, fnrAt1PercentFPR: 0, fprAt1PercentFNR: 0, accuracy: 0, trainingSeconds: 0, selectionSeconds: 0)
    }
    let curve = [round(10, 0.6), round(20, 0.8), round(30, 0.9)]
    XCTAssertEqual(StrategySummary.labelsToReach(0.85, curve)!, 25, accuracy: 1e-9)
    XCTAssertEqual(StrategySummary.labelsToReach(0.5, curve), 10)
    XCTAssertNil(StrategySummary.labelsToReach(0.95, curve))
  }

  func testIntervalsByHand() {
    let i = Interval([1, 2, 3])!
    XCTAssertEqual(i.mean, 2)
    XCTAssertEqual(i.ciHigh - i.mean, 4.303 * (1.0 / 3).squareRoot(), accuracy: 1e-9)
    XCTAssertEqual(Interval([5])!.ciLow, 5)
    XCTAssertNil(Interval([]))
    XCTAssertEqual(Interval.tCritical(degreesOfFreedom: 9), 2.262)
    XCTAssertEqual(Interval.tCritical(degreesOfFreedom: 1000), 1.962, accuracy: 0.002)
  }

  func testBadSettingsAreRefused() throws {
    let data = try toyData()
    XCTAssertThrowsError(try ActiveLearningSimulation(settings: settings(["uncertainty"]), data: data, makeModel: makeModel))
    XCTAssertThrowsError(try ActiveLearningSimulation(settings: settings(["random", "clever"]), data: data, makeModel: makeModel))
    var big = settings(["random"])
    big.poolSize = 250
    XCTAssertThrowsError(try ActiveLearningSimulation(settings: big, data: data, makeModel: makeModel))
  }

  /// `astrolearn al simulate` end to end on generated triplets: the files, and the report's keys.
  func testCommandWritesTheReport() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("al-sim-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    let run = try runProduct("astrolearn", [
      "al", "simulate", "--strategies", "random,uncertainty", "--seeds", "2", "--pool", "120", "--test", "80", "--initial", "6",
      "--batch", "6", "--rounds", "2", "--steps", "10", "--crop", "15", "--out", out.path,
    ])
    XCTAssertEqual(run.status, 0, run.stderr)
    for file in ["report.json", "report.md", "learning_curve_auc.png", "learning_curve_fnr.png"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
    }
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as! [String: Any]
    XCTAssertNotNil((json["strategies"] as? [String: Any])?["uncertainty"])
    let bad = try runProduct("astrolearn", ["al", "simulate", "--strategies", "uncertainty", "--out", out.path])
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.stderr.contains("random"), bad.stderr)
  }
}

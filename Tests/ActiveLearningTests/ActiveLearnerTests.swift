import ActiveLearning
import AstroIO
import AstroNN
import AstroTensor
import Foundation
import XCTest

/// Selections on small pools whose right answers are known by construction.
final class ActiveLearnerTests: XCTestCase {
  /// p = sigmoid(x₀): the embedding (the first Dense, the identity) is the sample itself.
  func probeModel() throws -> Model {
    let model = try ModelBuilder.sequential(name: "probe", inputShape: [2], seed: 1, [
      Dense(2, name: "embed"), Dense(1, activation: .sigmoid, name: "score"),
    ])
    try (model.layer(named: "embed") as! Dense).kernel!.assign(try Tensor(shape: [2, 2], values: [1, 0, 0, 1]))
    try (model.layer(named: "score") as! Dense).kernel!.assign(try Tensor(shape: [2, 1], values: [1, 0]))
    return model
  }

  func pool(_ rows: [[Float]]) throws -> TensorPool {
    try TensorPool([try Tensor(shape: [rows.count, 2], values: rows.flatMap { $0 })])
  }

  func testUncertaintyPicksScoresNearestOneHalf() throws {
    let xs: [Float] = [-4, 0.1, 3, -0.5, 2, 0.02, -1.5]
    let data = try pool(xs.map { [$0, 0] })
    let selection = try ActiveLearner(strategy: .uncertainty(.margin))
      .select(3, models: [try probeModel()], pool: data, unlabeled: Array(0..<7), labeled: [], seed: 1)
    XCTAssertEqual(selection.indices, [5, 1, 3])
    XCTAssertEqual(selection.scores?.count, 3)
  }

  func testRandomIsSeededAndNeverPicksLabelledSamples() throws {
    let data = try pool((0..<50).map { [Float($0), 0] })
    let learner = ActiveLearner(strategy: .random)
    let a = try learner.select(10, models: [], pool: data, unlabeled: Array(10..<50), labeled: Array(0..<10), seed: 4)
    let b = try learner.select(10, models: [], pool: data, unlabeled: Array(10..<50), labeled: Array(0..<10), seed: 4)
    XCTAssertEqual(a.indices, b.indices)
    XCTAssertEqual(Set(a.indices).count, 10)
    XCTAssertTrue(a.indices.allSatisfy { $0 >= 10 })
    XCTAssertThrowsError(try learner.select(5, models: [], pool: data, unlabeled: [1, 2], labeled: [2], seed: 1))
    XCTAssertThrowsError(try learner.select(5, models: [], pool: data, unlabeled: [60], labeled: [], seed: 1))
  }

  /// A pool of near-duplicates: plain uncertainty takes copies of one sample; the diversity strategies spread
  /// the batch over the distinct uncertain samples.
  func testDiverseStrategiesAvoidRedundantPicks() throws {
    var rows = [[Float]]()
    for copy in 0..<10 { rows.append([0.01 + Float(copy) * 1e-4, 0]) }  // ten copies of the most uncertain sample
    for (i, x) in [0.3, -0.35, 0.4, -0.45, 0.5].enumerated() { rows.append([Float(x), Float(i + 1) * 5]) }  // distinct, less uncertain
    rows += (0..<20).map { [Float($0 % 2 == 0 ? 6 : -6), Float($0)] }  // confident
    let data = try pool(rows)
    let model = try probeModel()
    func distinctGroups(_ picks: [Int]) -> Int { Set(picks.map { $0 < 10 ? 0 : $0 }).count }
    let plain = try ActiveLearner(strategy: .uncertainty(.entropy))
      .select(5, models: [model], pool: data, unlabeled: Array(0..<rows.count), seed: 1)
    XCTAssertEqual(distinctGroups(plain.indices), 1, "plain uncertainty takes five copies")
    for strategy in [AcquisitionStrategy.diverse(.entropy, candidatesPerPick: 3), .clusterMargin(candidatesPerPick: 3)] {
      let picks = try ActiveLearner(strategy: strategy).select(5, models: [model], pool: data, unlabeled: Array(0..<rows.count), seed: 1)
      XCTAssertEqual(distinctGroups(picks.indices), 5, "\(strategy) picked \(picks.indices)")
      XCTAssertTrue(picks.indices.allSatisfy { $0 < 15 }, "\(strategy) picked a confident sample: \(picks.indices)")
    }
    let coreSet = try ActiveLearner(strategy: .coreSet).select(5, models: [model], pool: data, unlabeled: Array(0..<rows.count), seed: 1)
    XCTAssertLessThanOrEqual(coreSet.indices.filter { $0 < 10 }.count, 1, "core-set took two copies: \(coreSet.indices)")
  }

  func testCoreSetKeepsAwayFromTheLabelledSet() throws {
    let rows: [[Float]] = [[0, 0], [0.1, 0], [10, 0], [0, 0.1], [5, 5]]
    let picks = try ActiveLearner(strategy: .coreSet)
      .select(2, models: [try probeModel()], pool: try pool(rows), unlabeled: [1, 2, 3, 4], labeled: [0], seed: 1)
    XCTAssertEqual(picks.indices, [2, 4])
    XCTAssertEqual(Double(picks.scores![0]), 10, accuracy: 1e-5)
  }

  func testClassBalancedAlternatesPredictedClasses() throws {
    let xs: [Float] = [0.1, 0.2, 0.3, 0.4, -2, 3]
    let picks = try ActiveLearner(strategy: .classBalanced(.entropy))
      .select(4, models: [try probeModel()], pool: try pool(xs.map { [$0, 0] }), unlabeled: Array(0..<6), seed: 1)
    XCTAssertEqual(picks.indices, [4, 0, 1, 2], "the only sample predicted 0 first, then the most uncertain of class 1")
  }

  func testTypicalPicksOneDenseSamplePerBlob() throws {
    var g = SeededGenerator(seed: 5)
    var rows = [[Float]]()
    for blob in 0..<3 { for _ in 0..<25 { rows.append([Float(blob) * 30 + g.nextNormal(), g.nextNormal()]) } }
    let picks = try ActiveLearner(strategy: .typical)
      .select(3, models: [try probeModel()], pool: try pool(rows), unlabeled: Array(0..<75), seed: 2)
    XCTAssertEqual(Set(picks.indices.map { $0 / 25 }), [0, 1, 2])
    for i in picks.indices {
      XCTAssertLessThan(abs(rows[i][0] - Float(i / 25) * 30), 1.5, "a typical sample lies near its blob's centre")
    }
  }

  func testBADGEAndPowerSamplingPickDistinctUnlabelledSamples() throws {
    var g = SeededGenerator(seed: 6)
    let rows = (0..<60).map { _ in [g.nextNormal() * 2, g.nextNormal()] }
    let data = try pool(rows)
    for strategy in [AcquisitionStrategy.badge, .power(.entropy, passes: 0, beta: 1)] {
      let picks = try ActiveLearner(strategy: strategy)
        .select(8, models: [try probeModel()], pool: data, unlabeled: Array(10..<60), labeled: Array(0..<10), seed: 3)
      XCTAssertEqual(Set(picks.indices).count, 8, "\(strategy)")
      XCTAssertTrue(picks.indices.allSatisfy { $0 >= 10 }, "\(strategy)")
    }
    // BADGE's first pick has the largest gradient embedding: |p − ŷ|·|h| is largest where both are.
    let badge = try ActiveLearner(strategy: .badge).select(1, models: [try probeModel()], pool: data, unlabeled: Array(0..<60), seed: 3)
    let norms = rows.map { r -> Float in
      let p = 1 / (1 + exp(-r[0]))
      return min(p, 1 - p) * (r[0] * r[0] + r[1] * r[1]).squareRoot()
    }
    XCTAssertEqual(badge.indices[0], norms.indices.max { norms[$0] < norms[$1] })
  }

  func testBALDNeedsTwoPasses() throws {
    let model = try ModelBuilder.sequential(name: "mc", inputShape: [2], seed: 1, [Dense(4, activation: .relu), Dropout(0.5), Dense(1, activation: .sigmoid)])
    let data = try pool([[0, 1], [1, 0], [2, 2]])
    for strategy in [AcquisitionStrategy.bald(passes: 1), .power(.entropy, passes: 1, beta: 1)] {
      XCTAssertThrowsError(try ActiveLearner(strategy: strategy).select(1, models: [model], pool: data, unlabeled: [0, 1, 2], seed: 1))
    }
    XCTAssertEqual(try ActiveLearner(strategy: .bald(passes: 4)).select(2, models: [model], pool: data, unlabeled: [0, 1, 2], seed: 1).indices.count, 2)
    XCTAssertEqual(try ActiveLearner(strategy: .badge).select(0, models: [try probeModel()], pool: data, unlabeled: [0, 1, 2], seed: 1).indices, [])
  }

  func testEnsembleNeedsTwoModelsAndScoresTheirDisagreement() throws {
    let a = try probeModel(), b = try probeModel()
    try (b.layer(named: "score") as! Dense).kernel!.assign(try Tensor(shape: [2, 1], values: [-1, 0]))
    // The members agree only where x₀ = 0; they disagree most where |x₀| is large.
    let data = try pool([[0, 0], [5, 0], [-1, 0], [0.5, 0]])
    XCTAssertThrowsError(try ActiveLearner(strategy: .ensemble).select(1, models: [a], pool: data, unlabeled: [0, 1], seed: 1))
    let picks = try ActiveLearner(strategy: .ensemble).select(4, models: [a, b], pool: data, unlabeled: Array(0..<4), seed: 1)
    XCTAssertEqual(picks.indices, [1, 2, 3, 0])
    XCTAssertEqual(picks.scores![3], 0, accuracy: 1e-6)
  }
}

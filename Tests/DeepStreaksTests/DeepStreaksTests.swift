import AstroNN
import AstroTensor
import DeepStreaks
import Foundation
import SyntheticData
import XCTest

/// DeepStreaks: the streak files, the families' label subsets, the joint labels and the ensemble rule.
final class DeepStreaksTests: XCTestCase {
  var folder: String!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("streaks-\(UUID().uuidString)").path
    let set = try StreakGenerator().generate(count: 40, seed: 5)
    _ = try SyntheticDatasetFiles.writeStreaks(set, folder: folder, stamp: "t")
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  func testFamiliesUseTheirOwnSamples() throws {
    let rb = try StreakData.labelled(folder: folder, stamp: "t", family: .rb)
    let sl = try StreakData.labelled(folder: folder, stamp: "t", family: .sl)
    let kd = try StreakData.labelled(folder: folder, stamp: "t", family: .kd)
    XCTAssertEqual(rb.count, 40)
    XCTAssertEqual(rb.sampleShape, [144, 144, 1])
    // sl and kd apply to the real streaks only: exactly the rb positives.
    let realIds = zip(rb.ids, rb.labels.values).filter { $0.1 == 1 }.map(\.0)
    XCTAssertEqual(sl.ids, realIds)
    XCTAssertEqual(kd.ids, realIds)
    let joint = try StreakData.jointLabels(folder: folder, stamp: "t")
    for i in 0..<rb.count where joint[i] == 1 { XCTAssertEqual(rb.labels.values[i], 1) }
  }

  func testEnsembleRuleNeedsEveryFamilyAndAnyMember() throws {
    let model = try StreakModelKind.vgg6.make()
    func member(_ f: StreakFamily, _ k: StreakModelKind) -> DeepStreaksEnsemble.Member {
      DeepStreaksEnsemble.Member(family: f, kind: k, model: model, threshold: 0.5)
    }
    // Three samples: 0 passes every family (through different members), 1 fails kd, 2 passes only at 0.5 exactly.
    let scored: [(member: DeepStreaksEnsemble.Member, scores: [Float])] = [
      (member(.rb, .vgg6), [0.9, 0.9, 0.5]), (member(.rb, .resnet50), [0.1, 0.2, 0.1]),
      (member(.sl, .vgg6), [0.2, 0.8, 0.5]), (member(.sl, .densenet121), [0.7, 0.1, 0.2]),
      (member(.kd, .vgg6), [0.6, 0.4, 0.5]), (member(.kd, .resnet50), [0.3, 0.49, 0.0]),
    ]
    let decision = DeepStreaksEnsemble.decide(scored)
    XCTAssertEqual(decision.families[.kd], [true, false, true])
    XCTAssertEqual(decision.candidate, [true, false, true])
  }

  func testMissingFamilyIsAClearError() throws {
    let models = folder + "/models"
    try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
    try StreakModelKind.vgg6.make().saveKerasWeights(to: models + "/rb_vgg6.h5")
    XCTAssertThrowsError(try DeepStreaksEnsemble(folder: models)) { XCTAssertTrue("\($0)".contains("'sl'"), "\($0)") }
  }

  func testTrainingRecipeTrainsAMemberAndFineTunesFromIt() throws {
    let set = try StreakData.labelled(folder: folder, stamp: "t", family: .rb)
    var options = StreakTrainingOptions(family: .rb, model: .vgg6)
    options.epochs = 1
    options.batchSize = 8
    options.progress = .silent
    let run = try StreakTrainingRun.run(set, options: options)
    XCTAssertEqual(run.testScores.count, run.test.count)
    XCTAssertEqual(run.history.epochs.count, 1)
    XCTAssertEqual(try run.report().sampleCount, run.test.count)
    // Fine-tuning from the saved member with frozen convolutions keeps them.
    let saved = folder + "/rb_vgg6.h5"
    try run.model.saveKerasWeights(to: saved)
    options.initialWeights = saved
    options.freezeConvolutions = true
    let tuned = try StreakTrainingRun.run(set, options: options)
    XCTAssertEqual(tuned.model.layer(named: "conv1")!.weights.map(\.values), run.model.layer(named: "conv1")!.weights.map(\.values))
    XCTAssertNotEqual(tuned.model.layer(named: "fc_1")!.weights[0].values, run.model.layer(named: "fc_1")!.weights[0].values)
  }
}

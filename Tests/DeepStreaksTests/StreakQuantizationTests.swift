import AstroNN
import AstroQuantization
import AstroTensor
import DeepStreaks
import Foundation
import SyntheticData
import XCTest

/// DeepStreaks' VGG6 quantized to int8 after training on generated streaks: PTQ and QAT against the float member.
final class StreakQuantizationTests: XCTestCase {
  /// Trains an rb VGG6 on `count` generated streaks and compares int8 with float on the held-out part.
  func measure(count: Int, epochs: Int) throws -> (ptq: [Float], qat: [Float], float: [Float], test: LabelledImages) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("streak-int8-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    _ = try SyntheticDatasetFiles.writeStreaks(try StreakGenerator().generate(count: count, seed: 9), folder: folder, stamp: "q")
    let set = try StreakData.labelled(folder: folder, stamp: "q", family: .rb)
    var options = StreakTrainingOptions(family: .rb, model: .vgg6)
    options.epochs = epochs
    options.progress = .silent
    let run = try StreakTrainingRun.run(set, options: options)
    let calibration = try set.images.slice(along: 0, 0..<min(64, set.count))
    let ptq = try PostTrainingQuantization.quantize(run.model, calibration: [calibration]).predict([run.test.images])[0].values
    let qat = try QuantizationAwareTraining(run.model, calibration: [calibration])
    var configuration = TrainingConfiguration()
    configuration.epochs = 1
    configuration.progress = .silent
    try Trainer(model: qat.trainingModel, optimizer: Adam(learningRate: 1e-5), configuration: configuration)
      .fit(try Dataset(inputs: [calibration], targets: [try run.model.predict(calibration)]))
    let trained = try qat.export(calibration: [calibration]).predict([run.test.images])[0].values
    return (ptq, trained, try run.model.predict(run.test.images).values, run.test)
  }

  func testSmallMemberQuantizes() throws {
    let (ptq, qat, float, _) = try measure(count: 120, epochs: 1)
    XCTAssertEqual(ptq.count, float.count)
    XCTAssertLessThan(zip(ptq, float).map { abs($0 - $1) }.max()!, 0.1)
    XCTAssertLessThan(zip(qat, float).map { abs($0 - $1) }.max()!, 0.1)
  }

  /// The measurement reported in the int8 issue (several minutes): set ASTRO_MEASURE=1 to run it.
  func testMeasureTrainedMember() throws {
    guard ProcessInfo.processInfo.environment["ASTRO_MEASURE"] == "1" else {
      throw XCTSkip("a several-minute measurement: set ASTRO_MEASURE=1 to train a DeepStreaks VGG6 on 2,000 generated streaks and compare int8 with float")
    }
    let (ptq, qat, float, test) = try measure(count: 2000, epochs: 4)
    for (name, scores) in [("PTQ", ptq), ("QAT", qat)] {
      let d = zip(scores, float).map { abs($0 - $1) }.sorted()
      let flips = zip(scores, float).filter { ($0 >= 0.5) != ($1 >= 0.5) }.count
      let accuracy = zip(scores, test.labels.values).filter { ($0 >= 0.5) == ($1 >= 0.5) }.count
      print("DeepStreaks rb VGG6, \(test.count) held-out streaks, \(name): median \(d[d.count / 2]) p95 \(d[Int(Double(d.count - 1) * 0.95)]) max \(d.last!) flips \(flips) accuracy \(accuracy)")
    }
    let floatAccuracy = zip(float, test.labels.values).filter { ($0 >= 0.5) == ($1 >= 0.5) }.count
    print("float accuracy \(floatAccuracy) of \(test.count)")
  }
}

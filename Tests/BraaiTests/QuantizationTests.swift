import AstroInt8
import AstroNN
import AstroQuantization
import AstroTensor
import Braai
import Foundation
import SyntheticData
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

extension QuantizationTests {
  /// PTQ against QAT for d6_m7, both calibrated on the first 14 real alerts and scored on all 44 against float d6_m7.
  /// QAT fine-tunes on 1,024 generated triplets (SyntheticData, never the evaluation alerts) with the float model's
  /// scores as targets: distillation, no labels needed.
  func testQuantizationAwareFineTuningOfD6M7() throws {
    let folder = try SharedData.path("data/ztf-alerts")
    let braai = try BraaiModel(weights: SharedData.path("data/braai/d6_m7.h5"))
    let (items, _) = AlertScorer(model: braai, normalization: .row).triplets(files: try AlertScorer.avroFiles(in: [folder]))
    let all = try Tensor(shape: [items.count, 63, 63, 3], values: items.flatMap(\.triplet))
    let calibration = try all.slice(along: 0, 0..<14)
    let floatScores = try braai.score(all)
    func summary(_ scores: [Float]) -> (p95: Float, max: Float, flips: Int) {
      let d = zip(scores, floatScores).map { abs($0 - $1) }.sorted()
      return (d[Int((Double(d.count - 1) * 0.95).rounded())], d.last!, zip(scores, floatScores).filter { ($0 >= 0.5) != ($1 >= 0.5) }.count)
    }
    let ptq = summary(try PostTrainingQuantization.quantize(braai.model, calibration: [calibration]).predict([all])[0].values)

    let generated = try ZTFTripletGenerator().generate(count: 1024, seed: 5, normalization: .row)
    let synthetic = try Tensor(shape: [1024, 63, 63, 3], values: generated.triplets)
    let targets = try Tensor(shape: [1024], values: try braai.score(synthetic))
    let qat = try QuantizationAwareTraining(braai.model, calibration: [calibration])
    var configuration = TrainingConfiguration()
    configuration.epochs = 2
    configuration.batchSize = 32
    configuration.progress = .silent
    try Trainer(model: qat.trainingModel, optimizer: Adam(learningRate: 1e-5), configuration: configuration)
      .fit(try Dataset(inputs: [synthetic], targets: [targets]))
    let trained = summary(try qat.export(calibration: [calibration]).predict([all])[0].values)
    print("d6_m7 on 44 alerts, 14 for calibration: PTQ p95 \(ptq.p95) max \(ptq.max) flips \(ptq.flips); QAT p95 \(trained.p95) max \(trained.max) flips \(trained.flips)")
    XCTAssertEqual(trained.flips, 0)
    XCTAssertLessThanOrEqual(trained.max, 0.05)
  }
}

extension QuantizationTests {
  /// `BraaiInt8Model.score` quantizes triplet by triplet into the batch: it must give the interpreter's scores on the
  /// joined floats (`run(floats:)`), for int8, uint8 and float32 model inputs alike (the last two through the graph's
  /// own QUANTIZE), in batches that do not divide the triplets.
  func testInt8ScoringQuantizesEachTripletAsTheJoinedBatch() throws {
    let braai = try BraaiModel(weights: SharedData.path("data/braai/d6_m7.h5"))
    let folder = try SharedData.path("data/ztf-alerts")
    let triplets = AlertScorer(model: braai, normalization: .row).triplets(files: try AlertScorer.avroFiles(in: [folder]))
      .triplets.prefix(23).map(\.triplet)
    XCTAssertEqual(triplets.count, 23)
    let calibration = try Tensor(shape: [8, 63, 63, 3], values: triplets.prefix(8).flatMap { $0 })
    var scores = [QuantizedIOType: [Float]]()
    for ioType in QuantizedIOType.allCases {
      let quantized = try PostTrainingQuantization.quantize(braai.model, calibration: [calibration],
                                                            options: QuantizationOptions(method: .minMax, ioType: ioType))
      let model = try BraaiInt8Model(quantized)
      let got = try model.score(triplets: triplets, batchSize: 7)
      let joined = try quantized.interpreter.run(floats: [(triplets.flatMap { $0 }, [23, 63, 63, 3])])[0].values
      XCTAssertEqual(got, joined, "\(ioType.rawValue)")
      scores[ioType] = got
    }
    XCTAssertEqual(scores[.uint8], scores[.int8])
    XCTAssertEqual(scores[.float32], scores[.int8])
    XCTAssertGreaterThan(Set(scores[.int8]!).count, 3, "the scores should differ between triplets")
    XCTAssertThrowsError(try BraaiInt8Model(try PostTrainingQuantization.quantize(braai.model, calibration: [calibration]))
      .score(triplets: [[0, 1]])) { error in
      XCTAssertTrue("\(error)".contains("triplet 0 has 2 values"), "\(error)")
    }
  }
}

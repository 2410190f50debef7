import AstroEval
import AstroNN
import AstroTensor
import Braai
import SyntheticData
import XCTest

/// The end-to-end bar: braai's VGG6, trained with braai's recipe on generated ZTF-like triplets,
/// reaches FNR < 5% at FPR < 5% on a held-out generated set (a different seed).
final class SyntheticLearningTests: XCTestCase {
  func labelled(count: Int, seed: UInt64) throws -> LabelledImages {
    let out = try ZTFTripletGenerator().generate(count: count, seed: seed)
    return try LabelledImages(
      images: Tensor(shape: [count, 63, 63, 3], values: out.triplets), labels: Tensor(shape: [count], values: out.labels),
      ids: out.candids, source: "generated seed \(seed)")
  }

  func testVGG6ReachesFNRAndFPRBelowFivePercent() throws {
    let train = try labelled(count: 12000, seed: 101)
    let heldOut = try labelled(count: 4000, seed: 202)
    var options = BraaiTrainingOptions()
    options.epochs = 8
    options.batchSize = 64
    options.patience = 4
    options.testSplit = 0.05
    options.progress = .lines
    let run = try BraaiTrainingRun.run(train, options: options)
    let scores = try run.model.predict(heldOut.images).values
    let roc = try ROCCurve(BinaryPredictions(scores: scores, labels: heldOut.labels.values))
    // The best operating point: the threshold minimising max(FNR, FPR).
    func worst(_ p: ROCCurve.Point) -> Double { max(1 - p.truePositiveRate, p.falsePositiveRate) }
    let best = roc.points.min { worst($0) < worst($1) }!
    let fnr = 1 - best.truePositiveRate
    print(String(format: "held-out AUC %.4f; best point: threshold %.3f FNR %.4f FPR %.4f", roc.auc, best.threshold, fnr, best.falsePositiveRate))
    XCTAssertLessThan(fnr, 0.05, "FNR at the best threshold")
    XCTAssertLessThan(best.falsePositiveRate, 0.05, "FPR at the best threshold")
  }
}

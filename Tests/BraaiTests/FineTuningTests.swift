import AstroNN
import AstroTensor
import Braai
import SyntheticData
import TestSupport
import XCTest

/// Fine-tuning braai from its published d6_m7 weights, optionally with the convolutions frozen.
final class FineTuningTests: XCTestCase {
  func testFineTuningFromD6M7KeepsFrozenConvolutionsAndTrainsTheHead() throws {
    let generated = try ZTFTripletGenerator().generate(count: 120, seed: 9)
    let data = try LabelledImages(
      images: Tensor(shape: [120, 63, 63, 3], values: generated.triplets), labels: Tensor(shape: [120], values: generated.labels))
    let path = SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.h5").path
    let published = try VGG6.make()
    try published.loadKerasWeights(from: path)
    var options = BraaiTrainingOptions()
    options.epochs = 1
    options.progress = .silent
    options.initialWeights = path
    options.freezeConvolutions = true
    let run = try BraaiTrainingRun.run(data, options: options)
    for name in ["conv1", "conv2", "conv3", "conv4"] {
      XCTAssertEqual(run.model.layer(named: name)!.weights.map(\.values), published.layer(named: name)!.weights.map(\.values), name)
    }
    XCTAssertNotEqual(run.model.layer(named: "fc_1")!.weights[0].values, published.layer(named: "fc_1")!.weights[0].values)
    // Without freezing, the convolutions move from the published weights too.
    options.freezeConvolutions = false
    let unfrozen = try BraaiTrainingRun.run(data, options: options)
    XCTAssertNotEqual(unfrozen.model.layer(named: "conv1")!.weights[0].values, published.layer(named: "conv1")!.weights[0].values)
  }
}

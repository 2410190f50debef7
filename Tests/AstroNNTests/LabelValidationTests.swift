import AstroNN
import AstroTensor
import XCTest

/// Labels outside what a loss means are an error naming the sample, before any weight changes.
final class LabelValidationTests: XCTestCase {
  private func model() throws -> Model {
    try ModelBuilder.sequential(name: "tiny", inputShape: [4, 4, 1], seed: 1, [Flatten(), Dense(1, activation: .sigmoid)])
  }

  func testABinaryLabelOfTwoIsRefused() throws {
    let model = try model()
    let (images, _) = ToyData.blobsVersusHotPixels(count: 4, shape: [4, 4, 1], seed: 2)
    let before = model.weights.map(\.values)
    var generator = SeededGenerator(seed: 3)
    XCTAssertThrowsError(
      try model.trainStep(
        images, labels: try Tensor(shape: [4], values: [0, 1, 2, 0]), optimizer: Adam(learningRate: 0.1),
        generator: &generator)
    ) { error in
      XCTAssertTrue("\(error)".contains("label 2.0 of sample 2 is outside [0, 1]"), "\(error)")
    }
    XCTAssertThrowsError(
      try model.trainStep(
        images, labels: try Tensor(shape: [4], values: [0, 1, .nan, 0]), optimizer: Adam(learningRate: 0.1),
        generator: &generator))
    XCTAssertEqual(model.weights.map(\.values), before, "no weight changed")
    // Probabilities are valid targets (Keras' soft labels).
    XCTAssertNoThrow(
      try model.trainStep(
        images, labels: try Tensor(shape: [4], values: [0, 0.25, 1, 0.5]), optimizer: Adam(learningRate: 0.1),
        generator: &generator))
  }
}

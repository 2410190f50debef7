import AstroKernels
import AstroNN
import AstroTensor
import Foundation
import XCTest

/// Gradient recording is scoped to the calling thread: training on one thread and inference on another,
/// in one process, each get exactly the numbers they get alone.
final class ConcurrencyTests: XCTestCase {
  static func model(seed: UInt64) throws -> Model {
    try ModelBuilder.sequential(name: "small", inputShape: [15, 15, 3], seed: seed, [
      Conv2D(8, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)), BatchNormalization(),
      Flatten(), Dense(16, activation: .relu), Dropout(0.25), Dense(1, activation: .sigmoid),
    ])
  }

  /// Weights after `steps` Adam steps of a fresh model.
  static func train(steps: Int, x: Tensor, y: Tensor) throws -> [[Float]] {
    let model = try Self.model(seed: 7)
    let adam = Adam(learningRate: 1e-3)
    var generator = SeededGenerator(seed: 1)
    for step in 0..<steps {
      let rows = (step % 4) * 16..<((step % 4) + 1) * 16
      try model.trainStep(x.batch(rows), labels: y.batch(rows), optimizer: adam, generator: &generator)
    }
    return model.weights.map(\.values)
  }

  func testTrainingAndPredictOnTwoThreadsMatchRunningAlone() throws {
    let (x, y) = ToyData.blobsVersusHotPixels(count: 64, shape: [15, 15, 3], seed: 3)
    let scorer = try Self.model(seed: 9)
    let expectedWeights = try Self.train(steps: 60, x: x, y: y)
    let expectedScores = try scorer.predict(x).values

    let trained = LockedValue<Result<[[Float]], Error>?>(nil)
    var predictions: [[Float]] = []
    let finished = DispatchGroup()
    DispatchQueue.global().async(group: finished) {
      trained.set(Result { try Self.train(steps: 60, x: x, y: y) })
    }
    // Inference loops (inside `withoutGradients`) until the training thread is done.
    while finished.wait(timeout: .now()) == .timedOut {
      predictions.append(try scorer.predict(x).values)
    }
    let trainedWeights = try XCTUnwrap(trained.get()).get()
    XCTAssertGreaterThan(predictions.count, 1, "predict should have run while training did")
    XCTAssertTrue(trainedWeights == expectedWeights, "training beside inference changed the trained weights")
    let differing = predictions.filter { $0 != expectedScores }.count
    XCTAssertEqual(differing, 0, "\(differing) of \(predictions.count) predictions beside training differ from predicting alone")
  }

  func testWithoutGradientsIsScopedToTheCallingThread() {
    let inside = DispatchSemaphore(value: 0), checked = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      withoutGradients {
        inside.signal()
        checked.wait()
      }
    }
    inside.wait()
    XCTAssertTrue(GradientMode.isEnabled, "another thread's withoutGradients turned recording off here")
    let w = Tensor(repeating: 2, shape: [3], requiresGradient: true)
    XCTAssertTrue(w.scaled(by: 3).needsGradient)
    checked.signal()
    withoutGradients { XCTAssertFalse(w.scaled(by: 3).needsGradient) }
  }
}

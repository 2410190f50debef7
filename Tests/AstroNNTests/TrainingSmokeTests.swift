import AstroNN
import AstroTensor
import XCTest

/// End to end: VGG6 with Adam learns a separable generated problem; training is reproducible from the seed.
final class TrainingSmokeTests: XCTestCase {
  func train(seed: UInt64, epochs: Int) throws -> (model: Model, losses: [Float]) {
    let (x, y) = ToyData.blobsVersusHotPixels(count: 384, shape: [63, 63, 3], seed: 11)
    let model = try VGG6.make(seed: seed)
    let adam = Adam(learningRate: 3e-4)
    var generator = SeededGenerator(seed: seed)
    var losses: [Float] = []
    for _ in 0..<epochs {
      for first in stride(from: 0, to: 384, by: 32) {
        let r = first..<(first + 32)
        losses.append(try model.trainStep(x.batch(r), labels: y.batch(r), optimizer: adam, generator: &generator).loss)
      }
    }
    return (model, losses)
  }

  func testVGG6LearnsSeparableProblem() throws {
    let (model, losses) = try train(seed: 3, epochs: 3)
    let (testX, testY) = ToyData.blobsVersusHotPixels(count: 256, shape: [63, 63, 3], seed: 12)
    let p = try model.predict(testX)
    let correct = zip(p.values, testY.values).filter { ($0 >= 0.5 ? Float(1) : 0) == $1 }.count
    let accuracy = Float(correct) / 256
    XCTAssertGreaterThanOrEqual(accuracy, 0.95, "test accuracy \(accuracy)")
    XCTAssertLessThan(losses.suffix(6).reduce(0, +) / 6, losses.prefix(6).reduce(0, +) / 6)
  }

  func testSameSeedSameTraining() throws {
    let a = try train(seed: 5, epochs: 1), b = try train(seed: 5, epochs: 1)
    XCTAssertEqual(a.losses, b.losses)
    XCTAssertEqual(a.model.weights.map(\.values), b.model.weights.map(\.values))
  }
}

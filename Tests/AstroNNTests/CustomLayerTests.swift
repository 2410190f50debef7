import AstroNN
import AstroTensor
import TestSupport
import XCTest

/// A learnable per-channel scale: the simplest custom layer with a trainable weight.
final class ChannelScale: Layer {
  private(set) var scale: Tensor?

  override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    guard let channels = inputShapes[0].last else { throw NNError.layer(name, "needs a channel axis") }
    scale = try addWeight("scale", shape: [channels], initializer: .ones, generator: &generator)
    return inputShapes[0]
  }

  override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    guard let scale else { throw NNError.layer(name, "used before build") }
    return try inputs[0] * scale
  }
}

/// The mistake the framework must catch: a parameter made in `build` without `addWeight`.
final class UndeclaredScale: Layer {
  var scale: Tensor?

  override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    scale = Tensor(repeating: 1, shape: [inputShapes[0].last!], requiresGradient: true)
    return inputShapes[0]
  }

  override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor { try inputs[0] * scale! }
}

/// `x³`, a user-written differentiable op (forward and backward side by side, through `Tensor.result`).
extension Tensor {
  func cubed() throws -> Tensor {
    let x = detached()
    let y = try Tensor(shape: shape, values: values.map { $0 * $0 * $0 })
    return Tensor.result(y, of: "cube", inputs: [self]) { g, _ in
      [try Tensor(shape: x.shape, values: zip(g.values, x.values).map { $0 * 3 * $1 * $1 })]
    }
  }

  /// The same op with a wrong backward (2x instead of 3x²): the public checker must reject it.
  func cubedWithWrongGradient() throws -> Tensor {
    let y = try Tensor(shape: shape, values: values.map { $0 * $0 * $0 })
    return Tensor.result(y, of: "bad cube", inputs: [self]) { g, _ in [g.scaled(by: 2)] }
  }
}

final class CustomLayerTests: XCTestCase {
  func testCustomOpPassesThePublicGradientCheckAndAWrongOneFails() throws {
    let x = TestTensors.uniform([3, 4], seed: 1)
    let good = try GradientCheck.run("cube", inputs: [x], options: .init(step: 1e-2)) { try $0[0].cubed() }
    XCTAssertTrue(good.passed, good.failures.joined(separator: "\n"))
    let bad = try GradientCheck.run("bad cube", inputs: [x]) { try $0[0].cubedWithWrongGradient() }
    XCTAssertFalse(bad.passed)
    XCTAssertTrue(bad.failures[0].contains("gradient check 'bad cube': input #0 [3, 4]"), bad.failures[0])
  }

  func testAnOpReturningAGradientOfTheWrongShapeIsNamed() throws {
    let w = Tensor(repeating: 1, shape: [3], requiresGradient: true)
    let y = Tensor.result(Tensor(repeating: 0, shape: [3]), of: "broken", inputs: [w]) { _, _ in [Tensor.zeros([2])] }
    XCTAssertThrowsError(try y.sum().backward()) { error in
      XCTAssertEqual("\(error)", "backward: 'broken' returned a gradient of shape [2] for input #0 of shape [3]")
    }
  }

  func testCustomLayerIsGradientCheckedAndTrains() throws {
    let b = ModelBuilder(name: "scaled", inputShape: [6, 6, 2], seed: 3)
    let scale = ChannelScale(name: "scale")
    var x = try b(Conv2D(4, kernelSize: (3, 3), name: "conv"), b.input)
    x = try b(scale, x)
    x = try b.chain([Flatten(), Dense(1, activation: .sigmoid)], from: x)
    let model = try b.model(output: x)
    XCTAssertEqual(scale.weightNames, ["scale"])
    XCTAssertTrue(model.trainableWeights.contains { $0 === scale.scale })

    // The layer's gradient, with respect to its input and its weight, numerically.
    let input = TestTensors.uniform([2, 4, 4, 4], seed: 4)
    let weight = TestTensors.uniform([4], low: 0.5, high: 1.5, seed: 5)
    checkGradients("ChannelScale", inputs: [input, weight], step: 1e-2) { t in try t[0] * t[1] }

    // Trained: the scale moves, and the loss falls.
    let (images, labels) = ToyData.blobsVersusHotPixels(count: 32, shape: [6, 6, 2], seed: 6)
    let adam = Adam(learningRate: 1e-2)
    var generator = SeededGenerator(seed: 7)
    let before = scale.scale!.values
    let first = try model.trainStep(images, labels: labels, optimizer: adam, generator: &generator).loss
    var last = first
    for _ in 0..<30 { last = try model.trainStep(images, labels: labels, optimizer: adam, generator: &generator).loss }
    XCTAssertNotEqual(scale.scale!.values, before)
    XCTAssertLessThan(last, first)
  }

  func testAParameterMadeWithoutAddWeightStopsTraining() throws {
    let model = try ModelBuilder.sequential(name: "careless", inputShape: [4], seed: 1, [
      Dense(3, name: "dense"), UndeclaredScale(name: "undeclared"), Dense(1, activation: .sigmoid, name: "out"),
    ])
    let x = TestTensors.uniform([5, 4], seed: 2), y = Tensor.zeros([5])
    var generator = SeededGenerator(seed: 3)
    XCTAssertThrowsError(try model.trainStep(x, labels: y, optimizer: Adam(), generator: &generator)) { error in
      XCTAssertTrue("\(error)".contains("layer 'undeclared' uses a tensor of shape [3] that needs a gradient"), "\(error)")
      XCTAssertTrue("\(error)".contains("addWeight"))
    }
  }

  func testReusingABuiltLayerSharesOnlyWhenAskedAndNeverReinitialises() throws {
    let dense = Dense(3, name: "shared")
    let first = try ModelBuilder.sequential(name: "first", inputShape: [4], seed: 1, [dense])
    let kernel = dense.kernel!.values
    let b = ModelBuilder(name: "second", inputShape: [4], seed: 2)
    XCTAssertThrowsError(try b(dense, b.input)) { error in
      XCTAssertTrue("\(error)".contains("layer 'shared': is already built"), "\(error)")
    }
    XCTAssertEqual(dense.kernel!.values, kernel, "a failed reuse changed the first model's weights")
    let second = try b.model(output: b.apply(dense, [b.input], sharingWeights: true))
    XCTAssertEqual(dense.kernel!.values, kernel)
    XCTAssertTrue(second.weights[0] === first.weights[0])
    // Shared in a model built for another input size: refused, naming the shapes.
    let c = ModelBuilder(name: "third", inputShape: [5], seed: 3)
    XCTAssertThrowsError(try c.apply(dense, [c.input], sharingWeights: true)) { error in
      XCTAssertTrue("\(error)".contains("built for inputs [[4]], applied to [[5]]"), "\(error)")
    }
  }

  func testFrozenLayersKeepTheirWeights() throws {
    let model = try VGG6.make(inputShape: [31, 31, 1], dropout: false, seed: 1)
    for name in ["conv1", "conv2", "conv3", "conv4"] { model.layer(named: name)!.trainable = false }
    XCTAssertEqual(model.trainableParameterCount, model.layer(named: "fc_1")!.parameterCount + model.layer(named: "fc_out")!.parameterCount)
    let frozen = model.layer(named: "conv1")!.weights.map(\.values)
    let head = model.layer(named: "fc_out")!.weights.map(\.values)
    let (x, y) = ToyData.blobsVersusHotPixels(count: 8, shape: [31, 31, 1], seed: 2)
    var generator = SeededGenerator(seed: 3)
    try model.trainStep(x, labels: y, optimizer: Adam(), generator: &generator)
    XCTAssertEqual(model.layer(named: "conv1")!.weights.map(\.values), frozen)
    XCTAssertNotEqual(model.layer(named: "fc_out")!.weights.map(\.values), head)
    XCTAssertNil(model.layer(named: "conv1")!.weights[0].gradient, "a frozen weight got a gradient computed")
  }
}

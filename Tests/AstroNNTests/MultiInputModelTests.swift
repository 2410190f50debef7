import AstroNN
import AstroTensor
import TestSupport
import XCTest

/// Functional models with several inputs and outputs, and models nested as layers.
final class MultiInputModelTests: XCTestCase {
  /// image [8, 8, 1] -> conv -> flatten ┐
  /// features [3] -> dense ─────────────┴ concatenate -> score (sigmoid), classes (softmax)
  func twoInputTwoOutputModel() throws -> Model {
    let b = ModelBuilder(name: "two_in_two_out", inputs: [("image", [8, 8, 1]), ("features", [3])], seed: 5)
    let image = try b.chain([Conv2D(2, kernelSize: (3, 3), activation: .relu, name: "conv"), Flatten(name: "flatten")], from: b.inputs[0])
    let features = try b(Dense(4, activation: .relu, name: "meta"), b.inputs[1])
    let joined = try b(Concatenate(axis: 1, name: "joined"), image, features)
    let score = try b(Dense(1, activation: .sigmoid, name: "score"), joined)
    let classes = try b(Dense(3, activation: .softmax, name: "classes"), joined)
    return try b.model(outputs: [score, classes])
  }

  func testForwardEqualsTheGraphWrittenOut() throws {
    let model = try twoInputTwoOutputModel()
    XCTAssertEqual(model.inputNames, ["image", "features"])
    XCTAssertEqual(model.outputNames, ["score", "classes"])
    XCTAssertEqual(model.outputShapes, [[1], [3]])
    let image = TestTensors.uniform([5, 8, 8, 1], seed: 1), features = TestTensors.uniform([5, 3], seed: 2)
    var generator = SeededGenerator(seed: 0)
    let outputs = try model.forward([image, features], generator: &generator)

    func dense(_ name: String, _ x: Tensor) throws -> Tensor {
      let layer = model.layer(named: name) as! Dense
      return try x.matmul(layer.kernel!) + layer.bias!
    }
    let conv = model.layer(named: "conv") as! Conv2D
    let imageFeatures = try image.conv2D(kernel: conv.kernel!, bias: conv.bias).relu().flattened()
    let joined = try Tensor.concatenate([imageFeatures, dense("meta", features).relu()], axis: 1)
    assertClose(outputs[0].values, try dense("score", joined).sigmoid().values, atol: 1e-6)
    assertClose(outputs[1].values, try dense("classes", joined).softmax().values, atol: 1e-6)

    // predict (micro-batched over the cores, no graph) gives the same numbers.
    let predicted = try model.predict([image, features])
    assertClose(predicted[0].values, outputs[0].values, atol: 1e-6)
    assertClose(predicted[1].values, outputs[1].values, atol: 1e-6)
    let logits = try model.predict([image, features], logits: true)
    assertClose(logits[0].values, try dense("score", joined).values, atol: 1e-5)
  }

  func testInputsAreCheckedByName() throws {
    let model = try twoInputTwoOutputModel()
    let image = Tensor.zeros([4, 8, 8, 1])
    XCTAssertThrowsError(try model.predict([image])) {
      XCTAssertEqual("\($0)", "model: two_in_two_out: 1 input tensor(s) for 2 input(s) [\"image\", \"features\"]")
    }
    XCTAssertThrowsError(try model.predict([image, Tensor.zeros([4, 2])])) {
      XCTAssertEqual("\($0)", "model: two_in_two_out: input 'features' of shape [4, 2], expected [N] + [3]")
    }
    XCTAssertThrowsError(try model.predict([image, Tensor.zeros([3, 3])])) {
      XCTAssertEqual("\($0)", "model: two_in_two_out: input 'features' has 3 samples, 'image' has 4")
    }
    XCTAssertThrowsError(try model.predict(image)) { XCTAssertTrue("\($0)".contains("predict(_:) needs one of each")) }
  }

  func testSummaryListsInputsAndConnections() throws {
    let summary = try twoInputTwoOutputModel().summary()
    XCTAssertTrue(summary.contains("features (InputLayer)"), summary)
    XCTAssertTrue(summary.contains("joined (Concatenate)"), summary)
    XCTAssertTrue(summary.contains("flatten, meta"), summary)
    XCTAssertTrue(summary.contains("(None, 8, 8, 1)"), summary)
    XCTAssertTrue(summary.contains("Outputs: score, classes"), summary)
  }

  func testUnusedBranchesAreLeftOutAndAnUnusedInputIsAnError() throws {
    let b = ModelBuilder(name: "pruned", inputs: [("a", [4]), ("b", [4])])
    let used = try b(Dense(2, name: "used"), b.inputs[0])
    _ = try b(Dense(2, name: "dangling"), b.inputs[0])
    let c = ModelBuilder(name: "pruned", inputs: [("a", [4])])
    let model = try c.model(output: c(Dense(1, name: "kept"), c.chain([Dense(2, name: "first")], from: c.input)))
    XCTAssertEqual(model.layers.map(\.name), ["first", "kept"])
    XCTAssertThrowsError(try b.model(output: used)) { XCTAssertEqual("\($0)", "model: pruned: input 'b' does not reach any output") }
  }

  func testANestedModelSharesItsWeightsAndComputesTheSame() throws {
    let encoder = try ModelBuilder.sequential(name: "encoder", inputShape: [6], seed: 1, [
      Dense(5, activation: .relu, name: "e1"), BatchNormalization(name: "e_bn"), Dense(3, activation: .tanh, name: "e2"),
    ])
    let b = ModelBuilder(name: "outer", inputShape: [6], seed: 2)
    let head = Dense(1, activation: .sigmoid, name: "head")
    let model = try b.model(output: b(head, b(encoder, b.input)))
    XCTAssertEqual(model.parameterCount, encoder.parameterCount + 4)
    XCTAssertTrue(model.weights[0] === encoder.weights[0])
    XCTAssertEqual(model.layers.map(\.name), ["encoder", "head"])
    let x = TestTensors.uniform([7, 6], seed: 3)
    let direct = try head.forward([encoder.predict(x)], context: ForwardContext(training: false))
    assertClose(try model.predict(x).values, direct.values, atol: 1e-6)

    // Training the outer model trains the encoder's weights (shared), BN statistics included.
    let mean = (encoder.layer(named: "e_bn") as! BatchNormalization).movingMean!.values
    var generator = SeededGenerator(seed: 4)
    try model.trainStep(x, labels: Tensor(repeating: 1, shape: [7]), optimizer: Adam(learningRate: 0.1), generator: &generator)
    XCTAssertNotEqual((encoder.layer(named: "e_bn") as! BatchNormalization).movingMean!.values, mean)
    checkGradients("nested model", inputs: [x], step: 1e-2) { t in try model.forward(t[0], generator: &generator) }
  }
}

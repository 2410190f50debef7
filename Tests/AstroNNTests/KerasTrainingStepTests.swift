import AstroIO
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// One Adam step in training mode against Keras (`reference/keras/*.step.h5`): the loss, every gradient,
/// and the weights and BatchNormalization moving statistics after the step.
final class KerasTrainingStepTests: XCTestCase {
  /// Reads `group/<file layer>/<weight>` for each layer with weights, pairing the file's `layer_names`
  /// with the model's layers by order.
  func read(_ file: HDF5File, _ group: String, _ model: Model, trainableOnly: Bool) throws -> [(Tensor, Tensor, String)] {
    let fileLayers = try XCTUnwrap(file.stringAttribute("layer_names", of: "/"))
    let modelLayers = model.layers.filter { !$0.weights.isEmpty }
    XCTAssertEqual(fileLayers.count, modelLayers.count, "layers with weights")
    var out: [(Tensor, Tensor, String)] = []
    for (layer, fileLayer) in zip(modelLayers, fileLayers) {
      let trainable = Set(layer.trainableWeights.map(ObjectIdentifier.init))
      for (weight, name) in zip(layer.weights, layer.weightNames) where !trainableOnly || trainable.contains(ObjectIdentifier(weight)) {
        let (shape, values) = try file.readFloats("/\(group)/\(fileLayer)/\(name)")
        out.append((weight, try Tensor(shape: shape, values: values), "\(layer.name)/\(name)"))
      }
    }
    return out
  }

  func assertStepMatches(_ model: Model, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let h5 = try HDF5File(path: SharedData.path("reference/keras/\(key).step.h5"), mode: .readOnly)
    for (weight, value, name) in try read(h5, "before", model, trainableOnly: false) {
      XCTAssertEqual(weight.shape, value.shape, name, file: file, line: line)
      try weight.assign(value)
    }
    let x = try Tensor(shape: h5.datasetShape("/x"), values: h5.readFloats("/x").values)
    let y = try Tensor(shape: h5.datasetShape("/y"), values: h5.readFloats("/y").values)
    let expectedLoss = try XCTUnwrap(h5.doubleAttribute("loss", of: "/"))
    let lr = Float(try XCTUnwrap(h5.doubleAttribute("lr", of: "/")))

    var generator = SeededGenerator(seed: 1)
    model.zeroGradients()
    let logits = try model.forward(x, training: true, logits: true, generator: &generator)
    let loss = try Loss.binaryCrossEntropy(logits: logits, labels: y)
    XCTAssertEqual(Double(loss.scalarValue), expectedLoss, accuracy: 1e-5, "\(key) loss", file: file, line: line)
    try loss.backward()

    let grads = try read(h5, "grads", model, trainableOnly: true)
    var small: [ObjectIdentifier: [Bool]] = [:]
    for (weight, reference, name) in grads {
      let g = try XCTUnwrap(weight.gradient, "\(name) has no gradient", file: file, line: line)
      var diff = 0.0, norm = 0.0
      for (a, b) in zip(g.values, reference.values) {
        diff += Double(a - b) * Double(a - b)
        norm += Double(b) * Double(b)
      }
      // Gradients whose reference norm is below 1e-5 are float32 noise around an exact zero (a conv bias
      // feeding a training-mode BatchNormalization has gradient 0): there, relative error says nothing, so
      // the difference is bounded absolutely instead.
      if norm.squareRoot() < 1e-5 {
        XCTAssertLessThanOrEqual(diff.squareRoot(), 1e-6, "\(key) gradient \(name): |difference| \(diff.squareRoot())", file: file, line: line)
      } else {
        let relative = diff.squareRoot() / norm.squareRoot()
        XCTAssertLessThanOrEqual(relative, 1e-3, "\(key) gradient \(name): relative error \(relative)", file: file, line: line)
      }
      small[ObjectIdentifier(weight)] = reference.values.map { abs($0) < 1e-6 }
    }

    let adam = Adam(learningRate: lr)
    try adam.step(model.trainableWeights)
    for (weight, reference, name) in try read(h5, "after", model, trainableOnly: false) {
      let skip = small[ObjectIdentifier(weight)]
      var worst: Float = 0
      for (i, (a, b)) in zip(weight.values, reference.values).enumerated() where !(skip?[i] ?? false) {
        worst = max(worst, abs(a - b))
      }
      XCTAssertLessThanOrEqual(worst, 1e-5, "\(key) \(name) after the step", file: file, line: line)
    }
  }

  func testVGG6Step() throws {
    try assertStepMatches(VGG6.make(inputShape: [63, 63, 3], dropout: false), "vgg6_63x63x3")
  }

  func testResNetTinyStep() throws {
    let model = try ResNet.make(
      name: "resnet_tiny", inputShape: [32, 32, 3], stemFilters: 8, stages: [([8, 8, 16], 2, 1)])
    try assertStepMatches(model, "resnet_tiny_32x32x3")
  }

  func testDenseNetTinyStep() throws {
    let model = try DenseNet.make(name: "densenet_tiny", inputShape: [32, 32, 1], blocks: [2, 2], growth: 8, stemFilters: 16)
    try assertStepMatches(model, "densenet_tiny_32x32x1")
  }
}

import AstroIO
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Files written by `saveKeras` load in Keras with its own loader (`keras.models.load_model`) and give our outputs.
/// Needs the peer venv (../shared/peers/setup.sh); skipped with a message without it.
final class KerasLoadModelTests: XCTestCase {
  /// Saves `model`, runs it in Keras on `inputs`, returns Keras' output.
  func kerasOutput(_ model: Model, _ inputs: [Tensor]) throws -> [Float] {
    let python = SharedData.peerPython
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw XCTSkip("Keras is not installed: run ../shared/peers/setup.sh (or set PEERS_VENV) to load saved files in Keras")
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keras-load-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("model.h5").path
    try model.saveKeras(to: path)
    var inputPaths = [String]()
    for (k, input) in inputs.enumerated() {
      let p = folder.appendingPathComponent("in\(k).npy").path
      try input.npyArray().write(to: p)
      inputPaths.append(p)
    }
    let out = folder.appendingPathComponent("out.npy").path
    let run = Process()
    run.executableURL = URL(fileURLWithPath: python)
    run.arguments = [SharedData.packageRoot.appendingPathComponent("Tests/PeerScripts/keras_load_model.py").path, path, out] + inputPaths
    try run.run()
    run.waitUntilExit()
    guard run.terminationStatus == 0 else {
      XCTFail("Keras could not load or run the saved file")
      return []
    }
    return try NpyArray.read(path: out).floats()
  }

  func testKerasLoadsASavedVGG6() throws {
    let model = try VGG6.make()
    try model.loadKerasWeights(from: SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.h5").path)
    let x = TestTensors.uniform([4, 63, 63, 3], seed: 3)
    let keras = try kerasOutput(model, [x])
    assertClose(keras, try model.predict(x).values, atol: 1e-5, rtol: 0, "VGG6 in Keras")
  }

  func testKerasLoadsASavedTwoInputModelWithANestedModelAndSharedLayer() throws {
    let b = ModelBuilder(name: "two_inputs", inputs: [("image", [10, 10, 2]), ("features", [5])], seed: 2)
    let encoder = try ModelBuilder.sequential(name: "encoder", inputShape: [5], seed: 3, [
      Dense(6, activation: .tanh, name: "e1"), BatchNormalization(momentum: 0.5, name: "e_bn"),
    ])
    let image = try b.chain([
      ZeroPadding2D(top: 1, bottom: 0, left: 1, right: 2, name: "pad"),
      Conv2D(4, kernelSize: (3, 3), strides: (2, 1), padding: .same, name: "conv"), BatchNormalization(name: "bn"),
      ActivationLayer(.relu, name: "relu"), AveragePooling2D((2, 2), name: "pool"), GlobalAveragePooling2D(name: "gap"),
      Dense(6, name: "squeeze"),
    ], from: b.inputs[0])
    let shared = Dense(6, activation: .relu, name: "shared")
    let sum = try b(Add(name: "add"), b(shared, image), b.apply(shared, [try b(encoder, b.inputs[1])], sharingWeights: true))
    let joined = try b(Concatenate(name: "concat"), sum, image)
    let out = try b(Dense(1, activation: .sigmoid, name: "out"), b(Dropout(0.2, name: "drop"), joined))
    let model = try b.model(outputs: [out])
    var generator = SeededGenerator(seed: 8)
    for bn in [model.layer(named: "bn"), encoder.layer(named: "e_bn")] {
      for w in bn!.weights { w.storage.pointer.update(repeating: Float.random(in: 0.5...1.5, using: &generator), count: w.count) }
    }
    let inputs = [TestTensors.uniform([6, 10, 10, 2], seed: 4), TestTensors.uniform([6, 5], seed: 5)]
    let keras = try kerasOutput(model, inputs)
    assertClose(keras, try model.predict(inputs)[0].values, atol: 1e-5, rtol: 0, "two-input model in Keras")
  }
}

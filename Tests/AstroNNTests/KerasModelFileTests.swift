import AstroIO
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Full Keras models built from their files alone (architecture and weights), against TensorFlow's outputs.
final class KerasModelFileTests: XCTestCase {
  /// BTSbot v1.0.1: two inputs, Keras 2.13 functional config; TF's outputs on 8 synthetic and 8 real alerts.
  func testBTSbotFromItsFileAloneReproducesTensorFlow() throws {
    let model = try Model.loadKeras(from: SharedData.packageRoot.appendingPathComponent("Datasets/btsbot/btsbot_v1.0.1.h5").path)
    XCTAssertEqual(model.inputNames, ["triplet", "metadata"])
    XCTAssertEqual(model.inputShapes, [[63, 63, 3], [25]])
    XCTAssertEqual(model.outputNames, ["fc_out"])
    XCTAssertEqual(model.parameterCount, 227_861)
    XCTAssertEqual(model.trainableParameterCount, 227_811)
    let fixture = try HDF5File(path: SharedData.path("data/btsbot/btsbot_v1.0.1.fixture.h5"), mode: .readOnly)
    func tensor(_ path: String) throws -> Tensor {
      let (shape, values) = try fixture.readFloats(path)
      return try Tensor(shape: shape, values: values)
    }
    for group in ["", "example_alerts/"] {
      let inputs = [try tensor("\(group)triplet"), try tensor("\(group)metadata")]
      let scores = try model.predict(inputs)[0]
      let logits = try model.predict(inputs, logits: true)[0]
      assertClose(scores.values, try tensor("\(group)score").values, atol: 1e-5, rtol: 0, "BTSbot \(group)score")
      assertClose(logits.values, try tensor("\(group)logit").values, atol: 1e-4, rtol: 0, "BTSbot \(group)logit")
      // The training-mode graph (forward, dropout off in inference) gives the same scores.
      var generator = SeededGenerator(seed: 0)
      assertClose(try model.forward(inputs, generator: &generator)[0].values, scores.values, atol: 1e-6, rtol: 0)
    }
  }

  /// Keras 3.15 files (the parity fixtures): Sequential VGG6, functional ResNet50 and DenseNet121.
  func testKeras3FilesLoadAloneAndMatchKerasLogits() throws {
    for key in ["vgg6_63x63x3", "resnet50_144x144x1", "densenet121_144x144x1"] {
      let model = try Model.loadKeras(from: SharedData.path("reference/keras/\(key).h5"))
      let input = try Tensor.load(npy: SharedData.path("reference/keras/\(key).input.npy"))
      let expected = try Tensor.load(npy: SharedData.path("reference/keras/\(key).logit.npy"))
      assertClose(try model.predict(input, logits: true).values, expected.values, atol: 1e-4, rtol: 0, key)
    }
  }

  /// braai's d6_m7 (Keras 2.2.4-tf Sequential): the same numbers as VGG6 built in code with its weights.
  func testBraaiFileBuildsTheVGG6ItWasSavedFrom() throws {
    let path = SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.h5").path
    let loaded = try Model.loadKeras(from: path)
    let built = try VGG6.make()
    try built.loadKerasWeights(from: path)
    XCTAssertEqual(loaded.layers.map(\.name), built.layers.map(\.name))
    XCTAssertEqual(loaded.inputNames, ["conv1_input"])
    let x = TestTensors.uniform([6, 63, 63, 3], low: 0, high: 0.1, seed: 1)
    XCTAssertEqual(try loaded.predict(x).values, try built.predict(x).values)
  }

  /// DeepStreaks' published architectures (Keras 2.2.4 `Model` and `Sequential` JSON): the layer tables and
  /// parameter counts of the builders.
  func testDeepStreaksArchitecturesBuildFromTheirJSON() throws {
    let builders: [(String, Model)] = [
      ("ResNet50_20181207_154224", try ResNet.resnet50()), ("densenet121_20181214_043052", try DenseNet.densenet121()),
      ("VGG6_20181207_151757", try VGG6.make(inputShape: [144, 144, 1])),
    ]
    for (stem, built) in builders {
      let text = try String(
        contentsOfFile: SharedData.path("data/deepstreaks/5b96af9c0354c9000b0aea36_\(stem).architecture.json"), encoding: .utf8)
      let model = try Model.fromKerasJSON(text)
      XCTAssertEqual(model.parameterCount, built.parameterCount, stem)
      XCTAssertEqual(model.inputShape, [144, 144, 1], stem)
      XCTAssertEqual(model.summaryRows.map(\.className), built.summaryRows.map(\.className), stem)
      XCTAssertEqual(model.summaryRows.map(\.outputShape), built.summaryRows.map(\.outputShape), stem)
    }
    XCTAssertEqual(builders[0].1.parameterCount, 17_386_753)
    XCTAssertEqual(builders[1].1.parameterCount, 7_032_257)
  }

  func testSavedModelsLoadBackWithTheSameOutputs() throws {
    let b = ModelBuilder(name: "saved", inputs: [("image", [8, 8, 2]), ("features", [3])], seed: 4)
    let encoder = try ModelBuilder.sequential(name: "encoder", inputShape: [3], seed: 5, [
      Dense(4, activation: .tanh, name: "e1"), BatchNormalization(momentum: 0.5, name: "e_bn"),
    ])
    let shared = Dense(4, activation: .relu, name: "shared")
    var image = try b.chain([
      ZeroPadding2D(top: 1, bottom: 0, left: 2, right: 1, name: "pad"), Conv2D(3, kernelSize: (3, 3), strides: (2, 1), padding: .same, name: "conv"),
      BatchNormalization(name: "bn"), ActivationLayer(.relu, name: "relu"), MaxPooling2D((2, 2), name: "pool"),
      Flatten(name: "flatten"),
    ], from: b.inputs[0])
    image = try b(Dense(4, name: "squeeze"), image)
    let features = try b(encoder, b.inputs[1])
    let sum = try b(Add(name: "add"), b(shared, image), b.apply(shared, [features], sharingWeights: true))
    let out = try b(Dense(2, activation: .softmax, name: "out"), b(Dropout(0.3, name: "drop"), sum))
    let model = try b.model(outputs: [out, features])
    // Moving statistics away from their initial values, so that the file must carry them.
    var generator = SeededGenerator(seed: 6)
    for bn in [model.layer(named: "bn"), encoder.layer(named: "e_bn")] {
      for w in bn!.weights { w.storage.pointer.update(repeating: Float.random(in: 0.5...1.5, using: &generator), count: w.count) }
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("saved-\(UUID()).h5").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try model.saveKeras(to: path)
    let loaded = try Model.loadKeras(from: path)
    XCTAssertEqual(loaded.inputNames, model.inputNames)
    XCTAssertEqual(loaded.outputNames, ["out", "encoder"])
    XCTAssertEqual(loaded.layers.map(\.name), model.layers.map(\.name))
    XCTAssertEqual(loaded.weights.map(\.values), model.weights.map(\.values))
    let inputs = [TestTensors.uniform([5, 8, 8, 2], seed: 7), TestTensors.uniform([5, 3], seed: 8)]
    for (a, b) in zip(try loaded.predict(inputs), try model.predict(inputs)) { XCTAssertEqual(a.values, b.values) }
    XCTAssertEqual(loaded.kerasJSON(), model.kerasJSON())
  }

  func testCustomLayersSaveAndLoadThroughAFactory() throws {
    let model = try ModelBuilder.sequential(name: "custom", inputShape: [4, 4, 2], seed: 1, [ChannelScale(name: "scale"), Flatten()])
    (model.layer(named: "scale") as! ChannelScale).scale!.storage.pointer[1] = 3
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("custom-\(UUID()).h5").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try model.saveKeras(to: path)
    XCTAssertThrowsError(try Model.loadKeras(from: path)) { error in
      XCTAssertTrue("\(error)".contains("layer 'scale': ChannelScale: layer class 'ChannelScale' is not supported"), "\(error)")
    }
    let loaded = try Model.loadKeras(from: path, customLayers: ["ChannelScale": { ChannelScale(name: $0.name) }])
    XCTAssertEqual((loaded.layer(named: "scale") as! ChannelScale).scale!.values, [1, 3])
  }

  func testUnsupportedLayersAndOptionsAreNamed() throws {
    func config(_ layer: String) -> String {
      """
      {"class_name": "Sequential", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [null, 8, 8, 1], "name": "in"}}, \(layer)]}}
      """
    }
    let cases = [
      (#"{"class_name": "LSTM", "config": {"name": "lstm", "units": 4}}"#, "layer 'lstm': LSTM: layer class 'LSTM' is not supported"),
      (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [3, 3], "dilation_rate": [2, 2]}}"#,
       "layer 'c': Conv2D: option 'dilation_rate' = [2,2] is not supported; supported: [1,1], 1"),
      (#"{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "data_format": "channels_first"}}"#,
       "layer 'c': Conv2D: option 'data_format' = channels_first is not supported; supported: channels_last"),
      (#"{"class_name": "Activation", "config": {"name": "a", "activation": "elu"}}"#, "layer 'a': Activation: activation 'elu' is not supported"),
      (#"{"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float16"}}"#, "layer 'd': Dense: dtype float16 is not supported"),
      (#"{"class_name": "BatchNormalization", "config": {"name": "b", "axis": 1}}"#, "layer 'b': axis 1 of inputs [N] + [8, 8, 1]"),
    ]
    for (layer, message) in cases {
      XCTAssertThrowsError(try Model.fromKerasJSON(config(layer))) { error in
        XCTAssertTrue("\(error)".contains(message), "\(error)\nexpected: \(message)")
      }
    }
    let weightsOnly = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString).h5").path
    defer { try? FileManager.default.removeItem(atPath: weightsOnly) }
    try VGG6.make().saveKerasWeights(to: weightsOnly)
    XCTAssertThrowsError(try Model.loadKeras(from: weightsOnly)) { error in
      XCTAssertEqual(
        "\(error)", "\((weightsOnly as NSString).lastPathComponent): no 'model_config' attribute: a weights-only file "
          + "(build the model in code and call loadKerasWeights)")
    }
  }
}

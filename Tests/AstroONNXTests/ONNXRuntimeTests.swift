import AstroIO
import AstroNN
import AstroONNX
import AstroTensor
import Braai
import Foundation
import TestSupport
import XCTest

/// Our exports checked by onnx's checker (full_check) and run by onnxruntime 1.31, against our own outputs:
/// braai d6_m7 on the bundled real alerts, Keras' ResNet50 and DenseNet121 fixtures, and BTSbot's.
final class ONNXRuntimeTests: XCTestCase {
  /// Exports `model`, runs it in onnxruntime on `inputs`, and compares every output with ours.
  @discardableResult
  func assertRuntimeMatches(
    _ model: Model, _ inputs: [Tensor], options: ONNXExportOptions = ONNXExportOptions(), atol: Float = 1e-5,
    file: StaticString = #filePath, line: UInt = #line
  ) throws -> ONNXRuntime.Result {
    _ = try ONNXRuntime.python()
    let folder = try TemporaryFolder("onnx-runtime")
    let path = folder.url.appendingPathComponent("\(model.name).onnx").path
    try ONNXExporter.export(model, options: options).write(to: path)
    let feeds = options.nchw
      ? try zip(model.inputNames, inputs).map { ($0, $1.rank == 4 ? try $1.permuted([0, 3, 1, 2]) : $1) }
      : Array(zip(model.inputNames, inputs))
    let result = try ONNXRuntime.run(path, inputs: Dictionary(uniqueKeysWithValues: feeds), in: folder.url)
    let ours = try model.predict(inputs)
    XCTAssertEqual(result.report["outputs"] as? [String], model.outputNames, file: file, line: line)
    for (name, expected) in zip(model.outputNames, ours) {
      let got = try XCTUnwrap(result.outputs[name], "onnxruntime wrote no output '\(name)'", file: file, line: line)
      XCTAssertEqual(got.shape, expected.shape, file: file, line: line)
      let values = got.floats()
      let worst = zip(values, expected.values).map { abs($0 - $1) }.max() ?? 0
      XCTAssertLessThanOrEqual(worst, atol, "\(model.name) output '\(name)': max |onnxruntime − ours| = \(worst)", file: file, line: line)
      print("\(model.name) '\(name)' on \(expected.shape[0]) samples: max |onnxruntime − ours| = \(worst)")
    }
    return result
  }

  func testBraaiD6M7OnRealAlerts() throws {
    let batch = try realAlertTriplets()
    XCTAssertGreaterThanOrEqual(batch.shape[0], 10)
    let result = try assertRuntimeMatches(try BraaiModel().model, [batch])
    XCTAssertEqual(result.report["ir_version"] as? Int, 8)
    XCTAssertEqual(result.report["opset"] as? Int, 13)
    XCTAssertEqual(result.report["input_shapes"] as? [[AnyHashable]], [["batch", 63, 63, 3]])
  }

  /// The newest combination onnxruntime 1.31 reads that this exporter writes, and NCHW inputs.
  func testOtherVersionsAndNCHWInputs() throws {
    let model = try VGG6.make(seed: 2)
    try randomizeWeights(model, seed: 3)
    let x = TestTensors.uniform([3, 63, 63, 3], low: 0, high: 0.2, seed: 4)
    var options = ONNXExportOptions()
    options.irVersion = 10
    options.opset = 21
    let result = try assertRuntimeMatches(model, [x], options: options)
    XCTAssertEqual(result.report["opset"] as? Int, 21)
    options = ONNXExportOptions()
    options.nchw = true
    let nchw = try assertRuntimeMatches(model, [x], options: options)
    XCTAssertEqual(nchw.report["input_shapes"] as? [[AnyHashable]], [["batch", 3, 63, 63]])
  }

  func testKerasResNet50AndDenseNet121Fixtures() throws {
    for key in ["resnet50_144x144x1", "densenet121_144x144x1"] {
      let model = try Model.loadKeras(from: SharedData.path("reference/keras/\(key).h5"))
      let input = try Tensor.load(npy: SharedData.path("reference/keras/\(key).input.npy"))
      try assertRuntimeMatches(model, [input])
    }
  }

  func testBTSbotTwoInputsWithBOOMsNames() throws {
    let model = try Model.loadKeras(from: SharedData.packageRoot.appendingPathComponent("Datasets/btsbot/btsbot_v1.0.1.h5").path)
    let synthetic = try assertRuntimeMatches(
      model, [TestTensors.uniform([6, 63, 63, 3], low: 0, high: 0.05, seed: 1), TestTensors.uniform([6, 25], seed: 2)])
    XCTAssertEqual(synthetic.report["inputs"] as? [String], ["triplet", "metadata"])
    XCTAssertEqual(synthetic.report["outputs"] as? [String], ["fc_out"])
    XCTAssertEqual(synthetic.report["input_shapes"] as? [[AnyHashable]], [["batch", 63, 63, 3], ["batch", 25]])
  }

  /// TensorFlow's own BTSbot scores on the fixture's inputs (8 synthetic, 8 real alerts), through onnxruntime.
  func testBTSbotReproducesTensorFlowInOnnxRuntime() throws {
    let model = try Model.loadKeras(from: SharedData.packageRoot.appendingPathComponent("Datasets/btsbot/btsbot_v1.0.1.h5").path)
    let fixture = try HDF5File(path: SharedData.path("data/btsbot/btsbot_v1.0.1.fixture.h5"), mode: .readOnly)
    func tensor(_ path: String) throws -> Tensor {
      let (shape, values) = try fixture.readFloats(path)
      return try Tensor(shape: shape, values: values)
    }
    for group in ["", "example_alerts/"] {
      let result = try assertRuntimeMatches(model, [try tensor("\(group)triplet"), try tensor("\(group)metadata")])
      let scores = try XCTUnwrap(result.outputs["fc_out"]).floats()
      assertClose(scores, try tensor("\(group)score").values, atol: 1e-5, rtol: 0, "BTSbot \(group)score in onnxruntime")
    }
  }

  /// An exported model with every layer kind, in onnxruntime.
  func testEveryLayerModelInOnnxRuntime() throws {
    let model = try everyLayerModel()
    try assertRuntimeMatches(model, [TestTensors.uniform([4, 13, 11, 3], seed: 1), TestTensors.uniform([4, 5], seed: 2)])
  }
}

/// A layer of a user's own (a per-channel scale), exportable through `ONNXExportableLayer`.
final class ChannelScale: Layer, ONNXExportableLayer {
  var scale: Tensor!
  override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    scale = try addWeight("scale", shape: [inputShapes[0].last!], initializer: .ones, generator: &generator)
    return inputShapes[0]
  }
  override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor { try inputs[0] * scale }

  func exportONNX(
    _ inputs: [ONNXExporter.Value], name: String, outputShape: [Int], to exporter: ONNXExporter
  ) throws -> ONNXExporter.Value {
    // NCHW images broadcast a [C, 1, 1] scale over the channel axis.
    let dims = inputs[0].isImage ? [scale.count, 1, 1] : [scale.count]
    let s = exporter.constant(name + "/scale", dims: dims, floats: scale.values, weight: scale)
    exporter.add(ONNXNode("Mul", inputs: [inputs[0].name, s], outputs: [name], name: name))
    return ONNXExporter.Value(name: name, isImage: inputs[0].isImage, shape: outputShape)
  }
}

extension ONNXRuntimeTests {
  /// A user's own layer (through `ONNXExportableLayer`) and a model used as a layer of another (inlined).
  func testCustomLayersAndNestedModels() throws {
    let inner = try ModelBuilder.sequential(
      name: "block", inputShape: [12, 12, 4], [Conv2D(4, kernelSize: (3, 3), padding: .same, activation: .relu), ChannelScale(name: "gain")])
    let b = ModelBuilder(name: "outer", inputShape: [12, 12, 4], seed: 2)
    var x = try b(inner, b.input)
    x = try b(inner, x)
    x = try b(GlobalAveragePooling2D(), x)
    let model = try b.model(output: try b(Dense(2, activation: .softmax, name: "classes"), x))
    try randomizeWeights(model, seed: 8)
    let file = try ONNXExporter.export(model)
    XCTAssertEqual(file.graph.nodes.filter { $0.opType == "Mul" }.count, 2, "the block is inlined at each use")
    XCTAssertEqual(file.graph.initializers.filter { $0.name.hasSuffix("scale") }.count, 1, "shared weights are written once")
    try assertRuntimeMatches(model, [TestTensors.uniform([3, 12, 12, 4], seed: 9)])
  }
}

extension ONNXRuntimeTests {
  /// An image output (transposed back to NHWC under its own name, or NCHW with `nchw`) beside a vector output.
  func testImageOutputs() throws {
    let b = ModelBuilder(name: "segmenter", inputShape: [10, 8, 2], seed: 4)
    let map = try b(Conv2D(3, kernelSize: (3, 3), padding: .same, activation: .sigmoid, name: "map"), b.input)
    let score = try b(Dense(1, name: "score"), try b(GlobalAveragePooling2D(), map))
    let model = try b.model(outputs: [map, score])
    try randomizeWeights(model, seed: 5)
    let x = TestTensors.uniform([2, 10, 8, 2], seed: 6)
    try assertRuntimeMatches(model, [x])
    let file = try ONNXExporter.export(model)
    XCTAssertEqual(Set(file.graph.nodes.flatMap(\.outputs)).count, file.graph.nodes.flatMap(\.outputs).count, "every value is written once")
    XCTAssertEqual(file.graph.outputs[0].shape, [.parameter("batch"), .value(10), .value(8), .value(3)])
  }

  /// A model imported from an NCHW file (a Permute after its input, a Reshape after global pooling) exports again.
  func testImportedModelsExportAgain() throws {
    var options = ONNXExportOptions()
    options.nchw = true
    let model = try everyLayerModel()
    let imported = try ONNXImporter.importModel(try ONNXModel(bytes: ONNXExporter.export(model, options: options).encoded()))
    XCTAssertTrue(imported.layers.contains { $0 is Permute } && imported.layers.contains { $0 is Reshape })
    try assertRuntimeMatches(imported, [TestTensors.uniform([3, 3, 13, 11], seed: 1), TestTensors.uniform([3, 5], seed: 2)])
  }
}

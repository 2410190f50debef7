import AstroNN
import AstroONNX
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Export → bytes → import reproduces every layer the framework has, in both input layouts, with no runtime
/// beside ours (onnxruntime's checks are in ONNXRuntimeTests).
final class ONNXRoundTripTests: XCTestCase {
  func testEveryLayerRoundTrips() throws {
    let model = try everyLayerModel()
    let inputs = [TestTensors.uniform([4, 13, 11, 3], seed: 1), TestTensors.uniform([4, 5], seed: 2)]
    let expected = try model.predict(inputs)
    let file = try ONNXModel(bytes: ONNXExporter.export(model).encoded())
    XCTAssertEqual(file.irVersion, 8)
    XCTAssertEqual(file.defaultOpset, 13)
    XCTAssertEqual(file.graph.inputs.map(\.name), ["image", "features"])
    XCTAssertEqual(file.graph.outputs.map(\.name), ["score", "probabilities"])
    XCTAssertEqual(file.graph.inputs[0].shape, [.parameter("batch"), .value(13), .value(11), .value(3)])
    XCTAssertFalse(file.graph.nodes.contains { $0.opType == "Dropout" })
    let bn = try XCTUnwrap(file.graph.nodes.first { $0.opType == "BatchNormalization" })
    XCTAssertEqual(bn.attribute("epsilon"), .float(1e-3))

    let imported = try ONNXImporter.importModel(file)
    XCTAssertEqual(imported.inputNames, ["image", "features"])
    XCTAssertEqual(imported.inputShapes, [[13, 11, 3], [5]])
    XCTAssertEqual(imported.outputNames, ["score", "probabilities"])
    XCTAssertFalse(imported.layers.contains { $0 is Permute }, "the NHWC input's Transpose is absorbed")
    let got = try imported.predict(inputs)
    for (g, e) in zip(got, expected) { assertClose(g.values, e.values, atol: 1e-5, rtol: 1e-5) }
  }

  /// `nchw`: images declared NCHW; the importer reads such an input as NCHW and permutes it once.
  func testNCHWExportTakesNCHWArrays() throws {
    let model = try everyLayerModel()
    var options = ONNXExportOptions()
    options.nchw = true
    let file = try ONNXExporter.export(model, options: options)
    XCTAssertEqual(file.graph.inputs[0].shape, [.parameter("batch"), .value(3), .value(13), .value(11)])
    let imported = try ONNXImporter.importModel(ONNXModel(bytes: file.encoded()))
    XCTAssertEqual(imported.inputShapes, [[3, 13, 11], [5]])
    let image = TestTensors.uniform([2, 13, 11, 3], seed: 5), features = TestTensors.uniform([2, 5], seed: 6)
    let expected = try model.predict([image, features])
    let got = try imported.predict([try image.permuted([0, 3, 1, 2]), features])
    for (g, e) in zip(got, expected) { assertClose(g.values, e.values, atol: 1e-5, rtol: 1e-5) }
  }

  func testResNetAndDenseNetRoundTrip() throws {
    for model in [try ResNet.resnet18(inputShape: [64, 64, 1], seed: 1), try DenseNet.make(name: "densenet_small", inputShape: [32, 32, 1], blocks: [2, 2], growth: 4, stemFilters: 8, seed: 1)] {
      try randomizeWeights(model, seed: 4)
      let input = TestTensors.uniform([2] + model.inputShape, seed: 9)
      let imported = try ONNXImporter.importModel(ONNXModel(bytes: ONNXExporter.export(model).encoded()))
      assertClose(try imported.predict(input).values, try model.predict(input).values, atol: 1e-5, rtol: 1e-4, model.name)
    }
  }

  /// An imported model trains: one SGD step moves the loss, and its weights save as Keras and load back.
  func testImportedModelFineTunesAndSavesAsKeras() throws {
    let model = try ModelBuilder.sequential(
      name: "small", inputShape: [8, 8, 2],
      [Conv2D(3, kernelSize: (3, 3), padding: .same, activation: .relu), MaxPooling2D((2, 2)), Flatten(), Dense(1, activation: .sigmoid)])
    try randomizeWeights(model, seed: 2)
    let imported = try ONNXImporter.importModel(ONNXModel(bytes: ONNXExporter.export(model).encoded()))
    let x = TestTensors.uniform([6, 8, 8, 2], seed: 3)
    let y = TestTensors.make([6, 1], [1, 0, 1, 0, 1, 1])
    let optimizer = SGD(learningRate: 0.5)
    var generator = SeededGenerator(seed: 1)
    let first = try imported.trainStep(x, labels: y, optimizer: optimizer, generator: &generator).loss
    var last = first
    for _ in 0..<5 { last = try imported.trainStep(x, labels: y, optimizer: optimizer, generator: &generator).loss }
    XCTAssertLessThan(last, first)

    let folder = try TemporaryFolder("onnx-import")
    let path = folder.url.appendingPathComponent("imported.h5").path
    try imported.saveKeras(to: path)
    let reloaded = try Model.loadKeras(from: path)
    assertClose(try reloaded.predict(x).values, try imported.predict(x).values, atol: 1e-6, rtol: 0)
  }

  func testExportErrorsNameTheLayerAndOption() throws {
    final class Custom: Layer {
      override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor { inputs[0] }
    }
    let model = try ModelBuilder.sequential(name: "m", inputShape: [4], [Custom(name: "mystery"), Dense(1)])
    XCTAssertThrowsError(try ONNXExporter.export(model)) { error in
      XCTAssertTrue("\(error)".contains("'mystery'") && "\(error)".contains("ONNXExportableLayer"), "\(error)")
    }
    var options = ONNXExportOptions()
    options.irVersion = 14
    XCTAssertThrowsError(try ONNXExporter.export(try VGG6.make(), options: options)) { error in
      XCTAssertTrue("\(error)".contains("IR version 14"), "\(error)")
    }
  }

  func testImportErrorsNameTheNodeAndOperator() throws {
    func model(_ nodes: [ONNXNode], initializers: [ONNXTensor] = []) -> ONNXModel {
      ONNXModel(
        irVersion: 8, opsetImports: [.init(version: 13)],
        graph: ONNXGraph(
          name: "g", nodes: nodes, initializers: initializers,
          inputs: [ONNXValueInfo(name: "x", shape: [.parameter("n"), .value(2), .value(4), .value(4)])],
          outputs: [ONNXValueInfo(name: "y", shape: nil)]))
    }
    XCTAssertThrowsError(try ONNXImporter.importModel(model([ONNXNode("Elu", inputs: ["x"], outputs: ["y"], name: "elu1")]), file: "f.onnx")) {
      XCTAssertTrue("\($0)".contains("f.onnx") && "\($0)".contains("Elu node 'elu1'") && "\($0)".contains("operator 'Elu'"), "\($0)")
    }
    let grouped = ONNXNode("Conv", inputs: ["x", "w"], outputs: ["y"], attributes: [.init("group", .int(2))])
    let w = ONNXTensor(name: "w", dims: [2, 1, 1, 1], floats: [1, 2])
    XCTAssertThrowsError(try ONNXImporter.importModel(model([grouped], initializers: [w]))) {
      XCTAssertTrue("\($0)".contains("group = 2"), "\($0)")
    }
    let unknownInput = ONNXNode("Relu", inputs: ["nowhere"], outputs: ["y"])
    XCTAssertThrowsError(try ONNXImporter.importModel(model([unknownInput]))) {
      XCTAssertTrue("\($0)".contains("'nowhere'"), "\($0)")
    }
  }
}

import AstroNN
import AstroONNX
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// The test cases the `onnx` wheel ships (PyTorch-converted layers: model.onnx, input_*.pb, output_*.pb, NCHW,
/// IR 3 / opset 6), imported and run by us against their expected outputs; the cases outside the supported set
/// are refused with an error naming the operator or attribute.
final class ONNXTestCaseTests: XCTestCase {
  func run(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let folder = try ONNXTestCases.folder().appendingPathComponent(relative)
    let model = try ONNXImporter.importModel(path: folder.appendingPathComponent("model.onnx").path)
    let data = folder.appendingPathComponent("test_data_set_0")
    let inputs = try model.inputNames.indices.map { k -> Tensor in
      let t = try ONNXTensor.read(path: data.appendingPathComponent("input_\(k).pb").path)
      return try Tensor(shape: t.dims, values: t.floats())
    }
    let outputs = try model.predict(inputs)
    for (k, output) in outputs.enumerated() {
      let expected = try ONNXTensor.read(path: data.appendingPathComponent("output_\(k).pb").path)
      XCTAssertEqual(output.shape, expected.dims, relative, file: file, line: line)
      assertClose(output.values, try expected.floats(), atol: 1e-5, rtol: 1e-4, relative, file: file, line: line)
    }
  }

  func testSupportedLayersMatchTheirExpectedOutputs() throws {
    let cases = [
      "test_AvgPool2d", "test_AvgPool2d_stride", "test_BatchNorm2d_eval", "test_BatchNorm2d_momentum_eval", "test_Conv2d",
      "test_Conv2d_no_bias", "test_Conv2d_padding", "test_Conv2d_strided", "test_Linear", "test_Linear_no_bias", "test_MaxPool2d",
      "test_ReLU", "test_Sigmoid", "test_Tanh", "test_Softmax", "test_softmax_lastdim", "test_softmax_functional_dim3",
      "test_ZeroPad2d",
    ]
    for name in cases { try run("pytorch-converted/" + name) }
    for name in ["test_operator_concat2", "test_operator_flatten", "test_operator_conv", "test_operator_permute2"] {
      try run("pytorch-operator/" + name)
    }
  }

  func testOtherCasesAreRefusedByName() throws {
    let refusals = [
      "pytorch-converted/test_Conv2d_groups": "group = 2",
      "pytorch-converted/test_Conv2d_depthwise": "group = 4",
      "pytorch-converted/test_Conv2d_dilated": "dilations",
      "pytorch-converted/test_ConstantPad2d": "only zero padding",
      "pytorch-converted/test_ReflectionPad2d": "mode 'reflect'",
      "pytorch-converted/test_MaxPool1d": "is not an NCHW image",
      "pytorch-operator/test_operator_pad": "mode 'reflect'",
      "pytorch-converted/test_BatchNorm1d_3d_input_eval": "rank 3",
      "pytorch-converted/test_ELU": "operator 'Elu'",
      "pytorch-converted/test_LogSoftmax": "operator 'LogSoftmax'",
      "pytorch-operator/test_operator_add_broadcast": "element type 11",
      "pytorch-operator/test_operator_mm": "must be a constant",
      "pytorch-converted/test_Conv1d": "only 2-D convolutions",
    ]
    let lightRefusals = [
      "light/light_bvlc_alexnet.onnx": "operator 'LRN'", "light/light_shufflenet.onnx": "group = 4",
      "light/light_densenet121.onnx": "operator 'Unsqueeze'",
    ]
    for (relative, expected) in refusals.map({ ($0.key + "/model.onnx", $0.value) }) + lightRefusals.map({ ($0.key, $0.value) }) {
      let path = try ONNXTestCases.folder().appendingPathComponent(relative).path
      XCTAssertThrowsError(try ONNXImporter.importModel(path: path), relative) { error in
        XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains(path), "\(relative): \(error)")
      }
    }
  }
}

extension ONNXTestCaseTests {
  /// The wheel's "light" ResNet50 and SqueezeNet (Caffe2's exports: NCHW 224x224x3, IR 3 / opset 9, explicit
  /// pool pads, Sum shortcuts, fire modules' Concat, opset-9 Softmax, a fixed batch of 1) make every weight 0.02
  /// with ConstantOfShape, so their outputs are uniform: each is imported as it is, then with random weights (each
  /// ConstantOfShape replaced by a random initializer of its shape, scaled per kind) and compared with onnxruntime
  /// on the same file and input.
  func testLightResNet50AndSqueezeNetMatchOnnxRuntime() throws {
    for name in ["resnet50", "squeezenet"] { try assertLightModelMatchesOnnxRuntime(name) }
  }

  func assertLightModelMatchesOnnxRuntime(_ name: String) throws {
    let path = try ONNXTestCases.folder().appendingPathComponent("light/light_\(name).onnx").path
    XCTAssertEqual(try ONNXImporter.importModel(path: path).inputShapes, [[3, 224, 224]])

    var file = try ONNXModel.read(path: path)
    var generator = SeededGenerator(seed: 11)
    let shapes = Dictionary(uniqueKeysWithValues: file.graph.initializers.map { ($0.name, $0) })
    var randomized: [ONNXTensor] = []
    file.graph.nodes.removeAll { node in
      guard node.opType == "ConstantOfShape", let dims = shapes[node.inputs[0]]?.int64s()?.map(Int.init) else { return false }
      let name = node.outputs[0]
      let fanIn = Float(dims.dropFirst().reduce(1, *))
      let (low, high): (Float, Float) =
        name.contains("_riv_") ? (0.5, 1.5) : name.contains("_s_") ? (0.5, 1) : name.contains("_w_") ? (-(3 / fanIn).squareRoot(), (3 / fanIn).squareRoot()) : (-0.1, 0.1)
      randomized.append(ONNXTensor(name: name, dims: dims, floats: Tensor.uniform(dims, low: low, high: high, generator: &generator).values))
      return true
    }
    file.graph.initializers += randomized
    file.irVersion = 4  // IR 3 wants every initializer listed as an input too; IR 4 lifted that
    let folder = try TemporaryFolder("light")
    let random = folder.url.appendingPathComponent("light_\(name)_random.onnx").path
    try file.write(to: random)

    let model = try ONNXImporter.importModel(path: random)
    let x = TestTensors.uniform([1, 3, 224, 224], low: 0, high: 1, seed: 3)
    let result = try ONNXRuntime.run(random, inputs: [model.inputNames[0]: x], in: folder.url)
    let expected = try XCTUnwrap(result.outputs.values.first).floats()
    XCTAssertGreaterThan(expected.max()! - expected.min()!, 1e-4, "random weights give a non-uniform output")
    assertClose(try model.predict(x).values, expected, atol: 1e-5, rtol: 1e-3, "light_\(name) with random weights")
  }
}

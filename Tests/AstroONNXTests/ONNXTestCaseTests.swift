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
    for (relative, expected) in refusals {
      let path = try ONNXTestCases.folder().appendingPathComponent(relative + "/model.onnx").path
      XCTAssertThrowsError(try ONNXImporter.importModel(path: path), relative) { error in
        XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains(path), "\(relative): \(error)")
      }
    }
  }
}

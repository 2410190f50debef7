import AstroIO
import AstroInt8
import AstroTFLite
import TestSupport
import XCTest

/// Bit-exactness with LiteRT's reference kernels (BUILTIN_REF), on models TensorFlow's converter made and outputs
/// LiteRT computed (Fixtures/make_litert_fixtures.py; committed, so these run without TensorFlow).
final class LiteRTParityTests: XCTestCase {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  /// Runs `model` on the fixture's input batch and compares every output byte with LiteRT's.
  func assertMatchesLiteRT(_ name: String, model path: String? = nil, route: Int8Route = .best,
                           file: StaticString = #filePath, line: UInt = #line) throws {
    let base = Self.fixtures.appendingPathComponent(name).path
    let model = try TFLiteModel.read(path: path ?? base + ".tflite")
    let interpreter = try Int8Interpreter(model.graph, route: route)
    let input = try NpyArray.read(path: base + ".input.npy")
    let expected = try NpyArray.read(path: base + ".output.npy")
    let inputTensor = model.graph.tensors[model.graph.inputs[0]]
    let values = try TensorValues(shape: input.shape, type: inputTensor.type, bytes: [UInt8](input.data))
    let output = try interpreter.run([values])[0]
    XCTAssertEqual(output.shape, expected.shape, "\(name): shape", file: file, line: line)
    let got = output.bytes, want = [UInt8](expected.data)
    let mismatches = zip(got, want).filter { $0 != $1 }.count
    XCTAssertEqual(mismatches, 0, "\(name), \(route.rawValue) route: \(mismatches) of \(want.count) outputs differ from LiteRT's reference kernels",
                   file: file, line: line)
    XCTAssertEqual(got.count, want.count, file: file, line: line)
  }

  func testConvolutions() throws {
    for name in ["conv_same_relu", "conv_valid_stride2", "conv_same_stride2", "conv_relu6"] { try assertMatchesLiteRT(name) }
  }

  func testFullyConnectedWithComputedFlatten() throws { try assertMatchesLiteRT("dense") }

  func testPools() throws {
    for name in ["maxpool_valid", "maxpool_same", "avgpool_valid", "avgpool_same"] { try assertMatchesLiteRT(name) }
  }

  func testMean() throws { try assertMatchesLiteRT("mean") }
  func testAddWithFusedReLU() throws { try assertMatchesLiteRT("add_relu") }
  func testBroadcastMultiplyAndAdd() throws { try assertMatchesLiteRT("mul_broadcast") }
  func testConcatenation() throws { try assertMatchesLiteRT("concatenation") }
  func testPad() throws { try assertMatchesLiteRT("pad") }
  func testLogistic() throws { try assertMatchesLiteRT("logistic") }
  func testSoftmax() throws { try assertMatchesLiteRT("softmax") }
  func testResidualBlock() throws { try assertMatchesLiteRT("residual_block") }
  func testDenseBlock() throws { try assertMatchesLiteRT("dense_block") }

  /// TensorFlow's own conversion of d6_m7 on 12 random uint8 batches, every byte. Its per-channel FULLY_CONNECTED
  /// (256 weight scales) is where the double rescale of LiteRT's reference kernel differs from the integer
  /// multiplier: 2 of its 3,072 fc_1 values were one step off before that rescale was used.
  func testTensorFlowsConversionOfD6M7() throws {
    let model = try SharedData.path("reference/tflite/d6_m7.tf-int8.tflite")
    for route in Int8Route.available { try assertMatchesLiteRT("d6_m7_tf_int8", model: model, route: route) }
  }
}

extension LiteRTParityTests {
  /// Every route this CPU runs (VNNI, AVX2, portable) gives LiteRT's bytes, not only the best one.
  func testEveryRouteMatchesLiteRT() throws {
    XCTAssertEqual(Int8Route.available.last, .portable)
    for route in Int8Route.available {
      for name in ["conv_same_relu", "conv_valid_stride2", "conv_same_stride2", "conv_relu6", "dense", "avgpool_same",
                   "residual_block", "dense_block"] {
        try assertMatchesLiteRT(name, route: route)
      }
    }
  }
}

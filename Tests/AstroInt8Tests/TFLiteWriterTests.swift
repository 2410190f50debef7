import AstroIO
import AstroInt8
import AstroTFLite
import TestSupport
import XCTest

final class TFLiteWriterTests: XCTestCase {
  static let cases = [
    "conv_same_relu", "conv_valid_stride2", "conv_same_stride2", "conv_relu6", "mul_broadcast", "dense", "maxpool_valid",
    "maxpool_same", "avgpool_valid", "avgpool_same", "mean", "add_relu", "concatenation", "pad", "logistic", "softmax",
    "residual_block", "dense_block",
  ]

  func fixture(_ name: String) -> String { LiteRTParityTests.fixtures.appendingPathComponent(name).path }

  func testWrittenFilesReadBackToTheSameGraph() throws {
    for name in Self.cases {
      let original = try TFLiteModel.read(path: fixture(name) + ".tflite")
      let bytes = try TFLiteWriter.encode(original.graph)
      let reread = try TFLiteModel(bytes: bytes, source: name)
      var expected = original.graph
      expected.description = reread.graph.description
      XCTAssertEqual(reread.graph, expected, name)
    }
  }

  func testOperatorVersionsAreTheConvertersMinimalOnes() throws {
    for name in Self.cases {
      let original = try TFLiteModel.read(path: fixture(name) + ".tflite")
      let reread = try TFLiteModel(bytes: try TFLiteWriter.encode(original.graph))
      XCTAssertEqual(reread.operatorVersions, original.operatorVersions, name)
    }
  }

  func testLiteRTRunsWrittenFilesWithTheSameResults() throws {
    _ = try LiteRTReference.python()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tflite-writer-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for name in Self.cases {
      let graph = try TFLiteModel.read(path: fixture(name) + ".tflite").graph
      let written = folder.appendingPathComponent(name + ".tflite").path
      try TFLiteWriter.write(graph, to: written)
      let output = folder.appendingPathComponent(name + ".litert.npy").path
      let litert = try LiteRTReference.run(model: written, input: fixture(name) + ".input.npy", output: output)
      XCTAssertNotNil(litert, "\(name): LiteRT could not run the written file")
      guard let litert else { continue }
      let input = try NpyArray.read(path: fixture(name) + ".input.npy")
      let tensor = graph.tensors[graph.inputs[0]]
      let ours = try Int8Interpreter(graph).run([try TensorValues(shape: input.shape, type: tensor.type, bytes: [UInt8](input.data))])[0]
      XCTAssertEqual(ours.bytes, [UInt8](litert.data), name)
    }
  }
}

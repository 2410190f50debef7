import AstroInt8
import AstroKernels
import AstroTFLite
import TestSupport
import XCTest

final class TFLiteReaderTests: XCTestCase {
  static let fixtures = LiteRTParityTests.fixtures

  func testReadsTensorFlowsInt8ConversionOfD6M7() throws {
    let model = try TFLiteModel.read(path: try SharedData.path("reference/tflite/d6_m7.tf-int8.tflite"))
    let graph = model.graph
    let input = graph.tensors[graph.inputs[0]], output = graph.tensors[graph.outputs[0]]
    XCTAssertEqual(input.type, .uint8)
    XCTAssertEqual(input.shape, [1, 63, 63, 3])
    XCTAssertEqual(output.type, .uint8)
    XCTAssertEqual(output.quantization, Quantization(scale: 1.0 / 256, zeroPoint: 0))
    XCTAssertEqual(graph.operators.map(\.operation.name), [
      "QUANTIZE", "CONV_2D", "CONV_2D", "MAX_POOL_2D", "CONV_2D", "CONV_2D", "MAX_POOL_2D", "SHAPE", "STRIDED_SLICE",
      "PACK", "RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "LOGISTIC", "QUANTIZE",
    ])
    XCTAssertEqual(model.operatorVersions[1], 3)  // int8 CONV_2D
    // The first convolution: OHWI int8 weights quantized per output channel, an int32 bias.
    let conv = graph.operators[1]
    let weights = graph.tensors[conv.inputs[1]]
    XCTAssertEqual(weights.shape, [16, 3, 3, 3])
    XCTAssertEqual(weights.type, .int8)
    XCTAssertEqual(weights.quantization?.scales.count, 16)
    XCTAssertEqual(weights.data?.count, 16 * 27)
    XCTAssertEqual(graph.tensors[conv.inputs[2]].type, .int32)
    if case .conv2D(let options) = conv.operation {
      XCTAssertEqual(options.padding, .valid)
      XCTAssertEqual(options.activation, .relu)
    } else {
      XCTFail("operator 1 is \(conv.operation.name)")
    }
    XCTAssertFalse(model.isEdgeTPUCompiled)
    XCTAssertTrue(model.summary().contains("input  'serving_default_keras_tensor:0' UINT8 [1, 63, 63, 3]"))
  }

  func testRecognisesTheEdgeTPUModelAndRefusesToRunItOnTheCPU() throws {
    let model = try TFLiteModel.read(path: try SharedData.path("reference/tflite/braai_d6_m7.edgetpu.tflite"))
    XCTAssertTrue(model.isEdgeTPUCompiled)
    XCTAssertEqual(model.graph.operators.count, 1)
    XCTAssertTrue(model.summary().contains("compiled for a Coral Edge TPU"))
    XCTAssertThrowsError(try Int8Interpreter(model.graph)) { error in
      XCTAssertTrue("\(error)".contains("edgetpu-custom-op"), "\(error)")
      XCTAssertTrue("\(error)".contains("Edge TPU"), "\(error)")
    }
  }

  func testBadFilesGiveErrorsNamingTheFile() throws {
    let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent("pad.tflite")))
    XCTAssertThrowsError(try TFLiteModel(bytes: [], source: "empty.tflite")) { error in
      XCTAssertTrue("\(error)".contains("empty.tflite"), "\(error)")
    }
    var foreign = bytes
    foreign.replaceSubrange(4..<8, with: Array("ONNX".utf8))
    XCTAssertThrowsError(try TFLiteModel(bytes: foreign, source: "foreign.tflite")) { error in
      XCTAssertTrue("\(error)".contains("identifier 'ONNX', expected 'TFL3'"), "\(error)")
    }
    var farRoot = bytes
    farRoot.replaceSubrange(0..<4, with: [0xF0, 0xFF, 0xFF, 0x7F])
    XCTAssertThrowsError(try TFLiteModel(bytes: farRoot, source: "root.tflite")) { error in
      XCTAssertTrue("\(error)".contains("outside"), "\(error)")
    }
    // Every truncation is an error, never a crash.
    for length in stride(from: 0, to: bytes.count, by: 61) {
      XCTAssertThrowsError(try TFLiteModel(bytes: Array(bytes[..<length]), source: "cut.tflite"), "cut at \(length)")
    }
  }

  func testMutatedFilesNeverCrashTheReaderOrTheInterpreter() throws {
    // Seeded byte mutations of small models: each must read, prepare and run, or throw; nothing else.
    var generator = Xoshiro256StarStar(seed: 13)
    for name in ["dense", "pad", "concatenation", "mean"] {
      let bytes = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name + ".tflite")))
      for _ in 0..<300 {
        var mutated = bytes
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
          mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
        }
        guard let model = try? TFLiteModel(bytes: mutated, source: "mutated"), let graph = Optional(model.graph),
          let interpreter = try? Int8Interpreter(graph), let inputIndex = graph.inputs.first
        else { continue }
        let tensor = graph.tensors[inputIndex]
        guard tensor.shape.count >= 1, let count = TensorValues.count(of: tensor.shape), count < 1 << 20,
          let input = try? TensorValues(shape: tensor.shape, type: tensor.type, bytes: [UInt8](repeating: 3, count: count * tensor.type.size))
        else { continue }
        _ = try? interpreter.run([input])
      }
    }
  }
}


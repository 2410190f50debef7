import AstroONNX
import AstroTensor
import XCTest

/// The hand-written protobuf codec: encode → decode is the identity, and damaged bytes give errors, never traps.
final class ProtobufTests: XCTestCase {
  func sampleModel() -> ONNXModel {
    let conv = ONNXNode(
      "Conv", inputs: ["x", "w", ""], outputs: ["y"], name: "conv",
      attributes: [
        .init("pads", .ints([0, 1, -1, Int64.max])), .init("epsilon", .float(1e-3)), .init("auto_pad", .string("NOTSET")),
        .init("scales", .floats([0.5, -2, .infinity])), .init("names", .strings(["a", "ü"])),
        .init("value", .tensor(ONNXTensor(name: "", dims: [2], int64s: [Int64.min, 7]))),
        .init("i", .int(-3)),
      ])
    let graph = ONNXGraph(
      name: "g", nodes: [conv], initializers: [ONNXTensor(name: "w", dims: [1, 2, 1, 1], floats: [1.5, -0.25])],
      inputs: [ONNXValueInfo(name: "x", shape: [.parameter("batch"), .value(2), .unknown, .value(3)])],
      outputs: [ONNXValueInfo(name: "y", shape: [])])
    return ONNXModel(
      irVersion: 8, opsetImports: [.init(version: 13), .init(domain: "com.example", version: 1)], producerName: "p",
      producerVersion: "1", modelVersion: 3, docString: "d", graph: graph, metadata: [.init(key: "k", value: "v")])
  }

  func testEncodeThenDecodeIsTheIdentity() throws {
    let model = sampleModel()
    let decoded = try ONNXModel(bytes: model.encoded())
    XCTAssertEqual(decoded, model)
    XCTAssertEqual(decoded.graph.nodes[0].attribute("pads"), .ints([0, 1, -1, Int64.max]))
    XCTAssertEqual(try decoded.graph.initializers[0].floats(), [1.5, -0.25])
  }

  /// Known bytes: a model holding only ir_version 8 and an empty graph named "g" (checked by hand against the
  /// wire format: key 0x08 = field 1 varint; 0x3a = field 7 length-delimited; 0x12 = field 2 of GraphProto).
  func testWireBytesOfASmallModel() {
    let bytes = ONNXModel(irVersion: 8, opsetImports: [], graph: ONNXGraph(name: "g")).encoded()
    XCTAssertEqual(bytes, [0x08, 0x08, 0x3a, 0x03, 0x12, 0x01, 0x67])
  }

  /// Unpacked repeated fields (as old writers produce) decode like packed ones.
  func testUnpackedRepeatedFieldsDecode() throws {
    // TensorProto: dims 2 and 3 unpacked (key 0x08 each), data_type 7, int64_data unpacked (key 0x38) ×6.
    var bytes: [UInt8] = [0x08, 0x02, 0x08, 0x03, 0x10, 0x07]
    for v in 1...6 { bytes += [0x38, UInt8(v)] }
    let graph: [UInt8] = [0x2a, UInt8(bytes.count)] + bytes + [0x12, 0x01, 0x67]
    let model: [UInt8] = [0x08, 0x08, 0x3a, UInt8(graph.count)] + graph
    let decoded = try ONNXModel(bytes: model)
    XCTAssertEqual(decoded.graph.initializers[0].dims, [2, 3])
    XCTAssertEqual(decoded.graph.initializers[0].int64s(), [1, 2, 3, 4, 5, 6])
  }

  /// Every truncation and a few thousand byte flips: either a model or an `ONNXError`, never a trap or a huge allocation.
  func testDamagedBytesGiveErrors() throws {
    let bytes = sampleModel().encoded()
    var refused = 0
    for cut in 0..<bytes.count {
      // A cut at a field boundary after the graph is a valid, shorter model.
      do { _ = try ONNXModel(bytes: Array(bytes[..<cut])) } catch {
        XCTAssert(error is ONNXError, "prefix of \(cut) bytes: \(error)")
        refused += 1
      }
    }
    XCTAssertGreaterThan(refused, bytes.count - 40)
    var generator = SeededGenerator(seed: 7)
    for _ in 0..<3000 {
      var damaged = bytes
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
      }
      do { _ = try ONNXModel(bytes: damaged) } catch { XCTAssert(error is ONNXError, "\(error)") }
    }
  }

  func testDeclaredSizesAreCheckedBeforeAllocating() {
    // A tensor declaring 2^39 floats with 4 bytes of data.
    var tensor: [UInt8] = [0x0a, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x10, 0x01]
    tensor += [0x4a, 0x04, 0, 0, 0, 0]
    let graph: [UInt8] = [0x2a, UInt8(tensor.count)] + tensor
    let model: [UInt8] = [0x08, 0x08, 0x3a, UInt8(graph.count)] + graph
    XCTAssertThrowsError(try ONNXModel(bytes: model, file: "big.onnx")) { error in
      XCTAssertTrue("\(error)".contains("big.onnx"), "\(error)")
      XCTAssertTrue("\(error)".contains("initializer[0]"), "\(error)")
    }
    XCTAssertThrowsError(try ONNXModel(bytes: [0x08, 0x08], file: "nograph.onnx")) { error in
      XCTAssertTrue("\(error)".contains("no graph"), "\(error)")
    }
  }
}

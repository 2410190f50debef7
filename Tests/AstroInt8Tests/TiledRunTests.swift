import AstroInt8
import AstroKernels
import AstroNN
import AstroQuantization
import AstroTensor
import XCTest

/// `Int8Interpreter.run` takes a large batch in tiles of a few samples through the whole graph. Tiles must give the
/// bytes of the whole batch run layer by layer (`allValues`, which never tiles), and a graph whose tensors do not
/// keep the samples first must be noticed and run whole.
final class TiledRunTests: XCTestCase {
  func randomInput(_ shape: [Int], type: ElementType, seed: UInt64) throws -> TensorValues {
    var random = Xoshiro256StarStar(seed: seed)
    return try TensorValues(shape: shape, type: type, bytes: (0..<shape.reduce(1, *)).map { _ in UInt8.random(in: 0...255, using: &random) })
  }

  func testTilesGiveTheWholeBatchsBytes() throws {
    var generator = SeededGenerator(seed: 3)
    let model = try VGG6.make()
    let calibration = Tensor.normal([16, 63, 63, 3], standardDeviation: 0.05, generator: &generator)
    // Up to fc_1's 256 outputs a sample (a random VGG6's sigmoid takes one or two levels).
    let full = try PostTrainingQuantization.quantize(model, calibration: [calibration]).interpreter.graph
    let last = try XCTUnwrap(full.operators.firstIndex { full.tensors[$0.outputs[0]].name == "fc_1" })
    let graph = QuantizedGraph(tensors: full.tensors, operators: Array(full.operators[...last]), inputs: full.inputs,
                               outputs: full.operators[last].outputs)
    let interpreter = try Int8Interpreter(graph)
    // 37 samples: tiles of 8 (VGG6's conv1 output is 60 KB a sample) and a last tile of 5, over both cores.
    let samples = Tensor.normal([37, 63, 63, 3], standardDeviation: 0.05, generator: &generator)
    let input = try TensorValues(quantizing: samples.values, shape: samples.shape, for: interpreter.graph.tensors[interpreter.graph.inputs[0]])
    let whole = try interpreter.allValues([input])[interpreter.graph.outputs[0]]!
    for _ in 0..<2 {  // the first run checks the graph, the second runs every tile in parallel
      let tiled = try interpreter.run([input])[0]
      XCTAssertEqual(tiled.shape, [37, 256])
      XCTAssertEqual(zip(tiled.bytes, whole.bytes).filter { $0 != $1 }.count, 0, "outputs that differ from the whole batch's")
    }
    XCTAssertGreaterThan(Set(whole.bytes).count, 50, "the outputs should spread over many levels")
  }

  /// A concatenation along the batch joins samples: the first tiled run sees a tensor with twice the tile's samples
  /// and the interpreter runs the whole batch from then on.
  func testAGraphJoiningSamplesRunsWhole() throws {
    let q = Quantization(scale: 0.1, zeroPoint: 0)
    let tensors = [
      GraphTensor(name: "x", shape: [1, 40, 40, 16], type: .int8, quantization: q),
      GraphTensor(name: "joined", shape: [2, 40, 40, 16], type: .int8, quantization: q),
      GraphTensor(name: "pooled", shape: [2, 20, 20, 16], type: .int8, quantization: q),
    ]
    let pool = PoolOptions(padding: .valid, strideHeight: 2, strideWidth: 2, filterHeight: 2, filterWidth: 2, activation: .none)
    let graph = QuantizedGraph(tensors: tensors, operators: [
      GraphOperator(.concatenation(axis: 0, activation: .none), inputs: [0, 0], outputs: [1]),
      GraphOperator(.maxPool2D(pool), inputs: [1], outputs: [2]),
    ], inputs: [0], outputs: [2])
    let interpreter = try Int8Interpreter(graph)
    let input = try randomInput([64, 40, 40, 16], type: .int8, seed: 5)
    let whole = try interpreter.allValues([input])[2]!
    for _ in 0..<2 {
      let got = try interpreter.run([input])[0]
      XCTAssertEqual(got.shape, [128, 20, 20, 16])
      XCTAssertEqual(got.bytes.count, whole.bytes.count)
      XCTAssertEqual(zip(got.bytes, whole.bytes).filter { $0 != $1 }.count, 0, "outputs that differ from the whole batch's")
    }
  }
}

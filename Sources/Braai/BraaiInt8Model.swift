import AstroInt8
import AstroQuantization
import AstroTFLite
import Foundation

/// What scores braai triplets: the float model (`BraaiModel`) or an int8 one (`BraaiInt8Model`).
public protocol TripletScoring: AnyObject {
  /// Scores flat HWC triplets (63·63·3 floats each, normalised) in batches of `batchSize`.
  func score(triplets: [[Float]], batchSize: Int) throws -> [Float]
}

/// braai as a full-integer graph, run by the int8 interpreter (bit-exact with LiteRT's reference kernels): a
/// `.tflite` this library or TensorFlow's converter wrote, or a freshly quantized model.
public final class BraaiInt8Model: TripletScoring {
  /// The graph being run.
  public let graph: QuantizedGraph
  let interpreter: Int8Interpreter

  /// Reads a `.tflite` with one 63×63×3 input and one score output.
  /// - Throws: `TFLiteError` for an unreadable file; `Int8Error` naming the operator that cannot run (an Edge TPU
  ///   compiled file says so), or the input/output that does not fit braai.
  public convenience init(tflite path: String) throws {
    try self.init(graph: try TFLiteModel.read(path: path).graph, source: path)
  }

  /// Runs a model quantized in this process.
  public convenience init(_ quantized: QuantizedModel) throws {
    try self.init(graph: quantized.graph, source: "quantized model")
  }

  init(graph: QuantizedGraph, source: String) throws {
    guard graph.inputs.count == 1, graph.outputs.count == 1,
      Array(graph.tensors[graph.inputs[0]].shape.dropFirst()) == [BraaiModel.cutoutSize, BraaiModel.cutoutSize, 3],
      graph.tensors[graph.outputs[0]].elementCount == graph.tensors[graph.outputs[0]].shape.first ?? 1
    else {
      throw Int8Error.invalidGraph(
        "\(source): braai takes one [N, 63, 63, 3] input and gives one score per sample; this graph has inputs "
          + "\(graph.inputs.map { graph.tensors[$0].shape }) and outputs \(graph.outputs.map { graph.tensors[$0].shape })")
    }
    self.graph = graph
    interpreter = try Int8Interpreter(graph)
  }

  /// Scores flat HWC triplets: quantized with the model's input parameters (unless the graph takes float32), outputs
  /// dequantized.
  public func score(triplets: [[Float]], batchSize: Int = 256) throws -> [Float] {
    let size = BraaiModel.cutoutSize * BraaiModel.cutoutSize * 3
    var scores = [Float]()
    scores.reserveCapacity(triplets.count)
    if let i = triplets.firstIndex(where: { $0.count != size }) {
      throw Int8Error.invalidInput("braai: triplet \(i) has \(triplets[i].count) values, expected \(size)")
    }
    let input = graph.tensors[graph.inputs[0]], output = graph.tensors[graph.outputs[0]]
    for first in stride(from: 0, to: triplets.count, by: max(1, batchSize)) {
      let group = Array(triplets[first..<min(first + max(1, batchSize), triplets.count)])
      let sampleShape = [BraaiModel.cutoutSize, BraaiModel.cutoutSize, 3]
      // A float32 input (TensorFlow's converter may keep one, with a QUANTIZE inside the graph) takes the floats as
      // they are; an int8/uint8 one takes them quantized, sample by sample.
      let batch = input.type == .float32
        ? try TensorValues(shape: [group.count] + sampleShape, floats: group.flatMap { $0 })
        : try TensorValues(quantizing: group, sampleShape: sampleShape, for: input)
      scores += try interpreter.run([batch])[0].dequantized(output.quantization)
    }
    return scores
  }
}

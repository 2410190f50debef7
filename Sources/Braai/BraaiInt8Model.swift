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

  /// Scores flat HWC triplets: quantized with the model's input parameters, outputs dequantized.
  public func score(triplets: [[Float]], batchSize: Int = 256) throws -> [Float] {
    let size = BraaiModel.cutoutSize * BraaiModel.cutoutSize * 3
    var scores = [Float]()
    scores.reserveCapacity(triplets.count)
    for first in stride(from: 0, to: triplets.count, by: max(1, batchSize)) {
      let group = triplets[first..<min(first + max(1, batchSize), triplets.count)]
      var flat = [Float]()
      flat.reserveCapacity(group.count * size)
      for (i, triplet) in group.enumerated() {
        guard triplet.count == size else { throw Int8Error.invalidInput("braai: triplet \(first + i) has \(triplet.count) values, expected \(size)") }
        flat += triplet
      }
      scores += try interpreter.run(floats: [(flat, [group.count, BraaiModel.cutoutSize, BraaiModel.cutoutSize, 3])])[0].values
    }
    return scores
  }
}

import AstroInt8
import AstroNN
import AstroTensor
import Foundation

/// A quantized model: its integer graph (write it with `TFLiteWriter`), an interpreter to run it on float inputs,
/// and a link back to the float model for per-layer error reports.
public final class QuantizedModel: @unchecked Sendable {
  // Unchecked Sendable: every stored property is immutable after init; the float model is only read.
  /// The full-integer graph.
  public let graph: QuantizedGraph
  /// The interpreter that runs `graph` (bit-exact with LiteRT's reference kernels).
  public let interpreter: Int8Interpreter
  let model: Model
  let sources: [Int: FloatSource]
  let layers: [String]
  let methods: [RangeOrigin?]

  init(graph: QuantizedGraph, model: Model, sources: [Int: FloatSource], layers: [String], methods: [RangeOrigin?]) throws {
    self.graph = graph
    self.interpreter = try Int8Interpreter(graph)
    self.model = model
    self.sources = sources
    self.layers = layers
    self.methods = methods
  }

  /// Runs the quantized graph on float inputs (one batch per input, as the float model takes them): inputs are
  /// quantized with the graph's input parameters, outputs dequantized.
  public func predict(_ inputs: [Tensor], batchSize: Int = 256) throws -> [Tensor] {
    guard inputs.count == graph.inputs.count, let count = inputs.first?.shape.first else {
      throw QuantizationError.calibration("\(inputs.count) inputs for a graph of \(graph.inputs.count)")
    }
    var outputs = [[Float]](repeating: [], count: graph.outputs.count)
    var outputShapes = [[Int]](repeating: [], count: graph.outputs.count)
    var start = 0
    while start < count {
      let end = min(count, start + max(1, batchSize))
      let slices = try inputs.map { try $0.slice(along: 0, start..<end) }
      for (k, output) in try interpreter.run(floats: slices.map { ($0.values, $0.shape) }).enumerated() {
        outputs[k] += output.values
        outputShapes[k] = output.shape
      }
      start = end
    }
    return try outputs.enumerated().map { k, values in try Tensor(shape: [count] + outputShapes[k].dropFirst(), values: values) }
  }

  /// Per-layer error of the int8 graph against the float model on `inputs` (one batch per model input).
  public func report(on inputs: [Tensor], batchSize: Int = 16) throws -> QuantizationReport {
    guard let count = inputs.first?.shape.first else { throw QuantizationError.calibration("no samples to report on") }
    var accumulators = [Int: ErrorAccumulator]()
    var start = 0
    while start < count {
      let end = min(count, start + max(1, batchSize))
      let slices = try inputs.map { try $0.slice(along: 0, start..<end) }
      let floatValues = try model.allValues(slices)
      let quantized = try zip(slices, graph.inputs).map { try TensorValues(quantizing: $0.values, shape: $0.shape, for: graph.tensors[$1]) }
      let intValues = try interpreter.allValues(quantized)
      for (t, source) in sources {
        guard let values = intValues[t], let q = graph.tensors[t].quantization else { continue }
        let reference = try withoutGradients { try source.evaluate(floatValues) }.values
        accumulators[t, default: ErrorAccumulator()].add(reference: reference, quantized: values.dequantized(q), scale: q.scale)
      }
      start = end
    }
    let rows = accumulators.keys.sorted().map { t -> QuantizationReport.Row in
      let a = accumulators[t]!
      let q = graph.tensors[t].quantization!
      return QuantizationReport.Row(
        layer: layers[t], tensor: graph.tensors[t].name, method: methods[t]?.description ?? "fixed", scale: q.scale,
        zeroPoint: q.zeroPoint, relativeError: a.relativeError, relativeBias: a.relativeBias, maximumErrorInSteps: a.maximumError / Double(q.scale),
        sqnr: a.sqnr)
    }
    return QuantizationReport(rows: rows, samples: count)
  }
}

/// Error statistics of one tensor: sums of squares of the reference and of the error, and the largest error.
struct ErrorAccumulator {
  var signal = 0.0, noise = 0.0, maximumError = 0.0, errorSum = 0.0, count = 0

  mutating func add(reference: [Float], quantized: [Float], scale: Float) {
    for (r, q) in zip(reference, quantized) {
      let e = Double(q) - Double(r)
      signal += Double(r) * Double(r)
      noise += e * e
      errorSum += e
      maximumError = max(maximumError, abs(e))
    }
    count += reference.count
  }

  var relativeError: Double { signal > 0 ? (noise / signal).squareRoot() : (noise > 0 ? .infinity : 0) }
  /// The mean error over the RMS value: a systematic shift.
  var relativeBias: Double { signal > 0 ? errorSum / Double(max(count, 1)) / (signal / Double(max(count, 1))).squareRoot() : 0 }
  var sqnr: Double { noise > 0 ? 10 * log10(signal / noise) : .infinity }
}

/// Where a tensor's range came from: a calibration method, or quantization-aware training.
enum RangeOrigin: CustomStringConvertible {
  case calibrated(CalibrationMethod)
  case trained

  var description: String {
    switch self {
    case .calibrated(let method): return method.description
    case .trained: return "qat"
    }
  }
}

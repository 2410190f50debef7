import AstroKernels
import Dispatch
import Foundation

/// Runs a full-integer graph on the CPU with LiteRT's reference arithmetic: outputs are bit-exact with LiteRT's
/// `BUILTIN_REF` kernels, op by op. Convolutions and fully-connected layers use vectorised integer kernels on all
/// cores (exact: the integer sums do not depend on their order).
///
/// The batch (first) dimension of the inputs may differ from the graph's declared one; every operator follows it.
public final class Int8Interpreter: Sendable {
  /// The graph being run.
  public let graph: QuantizedGraph
  private let kernels: [any Kernel]
  /// The constants of the graph as values, where every run starts.
  private let constants: [TensorValues?]
  /// Tensors computed by a run and not returned: their arrays are recycled.
  private let intermediates: [Int]
  private let recycler = ByteArrayRecycler()
  /// Samples per tile of a large batch (0: never tiled), and whether the graph keeps samples apart (nil: not yet
  /// checked).
  private let tileSamples: Int
  private let tiling = LockedValue<Bool?>(nil)

  /// Checks every operator (input counts, types, quantization, constant data) and prepares its constants
  /// (rescale multipliers, widened weights, lookup tables).
  /// - Throws: `Int8Error` naming the operator and tensor at fault, or the operator that cannot run on a CPU.
  /// - Parameters:
  ///   - graph: The graph to run.
  ///   - route: The instruction set of the integer products (default: the best this CPU runs, within what
  ///     `ASTRO_ISA` allows). Every route gives the same bytes; a route this CPU lacks runs the portable loops.
  public init(_ graph: QuantizedGraph, route: Int8Route = .best) throws {
    self.graph = graph
    let context = GraphContext(graph: graph, route: route.isAvailable ? route : .portable)
    for index in graph.inputs + graph.outputs { try context.checkIndex(index, "graph input/output") }
    for tensor in graph.tensors { try Self.checkQuantization(tensor) }
    kernels = try graph.operators.enumerated().map { position, op in
      try context.prepare(op, at: position)
    }
    tileSamples = Self.tileSamples(graph)
    let kept = Set(graph.inputs + graph.outputs)
    intermediates = graph.tensors.indices.filter { !kept.contains($0) && graph.tensors[$0].data == nil }
    constants = try graph.tensors.map { tensor in
      guard let data = tensor.data else { return nil }
      do {
        return try TensorValues(shape: tensor.shape, type: tensor.type, bytes: data)
      } catch {
        throw Int8Error.invalidGraph("constant '\(tensor.name)' has \(data.count) bytes for \(tensor.type.name) \(tensor.shape)")
      }
    }
  }

  /// Samples whose largest computed tensor fills about 512 KB, half a core's L2 on the machines measured (at least 2,
  /// at most 64; int8 VGG6 at batch 256 ran 20,000, 20,200 and 19,500 samples/s in tiles of 4, 8 and 17), from the
  /// declared shapes; 0 when a declared shape is not batch-first with positive sizes.
  static func tileSamples(_ graph: QuantizedGraph) -> Int {
    var largest = 1
    for tensor in graph.tensors where tensor.data == nil && tensor.type != .int32 && tensor.type != .int64 {
      guard tensor.shape.count >= 2, tensor.shape.allSatisfy({ $0 > 0 }),
        let count = TensorValues.count(of: Array(tensor.shape.dropFirst()))
      else { return 0 }
      largest = max(largest, count * tensor.type.size)
    }
    return min(64, max(2, (512 << 10) / largest))
  }

  /// Finite, positive scales at most 2^40 (at least 2^-40 for computed tensors, which are the divisors) and zero
  /// points in the type's range, one per scale. A file may hold any float, and the requantization multipliers are
  /// products of two scales over a third, in Float as LiteRT computes them: within these bounds they stay finite
  /// (at most 2^120). Real models use scales of about 1e-8 to 1e2.
  static func checkQuantization(_ tensor: GraphTensor) throws {
    guard let q = tensor.quantization else { return }
    func fail(_ reason: String) -> Int8Error { .invalidGraph("tensor '\(tensor.name)': \(reason)") }
    guard !q.scales.isEmpty, q.zeroPoints.count == q.scales.count else {
      throw fail("\(q.scales.count) scales and \(q.zeroPoints.count) zero points")
    }
    let lowest: Float = tensor.data == nil ? 0x1p-40 : .leastNonzeroMagnitude
    if let bad = q.scales.first(where: { !($0 >= lowest && $0 <= 0x1p40) }) {
      throw fail("scale \(bad) is outside [\(lowest), 2^40]")
    }
    let range: ClosedRange<Int> =
      switch tensor.type {
      case .int8: -128...127
      case .uint8: 0...255
      default: Int(Int32.min)...Int(Int32.max)
      }
    if let bad = q.zeroPoints.first(where: { !range.contains($0) }) {
      throw fail("zero point \(bad) is outside \(range) for \(tensor.type.name)")
    }
  }

  /// Runs the graph on one value per graph input (in `graph.inputs` order) and returns its outputs.
  ///
  /// A large batch runs in tiles of a few samples, each through the whole graph, one tile per core at a time: a
  /// tile's intermediates stay in the core's cache, where a whole batch's layer by layer would stream through memory
  /// (an int8 VGG6 at batch 256 writes 15 MB per convolution). Tiles give the same bytes as the whole batch, since
  /// every operator here works sample by sample; the first tiled run checks that every computed tensor kept the
  /// tile's samples first, and a graph that did not (a concatenation along the batch, say) runs whole from then on.
  /// - Throws: `Int8Error.invalidInput` when an input's type or per-sample shape differs from the graph's.
  public func run(_ inputs: [TensorValues]) throws -> [TensorValues] {
    if let tiles = tiles(of: inputs), let outputs = try runTiles(inputs, tiles) { return outputs }
    return try runWhole(inputs, checkingTile: nil)!
  }

  /// Runs the whole of `inputs`; with `checkingTile`, returns nil when a computed tensor (other than integer shape
  /// arithmetic) or an output does not have that many samples first.
  private func runWhole(_ inputs: [TensorValues], checkingTile: Int?) throws -> [TensorValues]? {
    var values = try ByteArrayRecycler.$current.withValue(recycler) { try allValues(inputs) }
    defer { recycle(&values) }
    if let samples = checkingTile {
      for (index, value) in values.enumerated() where graph.tensors[index].data == nil {
        guard let value, value.type != .int32, value.type != .int64 else { continue }
        if value.shape.first != samples { return nil }
      }
    }
    return try graph.outputs.map { index in
      guard let value = values[index] else {
        throw Int8Error.invalidGraph("output '\(graph.tensors[index].name)' is never computed")
      }
      return value
    }
  }

  /// The sample ranges of a batch worth tiling (every input with the same batch, at least two tiles), else nil.
  private func tiles(of inputs: [TensorValues]) -> [Range<Int>]? {
    guard tileSamples > 0, let batch = inputs.first?.shape.first, batch >= 2 * tileSamples,
      inputs.allSatisfy({ $0.shape.first == batch }), tiling.get() != false
    else { return nil }
    return stride(from: 0, to: batch, by: tileSamples).map { $0..<min($0 + tileSamples, batch) }
  }

  /// Runs each tile through the whole graph, tiles split over the cores, and joins the outputs; nil when the first
  /// check finds that the graph does not keep samples apart.
  private func runTiles(_ inputs: [TensorValues], _ tiles: [Range<Int>]) throws -> [TensorValues]? {
    func slice(_ range: Range<Int>) -> [TensorValues] {
      inputs.map { input in
        let sampleBytes = input.bytes.count / input.shape[0]
        let bytes = Array(input.bytes[(range.lowerBound * sampleBytes)..<(range.upperBound * sampleBytes)])
        return TensorValues(checkedShape: [range.count] + input.shape.dropFirst(), type: input.type, bytes: bytes)
      }
    }
    var results = [[TensorValues]?](repeating: nil, count: tiles.count)
    var remaining = tiles.indices
    if tiling.get() == nil {
      guard let first = try runWhole(slice(tiles[0]), checkingTile: tiles[0].count) else {
        tiling.set(false)
        return nil
      }
      tiling.set(true)
      results[0] = first
      remaining = 1..<tiles.count
    }
    let failure = LockedValue<(any Error)?>(nil)
    results.withUnsafeMutableBufferPointer { results in
      Parallel.forEachChunk(remaining.count) { _, range in
        for position in range where failure.get() == nil {
          let tile = remaining.lowerBound + position
          do {
            results[tile] = try runWhole(slice(tiles[tile]), checkingTile: nil)
          } catch {
            failure.update { $0 = $0 ?? error }
          }
        }
      }
    }
    if let error = failure.get() { throw error }
    let tileOutputs = results.map { $0! }
    return try graph.outputs.indices.map { position in
      let parts = tileOutputs.map { $0[position] }
      guard parts.allSatisfy({ $0.type == parts[0].type && $0.shape.dropFirst() == parts[0].shape.dropFirst() }) else {
        throw Int8Error.invalidGraph("output '\(graph.tensors[graph.outputs[position]].name)' changes shape between tiles")
      }
      let batch = parts.reduce(0) { $0 + $1.shape[0] }
      return TensorValues(checkedShape: [batch] + parts[0].shape.dropFirst(), type: parts[0].type, bytes: parts.flatMap(\.bytes))
    }
  }

  /// Hands the intermediates' arrays to the next run (an output sharing one is copied before it is written).
  private func recycle(_ values: inout [TensorValues?]) {
    for index in intermediates {
      if let value = values[index] { recycler.give(value.bytes) }
      values[index] = nil
    }
  }

  /// Runs the graph on float values, one `(values, shape)` per graph input: each quantized with its input's
  /// parameters (float32 inputs pass as they are); returns each output dequantized, with its shape.
  public func run(floats inputs: [(values: [Float], shape: [Int])]) throws -> [(values: [Float], shape: [Int])] {
    guard inputs.count == graph.inputs.count else {
      throw Int8Error.invalidInput("\(inputs.count) inputs given, the graph takes \(graph.inputs.count)")
    }
    let values = try zip(inputs, graph.inputs).map { input, index in
      try TensorValues(quantizing: input.values, shape: input.shape, for: graph.tensors[index])
    }
    return zip(try run(values), graph.outputs).map { value, index in
      (value.dequantized(graph.tensors[index].quantization), value.shape)
    }
  }

  /// Runs the graph once and returns each operator's wall time, in execution order: where the time goes. Arrays are
  /// recycled as `run` recycles them, so after a first run the times are those of a steady stream of runs.
  public func profile(_ inputs: [TensorValues]) throws -> [(operator: String, seconds: Double)] {
    var values = try startingValues(inputs)
    let times = try ByteArrayRecycler.$current.withValue(recycler) {
      try zip(kernels, graph.operators).map { kernel, op in
        let start = DispatchTime.now().uptimeNanoseconds
        try kernel.run(&values)
        let name = "\(op.operation.name) -> \(op.outputs.first.map { graph.tensors[$0].name } ?? "")"
        return (operator: name, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      }
    }
    recycle(&values)
    return times
  }

  /// Runs the graph and returns the values of all its tensors (constants included; nil for a tensor no
  /// operator computes): for per-layer comparisons with the float model.
  public func allValues(_ inputs: [TensorValues]) throws -> [TensorValues?] {
    var values = try startingValues(inputs)
    for kernel in kernels { try kernel.run(&values) }
    return values
  }

  /// The constants plus the checked inputs: where a run starts.
  private func startingValues(_ inputs: [TensorValues]) throws -> [TensorValues?] {
    guard inputs.count == graph.inputs.count else {
      throw Int8Error.invalidInput("\(inputs.count) inputs given, the graph takes \(graph.inputs.count)")
    }
    var values = constants
    for (value, index) in zip(inputs, graph.inputs) {
      let tensor = graph.tensors[index]
      guard value.type == tensor.type else {
        throw Int8Error.invalidInput("input '\(tensor.name)' is \(tensor.type.name), got \(value.type.name)")
      }
      guard value.shape.count == tensor.shape.count, value.shape.dropFirst() == tensor.shape.dropFirst(), value.shape.first ?? 0 > 0
      else {
        throw Int8Error.invalidInput(
          "input '\(tensor.name)' has shape \(tensor.shape) (any batch), got \(value.shape)")
      }
      values[index] = value
    }
    return values
  }
}

/// One prepared operator.
protocol Kernel: Sendable {
  func run(_ values: inout [TensorValues?]) throws
}

extension Array where Element == TensorValues? {
  /// The computed value of tensor `index`, or an error naming the operator that needed it.
  func value(_ index: Int, for op: String) throws -> TensorValues {
    guard let value = self[index] else {
      throw Int8Error.invalidGraph("\(op) reads tensor \(index) before anything computes it")
    }
    return value
  }
}

/// Validation helpers used while preparing operators.
struct GraphContext {
  let graph: QuantizedGraph
  let route: Int8Route

  func checkIndex(_ index: Int, _ role: String) throws {
    guard graph.tensors.indices.contains(index) else {
      throw Int8Error.invalidGraph("\(role) refers to tensor \(index); the graph has \(graph.tensors.count)")
    }
  }

  func prepare(_ op: GraphOperator, at position: Int) throws -> any Kernel {
    let label = "operator \(position) (\(op.operation.name))"
    for index in op.inputs where index != -1 { try checkIndex(index, label) }
    for index in op.outputs { try checkIndex(index, label) }
    let site = OperatorSite(graph: graph, op: op, label: label, route: route)
    switch op.operation {
    case .conv2D(let options): return try ConvolutionKernel(convolution: options, site)
    case .fullyConnected(let activation, let keepNumDims):
      return try ConvolutionKernel(fullyConnected: activation, keepNumDims: keepNumDims, site)
    case .maxPool2D(let options): return try PoolKernel(options, average: false, site)
    case .averagePool2D(let options): return try PoolKernel(options, average: true, site)
    case .mean(let keepDims): return try MeanKernel(keepDims: keepDims, site)
    case .add(let activation): return try BinaryKernel(multiply: false, activation, site)
    case .mul(let activation): return try BinaryKernel(multiply: true, activation, site)
    case .concatenation(let axis, let activation): return try ConcatenationKernel(axis: axis, activation, site)
    case .pad: return try PadKernel(site)
    case .reshape(let newShape): return try ReshapeKernel(newShape: newShape, site)
    case .logistic: return try LogisticKernel(site)
    case .quantize: return try QuantizeKernel(site)
    case .dequantize: return try DequantizeKernel(site)
    case .shape(let type): return try ShapeKernel(type, site)
    case .stridedSlice(let options): return try StridedSliceKernel(options, site)
    case .pack(let axis): return try PackKernel(axis: axis, site)
    case .softmax(let beta): return try SoftmaxKernel(beta: beta, site)
    case .custom(let code, _):
      let hint = code == "edgetpu-custom-op"
        ? ": this part of the model was compiled for a Coral Edge TPU and its weights live in the compiled executable; run the model on an Edge TPU, or run the uncompiled .tflite here"
        : ""
      throw Int8Error.unsupported("\(label): custom operator '\(code)' cannot run on the CPU\(hint)")
    case .unsupported(_, let name):
      throw Int8Error.unsupported("\(label): builtin operator \(name) is not implemented by this interpreter")
    }
  }
}

/// One operator's tensors, with checked accessors.
struct OperatorSite {
  let graph: QuantizedGraph
  let op: GraphOperator
  let label: String
  let route: Int8Route

  func requireCounts(inputs: ClosedRange<Int>, outputs: Int = 1) throws {
    guard inputs.contains(op.inputs.count), op.outputs.count == outputs else {
      throw Int8Error.invalidGraph(
        "\(label) has \(op.inputs.count) inputs and \(op.outputs.count) outputs; it takes \(inputs) and \(outputs)")
    }
  }

  /// The label, first input and only output of an operator taking `inputs` inputs.
  func unaryOperands(inputs: ClosedRange<Int>) throws -> (label: String, input: Int, output: Int) {
    try requireCounts(inputs: inputs)
    return (label, try requiredInput(0), output)
  }

  /// Tensor index of input `k` (nil when absent: −1 or beyond the list).
  func input(_ k: Int) -> Int? {
    k < op.inputs.count && op.inputs[k] >= 0 ? op.inputs[k] : nil
  }

  func requiredInput(_ k: Int) throws -> Int {
    guard let index = input(k) else { throw Int8Error.invalidGraph("\(label): input \(k) is missing") }
    return index
  }

  var output: Int { op.outputs[0] }

  func tensor(_ index: Int) -> GraphTensor { graph.tensors[index] }

  /// The type of tensor `index`, which must be int8 or uint8.
  func quantizedType(_ index: Int) throws -> ElementType {
    let type = tensor(index).type
    guard type == .int8 || type == .uint8 else {
      throw Int8Error.unsupported("\(label): tensor '\(tensor(index).name)' is \(type.name); this interpreter runs int8/uint8 operators")
    }
    return type
  }

  /// Per-tensor quantization of tensor `index` (scale positive and finite).
  func perTensor(_ index: Int) throws -> (scale: Float, zeroPoint: Int) {
    let t = tensor(index)
    guard let q = t.quantization, q.scales.count == 1, q.zeroPoints.count == 1 else {
      throw Int8Error.invalidGraph("\(label): tensor '\(t.name)' needs one scale and zero point")
    }
    try checkScales(q, t)
    return (q.scale, q.zeroPoint)
  }

  func checkScales(_ q: Quantization, _ t: GraphTensor) throws {
    guard q.scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
      throw Int8Error.invalidGraph("\(label): tensor '\(t.name)' has a scale that is not positive and finite")
    }
    let range = t.type == .uint8 ? 0...255 : (t.type == .int8 ? -128...127 : Int.min...Int.max)
    guard q.zeroPoints.allSatisfy({ range.contains($0) }) else {
      throw Int8Error.invalidGraph("\(label): tensor '\(t.name)' has a zero point outside its type's range")
    }
  }

  /// The constant values of tensor `index` as integers, with their expected count checked.
  func constantIntegers(_ index: Int, count: Int? = nil) throws -> [Int] {
    let t = tensor(index)
    guard let data = t.data else {
      throw Int8Error.unsupported("\(label): tensor '\(t.name)' must be a constant")
    }
    guard t.shape.allSatisfy({ $0 >= 0 }), let values = try? TensorValues(shape: t.shape, type: t.type, bytes: data),
      t.type != .float32
    else {
      throw Int8Error.invalidGraph("\(label): constant '\(t.name)' has \(data.count) bytes for \(t.type.name) \(t.shape)")
    }
    let integers = values.integers()
    if let count, integers.count != count {
      throw Int8Error.invalidGraph("\(label): constant '\(t.name)' has \(integers.count) values, expected \(count)")
    }
    return integers
  }
}

import AstroInt8
import AstroNN
import AstroTensor
import Foundation

/// Quantization-aware training: the model's graph run with int8 simulated where inference will quantize — every
/// activation the int8 graph stores (fake-quantized on a range tracked during training) and every convolution and
/// dense kernel (fake-quantized symmetrically, per output channel for convolutions) — with straight-through
/// gradients, so the weights learn to live with the rounding. Fine-tune `trainingModel` with the `Trainer` like any
/// model, then `export` the int8 graph with the trained ranges.
///
/// Batch normalisation is simulated unfolded (the kernel is fake-quantized before the normalisation is folded in at
/// export), so for models with batch normalisation the exported rounding differs slightly from the trained one; for
/// models without it (braai's VGG6) the simulation is the exported arithmetic, up to int32 accumulation.
public final class QuantizationAwareTraining {
  /// The float model whose weights the training updates.
  public let model: Model
  /// A model wrapping the simulated graph: train it (`Trainer.fit`, `trainStep`) and predict with it.
  public let trainingModel: Model
  let graph: FakeQuantizedGraph
  let options: QuantizationOptions

  /// Prepares `model`, starting each activation range from min/max over `calibration` (one batch per input).
  public init(_ model: Model, calibration: [Tensor], options: QuantizationOptions = QuantizationOptions(),
              rangeMomentum: Float = 0.9) throws {
    let plan = try Lowering.plan(model, options: options)
    var values = Set<Int>()
    for tensor in plan.tensors where tensor.fixed == nil {
      if case .value(let v)? = tensor.source { values.insert(v) }
    }
    let observed = try model.allValues(calibration)
    var ranges = [Int: (lo: Float, hi: Float)]()
    for v in values {
      let data = observed[v].values
      ranges[v] = (min(data.min() ?? 0, 0), max(data.max() ?? 0, 0))
    }
    graph = FakeQuantizedGraph(model: model, quantizedValues: values, ranges: ranges, momentum: rangeMomentum)
    let builder = ModelBuilder(name: model.name + "_qat", inputs: Array(zip(model.inputNames, model.inputShapes)))
    trainingModel = try builder.model(outputs: [try builder.apply(graph, builder.inputs)])
    self.model = model
    self.options = options
  }

  /// The activation ranges tracked so far, by the model's value index.
  public var ranges: [Int: (lo: Float, hi: Float)] { graph.currentRanges }

  /// The int8 graph of the trained model, with the trained activation ranges (calibration still serves the bias
  /// correction and any tensor the training did not see).
  public func export(calibration: [Tensor]) throws -> QuantizedModel {
    try PostTrainingQuantization.quantize(model, calibration: calibration, options: options, valueRanges: graph.currentRanges)
  }
}

/// The model's graph as one layer, with fake quantization on kernels and stored activations.
final class FakeQuantizedGraph: Layer, @unchecked Sendable {
  // Unchecked Sendable: `ranges` changes only in training-mode forward passes (one thread trains); inference
  // passes, which may run on several threads, only read it, under `lock`.
  let model: Model
  let quantizedValues: Set<Int>
  let momentum: Float
  private var ranges: [Int: (lo: Float, hi: Float)]
  private let lock = NSLock()

  init(model: Model, quantizedValues: Set<Int>, ranges: [Int: (lo: Float, hi: Float)], momentum: Float) {
    self.model = model
    self.quantizedValues = quantizedValues
    self.ranges = ranges
    self.momentum = momentum
    super.init(name: model.name + "_fake_quantized")
  }

  var currentRanges: [Int: (lo: Float, hi: Float)] {
    lock.lock()
    defer { lock.unlock() }
    return ranges
  }

  override var sublayers: [Layer] { [model] }

  override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    guard model.outputValueIndices.count == 1 else {
      throw QuantizationError.unsupported("quantization-aware training of a model with several outputs")
    }
    return model.outputShape
  }

  override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    var values = [Tensor]()
    func store(_ value: Tensor) {
      let v = values.count
      guard quantizedValues.contains(v) else { values.append(value); return }
      lock.lock()
      var range = ranges[v] ?? (0, 0)
      if context.training {
        let data = value.values
        let (lo, hi) = (min(data.min() ?? 0, 0), max(data.max() ?? 0, 0))
        range = (range.lo * momentum + lo * (1 - momentum), range.hi * momentum + hi * (1 - momentum))
        ranges[v] = range
      }
      lock.unlock()
      values.append(value.fakeQuantized(low: range.lo, high: range.hi))
    }
    for input in inputs { store(input) }
    for node in model.graphNodes {
      let x = node.inputs.map { values[$0] }
      switch node.layer {
      case let conv as Conv2D:
        guard let kernel = conv.kernel else { throw QuantizationError.unsupported("'\(conv.name)' is not built") }
        var y = try x[0].conv2D(kernel: kernel.fakeQuantizedSymmetric(perLastAxis: true), bias: conv.bias,
                                strides: conv.strides, padding: conv.padding, relu: conv.activation == .relu)
        if conv.activation != .relu { y = try conv.activation.apply(y) }
        store(y)
      case let dense as Dense:
        guard let kernel = dense.kernel else { throw QuantizationError.unsupported("'\(dense.name)' is not built") }
        var y = try x[0].matmul(kernel.fakeQuantizedSymmetric(perLastAxis: false))
        if let bias = dense.bias { y = try y + bias }
        store(try dense.activation.apply(y))
      default:
        store(try node.layer.forward(x, context: context))
      }
    }
    return values[model.outputValueIndices[0]]
  }
}

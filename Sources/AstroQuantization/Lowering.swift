import AstroInt8
import AstroNN
import AstroTensor

/// Lowers a model to TFLite's integer operators: Conv2D (+ BatchNormalization folded, + ReLU fused), Dense,
/// standalone BatchNormalization (MUL and ADD by per-channel constants), pools, global average pooling (MEAN),
/// Flatten (RESHAPE), ZeroPadding2D (PAD), Add, Concatenate, sigmoid (LOGISTIC); Dropout vanishes.
struct Lowering {
  let model: Model
  let options: QuantizationOptions
  let nodes: [Model.GraphNode]
  let inputCount: Int
  /// The nodes reading each value.
  let readers: [[Int]]
  let outputs: Set<Int>
  var plan = Plan()
  /// The planned tensor holding each model value.
  var tensorOf = [Int: Int]()
  /// Nodes already lowered as part of an earlier node (folded BN, fused activations).
  var absorbed = Set<Int>()

  init(_ model: Model, options: QuantizationOptions) {
    self.model = model
    self.options = options
    nodes = model.graphNodes
    inputCount = model.inputShapes.count
    var readers = [[Int]](repeating: [], count: inputCount + nodes.count)
    for (k, node) in nodes.enumerated() { for v in node.inputs { readers[v].append(k) } }
    self.readers = readers
    outputs = Set(model.outputValueIndices)
  }

  static func plan(_ model: Model, options: QuantizationOptions) throws -> Plan {
    var lowering = Lowering(model, options: options)
    try lowering.lowerInputs()
    for k in lowering.nodes.indices where !lowering.absorbed.contains(k) { try lowering.lower(k) }
    try lowering.lowerOutputs()
    return lowering.plan
  }

  // MARK: - Graph helpers

  func value(ofNode k: Int) -> Int { inputCount + k }

  /// The node that alone reads node `k`'s output, when it is of type `T` (and the output is not a model output).
  func soleReader<T: Layer>(of k: Int, as _: T.Type) -> (node: Int, layer: T)? {
    let v = value(ofNode: k)
    guard !outputs.contains(v), readers[v].count == 1, let j = readers[v].first, let layer = nodes[j].layer as? T else { return nil }
    return (j, layer)
  }

  func soleActivation(of k: Int) -> (node: Int, activation: Activation)? {
    soleReader(of: k, as: ActivationLayer.self).map { ($0.node, $0.layer.activation) }
  }

  func input(_ k: Int, _ i: Int = 0) throws -> Int {
    let v = nodes[k].inputs[i]
    guard let t = tensorOf[v] else { throw QuantizationError.unsupported("layer '\(nodes[k].layer.name)' reads a value with no tensor") }
    return t
  }

  mutating func activation(_ name: String, shape: [Int], source: FloatSource?, layer: String) -> Int {
    plan.add(PlannedTensor(name: name, shape: [1] + shape, source: source, layer: layer))
  }

  mutating func emit(_ operation: GraphOperation, _ inputs: [Int], _ output: Int) {
    plan.operators.append(GraphOperator(operation, inputs: inputs, outputs: [output]))
  }

  // MARK: - Inputs and outputs

  mutating func lowerInputs() throws {
    for i in 0..<inputCount {
      let name = model.inputNames[i]
      let inner = activation(name, shape: model.inputShapes[i], source: .value(i), layer: name)
      tensorOf[i] = inner
      switch options.ioType {
      case .int8:
        plan.inputs.append(inner)
      case .uint8, .float32:
        let unsigned = options.ioType == .uint8
        var outer = PlannedTensor(name: name + (unsigned ? "_uint8" : "_float"), shape: [1] + model.inputShapes[i], layer: name)
        outer.type = unsigned ? .uint8 : .float32
        outer.mirror = (inner, unsigned ? 128 : nil)
        let t = plan.add(outer)
        plan.inputs.append(t)
        emit(.quantize, [t], inner)
      }
    }
  }

  mutating func lowerOutputs() throws {
    for v in model.outputValueIndices {
      guard let inner = tensorOf[v] else { throw QuantizationError.unsupported("an output has no tensor") }
      switch options.ioType {
      case .int8:
        plan.outputs.append(inner)
      case .uint8, .float32:
        let unsigned = options.ioType == .uint8
        var outer = plan.tensors[inner]
        outer.name += unsigned ? "_uint8" : "_float"
        outer.source = nil
        outer.type = unsigned ? .uint8 : .float32
        outer.mirror = (inner, unsigned ? 128 : nil)
        let t = plan.add(outer)
        emit(unsigned ? .quantize : .dequantize, [inner], t)
        plan.outputs.append(t)
      }
    }
  }

  // MARK: - Layers

  mutating func lower(_ k: Int) throws {
    let node = nodes[k]
    let v = value(ofNode: k)
    let name = node.layer.name
    switch node.layer {
    case let conv as Conv2D: try lowerConvolution(k, conv)
    case let dense as Dense: try lowerDense(k, dense)
    case let bn as BatchNormalization: try lowerBatchNormalization(k, bn)
    case let layer as ActivationLayer:
      switch layer.activation {
      case .linear: tensorOf[v] = try input(k)
      case .sigmoid, .softmax:
        let out = activation(name, shape: node.outputShape, source: .value(v), layer: name)
        plan.tensors[out].fixed = Quantization(scale: 1.0 / 256, zeroPoint: -128)
        emit(layer.activation == .sigmoid ? .logistic : .softmax(beta: 1), [try input(k)], out)
        tensorOf[v] = out
      default:
        throw QuantizationError.unsupported(
          "activation '\(name)' (\(layer.activation.rawValue)) does not follow a layer it can be fused into")
      }
    case let pool as Pooling2D:
      guard pool.padding == .valid || pool.padding == .same else {
        throw QuantizationError.unsupported("pooling '\(name)': explicit padding")
      }
      let options = PoolOptions(padding: pool.padding == .same ? .same : .valid, strideHeight: pool.strides.0,
                                strideWidth: pool.strides.1, filterHeight: pool.poolSize.0, filterWidth: pool.poolSize.1)
      let out = activation(name, shape: node.outputShape, source: .value(v), layer: name)
      let x = try input(k)
      plan.share(x, out)
      emit(pool is MaxPooling2D ? .maxPool2D(options) : .averagePool2D(options), [x], out)
      tensorOf[v] = out
    case is GlobalAveragePooling2D:
      let out = activation(name, shape: node.outputShape, source: .value(v), layer: name)
      emit(.mean(keepDims: false), [try input(k), plan.int32Constant(name + "/axes", [1, 2])], out)
      tensorOf[v] = out
    case is Flatten:
      let out = activation(name, shape: node.outputShape, source: .value(v), layer: name)
      let x = try input(k)
      plan.share(x, out)
      let target = [options.dynamicBatch ? -1 : 1] + node.outputShape
      emit(.reshape(newShape: target), [x, plan.int32Constant(name + "/shape", target)], out)
      tensorOf[v] = out
    case is Dropout:
      tensorOf[v] = try input(k)
    case let pad as ZeroPadding2D:
      let out = activation(name, shape: node.outputShape, source: .value(v), layer: name)
      let x = try input(k)
      plan.share(x, out)
      let paddings = [0, 0, pad.top, pad.bottom, pad.left, pad.right, 0, 0]
      emit(.pad, [x, plan.int32Constant(name + "/paddings", paddings, shape: [4, 2])], out)
      tensorOf[v] = out
    case is Add:
      guard node.inputs.count == 2 else { throw QuantizationError.unsupported("add '\(name)' of \(node.inputs.count) inputs (only 2)") }
      let relu = soleActivation(of: k).flatMap { $0.activation == .relu ? $0.node : nil }
      let last = relu ?? k
      if let relu { absorbed.insert(relu) }
      let out = activation(nodes[last].layer.name, shape: node.outputShape, source: .value(value(ofNode: last)), layer: name)
      emit(.add(activation: relu == nil ? .none : .relu), [try input(k, 0), try input(k, 1)], out)
      tensorOf[value(ofNode: last)] = out
    case let concatenate as Concatenate:
      let rank = node.outputShape.count + 1
      let axis = concatenate.axis < 0 ? concatenate.axis + rank : concatenate.axis
      let out = activation(name, shape: node.outputShape, source: .value(v), layer: name)
      let parts = try node.inputs.indices.map { try input(k, $0) }
      for part in parts { plan.share(part, out) }
      emit(.concatenation(axis: axis, activation: .none), parts, out)
      tensorOf[v] = out
    default:
      throw QuantizationError.unsupported("layer '\(name)' (\(node.layer.kerasClassName)) has no int8 lowering")
    }
  }
}

import Foundation
import AstroInt8
import AstroNN
import AstroTensor

extension Lowering {
  /// The parameters of logits that only feed a LOGISTIC: the window where LiteRT's int8 sigmoid is not saturated
  /// (below −ln 511 ≈ −6.24 the output is 0, above ln(254.5/1.5) ≈ 5.13 it is 255/256), widened a little so the
  /// extreme levels, after rounding the zero point, still reach both ends. Fixed rather than calibrated: a
  /// calibration set of one class (all reals, say) would otherwise give a one-sided range that maps every logit
  /// of the other class to the range's end.
  static let logisticInput: Quantization = {
    let (scale, zeroPoint) = activationQuantization(lo: -6.5, hi: 5.5)
    return Quantization(scale: scale, zeroPoint: zeroPoint)
  }()

  /// Conv2D, with a following BatchNormalization folded into its kernel and bias and a ReLU fused.
  mutating func lowerConvolution(_ k: Int, _ conv: Conv2D) throws {
    let node = nodes[k]
    guard let kernel = conv.kernel else { throw QuantizationError.unsupported("convolution '\(conv.name)' is not built") }
    let (kh, kw, cin, cout) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
    var hwio = kernel.values
    var bias = conv.bias?.values ?? [Float](repeating: 0, count: cout)
    var last = k
    var activation = conv.activation
    if activation == .linear, let (j, bn) = soleReader(of: k, as: BatchNormalization.self) {
      guard let (scale, shift) = bn.inferenceScaleAndShift else { throw QuantizationError.unsupported("'\(bn.name)' is not built") }
      let s = scale.values, t = shift.values
      for i in 0..<(hwio.count / cout) { for o in 0..<cout { hwio[i * cout + o] *= s[o] } }
      for o in 0..<cout { bias[o] = bias[o] * s[o] + t[o] }
      absorbed.insert(j)
      last = j
    }
    if activation == .linear, let (j, fused) = soleActivation(of: last), fused == .relu || fused == .sigmoid {
      absorbed.insert(j)
      last = j
      activation = fused
    }
    var x = try input(k)
    let padding: PaddingMode
    switch conv.padding {
    case .valid: padding = .valid
    case .same: padding = .same
    case .explicit(let top, let bottom, let left, let right):
      let padded = self.activation(conv.name + "/pad", shape: padShape(node, top + bottom, left + right), source: nil, layer: conv.name)
      plan.share(x, padded)
      emit(.pad, [x, plan.int32Constant(conv.name + "/paddings", [0, 0, top, bottom, left, right, 0, 0], shape: [4, 2])], padded)
      x = padded
      padding = .valid
    }
    // HWIO → OHWI.
    var ohwi = [Float](repeating: 0, count: hwio.count)
    for o in 0..<cout {
      for tap in 0..<(kh * kw * cin) { ohwi[o * kh * kw * cin + tap] = hwio[tap * cout + o] }
    }
    let weights = plan.constant(conv.name + "/kernel", .weights(shape: [cout, kh, kw, cin], values: ohwi, perChannel: true),
                                shape: [cout, kh, kw, cin])
    let biasTensor = plan.constant(conv.name + "/bias", .bias(values: bias, input: x, weights: weights), shape: [cout], type: .int32)
    let options = ConvolutionOptions(padding: padding, strideHeight: conv.strides.0, strideWidth: conv.strides.1,
                                     activation: activation == .relu ? .relu : .none)
    let lastValue = value(ofNode: last)
    let output: Int
    switch activation {
    case .linear, .relu:
      output = self.activation(nodes[last].layer.name, shape: node.outputShape, source: .value(lastValue), layer: conv.name)
      emit(.conv2D(options), [x, weights, biasTensor], output)
    case .sigmoid:
      let inputValue = node.inputs[0], frozenKernel = try Tensor(shape: kernel.shape, values: hwio)
      let frozenBias = try Tensor(shape: [cout], values: bias)
      let strides = conv.strides, convPadding = conv.padding
      let logits = self.activation(conv.name + "/logits", shape: node.outputShape, source: .computed({ values in
        try values[inputValue].conv2D(kernel: frozenKernel, bias: frozenBias, strides: strides, padding: convPadding)
      }), layer: conv.name)
      plan.tensors[logits].fixed = Self.logisticInput
      emit(.conv2D(options), [x, weights, biasTensor], logits)
      output = self.activation(nodes[last].layer.name, shape: node.outputShape, source: .value(lastValue), layer: conv.name)
      plan.tensors[output].fixed = Quantization(scale: 1.0 / 256, zeroPoint: -128)
      emit(.logistic, [logits], output)
    default:
      throw QuantizationError.unsupported("convolution '\(conv.name)': activation \(activation.rawValue)")
    }
    tensorOf[lastValue] = output
    plan.biasCorrections.append(try convolutionCorrection(conv, node: node, bias: biasTensor, weights: ohwi))
  }

  private func padShape(_ node: Model.GraphNode, _ rows: Int, _ columns: Int) -> [Int] {
    let input = model.valueShape(node.inputs[0])
    return [input[0] + rows, input[1] + columns, input[2]]
  }

  /// Dense as FULLY_CONNECTED (weights transposed to [units, inputs], quantized per tensor), with ReLU fused or
  /// a sigmoid as LOGISTIC.
  mutating func lowerDense(_ k: Int, _ dense: Dense) throws {
    let node = nodes[k]
    guard let kernel = dense.kernel else { throw QuantizationError.unsupported("dense '\(dense.name)' is not built") }
    guard model.valueShape(node.inputs[0]).count == 1 else {
      throw QuantizationError.unsupported("dense '\(dense.name)' on a rank-\(model.valueShape(node.inputs[0]).count) input (flatten first)")
    }
    let (inputs, units) = (kernel.shape[0], kernel.shape[1])
    let w = kernel.values
    let bias = dense.bias?.values ?? [Float](repeating: 0, count: units)
    var last = k
    var activation = dense.activation
    if activation == .linear, let (j, fused) = soleActivation(of: k), fused == .relu || fused == .sigmoid {
      absorbed.insert(j)
      last = j
      activation = fused
    }
    var transposed = [Float](repeating: 0, count: w.count)
    for i in 0..<inputs { for o in 0..<units { transposed[o * inputs + i] = w[i * units + o] } }
    let x = try input(k)
    let weights = plan.constant(dense.name + "/kernel", .weights(shape: [units, inputs], values: transposed, perChannel: false),
                                shape: [units, inputs])
    let biasTensor = plan.constant(dense.name + "/bias", .bias(values: bias, input: x, weights: weights), shape: [units], type: .int32)
    let lastValue = value(ofNode: last)
    let output: Int
    switch activation {
    case .linear, .relu:
      output = self.activation(nodes[last].layer.name, shape: node.outputShape, source: .value(lastValue), layer: dense.name)
      emit(.fullyConnected(activation: activation == .relu ? .relu : .none, keepNumDims: false), [x, weights, biasTensor], output)
    case .sigmoid, .softmax:
      // Logits, then the activation with its fixed 1/256 output. A sigmoid's logits use the unsaturated window;
      // a softmax's are calibrated (it depends on their differences).
      let inputValue = node.inputs[0]
      let frozenKernel = try Tensor(shape: kernel.shape, values: w), frozenBias = try Tensor(shape: [units], values: bias)
      let logits = self.activation(dense.name + "/logits", shape: node.outputShape, source: .computed({ values in
        try values[inputValue].matmul(frozenKernel).adding(frozenBias)
      }), layer: dense.name)
      if activation == .sigmoid { plan.tensors[logits].fixed = Self.logisticInput }
      emit(.fullyConnected(activation: .none, keepNumDims: false), [x, weights, biasTensor], logits)
      output = self.activation(nodes[last].layer.name, shape: node.outputShape, source: .value(lastValue), layer: dense.name)
      plan.tensors[output].fixed = Quantization(scale: 1.0 / 256, zeroPoint: -128)
      emit(activation == .sigmoid ? .logistic : .softmax(beta: 1), [logits], output)
    default:
      throw QuantizationError.unsupported("dense '\(dense.name)': activation \(activation.rawValue)")
    }
    tensorOf[lastValue] = output
    plan.biasCorrections.append(try denseCorrection(node: node, bias: biasTensor, weights: transposed, units: units))
  }

  /// A BatchNormalization that follows no convolution: MUL by its per-channel scale, ADD its shift (ReLU fused).
  mutating func lowerBatchNormalization(_ k: Int, _ bn: BatchNormalization) throws {
    let node = nodes[k]
    guard let (scale, shift) = bn.inferenceScaleAndShift else { throw QuantizationError.unsupported("'\(bn.name)' is not built") }
    let channels = scale.count
    let x = try input(k)
    let inputValue = node.inputs[0]
    let scaled = activation(bn.name + "/scaled", shape: node.outputShape, source: .computed({ values in
      try values[inputValue].multiplying(scale)
    }), layer: bn.name)
    let scaleTensor = plan.constant(bn.name + "/scale", .operand(shape: [channels], values: scale.values), shape: [channels])
    emit(.mul(activation: .none), [x, scaleTensor], scaled)
    let relu = soleActivation(of: k).flatMap { $0.activation == .relu ? $0.node : nil }
    let last = relu ?? k
    if let relu { absorbed.insert(relu) }
    let output = activation(nodes[last].layer.name, shape: node.outputShape, source: .value(value(ofNode: last)), layer: bn.name)
    let shiftTensor = plan.constant(bn.name + "/shift", .operand(shape: [channels], values: shift.values), shape: [channels])
    emit(.add(activation: relu == nil ? .none : .relu), [scaled, shiftTensor], output)
    tensorOf[value(ofNode: last)] = output
  }
}

extension Lowering {
  /// Measures `conv(x, W_q − W)` per output channel: the shift that rounding the (folded) kernel causes.
  func convolutionCorrection(_ conv: Conv2D, node: Model.GraphNode, bias: Int, weights ohwi: [Float]) throws -> BiasCorrectionSite {
    let cout = conv.filters
    let taps = ohwi.count / cout
    let error = WeightQuantization.roundingError(ohwi, channels: cout, perChannel: true)
    var hwio = [Float](repeating: 0, count: ohwi.count)
    for o in 0..<cout { for tap in 0..<taps { hwio[tap * cout + o] = error[o * taps + tap] } }
    let kernelShape = conv.kernel?.shape ?? []
    let errorKernel = try Tensor(shape: kernelShape, values: hwio)
    let inputValue = node.inputs[0], strides = conv.strides, padding = conv.padding
    return BiasCorrectionSite(bias: bias) { values in
      let shift = try values[inputValue].conv2D(kernel: errorKernel, strides: strides, padding: padding)
      return Self.channelSums(shift, channels: cout)
    }
  }

  /// Measures `x·(W_q − W)` per unit for a dense layer.
  func denseCorrection(node: Model.GraphNode, bias: Int, weights transposed: [Float], units: Int) throws -> BiasCorrectionSite {
    let inputs = transposed.count / units
    let error = WeightQuantization.roundingError(transposed, channels: units, perChannel: false)
    var kernel = [Float](repeating: 0, count: error.count)
    for o in 0..<units { for i in 0..<inputs { kernel[i * units + o] = error[o * inputs + i] } }
    let errorKernel = try Tensor(shape: [inputs, units], values: kernel)
    let inputValue = node.inputs[0]
    return BiasCorrectionSite(bias: bias) { values in
      Self.channelSums(try values[inputValue].matmul(errorKernel), channels: units)
    }
  }

  static func channelSums(_ tensor: Tensor, channels: Int) -> (sums: [Double], count: Int) {
    var sums = [Double](repeating: 0, count: channels)
    let values = tensor.values
    for (i, value) in values.enumerated() { sums[i % channels] += Double(value) }
    return (sums, values.count / channels)
  }
}

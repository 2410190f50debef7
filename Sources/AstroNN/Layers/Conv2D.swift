import AstroTensor

/// Keras `Conv2D`: NHWC input, HWIO kernel `[kh, kw, in, filters]`, optional bias, activation.
/// A ReLU activation is fused into the convolution (one pass, masked backward).
public final class Conv2D: Layer {
  /// Keras' class name, `Conv2D`.
  public override var kerasClassName: String { "Conv2D" }
  /// Number of output channels.
  public let filters: Int
  /// Kernel height and width.
  public let kernelSize: (Int, Int)
  /// Vertical and horizontal strides.
  public let strides: (Int, Int)
  /// How the input is padded (`valid`, `same` as in Keras, or explicit rows and columns).
  public let padding: Padding
  /// Activation applied to the convolution's output.
  public let activation: Activation
  /// Whether a bias is added per output channel.
  public let useBias: Bool
  /// The kernel `[kh, kw, in, filters]` (Glorot uniform); nil before `build`.
  public private(set) var kernel: Tensor?
  /// The bias `[filters]` (zeros); nil before `build` or without `useBias`.
  public private(set) var bias: Tensor?

  /// A convolution with `filters` output channels; Keras' defaults: strides 1, `valid` padding, linear, a bias.
  public init(
    _ filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
    activation: Activation = .linear, useBias: Bool = true, name: String = ""
  ) {
    self.filters = filters; self.kernelSize = kernelSize; self.strides = strides; self.padding = padding
    self.activation = activation; self.useBias = useBias
    super.init(name: name)
  }

  /// Creates the kernel and bias for the input's channels; returns the output shape `[outHeight, outWidth, filters]`.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes, rank: 3)
    let (h, w, c) = (inputShapes[0][0], inputShapes[0][1], inputShapes[0][2])
    guard c > 0, filters > 0,
      let outHeight = padding.outputSize(input: h, window: kernelSize.0, stride: strides.0, axis: 0),
      let outWidth = padding.outputSize(input: w, window: kernelSize.1, stride: strides.1, axis: 1)
    else {
      throw NNError.layer(name, "kernel \(kernelSize) with strides \(strides) does not fit input \(inputShapes[0])")
    }
    kernel = try addWeight("kernel", shape: [kernelSize.0, kernelSize.1, c, filters], initializer: .glorotUniform, generator: &generator)
    bias = useBias ? try addWeight("bias", shape: [filters], initializer: .zeros, generator: &generator) : nil
    return [outHeight, outWidth, filters]
  }

  /// Convolves the batch `[N, H, W, C]`, adds the bias and applies the activation (skipped when the context asks
  /// for logits).
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    guard let kernel else { throw NNError.layer(name, "used before build") }
    let act = context.skipActivation ? .linear : activation
    let y = try inputs[0].conv2D(kernel: kernel, bias: bias, strides: strides, padding: padding, relu: act == .relu)
    return act == .relu ? y : try act.apply(y)
  }
}

/// Keras `Dense` on `[N, in]`: kernel `[in, units]`, optional bias, activation (ReLU fused).
public final class Dense: Layer {
  /// Keras' class name, `Dense`.
  public override var kerasClassName: String { "Dense" }
  /// Number of output features.
  public let units: Int
  /// Activation applied to the output.
  public let activation: Activation
  /// Whether a bias is added per output feature.
  public let useBias: Bool
  /// The kernel `[in, units]` (Glorot uniform); nil before `build`.
  public private(set) var kernel: Tensor?
  /// The bias `[units]` (zeros); nil before `build` or without `useBias`.
  public private(set) var bias: Tensor?

  /// A fully connected layer with `units` outputs; Keras' defaults: no activation, a bias.
  public init(_ units: Int, activation: Activation = .linear, useBias: Bool = true, name: String = "") {
    self.units = units; self.activation = activation; self.useBias = useBias
    super.init(name: name)
  }

  /// Creates the kernel and bias for the input's features; returns `[units]`.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes, rank: 1)
    kernel = try addWeight("kernel", shape: [inputShapes[0][0], units], initializer: .glorotUniform, generator: &generator)
    bias = useBias ? try addWeight("bias", shape: [units], initializer: .zeros, generator: &generator) : nil
    return [units]
  }

  /// Computes `x · kernel + bias` on `[N, in]` and applies the activation (skipped when the context asks for logits).
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    guard let kernel else { throw NNError.layer(name, "used before build") }
    let act = context.skipActivation ? .linear : activation
    let y = try inputs[0].linear(weight: kernel, bias: bias, relu: act == .relu)
    return act == .relu ? y : try act.apply(y)
  }
}

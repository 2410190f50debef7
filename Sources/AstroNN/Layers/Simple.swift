import AstroTensor

/// Keras `Dropout`: inverted dropout in training, identity in inference.
public final class Dropout: Layer {
  /// Keras' class name, `Dropout`.
  public override var kerasClassName: String { "Dropout" }
  /// Fraction of the inputs set to zero in training, in [0, 1).
  public let rate: Float

  /// Dropout of `rate` of the inputs in training.
  public init(_ rate: Float, name: String = "") {
    self.rate = rate
    super.init(name: name)
  }

  /// Checks the rate is in [0, 1); returns the input shape.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    guard rate >= 0 && rate < 1 else { throw NNError.layer(name, "dropout rate \(rate) outside [0, 1)") }
    return inputShapes[0]
  }

  /// In training (or Monte-Carlo dropout), zeroes each value with probability `rate` and scales the others by
  /// `1 / (1 - rate)`; otherwise returns the input.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    guard context.training || context.monteCarloDropout else { return inputs[0] }
    if let keys = context.sampleKeys { return try inputs[0].dropout(rate: rate, sampleKeys: keys, draw: context.generator.next()) }
    return try inputs[0].dropout(rate: rate, generator: &context.generator)
  }
}

/// Keras `Flatten`: `[H, W, C] -> [H*W*C]` in row-major order.
public final class Flatten: Layer {
  /// Keras' class name, `Flatten`.
  public override var kerasClassName: String { "Flatten" }
  
  /// Returns the number of elements per sample as a one-axis shape (`[H*W*C]` for images).
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    return [inputShapes[0].reduce(1, *)]
  }

  /// Reshapes each sample to one axis in row-major order: `[N, H, W, C] -> [N, H*W*C]`.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor { try inputs[0].flattened() }
}

/// Keras `Activation` as a layer of its own (ResNet and DenseNet use these after BatchNormalization).
public final class ActivationLayer: Layer {
  /// Keras' class name, `Activation`.
  public override var kerasClassName: String { "Activation" }
  /// The activation applied.
  public let activation: Activation

  /// A layer that applies `activation`.
  public init(_ activation: Activation, name: String = "") {
    self.activation = activation
    super.init(name: name)
  }

  /// Returns the input shape.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    return inputShapes[0]
  }

  /// Applies the activation (skipped when the context asks for logits).
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    context.skipActivation ? inputs[0] : try activation.apply(inputs[0])
  }
}

/// Keras `ZeroPadding2D`: zero rows top/bottom and columns left/right.
public final class ZeroPadding2D: Layer {
  /// Keras' class name, `ZeroPadding2D`.
  public override var kerasClassName: String { "ZeroPadding2D" }
  /// Zero rows added above and below, and zero columns added left and right.
  public let top: Int, bottom: Int, left: Int, right: Int

  /// Symmetric padding: `rows` top and bottom, `columns` left and right.
  public convenience init(_ rows: Int, _ columns: Int? = nil, name: String = "") {
    self.init(top: rows, bottom: rows, left: columns ?? rows, right: columns ?? rows, name: name)
  }

  /// Padding with the given number of zero rows and columns on each side.
  public init(top: Int, bottom: Int, left: Int, right: Int, name: String = "") {
    self.top = top; self.bottom = bottom; self.left = left; self.right = right
    super.init(name: name)
  }

  /// Returns the padded shape `[H + top + bottom, W + left + right, C]`.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes, rank: 3)
    let s = inputShapes[0]
    return [s[0] + top + bottom, s[1] + left + right, s[2]]
  }

  /// Pads `[N, H, W, C]` with zeros.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try inputs[0].zeroPadded(top: top, bottom: bottom, left: left, right: right)
  }
}

/// Keras `Add`: the elementwise sum of same-shaped inputs (ResNet shortcuts).
public final class Add: Layer {
  /// Keras' class name, `Add`.
  public override var kerasClassName: String { "Add" }
  
  /// Checks for two or more inputs of one shape; returns that shape.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes, count: nil)
    guard inputShapes.count >= 2, inputShapes.allSatisfy({ $0 == inputShapes[0] }) else {
      throw NNError.layer(name, "Add needs two or more inputs of one shape, got \(inputShapes)")
    }
    return inputShapes[0]
  }

  /// The elementwise sum of the inputs.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    var sum = inputs[0]
    for x in inputs.dropFirst() { sum = try sum.adding(x) }
    return sum
  }
}

/// Keras `Concatenate` along `axis` (Keras counts the batch axis: the default -1 is the last axis, the
/// channels of NHWC images in DenseNet, the features of `[N, F]` vectors in BTSbot).
public final class Concatenate: Layer {
  /// Keras' class name, `Concatenate`.
  public override var kerasClassName: String { "Concatenate" }
  /// The axis joined along, counted as Keras does (the batch axis is 0; -1 is the last).
  public let axis: Int

  /// Concatenation along `axis` (Keras' default, -1: the last axis).
  public init(axis: Int = -1, name: String = "") {
    self.axis = axis
    super.init(name: name)
  }

  /// Checks the inputs agree on every axis but `axis`; returns the shape with the sizes along `axis` summed.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes, count: nil)
    guard let first = inputShapes.first, inputShapes.allSatisfy({ $0.count == first.count }) else {
      throw NNError.layer(name, "Concatenate needs inputs of one rank, got \(inputShapes)")
    }
    let a = axis < 0 ? axis + first.count : axis - 1
    guard a >= 0 && a < first.count else {
      throw NNError.layer(name, "axis \(axis) does not fit inputs of shape [N] + \(first)")
    }
    func others(_ s: [Int]) -> [Int] { s.enumerated().filter { $0.offset != a }.map(\.element) }
    guard inputShapes.allSatisfy({ others($0) == others(first) }) else {
      throw NNError.layer(name, "Concatenate needs inputs equal but for axis \(axis), got \(inputShapes)")
    }
    var output = first
    output[a] = inputShapes.reduce(0) { $0 + $1[a] }
    return output
  }

  /// Joins the inputs along `axis`.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try Tensor.concatenate(inputs, axis: axis)
  }
}

import AstroTensor

/// A window pooling layer: Keras `MaxPooling2D` or `AveragePooling2D` (strides default to the pool size,
/// `valid` padding).
public class Pooling2D: Layer {
  /// Window height and width, strides (vertical, horizontal) and padding.
  public let poolSize: (Int, Int), strides: (Int, Int), padding: Padding

  /// A pooling layer with windows of `poolSize`; strides default to the pool size, padding to `valid`, as in Keras.
  public init(_ poolSize: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid, name: String = "") {
    self.poolSize = poolSize; self.strides = strides ?? poolSize; self.padding = padding
    super.init(name: name)
  }

  /// Checks that the window fits the input `[H, W, C]`; returns `[outHeight, outWidth, C]`.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes, rank: 3)
    let s = inputShapes[0]
    guard s[2] > 0,
      let outHeight = padding.outputSize(input: s[0], window: poolSize.0, stride: strides.0, axis: 0),
      let outWidth = padding.outputSize(input: s[1], window: poolSize.1, stride: strides.1, axis: 1)
    else { throw NNError.layer(name, "pool \(poolSize) with strides \(strides) does not fit input \(s)") }
    return [outHeight, outWidth, s[2]]
  }
}

/// Keras `MaxPooling2D`.
public final class MaxPooling2D: Pooling2D {
  /// Keras' class name, `MaxPooling2D`.
  public override var kerasClassName: String { "MaxPooling2D" }
  /// The maximum of each window, per channel.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try inputs[0].maxPool2D(size: poolSize, strides: strides, padding: padding)
  }
}

/// Keras `AveragePooling2D`.
public final class AveragePooling2D: Pooling2D {
  /// Keras' class name, `AveragePooling2D`.
  public override var kerasClassName: String { "AveragePooling2D" }
  /// The mean of each window, per channel.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try inputs[0].averagePool2D(size: poolSize, strides: strides, padding: padding)
  }
}

/// Keras `GlobalAveragePooling2D`: `[H, W, C] -> [C]`.
public final class GlobalAveragePooling2D: Layer {
  /// Keras' class name, `GlobalAveragePooling2D`.
  public override var kerasClassName: String { "GlobalAveragePooling2D" }

  /// Checks for one input `[H, W, C]`; returns `[C]`.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes, rank: 3)
    return [inputShapes[0][2]]
  }

  /// The mean over height and width of each channel: `[N, H, W, C] -> [N, C]`.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try inputs[0].globalAveragePool2D()
  }
}

import AstroTensor

/// Keras `BatchNormalization` over channels (the last axis).
///
/// Weights in file order: gamma, beta (trainable), moving_mean, moving_variance (updated in training mode
/// with Keras' momentum convention: `moving = moving * momentum + batch * (1 - momentum)`).
public final class BatchNormalization: Layer {
  /// Keras' class name, `BatchNormalization`.
  public override var kerasClassName: String { "BatchNormalization" }
  /// Keras' momentum for the moving statistics: `moving = moving * momentum + batch * (1 - momentum)`.
  public let momentum: Float
  /// Added to the variance before the square root, for numerical stability.
  public let epsilon: Float
  /// Per-channel scale `[C]` (trainable, initialised to ones); nil before `build`.
  public private(set) var gamma: Tensor?
  /// Per-channel offset `[C]` (trainable, initialised to zeros); nil before `build`.
  public private(set) var beta: Tensor?
  /// Moving mean `[C]` used in inference (not trainable, initialised to zeros); nil before `build`.
  public private(set) var movingMean: Tensor?
  /// Moving variance `[C]` used in inference (not trainable, initialised to ones); nil before `build`.
  public private(set) var movingVariance: Tensor?

  /// The normalised axis in Keras' count (the batch axis is 0): the last one, -1 or its index.
  public let axis: Int

  /// Keras defaults: momentum 0.99, epsilon 1e-3 (braai and DeepStreaks use momentum 0.2). Only the last
  /// axis can be normalised (`axis` -1, or the last axis's index as Keras writes it: 3 for images, 1 for
  /// feature vectors).
  public init(momentum: Float = 0.99, epsilon: Float = 1e-3, axis: Int = -1, name: String = "") {
    self.momentum = momentum; self.epsilon = epsilon; self.axis = axis
    super.init(name: name)
  }

  /// Creates gamma, beta and the moving statistics for the input's channels; returns the input shape.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    guard let c = inputShapes[0].last else { throw NNError.layer(name, "needs a channel axis") }
    guard axis == -1 || axis == inputShapes[0].count else {
      throw NNError.layer(name, "axis \(axis) of inputs [N] + \(inputShapes[0]): only the last axis (-1) is supported")
    }
    gamma = try addWeight("gamma", shape: [c], initializer: .ones, generator: &generator)
    beta = try addWeight("beta", shape: [c], initializer: .zeros, generator: &generator)
    movingMean = try addWeight("moving_mean", shape: [c], initializer: .zeros, trainable: false, generator: &generator)
    movingVariance = try addWeight("moving_variance", shape: [c], initializer: .ones, trainable: false, generator: &generator)
    return inputShapes[0]
  }

  /// Training and trainable: normalises with batch statistics, updating the moving ones; else with the moving ones.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try forward(inputs, context: context, relu: false)
  }

  /// The layer followed by a ReLU, in one pass (used when a ReLU activation layer follows it).
  func forward(_ inputs: [Tensor], context: ForwardContext, relu: Bool) throws -> Tensor {
    guard let movingMean, let movingVariance else { throw NNError.layer(name, "used before build") }
    return try inputs[0].batchNormalized(
      gamma: gamma, beta: beta, movingMean: movingMean, movingVariance: movingVariance, epsilon: epsilon,
      momentum: momentum, training: context.training && trainable, relu: relu, group: context.batchStatisticsGroup)
  }
}

import AstroTensor

/// Losses computed from the model's logits (its output layer's activation skipped), as Keras' losses
/// with `sum_over_batch_size` reduction.
public enum Loss: String, Sendable {
  /// Sigmoid output, labels in [0, 1] of shape `[N]`.
  case binaryCrossEntropy
  /// Softmax output, targets `[N, K]` (one-hot or distributions).
  case categoricalCrossEntropy

  public func callAsFunction(logits: Tensor, labels: Tensor, weights: Tensor? = nil) throws -> Tensor {
    switch self {
    case .binaryCrossEntropy: return try Tensor.binaryCrossEntropy(logits: logits, labels: labels, weights: weights)
    case .categoricalCrossEntropy:
      return try Tensor.categoricalCrossEntropy(logits: logits, targets: labels, weights: weights)
    }
  }
}

extension Model {
  /// One training step on a batch: forward in training mode, loss from logits, backward, optimizer update.
  ///
  /// Returns the batch loss (before the update) and the logits. Throws, before changing any weight, when
  /// the loss or a gradient is not finite.
  @discardableResult
  public func trainStep(
    _ x: Tensor, labels: Tensor, sampleWeights: Tensor? = nil, loss: Loss = .binaryCrossEntropy,
    optimizer: Optimizer, generator: inout SeededGenerator
  ) throws -> (loss: Float, logits: Tensor) {
    let parameters = trainableWeights
    zeroGradients()
    let logits = try forward(x, training: true, logits: true, generator: &generator)
    let value = try loss(logits: logits, labels: labels, weights: sampleWeights)
    try value.backward()
    for p in parameters {
      if let g = p.gradient, !g.isFinite {
        throw TensorError.nonFinite(op: "\(name) training step", message: "non-finite gradient for a weight of shape \(p.shape)")
      }
    }
    try optimizer.step(parameters)
    return (value.scalarValue, logits.detached())
  }
}

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
    try checkDeclaredParameters(value)
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

extension Model {
  /// Throws when the loss depends on a tensor that needs a gradient but is no weight of this model: a layer
  /// that made a parameter without `addWeight` would otherwise never be trained, silently.
  func checkDeclaredParameters(_ loss: Tensor) throws {
    let declared = Set(weights.map(ObjectIdentifier.init))
    if let stray = loss.parameterLeaves().first(where: { !declared.contains(ObjectIdentifier($0.tensor)) }) {
      let layer = stray.scope.map { "layer '\($0)'" } ?? "an operation"
      throw NNError.model(
        "\(name): \(layer) uses a tensor of shape \(stray.tensor.shape) that needs a gradient (in '\(stray.operation)') "
          + "but is not one of the model's weights; create it with addWeight in the layer's build so it is trained and saved")
    }
  }
}

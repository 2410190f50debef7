import AstroTensor

/// Losses computed from the model's logits (its output layer's activation skipped), as Keras' losses
/// with `sum_over_batch_size` reduction.
public enum Loss: String, Sendable, CaseIterable {
  /// Sigmoid outputs: one per sample (binary, labels `[N]` in [0, 1]) or K independent ones (multi-label,
  /// targets `[N, K]` of 0/1).
  case binaryCrossEntropy
  /// Softmax output over K classes, targets `[N, K]` (one-hot or distributions).
  case categoricalCrossEntropy
  /// Softmax output over K classes, integer class labels `[N]` (Keras' `sparse_categorical_crossentropy`).
  case sparseCategoricalCrossEntropy

  /// The batch's loss from `logits` as a scalar tensor, divided by N (Keras' `sum_over_batch_size`); `weights`
  /// are optional per-sample weights `[N]`.
  ///
  /// Cross-entropy labels and targets must lie in [0, 1]: a label of 2 would give a negative loss and train the
  /// model towards nonsense without a word, so it is an error naming the sample.
  public func callAsFunction(logits: Tensor, labels: Tensor, weights: Tensor? = nil) throws -> Tensor {
    if self != .sparseCategoricalCrossEntropy {
      let p = labels.storage.pointer
      if let bad = (0..<labels.count).first(where: { !(p[$0] >= 0 && p[$0] <= 1) }) {
        let perSample = max(1, labels.count / max(1, labels.shape.first ?? 1))
        throw NNError.model(
          "label \(p[bad]) of sample \(bad / perSample) is outside [0, 1] (\(rawValue) takes 0/1 labels or probabilities)")
      }
    }
    switch self {
    case .binaryCrossEntropy: return try Tensor.binaryCrossEntropy(logits: logits, labels: labels, weights: weights)
    case .categoricalCrossEntropy: return try Tensor.categoricalCrossEntropy(logits: logits, targets: labels, weights: weights)
    case .sparseCategoricalCrossEntropy:
      return try Tensor.sparseCategoricalCrossEntropy(logits: logits, labels: labels, weights: weights)
    }
  }
}

/// Gradient clipping before the optimizer step, as Keras' optimizer options.
public enum GradientClipping: Sendable, Equatable {
  /// Each gradient element into `[-v, v]` (Keras `clipvalue`).
  case value(Float)
  /// Each weight's gradient scaled down to norm at most `n` (Keras `clipnorm`).
  case norm(Float)
  /// All gradients scaled together so that their joint norm is at most `n` (Keras `global_clipnorm`).
  case globalNorm(Float)

  func apply(to parameters: [Tensor]) {
    let gradients = parameters.compactMap(\.gradient)
    func norm(_ g: Tensor) -> Double {
      let p = g.storage.pointer
      return (0..<g.count).reduce(0.0) { $0 + Double(p[$1]) * Double(p[$1]) }
    }
    func scale(_ g: Tensor, _ factor: Float) {
      let p = g.storage.pointer
      for i in 0..<g.count { p[i] *= factor }
    }
    switch self {
    case .value(let v):
      for g in gradients {
        let p = g.storage.pointer
        for i in 0..<g.count { p[i] = min(max(p[i], -v), v) }
      }
    case .norm(let n):
      for g in gradients {
        let total = norm(g).squareRoot()
        if total > Double(n) { scale(g, Float(Double(n) / total)) }
      }
    case .globalNorm(let n):
      let total = gradients.reduce(0.0) { $0 + norm($1) }.squareRoot()
      if total > Double(n) { for g in gradients { scale(g, Float(Double(n) / total)) } }
    }
  }
}

extension Model {
  /// One training step on a batch of a single-input, single-output model: forward in training mode, loss from
  /// logits, backward, optimizer update.
  ///
  /// Returns the batch loss (before the update) and the logits. Throws, before changing any weight, when
  /// the loss or a gradient is not finite.
  @discardableResult
  public func trainStep(
    _ x: Tensor, labels: Tensor, sampleWeights: Tensor? = nil, loss: Loss = .binaryCrossEntropy,
    optimizer: Optimizer, clipping: GradientClipping? = nil, generator: inout SeededGenerator
  ) throws -> (loss: Float, logits: Tensor) {
    try requireSingleInputAndOutput("trainStep(_:labels:)")
    let result = try trainStep(
      [x], targets: [labels], sampleWeights: sampleWeights, losses: [loss], optimizer: optimizer, clipping: clipping,
      generator: &generator)
    return (result.loss, result.logits[0])
  }

  /// One training step on one batch per input and one target batch per output. The loss is
  /// `Σ lossWeights[o] * losses[o](output o)` (Keras' `loss_weights`; 1 each by default).
  ///
  /// Returns the total loss, each output's loss (before the update) and each output's logits.
  @discardableResult
  public func trainStep(
    _ inputs: [Tensor], targets: [Tensor], sampleWeights: Tensor? = nil, losses: [Loss], lossWeights: [Float]? = nil,
    optimizer: Optimizer, clipping: GradientClipping? = nil, generator: inout SeededGenerator
  ) throws -> (loss: Float, outputLosses: [Float], logits: [Tensor]) {
    guard let count = inputs.first?.shape.first, count > 0 else { throw NNError.model("\(name): trainStep needs a non-empty batch") }
    let result = try trainStep(
      inputs, targets: targets, sampleWeights: sampleWeights, losses: losses, lossWeights: lossWeights, optimizer: optimizer,
      clipping: clipping, sampleKeys: nil, exchange: nil, synchronizeBatchNormalization: false,
      globalCount: inputs.first?.shape.first ?? 0, generator: &generator)
    return (Float(result.loss), result.outputLosses.map(Float.init), result.logits)
  }

  /// A training step, alone or as one rank of a data-parallel group.
  ///
  /// With an `exchange`, this rank's batch (possibly empty) is its slice of a global batch of `globalCount`
  /// samples: its gradients are scaled by its share and summed over the ranks during backward, so every rank
  /// applies the gradient of the global batch's mean loss, which is returned (total and per output). Without
  /// one, the batch is the whole batch. `sampleKeys` key dropout per sample; `synchronizeBatchNormalization`
  /// normalises with the statistics of the global batch (every rank must then hold samples).
  func trainStep(
    _ inputs: [Tensor], targets: [Tensor], sampleWeights: Tensor?, losses: [Loss], lossWeights: [Float]?,
    optimizer: Optimizer, clipping: GradientClipping?, sampleKeys: [UInt64]?, exchange: GradientExchange?,
    synchronizeBatchNormalization: Bool, globalCount: Int, generator: inout SeededGenerator
  ) throws -> (loss: Double, outputLosses: [Double], logits: [Tensor]) {
    guard targets.count == outputValues.count, losses.count == outputValues.count else {
      throw NNError.model(
        "\(name): \(targets.count) target(s) and \(losses.count) loss(es) for \(outputValues.count) output(s) \(outputNames)")
    }
    if let lossWeights, lossWeights.count != losses.count {
      throw NNError.model("\(name): \(lossWeights.count) loss weights for \(losses.count) outputs")
    }
    let parameters = trainableWeights
    let localCount = inputs.first?.shape.first ?? 0
    zeroGradients()
    exchange?.begin(scale: Float(localCount) / Float(max(globalCount, 1)))
    var outputLossValues = [Double](repeating: 0, count: losses.count), totalValue = 0.0
    var logitsOut: [Tensor] = []
    if localCount > 0 {
      let group = synchronizeBatchNormalization ? exchange.map { exchange in
        BatchStatisticsGroup(share: Double(localCount) / Double(max(globalCount, 1))) { try exchange.sumInOrder(&$0) }
      } : nil
      (totalValue, outputLossValues, logitsOut) = try lossAndGradients(
        inputs, targets: targets, sampleWeights: sampleWeights, losses: losses, lossWeights: lossWeights, sampleKeys: sampleKeys,
        batchStatisticsGroup: group, leafGradientReady: exchange.map { exchange in { exchange.gradientReady($0) } },
        generator: &generator)
    }
    if let exchange {
      // The global mean loss: each rank's mean weighted by its share of the batch.
      let share = Double(localCount) / Double(max(globalCount, 1))
      let sums = try exchange.finish(statistics: ([totalValue] + outputLossValues).map { $0 * share })
      totalValue = sums[0]
      outputLossValues = Array(sums.dropFirst())
    }
    try applyGradients(parameters, optimizer: optimizer, clipping: clipping)
    return (totalValue, outputLossValues, logitsOut)
  }

  /// Forward in training mode, each output's loss from the logits, and backward: adds the gradient of the total
  /// loss to every parameter's `gradient`. Returns the total and per-output losses and the logits.
  func lossAndGradients(
    _ inputs: [Tensor], targets: [Tensor], sampleWeights: Tensor?, losses: [Loss], lossWeights: [Float]?, sampleKeys: [UInt64]?,
    batchStatisticsGroup: BatchStatisticsGroup?, lossScale: Float = 1, leafGradientReady: ((Tensor) throws -> Void)?,
    generator: inout SeededGenerator
  ) throws -> (loss: Double, outputLosses: [Double], logits: [Tensor]) {
    let logits = try withGradients {
      try forward(
        inputs, training: true, logits: true, sampleKeys: sampleKeys, batchStatisticsGroup: batchStatisticsGroup, generator: &generator)
    }
    var outputLosses: [Tensor] = []
    for (o, output) in logits.enumerated() {
      do {
        outputLosses.append(try losses[o](logits: output, labels: targets[o], weights: sampleWeights))
      } catch {
        throw NNError.model("\(name): output '\(outputNames[o])': \(error)")
      }
    }
    var total = outputLosses[0].scaled(by: lossWeights?[0] ?? 1)
    for o in outputLosses.indices.dropFirst() { total = try total.adding(outputLosses[o].scaled(by: lossWeights?[o] ?? 1)) }
    try checkDeclaredParameters(total)
    try (lossScale == 1 ? total : total.scaled(by: lossScale)).backward(leafGradientReady: leafGradientReady)
    return (Double(total.scalarValue), outputLosses.map { Double($0.scalarValue) }, logits.map { $0.detached() })
  }

  /// Checks every gradient is finite, clips, and lets the optimizer update the parameters.
  func applyGradients(_ parameters: [Tensor], optimizer: Optimizer, clipping: GradientClipping?) throws {
    for p in parameters {
      if let g = p.gradient, !g.isFinite {
        throw TensorError.nonFinite(op: "\(name) training step", message: "non-finite gradient for a weight of shape \(p.shape)")
      }
    }
    clipping?.apply(to: parameters)
    try optimizer.step(parameters)
  }

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

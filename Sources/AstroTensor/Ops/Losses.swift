import Foundation

extension Tensor {
  /// Binary cross-entropy computed from logits, with Keras' `sum_over_batch_size` reduction:
  /// `loss = Σ_i w_i * mean_k l_ik / N`, `l = max(z,0) - z*y + log(1 + exp(-|z|))` (stable for any logit).
  /// One output per sample (binary) or K (multi-label: K independent yes/no outputs, Keras' mean over them).
  ///
  /// - Parameters:
  ///   - logits: `[N]`, `[N, 1]` or `[N, K]` pre-sigmoid scores.
  ///   - labels: targets in [0, 1], as many as logits (`[N]` for one output per sample).
  ///   - weights: optional `[N]` per-sample weights (class weights expanded per sample). N, not Σw, divides.
  public static func binaryCrossEntropy(logits: Tensor, labels: Tensor, weights: Tensor? = nil) throws -> Tensor {
    let n = logits.shape.first ?? 0
    guard n > 0, logits.rank <= 2 else {
      throw TensorError.invalidShape(op: "binaryCrossEntropy", shape: logits.shape, expected: "[N], [N, 1] or [N, K] logits")
    }
    let k = logits.count / n
    guard labels.count == logits.count, labels.shape.first == n else {
      throw TensorError.shapeMismatch(op: "binaryCrossEntropy", lhs: logits.shape, rhs: labels.shape)
    }
    if let weights, weights.count != n {
      throw TensorError.shapeMismatch(op: "binaryCrossEntropy weights", lhs: logits.shape, rhs: weights.shape)
    }
    let z = logits.storage.pointer, y = labels.storage.pointer, w = weights?.storage.pointer
    var total = 0.0
    for i in 0..<(n * k) {
      let l = max(z[i], 0) - z[i] * y[i] + Foundation.log1p(Foundation.exp(-abs(z[i])))
      total += Double((w?[i / k] ?? 1) * l)
    }
    guard total.isFinite else {
      throw TensorError.nonFinite(op: "binaryCrossEntropy", message: "loss is \(total) (NaN or infinite logits or labels)")
    }
    let out = Tensor(scalar: Float(total / Double(n * k)))
    let logitShape = logits.shape
    let savedLogits = logits.detached(), savedLabels = labels.detached(), savedWeights = weights?.detached()
    return .result(out, of: "binaryCrossEntropy", inputs: [logits]) { g, _ in
      // dl/dz = sigmoid(z) - y, scaled by w_i * upstream / (N K).
      let dz = Tensor(uninitializedShape: logitShape)
      let scale = g.scalarValue / Float(n * k)
      let zp = savedLogits.storage.pointer, yp = savedLabels.storage.pointer, wp = savedWeights?.storage.pointer
      let d = dz.storage.pointer
      for i in 0..<(n * k) { d[i] = (sigmoidValue(zp[i]) - yp[i]) * (wp?[i / k] ?? 1) * scale }
      return [dz]
    }
  }

  /// Categorical cross-entropy from logits `[N, K]` and integer class labels `[N]` (Keras'
  /// `sparse_categorical_crossentropy`): the categorical loss of the one-hot targets. A label that is not a
  /// whole number in `0..<K` is an error naming the sample.
  public static func sparseCategoricalCrossEntropy(logits: Tensor, labels: Tensor, weights: Tensor? = nil) throws -> Tensor {
    guard logits.rank == 2, logits.shape[0] > 0 else {
      throw TensorError.invalidShape(op: "sparseCategoricalCrossEntropy", shape: logits.shape, expected: "[N, K] logits")
    }
    let (n, k) = (logits.shape[0], logits.shape[1])
    guard labels.count == n else {
      throw TensorError.shapeMismatch(op: "sparseCategoricalCrossEntropy", lhs: logits.shape, rhs: labels.shape)
    }
    let oneHot = Tensor(repeating: 0, shape: [n, k])
    for (i, label) in labels.values.enumerated() {
      guard let c = Int(exactly: label), c >= 0, c < k else {
        throw TensorError.invalidArgument(
          op: "sparseCategoricalCrossEntropy", message: "label \(label) of sample \(i) is not a class index in 0..<\(k)")
      }
      oneHot.storage.pointer[i * k + c] = 1
    }
    return try categoricalCrossEntropy(logits: logits, targets: oneHot, weights: weights)
  }

  /// Categorical cross-entropy from logits `[N, K]` and target distributions `[N, K]` (one-hot or soft),
  /// `loss = Σ_i w_i * (-Σ_k t_ik log softmax(z_i)_k) / N`.
  public static func categoricalCrossEntropy(logits: Tensor, targets: Tensor, weights: Tensor? = nil) throws -> Tensor {
    guard logits.rank == 2, logits.shape[0] > 0 else {
      throw TensorError.invalidShape(op: "categoricalCrossEntropy", shape: logits.shape, expected: "[N, K] logits")
    }
    guard targets.shape == logits.shape else {
      throw TensorError.shapeMismatch(op: "categoricalCrossEntropy", lhs: logits.shape, rhs: targets.shape)
    }
    let (n, k) = (logits.shape[0], logits.shape[1])
    if let weights, weights.count != n {
      throw TensorError.shapeMismatch(op: "categoricalCrossEntropy weights", lhs: [n], rhs: weights.shape)
    }
    let p = softmaxValues(logits, k)
    // The loss from log-softmax (log-sum-exp), not log(max(p, tiny)): exact for any logit gap.
    let logP = logSoftmaxValues(logits, k)
    let lp = logP.storage.pointer, t = targets.storage.pointer, w = weights?.storage.pointer
    var total = 0.0
    for i in 0..<n {
      var l: Float = 0
      for j in 0..<k where t[i * k + j] != 0 { l -= t[i * k + j] * lp[i * k + j] }
      total += Double((w?[i] ?? 1) * l)
    }
    guard total.isFinite else {
      throw TensorError.nonFinite(op: "categoricalCrossEntropy", message: "loss is \(total) (NaN or infinite logits or targets)")
    }
    let out = Tensor(scalar: Float(total / Double(n)))
    let savedTargets = targets.detached(), savedWeights = weights?.detached()
    return .result(out, of: "categoricalCrossEntropy", inputs: [logits]) { g, _ in
      // dl/dz_j = softmax_j * Σt - t_j.
      let dz = Tensor(uninitializedShape: [n, k])
      // Read the probabilities through `p` itself: capturing only its pointer let the buffer go back to the
      // pool after the forward, so the backward read whatever reused it.
      let pp = p.storage.pointer
      let d = dz.storage.pointer, tp = savedTargets.storage.pointer, wp = savedWeights?.storage.pointer
      let scale = g.scalarValue / Float(n)
      for i in 0..<n {
        var mass: Float = 0
        for j in 0..<k { mass += tp[i * k + j] }
        let s = (wp?[i] ?? 1) * scale
        for j in 0..<k { d[i * k + j] = (pp[i * k + j] * mass - tp[i * k + j]) * s }
      }
      return [dz]
    }
  }
}

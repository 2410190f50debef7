import AstroKernels
import Foundation

/// The processes whose batches together make one batch, for synchronised batch normalisation: each process
/// normalises its slice with the statistics of the whole batch, and the backward pass sums the statistics'
/// gradients over the group.
public struct BatchStatisticsGroup {
  /// Sums `values` element by element over the group, in place (every member calls it with the same count, in
  /// the same order).
  public let sum: (inout [Double]) throws -> Void
  /// This member's share of the whole batch (its samples / all samples): its loss is its own batch's mean, so
  /// its output gradient counts this much in the whole batch's loss.
  public let share: Double

  /// A group whose sums `sum` computes, for a member holding `share` of the batch.
  public init(share: Double, sum: @escaping (inout [Double]) throws -> Void) {
    self.share = share
    self.sum = sum
  }
}

extension Tensor {
  /// Keras BatchNormalization over the last axis (channels).
  ///
  /// Inference: `y = gamma * (x - movingMean) / sqrt(movingVariance + epsilon) + beta`.
  /// Training: normalises with the batch mean and biased batch variance over all other axes, and updates
  /// the moving statistics in place with Keras' convention, `moving = moving * momentum + batch * (1 - momentum)`
  /// (momentum weighs the OLD value). `gamma`/`beta` may be nil (Keras `scale=False` / `center=False`).
  /// `relu` applies a ReLU in the same pass (and masks its gradient inside the backward kernels).
  ///
  /// With a `group` in training, the batch statistics are those of the group's whole batch (count and sum, then
  /// squared deviations from the whole batch's mean, summed over the group in double precision), and the backward
  /// pass sums Σdy and Σ(dy·xhat) over the group, so each member computes its slice of the gradient of the whole batch.
  public func batchNormalized(
    gamma: Tensor?, beta: Tensor?, movingMean: Tensor, movingVariance: Tensor, epsilon: Float, momentum: Float,
    training: Bool, relu: Bool = false, group: BatchStatisticsGroup? = nil
  ) throws -> Tensor {
    guard rank >= 2, let c = shape.last else {
      throw TensorError.invalidShape(op: "batchNormalization", shape: shape, expected: "rank >= 2, channels last")
    }
    for (name, t) in [("moving_mean", movingMean), ("moving_variance", movingVariance), ("gamma", gamma), ("beta", beta)] {
      if let t, t.shape != [c] {
        throw TensorError.shapeMismatch(op: "batchNormalization \(name)", lhs: [c], rhs: t.shape)
      }
    }
    let rows = count / c
    var groupRows = Double(rows)
    let mean = Tensor(uninitializedShape: [c]), invStd = Tensor(uninitializedShape: [c])
    let m = mean.storage.pointer, s = invStd.storage.pointer
    if training {
      guard rows > 0 else { throw TensorError.invalidShape(op: "batchNormalization", shape: shape, expected: "a non-empty batch") }
      let variance = Tensor(uninitializedShape: [c])
      Normalization.meanAndVariance(storage.pointer, rows: rows, channels: c, mean: m, variance: variance.storage.pointer)
      let mm = movingMean.storage.pointer, mv = movingVariance.storage.pointer, v = variance.storage.pointer
      if let group {
        // Two sums, as Chan's parallel variance merges partial results: the count and the sums give the mean;
        // then each member's squared deviations from that mean. A single sum of squares would lose the variance
        // to cancellation where the mean dwarfs the spread (mean 30, spread 0.06: 4e-5 of the output).
        let n = Double(rows)
        var sums = [n] + (0..<c).map { n * Double(m[$0]) }
        try group.sum(&sums)
        let total = sums[0]
        groupRows = total
        let means = (0..<c).map { sums[1 + $0] / total }
        var deviations = (0..<c).map { ch -> Double in
          let d = Double(m[ch]) - means[ch]
          return n * (Double(v[ch]) + d * d)
        }
        try group.sum(&deviations)
        for ch in 0..<c {
          m[ch] = Float(means[ch])
          v[ch] = Float(deviations[ch] / total)
        }
      }
      for ch in 0..<c {
        s[ch] = 1 / (v[ch] + epsilon).squareRoot()
        mm[ch] = mm[ch] * momentum + m[ch] * (1 - momentum)
        mv[ch] = mv[ch] * momentum + v[ch] * (1 - momentum)
      }
    } else {
      m.update(from: movingMean.storage.pointer, count: c)
      for ch in 0..<c { s[ch] = 1 / (movingVariance.storage.pointer[ch] + epsilon).squareRoot() }
    }
    // y = x * scale + shift with scale = gamma * invStd, shift = beta - mean * scale.
    let scale = Tensor(uninitializedShape: [c]), shift = Tensor(uninitializedShape: [c])
    for ch in 0..<c {
      let gm = gamma?.storage.pointer[ch] ?? 1
      scale.storage.pointer[ch] = gm * s[ch]
      shift.storage.pointer[ch] = (beta?.storage.pointer[ch] ?? 0) - m[ch] * gm * s[ch]
    }
    let out = Tensor(uninitializedShape: shape)
    Normalization.scaleShift(
      storage.pointer, rows: rows, channels: c, scale: scale.storage.pointer, shift: shift.storage.pointer,
      relu: relu, output: out.storage.pointer)

    let x = detached(), inputShape = shape, saved = out.detached(), totalRows = groupRows
    let gammaValues = gamma?.detached() ?? Tensor(repeating: 1, shape: [c])
    var inputs = [self]
    if let gamma { inputs.append(gamma) }
    if let beta { inputs.append(beta) }
    let hasGamma = gamma != nil, hasBeta = beta != nil
    return .result(out, of: "batchNormalization", inputs: inputs) { g, needs in
      // Capture the statistics tensors (not just their pointers) so their storage outlives the forward.
      let m = mean.storage.pointer, s = invStd.storage.pointer
      let mask = relu ? UnsafePointer(saved.storage.pointer) : nil
      let sumDy = Tensor(uninitializedShape: [c]), sumDyXhat = Tensor(uninitializedShape: [c])
      Normalization.gradientSums(
        x.storage.pointer, outputGradient: g.storage.pointer, outputMask: mask, rows: rows, channels: c, mean: m,
        invStd: s, sumDy: sumDy.storage.pointer, sumDyXhat: sumDyXhat.storage.pointer)
      // The input gradient's sums: this batch's, or (synchronised) the whole batch's, each member's weighted by its
      // share, rescaled so the kernel's `/ rows` gives this member's gradient of its own mean loss.
      var inputSumDy = sumDy, inputSumDyXhat = sumDyXhat
      if let group, training {
        var sums = (0..<c).map { group.share * Double(sumDy.storage.pointer[$0]) }
          + (0..<c).map { group.share * Double(sumDyXhat.storage.pointer[$0]) }
        try group.sum(&sums)
        let factor = Double(rows) / (totalRows * group.share)
        inputSumDy = try Tensor(shape: [c], values: (0..<c).map { Float(sums[$0] * factor) })
        inputSumDyXhat = try Tensor(shape: [c], values: (0..<c).map { Float(sums[c + $0] * factor) })
      }
      var dx: Tensor?
      if needs[0] {
        dx = Tensor(uninitializedShape: inputShape)
        if training {
          Normalization.trainingInputGradient(
            x.storage.pointer, outputGradient: g.storage.pointer, outputMask: mask, rows: rows, channels: c, mean: m, invStd: s,
            gamma: gammaValues.storage.pointer, sumDy: inputSumDy.storage.pointer, sumDyXhat: inputSumDyXhat.storage.pointer,
            inputGradient: dx!.storage.pointer)
        } else {
          // Moving statistics are constants here: dx = dy * gamma * invStd (dy masked by a fused ReLU).
          let zero = Tensor(repeating: 0, shape: [c])
          let gy = relu ? g.keptWherePositive(saved) : g
          Normalization.scaleShift(
            gy.storage.pointer, rows: rows, channels: c, scale: scale.storage.pointer, shift: zero.storage.pointer,
            output: dx!.storage.pointer)
        }
      }
      var grads: [Tensor?] = [dx]
      if hasGamma { grads.append(sumDyXhat) }
      if hasBeta { grads.append(sumDy) }
      return grads
    }
  }
}

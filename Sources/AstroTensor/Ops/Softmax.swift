import Foundation

extension Tensor {
  /// Softmax over the last axis (max-subtracted for stability).
  public func softmax() throws -> Tensor {
    guard let n = shape.last, n > 0 else { throw TensorError.invalidShape(op: "softmax", shape: shape, expected: "rank >= 1") }
    let out = Tensor.softmaxValues(self, n)
    let saved = out.detached()
    return .result(out, of: "softmax", inputs: [self]) { g, _ in
      // dx = y * (dy - Σ dy*y) per row.
      let dx = Tensor(uninitializedShape: g.shape)
      let gp = g.storage.pointer, y = saved.storage.pointer, d = dx.storage.pointer
      for r in 0..<(g.count / n) {
        var dot: Float = 0
        for j in 0..<n { dot += gp[r * n + j] * y[r * n + j] }
        for j in 0..<n { d[r * n + j] = y[r * n + j] * (gp[r * n + j] - dot) }
      }
      return [dx]
    }
  }

  /// log(softmax) over the last axis.
  public func logSoftmax() throws -> Tensor {
    guard let n = shape.last, n > 0 else { throw TensorError.invalidShape(op: "logSoftmax", shape: shape, expected: "rank >= 1") }
    let probabilities = Tensor.softmaxValues(self, n)
    // x - max - log Σ exp(x - max): exact far from the maximum, where log(softmax) would take the log of an
    // underflowed probability (clipped at -87.3).
    let out = Tensor.logSoftmaxValues(self, n)
    return .result(out, of: "logSoftmax", inputs: [self]) { g, _ in
      // dx = dy - softmax * Σ dy per row.
      let dx = Tensor(uninitializedShape: g.shape)
      let gp = g.storage.pointer, p = probabilities.storage.pointer, d = dx.storage.pointer
      for r in 0..<(g.count / n) {
        var total: Float = 0
        for j in 0..<n { total += gp[r * n + j] }
        for j in 0..<n { d[r * n + j] = gp[r * n + j] - p[r * n + j] * total }
      }
      return [dx]
    }
  }

  /// Row-wise `x - max - log(Σ exp(x - max))`.
  static func logSoftmaxValues(_ x: Tensor, _ n: Int) -> Tensor {
    let out = Tensor(uninitializedShape: x.shape)
    let src = x.storage.pointer, dst = out.storage.pointer
    for r in 0..<(x.count / n) {
      var top = -Float.infinity
      for j in 0..<n { top = max(top, src[r * n + j]) }
      var total: Float = 0
      for j in 0..<n { total += Foundation.exp(src[r * n + j] - top) }
      let logTotal = Foundation.log(total)
      for j in 0..<n { dst[r * n + j] = src[r * n + j] - top - logTotal }
    }
    return out
  }

  static func softmaxValues(_ x: Tensor, _ n: Int) -> Tensor {
    let out = Tensor(uninitializedShape: x.shape)
    let src = x.storage.pointer, dst = out.storage.pointer
    for r in 0..<(x.count / n) {
      var top = -Float.infinity
      for j in 0..<n { top = max(top, src[r * n + j]) }
      var total: Float = 0
      for j in 0..<n {
        let e = Foundation.exp(src[r * n + j] - top)
        dst[r * n + j] = e
        total += e
      }
      for j in 0..<n { dst[r * n + j] /= total }
    }
    return out
  }
}

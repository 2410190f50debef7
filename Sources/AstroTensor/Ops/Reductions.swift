import AstroKernels

extension Tensor {
  /// Sum of all elements, as a scalar tensor (accumulated in Double).
  public func sum() -> Tensor {
    let p = storage.pointer
    var total = 0.0
    for i in 0..<count { total += Double(p[i]) }
    let out = Tensor(scalar: Float(total))
    let inputShape = shape
    return .result(out, of: "sum", inputs: [self]) { g, _ in
      [Tensor(repeating: g.scalarValue, shape: inputShape)]
    }
  }

  /// Mean of all elements, as a scalar tensor.
  public func mean() -> Tensor {
    sum().scaled(by: 1 / Float(max(count, 1)))
  }

  /// Sum over the last axis: `[..., n] -> [...]`.
  public func sumLastAxis() throws -> Tensor {
    guard let n = shape.last else { throw TensorError.invalidShape(op: "sumLastAxis", shape: shape, expected: "rank >= 1") }
    let rows = count / max(n, 1)
    let out = Tensor(uninitializedShape: Array(shape.dropLast()))
    let src = storage.pointer, dst = out.storage.pointer
    for r in 0..<rows {
      var s: Float = 0
      for j in 0..<n { s += src[r * n + j] }
      dst[r] = s
    }
    let inputShape = shape
    return .result(out, of: "sumLastAxis", inputs: [self]) { g, _ in
      let dx = Tensor(uninitializedShape: inputShape)
      let gp = g.storage.pointer, d = dx.storage.pointer
      for r in 0..<rows { for j in 0..<n { d[r * n + j] = gp[r] } }
      return [dx]
    }
  }
}

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

// Reductions along chosen axes (negative axes count from the end). With `keepingDimensions`, reduced axes
// stay as size 1 (so the result broadcasts against the input), as NumPy's `keepdims`.
extension Tensor {
  /// The shape with `axes` set to 1, and the sorted, checked axes.
  private func reducedShape(_ axes: [Int], op: String) throws -> (kept: [Int], axes: [Int]) {
    let resolved = try Set(axes.map { try normalizedAxis($0, op: op) }).sorted()
    var kept = shape
    for a in resolved { kept[a] = 1 }
    return (kept, resolved)
  }

  private func finishReduction(_ out: Tensor, kept: [Int], axes: [Int], keepingDimensions: Bool) throws -> Tensor {
    keepingDimensions ? out : try out.reshaped(to: kept.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
  }

  /// Sum along `axes`.
  public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
    let (kept, resolved) = try reducedShape(axes, op: "sum")
    let out = detached().summed(toShape: kept)
    let inputShape = shape
    let recorded = Tensor.result(out, of: "sum(axes)", inputs: [self]) { g, _ in
      [try withoutGradients { try g.broadcast(to: inputShape) }]
    }
    return try finishReduction(recorded, kept: kept, axes: resolved, keepingDimensions: keepingDimensions)
  }

  /// Mean along `axes`.
  public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
    let (kept, _) = try reducedShape(axes, op: "mean")
    let n = max(1, count / max(1, kept.reduce(1, *)))
    return try sum(alongAxes: axes, keepingDimensions: keepingDimensions).scaled(by: 1 / Float(n))
  }

  /// Maximum along `axes`; the gradient goes to the first maximal element of each group.
  public func maximum(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
    try extremum(axes, keepingDimensions: keepingDimensions, op: "max", >)
  }

  /// Minimum along `axes`; the gradient goes to the first minimal element of each group.
  public func minimum(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
    try extremum(axes, keepingDimensions: keepingDimensions, op: "min", <)
  }

  private func extremum(
    _ axes: [Int], keepingDimensions: Bool, op: String, _ better: @escaping (Float, Float) -> Bool
  ) throws -> Tensor {
    let (kept, resolved) = try reducedShape(axes, op: op)
    guard count > 0 else { throw TensorError.invalidShape(op: op, shape: shape, expected: "at least one element") }
    let out = Tensor(uninitializedShape: kept)
    var winner = [Int](repeating: -1, count: out.count)
    let src = storage.pointer, dst = out.storage.pointer
    let strides = Tensor(shape: kept, storage: out.storage).broadcastStrides(in: shape)
    forEachIndex(of: shape, strides: strides) { flat, offset in
      if winner[offset] < 0 || better(src[flat], dst[offset]) {
        dst[offset] = src[flat]
        winner[offset] = flat
      }
    }
    let inputShape = shape
    let recorded = Tensor.result(out, of: op, inputs: [self]) { g, _ in
      let dx = Tensor(repeating: 0, shape: inputShape)
      let gp = g.storage.pointer, d = dx.storage.pointer
      for (o, i) in winner.enumerated() { d[i] += gp[o] }
      return [dx]
    }
    return try finishReduction(recorded, kept: kept, axes: resolved, keepingDimensions: keepingDimensions)
  }
}

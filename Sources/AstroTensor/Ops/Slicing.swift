import AstroKernels

// Checked slicing and indexing. Every index and range is checked against the shape first, and an error
// names the operation, the axis and the shape; nothing reads outside the storage.

extension Tensor {
  /// `axis` as a non-negative axis of this tensor (negative counts from the end, as in NumPy).
  public func normalizedAxis(_ axis: Int, op: String) throws -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0 && resolved < rank else {
      throw TensorError.invalidArgument(op: op, message: "axis \(axis) out of range for shape \(shape)")
    }
    return resolved
  }

  /// Row-major strides of this tensor's shape.
  var strides: [Int] {
    var strides = [Int](repeating: 1, count: rank)
    for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
    return strides
  }

  /// The sub-tensor `ranges[0]` along axis 0, `ranges[1]` along axis 1, ...; axes past `ranges.count` are
  /// kept whole. The backward scatters the gradient into zeros.
  public func slice(_ ranges: [Range<Int>]) throws -> Tensor {
    guard ranges.count <= rank else {
      throw TensorError.invalidArgument(op: "slice", message: "\(ranges.count) ranges for shape \(shape)")
    }
    for (axis, range) in ranges.enumerated() where range.lowerBound < 0 || range.upperBound > shape[axis] {
      throw TensorError.invalidArgument(op: "slice", message: "range \(range) out of bounds for axis \(axis) of shape \(shape)")
    }
    let full = ranges + shape.dropFirst(ranges.count).map { 0..<$0 }
    let outShape = full.map(\.count)
    if outShape == shape { return self }
    let strides = self.strides
    let base = zip(full, strides).reduce(0) { $0 + $1.0.lowerBound * $1.1 }
    let out = Tensor(uninitializedShape: outShape)
    let src = storage.pointer + base, dst = out.storage.pointer
    forEachIndex(of: outShape, strides: strides) { flat, offset in dst[flat] = src[offset] }
    let inputShape = shape
    return .result(out, of: "slice", inputs: [self]) { g, _ in
      let dx = Tensor(repeating: 0, shape: inputShape)
      let gp = g.storage.pointer, d = dx.storage.pointer + base
      forEachIndex(of: outShape, strides: strides) { flat, offset in d[offset] = gp[flat] }
      return [dx]
    }
  }

  /// `range` along `axis` (negative axes count from the end), every other axis whole.
  public func slice(along axis: Int, _ range: Range<Int>) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "slice")
    return try slice(shape.prefix(a).map { 0..<$0 } + [range])
  }

  /// Element `index` along `axis`, with that axis removed (`x.select(2)` of `[N, H, W]` is `[H, W]`).
  public func select(_ index: Int, along axis: Int = 0) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "select")
    guard index >= 0 && index < shape[a] else {
      throw TensorError.invalidArgument(op: "select", message: "index \(index) out of bounds for axis \(a) of shape \(shape)")
    }
    var reduced = shape
    reduced.remove(at: a)
    return try slice(along: a, index..<(index + 1)).reshaped(to: reduced)
  }

  /// `x[i]`: element `i` of the first axis, that axis removed.
  public subscript(index: Int) -> Tensor { get throws { try select(index) } }

  /// `x[a..<b]`: rows `a..<b` of the first axis.
  public subscript(range: Range<Int>) -> Tensor { get throws { try slice([range]) } }

  /// The entries `indices` along `axis`, in that order (repeats allowed): `[.., d, ..] -> [.., indices.count, ..]`.
  /// The backward adds each row's gradient back where it came from.
  public func gathering(_ indices: [Int], along axis: Int = 0) throws -> Tensor {
    let a = try normalizedAxis(axis, op: "gather")
    if let bad = indices.first(where: { $0 < 0 || $0 >= shape[a] }) {
      throw TensorError.invalidArgument(op: "gather", message: "index \(bad) out of bounds for axis \(a) of shape \(shape)")
    }
    let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), d = shape[a]
    var outShape = shape
    outShape[a] = indices.count
    let out = Tensor(uninitializedShape: outShape)
    let src = storage.pointer, dst = out.storage.pointer
    for o in 0..<outer {
      for (j, i) in indices.enumerated() {
        (dst + (o * indices.count + j) * inner).update(from: src + (o * d + i) * inner, count: inner)
      }
    }
    let inputShape = shape
    return .result(out, of: "gather", inputs: [self]) { g, _ in
      let dx = Tensor(repeating: 0, shape: inputShape)
      let gp = g.storage.pointer, dp = dx.storage.pointer
      for o in 0..<outer {
        for (j, i) in indices.enumerated() {
          let from = gp + (o * indices.count + j) * inner, to = dp + (o * d + i) * inner
          for k in 0..<inner { to[k] += from[k] }
        }
      }
      return [dx]
    }
  }

  /// Rows `range` of the outermost axis, copied (a mini-batch). No graph is recorded. Throws when the range
  /// is not within the first axis.
  public func batch(_ range: Range<Int>) throws -> Tensor {
    guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
      throw TensorError.invalidArgument(op: "batch", message: "rows \(range) out of bounds for shape \(shape)")
    }
    let perRow = count / max(shape[0], 1)
    let out = Tensor(uninitializedShape: [range.count] + shape.dropFirst())
    out.storage.pointer.update(from: storage.pointer + range.lowerBound * perRow, count: range.count * perRow)
    return out
  }
}

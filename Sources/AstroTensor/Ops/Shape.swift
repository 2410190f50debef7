import AstroKernels

// Operations that move values without arithmetic: reshape, flatten, concatenation, zero padding.

extension Tensor {
  /// The same values viewed with another shape (no copy). One dimension may be -1 (inferred).
  public func reshaped(to newShape: [Int]) throws -> Tensor {
    var resolved = newShape
    let known = newShape.filter { $0 != -1 }.reduce(1, *)
    if let i = newShape.firstIndex(of: -1), newShape.filter({ $0 == -1 }).count == 1, known > 0, count % known == 0 {
      resolved[i] = count / known
    }
    guard resolved.allSatisfy({ $0 >= 0 }), resolved.reduce(1, *) == count else {
      throw TensorError.shapeMismatch(op: "reshape", lhs: shape, rhs: newShape)
    }
    let out = Tensor(shape: resolved, storage: storage)
    let inputShape = shape
    return .result(out, of: "reshape", inputs: [self]) { g, _ in
      [Tensor(shape: inputShape, storage: g.storage)]
    }
  }

  /// `[N, d1, d2, ...] -> [N, d1*d2*...]`, row-major (Keras Flatten: index `(h*W + w)*C + c` for NHWC).
  public func flattened() throws -> Tensor {
    guard rank >= 1 else { throw TensorError.invalidShape(op: "flatten", shape: shape, expected: "rank >= 1") }
    return try reshaped(to: [shape[0], shape.dropFirst().reduce(1, *)])
  }

  /// Concatenation along the last axis (channels for NHWC), as DenseNet's dense blocks do.
  public static func concatenateLastAxis(_ tensors: [Tensor]) throws -> Tensor {
    try concatenate(tensors, axis: -1)
  }

  /// Concatenation along `axis` (negative counts from the end); every other axis must agree.
  public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
    guard let first = tensors.first, first.rank >= 1 else {
      throw TensorError.invalidArgument(op: "concatenate", message: "needs at least one tensor of rank >= 1")
    }
    let a = try first.normalizedAxis(axis, op: "concatenate")
    func others(_ shape: [Int]) -> [Int] { shape.enumerated().filter { $0.offset != a }.map(\.element) }
    for t in tensors where t.rank != first.rank || others(t.shape) != others(first.shape) {
      throw TensorError.shapeMismatch(op: "concatenate along axis \(a)", lhs: first.shape, rhs: t.shape)
    }
    // Each tensor is `rows` blocks of `width` contiguous values; the output interleaves the blocks.
    let inner = first.shape[(a + 1)...].reduce(1, *)
    let widths = tensors.map { $0.shape[a] * inner }
    let total = widths.reduce(0, +)
    let rows = first.shape[..<a].reduce(1, *)
    var outShape = first.shape
    outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    let out = Tensor(uninitializedShape: outShape)
    let dst = out.storage.pointer
    var offset = 0
    for (t, w) in zip(tensors, widths) {
      let src = t.storage.pointer
      let o = offset
      Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 15) / max(w, 1))) { _, range in
        for r in range { (dst + r * total + o).update(from: src + r * w, count: w) }
      }
      offset += w
    }
    let shapes = tensors.map(\.shape)
    return .result(out, of: "concatenate", inputs: tensors) { g, needs in
      var grads: [Tensor?] = []
      var offset = 0
      let gp = g.storage.pointer
      for (i, w) in widths.enumerated() {
        defer { offset += w }
        guard needs[i] else { grads.append(nil); continue }
        let part = Tensor(uninitializedShape: shapes[i])
        let pp = part.storage.pointer
        let o = offset
        Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 15) / max(w, 1))) { _, range in
          for r in range { (pp + r * w).update(from: gp + r * total + o, count: w) }
        }
        grads.append(part)
      }
      return grads
    }
  }

  /// Tensors of one shape stacked along a new axis `axis` (0 ... rank; negative counts from the end).
  public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    guard let first = tensors.first else {
      throw TensorError.invalidArgument(op: "stack", message: "needs at least one tensor")
    }
    let a = axis < 0 ? axis + first.rank + 1 : axis
    guard a >= 0 && a <= first.rank else {
      throw TensorError.invalidArgument(op: "stack", message: "axis \(axis) out of range for shape \(first.shape)")
    }
    for t in tensors where t.shape != first.shape { throw TensorError.shapeMismatch(op: "stack", lhs: first.shape, rhs: t.shape) }
    var expanded = first.shape
    expanded.insert(1, at: a)
    return try concatenate(tensors.map { try $0.reshaped(to: expanded) }, axis: a)
  }

  /// Zero rows/columns around NHWC images (Keras ZeroPadding2D).
  public func zeroPadded(top: Int, bottom: Int, left: Int, right: Int) throws -> Tensor {
    guard rank == 4 else { throw TensorError.invalidShape(op: "zeroPad2D", shape: shape, expected: "[N, H, W, C]") }
    guard min(top, bottom, left, right) >= 0 else {
      throw TensorError.invalidArgument(op: "zeroPad2D", message: "negative padding")
    }
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    let oh = h + top + bottom, ow = w + left + right
    let out = Tensor(repeating: 0, shape: [n, oh, ow, c])
    let src = storage.pointer, dst = out.storage.pointer
    Parallel.forEachChunk(n * h) { _, range in
      for r in range {
        let (s, y) = (r / h, r % h)
        (dst + ((s * oh + y + top) * ow + left) * c).update(from: src + r * w * c, count: w * c)
      }
    }
    let inputShape = shape
    return .result(out, of: "zeroPad2D", inputs: [self]) { g, _ in
      let dx = Tensor(uninitializedShape: inputShape)
      let gp = g.storage.pointer, d = dx.storage.pointer
      Parallel.forEachChunk(n * h) { _, range in
        for r in range {
          let (s, y) = (r / h, r % h)
          (d + r * w * c).update(from: gp + ((s * oh + y + top) * ow + left) * c, count: w * c)
        }
      }
      return [dx]
    }
  }
}

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
    guard let first = tensors.first, first.rank >= 1 else {
      throw TensorError.invalidArgument(op: "concatenate", message: "needs at least one tensor of rank >= 1")
    }
    let outer = Array(first.shape.dropLast())
    for t in tensors where Array(t.shape.dropLast()) != outer || t.rank != first.rank {
      throw TensorError.shapeMismatch(op: "concatenate", lhs: first.shape, rhs: t.shape)
    }
    let widths = tensors.map { $0.shape.last! }
    let total = widths.reduce(0, +)
    let rows = outer.reduce(1, *)
    let out = Tensor(uninitializedShape: outer + [total])
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
    return .result(out, of: "concatenate", inputs: tensors) { g, needs in
      var grads: [Tensor?] = []
      var offset = 0
      let gp = g.storage.pointer
      for (i, w) in widths.enumerated() {
        defer { offset += w }
        guard needs[i] else { grads.append(nil); continue }
        let part = Tensor(uninitializedShape: outer + [w])
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

import AstroKernels

extension Tensor {
  /// The axes reordered: output axis `i` is input axis `axes[i]` (NumPy's `transpose(axes)`), copied.
  public func permuted(_ axes: [Int]) throws -> Tensor {
    let resolved = try axes.map { try normalizedAxis($0, op: "permute") }
    guard resolved.count == rank, Set(resolved).count == rank else {
      throw TensorError.invalidArgument(op: "permute", message: "axes \(axes) are not a permutation of shape \(shape)'s axes")
    }
    if resolved == Array(0..<rank) { return self }
    let outShape = resolved.map { shape[$0] }
    let out = Tensor(uninitializedShape: outShape)
    let src = storage.pointer, dst = out.storage.pointer
    if rank == 2 {
      Elementwise.transpose(src, rows: shape[0], columns: shape[1], into: dst)
    } else {
      let strides = self.strides
      forEachIndex(of: outShape, strides: resolved.map { strides[$0] }) { flat, offset in dst[flat] = src[offset] }
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, a) in resolved.enumerated() { inverse[a] = i }
    return .result(out, of: "permute", inputs: [self]) { g, _ in [try g.permuted(inverse)] }
  }

  /// The last two axes swapped (the matrix transpose for rank 2, per matrix for batches).
  public func transposed() throws -> Tensor {
    guard rank >= 2 else { throw TensorError.invalidShape(op: "transpose", shape: shape, expected: "rank >= 2") }
    return try permuted(Array(0..<(rank - 2)) + [rank - 1, rank - 2])
  }
}

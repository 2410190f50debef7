import AstroKernels

extension Tensor {
  /// Matrix product `[..., m, k] · [..., k, n] -> [..., m, n]`: one product per matrix of the leading
  /// (batch) axes, which broadcast as NumPy's `matmul` (a rank-2 operand is shared by every batch entry).
  public func matmul(_ other: Tensor) throws -> Tensor {
    guard rank >= 2, other.rank >= 2, shape[rank - 1] == other.shape[other.rank - 2] else {
      throw TensorError.shapeMismatch(op: "matmul", lhs: shape, rhs: other.shape)
    }
    if rank == 2 && other.rank == 2 { return try linear(weight: other, bias: nil) }
    let (m, k, n) = (shape[rank - 2], shape[rank - 1], other.shape[other.rank - 1])
    let batchShape = try Tensor.broadcastShape(Array(shape.dropLast(2)), Array(other.shape.dropLast(2)), op: "matmul")
    // Stretching the batch axes is its own recorded op, whose backward sums the gradient back.
    return try broadcast(to: batchShape + [m, k]).batchedMatmul(other.broadcast(to: batchShape + [k, n]))
  }

  /// `[b..., m, k] · [b..., k, n]` with equal batch axes.
  private func batchedMatmul(_ other: Tensor) throws -> Tensor {
    let (m, k, n) = (shape[rank - 2], shape[rank - 1], other.shape[rank - 1])
    let batches = shape.dropLast(2).reduce(1, *)
    let out = Tensor(uninitializedShape: shape.dropLast(2) + [m, n])
    func products(_ a: Tensor, transA: Bool, _ b: Tensor, transB: Bool, into c: Tensor, m: Int, n: Int, k: Int) {
      let (ap, bp, cp) = (a.storage.pointer, b.storage.pointer, c.storage.pointer)
      Parallel.forEachChunk(batches) { _, range in
        for i in range {
          BLAS.sgemm(
            transA: transA, transB: transB, m: m, n: n, k: k, a: ap + i * m * k, lda: transA ? m : k,
            b: bp + i * k * n, ldb: transB ? k : n, c: cp + i * m * n, ldc: n)
        }
      }
    }
    products(self, transA: false, other, transB: false, into: out, m: m, n: n, k: k)
    let a = detached(), b = other.detached()
    let (shapeA, shapeB) = (shape, other.shape)
    return .result(out, of: "matmul", inputs: [self, other]) { g, needs in
      var da: Tensor?, db: Tensor?
      if needs[0] {
        da = Tensor(uninitializedShape: shapeA)
        products(g, transA: false, b, transB: true, into: da!, m: m, n: k, k: n)
      }
      if needs[1] {
        db = Tensor(uninitializedShape: shapeB)
        products(a, transA: true, g, transB: false, into: db!, m: k, n: n, k: m)
      }
      return [da, db]
    }
  }

  /// Keras Dense: `x[N, in] · weight[in, out] + bias[out]`, then ReLU if `relu` (fused: one pass, and the
  /// backward masks by the saved output).
  public func linear(weight: Tensor, bias: Tensor?, relu: Bool = false) throws -> Tensor {
    guard rank == 2, weight.rank == 2, shape[1] == weight.shape[0] else {
      throw TensorError.shapeMismatch(op: "dense", lhs: shape, rhs: weight.shape)
    }
    let (m, k, n) = (shape[0], shape[1], weight.shape[1])
    if let bias, bias.shape != [n] { throw TensorError.shapeMismatch(op: "dense bias", lhs: [n], rhs: bias.shape) }
    let out = Tensor(uninitializedShape: [m, n])
    let y = out.storage.pointer
    BLAS.parallelMatmul(m: m, n: n, k: k, a: storage.pointer, b: weight.storage.pointer, c: y)
    Elementwise.addRowVectorAndActivate(y, rows: m, columns: n, bias: bias?.storage.pointer, relu: relu)
    let x = detached(), w = weight.detached(), saved = out.detached()
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return .result(out, of: "dense", inputs: inputs) { g, needs in
      let gy = relu ? g.keptWherePositive(saved) : g
      var dx: Tensor?, dw: Tensor?, db: Tensor?
      if needs[0] {
        dx = Tensor(uninitializedShape: [m, k])
        BLAS.parallelMatmul(m: m, n: k, k: n, a: gy.storage.pointer, b: w.storage.pointer, transB: true, c: dx!.storage.pointer)
      }
      if needs[1] {
        dw = Tensor(uninitializedShape: [k, n])
        BLAS.parallelMatmul(m: k, n: n, k: m, a: x.storage.pointer, transA: true, b: gy.storage.pointer, c: dw!.storage.pointer)
      }
      if needs.count > 2 && needs[2] {
        db = Tensor(repeating: 0, shape: [n])
        Elementwise.accumulateColumnSums(gy.storage.pointer, rows: m, columns: n, into: db!.storage.pointer)
      }
      return bias == nil ? [dx, dw] : [dx, dw, db]
    }
  }
}

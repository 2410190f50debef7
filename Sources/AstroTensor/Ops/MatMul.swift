import AstroKernels

extension Tensor {
  /// Matrix product `[m, k] · [k, n] -> [m, n]`.
  public func matmul(_ other: Tensor) throws -> Tensor {
    guard rank == 2, other.rank == 2, shape[1] == other.shape[0] else {
      throw TensorError.shapeMismatch(op: "matmul", lhs: shape, rhs: other.shape)
    }
    return try linear(weight: other, bias: nil)
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
      return [dx, dw, db]
    }
  }
}

/// NHWC convolution with HWIO kernels as im2col + sgemm, split over workers by output rows.
///
/// Each worker converts a chunk of output rows at a time into a small column buffer that stays in cache,
/// then multiplies it by the kernel matrix `[patchSize × filters]`. 1×1 stride-1 convolutions skip im2col.
public enum Convolution {
  /// Column-buffer budget per worker, in floats (about 512 KB: the chunk stays in L2 between im2col and sgemm).
  static let chunkFloats = 1 << 17

  static func chunkRows(_ g: WindowGeometry) -> Int { max(32, chunkFloats / max(1, g.patchSize)) }

  /// `y[rows × filters] = im2col(x) · kernel + bias`, then ReLU when `relu` is set.
  public static func forward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, kernel: UnsafePointer<Float>, filters: Int,
    bias: UnsafePointer<Float>?, relu: Bool, output y: UnsafeMutablePointer<Float>
  ) {
    let k = g.patchSize
    let step = chunkRows(g)
    Parallel.forEachChunk(g.outputRows, minimumPerWorker: 64) { _, range in
      BufferPool.shared.withScratch(g.isPointwise ? 0 : step * k) { cols in
        var start = range.lowerBound
        while start < range.upperBound {
          let rows = start..<min(start + step, range.upperBound)
          let a: UnsafePointer<Float>
          if g.isPointwise {
            a = x + rows.lowerBound * k
          } else {
            Im2Col.gather(g, input: x, rows: rows, into: cols)
            a = UnsafePointer(cols)
          }
          let out = y + rows.lowerBound * filters
          BLAS.sgemm(m: rows.count, n: filters, k: k, a: a, lda: k, b: kernel, ldb: filters, c: out, ldc: filters)
          Elementwise.addRowVectorAndActivate(out, rows: rows.count, columns: filters, bias: bias, relu: relu)
          start = rows.upperBound
        }
      }
    }
  }

  /// Accumulates `dKernel[patchSize × filters] += im2col(x)ᵀ · dy` and `dBias[filters] += Σ_rows dy`.
  /// Workers sum into private partials that are added at the end.
  public static func backwardKernel(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, filters: Int,
    kernelGradient dk: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?
  ) {
    let k = g.patchSize
    let step = chunkRows(g)
    let partialSize = k * filters + filters
    let workers = Parallel.workerCount
    BufferPool.shared.withScratch(partialSize * workers) { partials in
      partials.update(repeating: 0, count: partialSize * workers)
      Parallel.forEachChunk(g.outputRows, minimumPerWorker: 64) { w, range in
        let pk = partials + w * partialSize
        let pb = pk + k * filters
        BufferPool.shared.withScratch(g.isPointwise ? 0 : step * k) { cols in
          var start = range.lowerBound
          while start < range.upperBound {
            let rows = start..<min(start + step, range.upperBound)
            let a: UnsafePointer<Float>
            if g.isPointwise {
              a = x + rows.lowerBound * k
            } else {
              Im2Col.gather(g, input: x, rows: rows, into: cols)
              a = UnsafePointer(cols)
            }
            let dyRows = dy + rows.lowerBound * filters
            BLAS.sgemm(
              transA: true, m: k, n: filters, k: rows.count, a: a, lda: k, b: dyRows, ldb: filters, beta: 1,
              c: pk, ldc: filters)
            if db != nil { Elementwise.accumulateColumnSums(dyRows, rows: rows.count, columns: filters, into: pb) }
            start = rows.upperBound
          }
        }
      }
      for w in 0..<workers {
        let pk = partials + w * partialSize
        for i in 0..<(k * filters) { dk[i] += pk[i] }
        if let db { for f in 0..<filters { db[f] += pk[k * filters + f] } }
      }
    }
  }

  /// Accumulates `dx += col2im(dy · kernelᵀ)`. Workers own whole samples, so their scatters never overlap.
  public static func backwardInput(
    _ g: WindowGeometry, outputGradient dy: UnsafePointer<Float>, kernel: UnsafePointer<Float>, filters: Int,
    inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    let k = g.patchSize
    let step = chunkRows(g)
    let perSample = g.outputRowsPerSample
    Parallel.forEachChunk(g.batch) { _, samples in
      let range = (samples.lowerBound * perSample)..<(samples.upperBound * perSample)
      if g.isPointwise {
        // dx rows are exactly the rows of dy · kernelᵀ.
        BLAS.sgemm(
          transB: true, m: range.count, n: k, k: filters, a: dy + range.lowerBound * filters, lda: filters,
          b: kernel, ldb: filters, beta: 1, c: dx + range.lowerBound * k, ldc: k)
        return
      }
      BufferPool.shared.withScratch(step * k) { cols in
        var start = range.lowerBound
        while start < range.upperBound {
          let rows = start..<min(start + step, range.upperBound)
          BLAS.sgemm(
            transB: true, m: rows.count, n: k, k: filters, a: dy + rows.lowerBound * filters, lda: filters,
            b: kernel, ldb: filters, c: cols, ldc: k)
          Im2Col.scatterAdd(g, cols: cols, rows: rows, into: dx)
          start = rows.upperBound
        }
      }
    }
  }
}

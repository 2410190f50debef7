import AstroKernelsC

/// NHWC convolution with HWIO kernels, split over workers by output rows.
///
/// When `AVX512.enabled`, `AVX2.enabled` or `NEON.enabled`, the direct kernels of `DirectConvolution` run it. Otherwise each worker converts a chunk of output rows at a time into a small column buffer that stays in cache,
/// then multiplies it by the kernel matrix `[patchSize × filters]`. 1×1 stride-1 convolutions skip im2col.
public enum Convolution {
  /// Column-buffer budget per worker, in floats (about 512 KB: the chunk stays in L2 between im2col and sgemm).
  static let chunkFloats = 1 << 17

  static func chunkRows(_ g: WindowGeometry) -> Int { max(32, chunkFloats / max(1, g.patchSize)) }

  /// Visits `range` of output rows in cache-sized chunks with each chunk's im2col matrix
  /// (`rows.count × patchSize`), or the input rows themselves for pointwise windows.
  @inline(__always)
  static func forEachColumnChunk(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, inputMask: UnsafePointer<Float>? = nil, rows range: Range<Int>,
    _ body: (_ rows: Range<Int>, _ columns: UnsafePointer<Float>) -> Void
  ) {
    let k = g.patchSize
    let step = chunkRows(g)
    BufferPool.shared.withScratch(g.isPointwise ? 0 : step * k) { cols in
      var start = range.lowerBound
      while start < range.upperBound {
        let rows = start..<min(start + step, range.upperBound)
        if g.isPointwise {
          precondition(inputMask == nil, "masked pointwise input is handled by the callers")
          body(rows, x + rows.lowerBound * k)
        } else {
          Im2Col.gather(g, input: x, mask: inputMask, rows: rows, into: cols)
          body(rows, UnsafePointer(cols))
        }
        start = rows.upperBound
      }
    }
  }

  /// Floats of the packed copy of an HWIO kernel `[height, width, channels, filters]` that `forward` can read
  /// in its place, or 0 when the direct route reads the kernel as it is (up to 1 MB) or is not in use. A
  /// kernel used by many calls (inference) is packed once instead of in every call.
  public static func packedKernelCount(height: Int, width: Int, channels: Int, filters: Int) -> Int {
    guard AVX512.enabled || AVX2.enabled || NEON.enabled else { return 0 }
    var s = DirectConvolution.kernelShape(height: height, width: width, channels: channels, filters: filters)
    return astro_conv_packed_kernel_floats(&s)
  }

  /// Writes the packed copy (`packedKernelCount` floats) of `kernel`.
  public static func packKernel(
    _ kernel: UnsafePointer<Float>, height: Int, width: Int, channels: Int, filters: Int, into packed: UnsafeMutablePointer<Float>
  ) {
    var s = DirectConvolution.kernelShape(height: height, width: width, channels: channels, filters: filters)
    astro_conv_pack_kernel(&s, kernel, packed)
  }

  /// `y[rows × filters] = im2col(x) · kernel + bias`, then ReLU when `relu` is set. With `inputMask`, input
  /// elements where the mask is not positive count as 0 (see `Im2Col.gather`). `packedKernel`, when given, is
  /// `packKernel`'s copy of `kernel`, read in its place on the direct route.
  public static func forward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, inputMask: UnsafePointer<Float>? = nil,
    kernel: UnsafePointer<Float>, packedKernel: UnsafePointer<Float>? = nil, filters: Int, bias: UnsafePointer<Float>?,
    relu: Bool, output y: UnsafeMutablePointer<Float>
  ) {
    KernelISA.announcement
    if DirectConvolution.handles(g, filters: filters) {
      DirectConvolution.forward(
        g, input: x, inputMask: inputMask, kernel: packedKernel ?? kernel, kernelIsPacked: packedKernel != nil,
        filters: filters, bias: bias, relu: relu, output: y)
      return
    }
    let k = g.patchSize
    Parallel.forEachChunk(g.outputRows, minimumPerWorker: 64) { _, range in
      forEachColumnChunk(g, input: x, inputMask: inputMask, rows: range) { rows, a in
        let out = y + rows.lowerBound * filters
        BLAS.sgemm(m: rows.count, n: filters, k: k, a: a, lda: k, b: kernel, ldb: filters, c: out, ldc: filters)
        Elementwise.addRowVectorAndActivate(out, rows: rows.count, columns: filters, bias: bias, relu: relu)
      }
    }
  }

  /// Accumulates `dKernel[patchSize × filters] += im2col(x)ᵀ · dy` and `dBias[filters] += Σ_rows dy`.
  /// Workers sum into private partials that are added at the end. With `outputMask` (a fused ReLU's
  /// output), `dy` counts only where the mask is positive; each chunk is masked into cache-resident scratch.
  public static func backwardKernel(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    outputMask: UnsafePointer<Float>? = nil, filters: Int, kernelGradient dk: UnsafeMutablePointer<Float>,
    biasGradient db: UnsafeMutablePointer<Float>?
  ) {
    if DirectConvolution.handles(g, filters: filters) {
      DirectConvolution.backwardKernel(
        g, input: x, outputGradient: dy, outputMask: outputMask, filters: filters, kernelGradient: dk, biasGradient: db)
      return
    }
    let k = g.patchSize
    let partialSize = k * filters + filters
    let workers = Parallel.workerCount
    BufferPool.shared.withScratch(partialSize * workers) { partials in
      partials.update(repeating: 0, count: partialSize * workers)
      Parallel.forEachChunk(g.outputRows, minimumPerWorker: 64) { w, range in
        let pk = partials + w * partialSize
        let pb = pk + k * filters
        let masked = outputMask.map { _ in BufferPool.shared.take(chunkRows(g) * filters) }
        defer { if let masked { BufferPool.shared.give(masked, count: chunkRows(g) * filters) } }
        forEachColumnChunk(g, input: x, rows: range) { rows, a in
          var dyRows = dy + rows.lowerBound * filters
          if let outputMask, let masked {
            maskRows(dyRows, outputMask + rows.lowerBound * filters, count: rows.count * filters, into: masked)
            dyRows = UnsafePointer(masked)
          }
          BLAS.sgemm(
            transA: true, m: k, n: filters, k: rows.count, a: a, lda: k, b: dyRows, ldb: filters, beta: 1,
            c: pk, ldc: filters)
          if db != nil { Elementwise.accumulateColumnSums(dyRows, rows: rows.count, columns: filters, into: pb) }
        }
      }
      for w in 0..<workers {
        let pk = partials + w * partialSize
        for i in 0..<(k * filters) { dk[i] += pk[i] }
        if let db { for f in 0..<filters { db[f] += pk[k * filters + f] } }
      }
    }
  }

  /// Writes the input gradient `dx = col2im(dy · kernelᵀ)`.
  ///
  /// Stride-1 windows whose padding is at most `kernel - 1` use the transposed convolution instead: `dx` is
  /// the forward convolution of `dy`, padded by `kernel - 1 - pad`, with the kernel flipped in space and its
  /// channel axes swapped. That writes `dx` once, and its matrix product has the deep inner dimension
  /// `kh·kw·filters` where the col2im route multiplies over `filters` only and scatters the columns back.
  /// With `outputMask` (a fused ReLU's output), `dy` counts only where the mask is positive.
  public static func backwardInput(
    _ g: WindowGeometry, outputGradient dy: UnsafePointer<Float>, outputMask: UnsafePointer<Float>? = nil,
    kernel: UnsafePointer<Float>, filters: Int, inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    let (kh, kw, c) = (g.kernelHeight, g.kernelWidth, g.channels)
    let step = chunkRows(g)
    if g.isPointwise && !DirectConvolution.handles(g, filters: filters) {
      // dx rows are exactly the rows of dy · kernelᵀ.
      Parallel.forEachChunk(g.outputRows, minimumPerWorker: 64) { _, range in
        BufferPool.shared.withScratch(outputMask == nil ? 0 : step * filters) { masked in
          var start = range.lowerBound
          while start < range.upperBound {
            let rows = start..<min(start + step, range.upperBound)
            var a = dy + rows.lowerBound * filters
            if let outputMask {
              maskRows(a, outputMask + rows.lowerBound * filters, count: rows.count * filters, into: masked)
              a = UnsafePointer(masked)
            }
            BLAS.sgemm(
              transB: true, m: rows.count, n: c, k: filters, a: a, lda: filters, b: kernel, ldb: filters,
              c: dx + rows.lowerBound * c, ldc: c)
            start = rows.upperBound
          }
        }
      }
      return
    }
    if g.strideH == 1 && g.strideW == 1 && max(g.padTop, g.padBottom) < kh && max(g.padLeft, g.padRight) < kw,
      let transposed = WindowGeometry(
        batch: g.batch, inHeight: g.outHeight, inWidth: g.outWidth, channels: filters, kernelHeight: kh,
        kernelWidth: kw, strideH: 1, strideW: 1,
        padding: .explicit(top: kh - 1 - g.padTop, bottom: kh - 1 - g.padBottom, left: kw - 1 - g.padLeft, right: kw - 1 - g.padRight)),
      transposed.outHeight == g.inHeight, transposed.outWidth == g.inWidth
    {
      BufferPool.shared.withScratch(kh * kw * c * filters) { flipped in
        transposeKernel(g, kernel, filters: filters, into: flipped)
        forward(transposed, input: dy, inputMask: outputMask, kernel: flipped, filters: c, bias: nil, relu: false, output: dx)
      }
      return
    }
    if kh == 1, kw == 1, g.strideH > 1 || g.strideW > 1, g.padTop == 0, g.padLeft == 0,
      let pointwise = WindowGeometry(
        batch: g.batch, inHeight: g.outHeight, inWidth: g.outWidth, channels: filters, kernelHeight: 1, kernelWidth: 1,
        strideH: 1, strideW: 1, padding: .valid),
      DirectConvolution.handles(pointwise, filters: c)
    {
      stridedPointwiseBackwardInput(g, pointwise, outputGradient: dy, outputMask: outputMask, kernel: kernel, filters: filters, inputGradient: dx)
      return
    }
    let k = g.patchSize
    let perSample = g.outputRowsPerSample
    // Workers own whole samples, so their scatters never overlap.
    Parallel.forEachChunk(g.batch) { _, samples in
      (dx + samples.lowerBound * g.inputSampleSize).update(repeating: 0, count: samples.count * g.inputSampleSize)
      let range = (samples.lowerBound * perSample)..<(samples.upperBound * perSample)
      BufferPool.shared.withScratch(step * k + (outputMask == nil ? 0 : step * filters)) { cols in
        var start = range.lowerBound
        while start < range.upperBound {
          let rows = start..<min(start + step, range.upperBound)
          var a = dy + rows.lowerBound * filters
          if let outputMask {
            let masked = cols + step * k
            maskRows(a, outputMask + rows.lowerBound * filters, count: rows.count * filters, into: masked)
            a = UnsafePointer(masked)
          }
          BLAS.sgemm(
            transB: true, m: rows.count, n: k, k: filters, a: a, lda: filters,
            b: kernel, ldb: filters, c: cols, ldc: k)
          Im2Col.scatterAdd(g, cols: cols, rows: rows, into: dx)
          start = rows.upperBound
        }
      }
    }
  }

  /// The input gradient of a strided 1×1 convolution (ResNet's downsampling shortcuts and first 1×1 of a
  /// stage): `dy · kernelᵀ` as a pointwise convolution on the direct kernels, its pixels placed at every
  /// stride-th input position and zeros between. The col2im route ran this as an OpenBLAS sgemm, whose
  /// kernels for this CPU are generic SSE3 ones on Sapphire Rapids.
  static func stridedPointwiseBackwardInput(
    _ g: WindowGeometry, _ pointwise: WindowGeometry, outputGradient dy: UnsafePointer<Float>,
    outputMask: UnsafePointer<Float>?, kernel: UnsafePointer<Float>, filters: Int, inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    let c = g.channels, pixels = g.outputRows
    BufferPool.shared.withScratch(c * filters + pixels * c) { scratch in
      let transposed = scratch, gathered = scratch + c * filters
      transposeKernel(g, kernel, filters: filters, into: transposed)
      forward(pointwise, input: dy, inputMask: outputMask, kernel: transposed, filters: c, bias: nil, relu: false, output: gathered)
      Parallel.forEachChunk(g.batch * g.inHeight) { _, inputRows in
        for row in inputRows {
          let n = row / g.inHeight, iy = row % g.inHeight
          let dxRow = dx + row * g.inWidth * c
          dxRow.update(repeating: 0, count: g.inWidth * c)
          guard iy % g.strideH == 0, iy / g.strideH < g.outHeight else { continue }
          let source = gathered + (n * g.outHeight + iy / g.strideH) * g.outWidth * c
          for ox in 0..<g.outWidth where ox * g.strideW < g.inWidth {
            (dxRow + ox * g.strideW * c).update(from: source + ox * c, count: c)
          }
        }
      }
    }
  }

  /// Both gradients of a convolution: `dKernel`/`dBias` accumulate, `dInput` is written; nil ones are skipped.
  public static func backward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    outputMask: UnsafePointer<Float>?, kernel: UnsafePointer<Float>, filters: Int,
    kernelGradient dk: UnsafeMutablePointer<Float>?, biasGradient db: UnsafeMutablePointer<Float>?,
    inputGradient dx: UnsafeMutablePointer<Float>?
  ) {
    if let dk, let dx, DirectConvolution.handlesFusedBackward(g, filters: filters) {
      BufferPool.shared.withScratch(g.patchSize * filters) { transposed in
        transposeKernel(g, kernel, filters: filters, into: transposed)
        DirectConvolution.fusedBackward(
          g, input: x, outputGradient: dy, outputMask: outputMask, transposedKernel: transposed, filters: filters,
          kernelGradient: dk, biasGradient: db, inputGradient: dx)
      }
      return
    }
    if let dk {
      backwardKernel(
        g, input: x, outputGradient: dy, outputMask: outputMask, filters: filters, kernelGradient: dk, biasGradient: db)
    }
    if let dx {
      backwardInput(g, outputGradient: dy, outputMask: outputMask, kernel: kernel, filters: filters, inputGradient: dx)
    }
  }

  /// The kernel of the transposed convolution that computes a stride-1 input gradient: flipped in space with
  /// its channel axes swapped, `transposed[i, j, f, ch] = kernel[kh-1-i, kw-1-j, ch, f]`.
  static func transposeKernel(
    _ g: WindowGeometry, _ kernel: UnsafePointer<Float>, filters: Int, into transposed: UnsafeMutablePointer<Float>
  ) {
    let (kh, kw, c) = (g.kernelHeight, g.kernelWidth, g.channels)
    for i in 0..<kh {
      for j in 0..<kw {
        let src = kernel + ((kh - 1 - i) * kw + (kw - 1 - j)) * c * filters
        Elementwise.transpose(src, rows: c, columns: filters, into: transposed + (i * kw + j) * filters * c)
      }
    }
  }

  /// `out[i] = mask[i] > 0 ? values[i] : 0` (a ReLU's backward).
  @inline(__always)
  static func maskRows(
    _ values: UnsafePointer<Float>, _ mask: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<count {
      // Both loads before the select, so it compiles to a vector blend instead of a branch.
      let v = values[i], keep = mask[i] > 0
      out[i] = keep ? v : 0
    }
  }
}

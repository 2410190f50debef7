import AstroKernelsC

/// The direct convolution kernels (`AstroKernelsC`, AVX-512, AVX2 + FMA or NEON), split over workers by output rows.
///
/// They hold a block of output pixels × up to 64 (AVX2: 16) channels in registers and need no im2col matrix; on
/// the machines this project targets they run at about twice OpenBLAS's single-thread sgemm rate for every
/// convolution shape in VGG6, ResNet and DenseNet, so `Convolution` uses them whenever `AVX512.enabled` or
/// `AVX2.enabled`. The fused backward pass is AVX-512 only.
enum DirectConvolution {
  static func shape(_ g: WindowGeometry, filters: Int) -> astro_conv_shape {
    astro_conv_shape(
      batch: g.batch, in_h: g.inHeight, in_w: g.inWidth, in_c: g.channels, k_h: g.kernelHeight, k_w: g.kernelWidth,
      stride_h: g.strideH, stride_w: g.strideW, pad_top: g.padTop, pad_left: g.padLeft, out_h: g.outHeight,
      out_w: g.outWidth, out_c: filters)
  }

  /// Whether the direct kernels run this convolution.
  static func handles(_ g: WindowGeometry, filters: Int) -> Bool {
    if NEON.enabled {
      var s = shape(g, filters: filters)
      return astro_neon_conv_supported(&s) != 0
    }
    guard AVX512.enabled || AVX2.enabled else { return false }
    // With AVX2 only, 1x1 windows over 64 channels or more run faster as OpenBLAS's sgemm (its Zen/Haswell
    // kernels block for cache where 16-channel register blocks reread the input; ResNet50's 1x1 layers took
    // 1.2-1.4x longer direct, its 3x3 layers 0.8-0.9x, measured on an AMD EPYC Zen 2).
    if !AVX512.enabled && g.kernelHeight == 1 && g.kernelWidth == 1 && g.channels >= 64 { return false }
    var s = shape(g, filters: filters)
    return astro_conv_direct_supported(&s) != 0
  }

  /// With `inputMask`, input elements where the mask is not positive count as 0. With `kernelIsPacked`,
  /// `kernel` is `packKernel`'s copy.
  static func forward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, inputMask: UnsafePointer<Float>?, kernel: UnsafePointer<Float>,
    kernelIsPacked: Bool = false, filters: Int, bias: UnsafePointer<Float>?, relu: Bool, output y: UnsafeMutablePointer<Float>
  ) {
    var s = shape(g, filters: filters)
    let scratch = astro_conv_scratch_floats(&s)
    let forwardRows =
      AVX512.enabled ? astro_conv_forward_rows : NEON.enabled ? astro_neon_conv_forward_rows : astro_avx2_conv_forward_rows
    Parallel.forEachChunk(g.batch * g.outHeight) { _, rows in
      BufferPool.shared.withScratch(scratch) { buffer in
        forwardRows(
          &s, x, inputMask, kernel, kernelIsPacked ? 1 : 0, bias, relu ? 1 : 0, y, rows.lowerBound, rows.upperBound,
          buffer)
      }
    }
  }

  /// The shape of a kernel alone (packing depends on nothing else).
  static func kernelShape(height: Int, width: Int, channels: Int, filters: Int) -> astro_conv_shape {
    astro_conv_shape(
      batch: 1, in_h: height, in_w: width, in_c: channels, k_h: height, k_w: width, stride_h: 1, stride_w: 1,
      pad_top: 0, pad_left: 0, out_h: 1, out_w: 1, out_c: filters)
  }

  /// `dKernel += Σ x·dy`, `dBias += Σ dy` (dy counted only where `outputMask` is positive, when given); each
  /// worker sums into a private partial, added at the end.
  static func backwardKernel(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    outputMask: UnsafePointer<Float>?, filters: Int,
    kernelGradient dk: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?
  ) {
    var s = shape(g, filters: filters)
    let scratch = astro_conv_scratch_floats(&s)
    let gradientRows =
      AVX512.enabled
      ? astro_conv_kernel_gradient_rows : NEON.enabled ? astro_neon_conv_kernel_gradient_rows : astro_avx2_conv_kernel_gradient_rows
    accumulatingPartials(g, over: g.batch * g.outHeight, filters: filters, kernelGradient: dk, biasGradient: db) { partial, rows in
      BufferPool.shared.withScratch(scratch) { buffer in
        gradientRows(
          &s, x, dy, outputMask, partial, db == nil ? nil : partial + g.patchSize * filters, rows.lowerBound,
          rows.upperBound, buffer)
      }
    }
  }

  /// Splits `count` items over the workers, each summing into a private zeroed (kernel, bias) partial,
  /// then adds the partials into `dk` and `db`.
  static func accumulatingPartials(
    _ g: WindowGeometry, over count: Int, filters: Int, kernelGradient dk: UnsafeMutablePointer<Float>,
    biasGradient db: UnsafeMutablePointer<Float>?,
    _ body: (_ partial: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Void
  ) {
    let kernelSize = g.patchSize * filters, partialSize = kernelSize + filters
    let workers = Parallel.workerCount
    BufferPool.shared.withScratch(partialSize * workers) { partials in
      partials.update(repeating: 0, count: partialSize * workers)
      Parallel.forEachChunk(count) { w, range in body(partials + w * partialSize, range) }
      for w in 0..<workers {
        let partial = partials + w * partialSize
        for i in 0..<kernelSize { dk[i] += partial[i] }
        if let db { for f in 0..<filters { db[f] += partial[kernelSize + f] } }
      }
    }
  }

  /// Whether `fusedBackward` runs this convolution: stride 1 with padding below the kernel size, and at
  /// least one sample per worker (it splits the batch by samples).
  static func handlesFusedBackward(_ g: WindowGeometry, filters: Int) -> Bool {
    guard AVX512.enabled, g.batch >= Parallel.workerCount || Parallel.isInsideWorker else { return false }
    var s = shape(g, filters: filters)
    return astro_conv_fused_backward_supported(&s) != 0
  }

  /// Both gradients in one pass over `dy` (each row read and masked once): `dKernel`/`dBias` accumulate
  /// through per-worker partials, `dInput` is written. `transposedKernel` is `Convolution.transposeKernel`'s.
  static func fusedBackward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    outputMask: UnsafePointer<Float>?, transposedKernel: UnsafePointer<Float>, filters: Int,
    kernelGradient dk: UnsafeMutablePointer<Float>, biasGradient db: UnsafeMutablePointer<Float>?,
    inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    var s = shape(g, filters: filters)
    let scratch = astro_conv_fused_backward_scratch_floats(&s)
    accumulatingPartials(g, over: g.batch, filters: filters, kernelGradient: dk, biasGradient: db) { partial, samples in
      BufferPool.shared.withScratch(scratch) { buffer in
        astro_conv_fused_backward_samples(
          &s, x, dy, outputMask, transposedKernel, partial, db == nil ? nil : partial + g.patchSize * filters,
          dx, samples.lowerBound, samples.upperBound, buffer)
      }
    }
  }
}

import AstroKernelsC

/// Dense layers' matrix products on the direct AVX-512 convolution kernels.
///
/// Why not OpenBLAS here: the Debian 12 OpenBLAS (0.3.21) does not recognise Sapphire Rapids and runs its
/// generic SSE3 ("Prescott") kernels there, 33 GFLOP/s per core on braai's first dense layer; on Zen 4 it
/// reaches 105–130. A product `[m × k] · [k × n]` is a 1×1 convolution over one row of m pixels with k input
/// and n output channels, which the direct kernels run at 100–150 GFLOP/s per core (Sapphire Rapids).
enum DirectMatmul {
  /// Whether `multiply` runs this product: AVX-512 available and at least one full vector of outputs per
  /// pixel (a matrix-vector product such as a 1-unit output layer stays with BLAS). Without `transA`, also
  /// enough rows to amortise packing (or transposing) the kernel.
  static func handles(m: Int, n: Int, transA: Bool) -> Bool {
    AVX512.enabled && n >= 16 && (transA || m >= 64)
  }

  /// The 1×1 convolution over a row of `pixels` pixels.
  static func rowShape(pixels: Int, inChannels: Int, outChannels: Int) -> astro_conv_shape {
    astro_conv_shape(
      batch: 1, in_h: 1, in_w: pixels, in_c: inChannels, k_h: 1, k_w: 1, stride_h: 1, stride_w: 1, pad_top: 0,
      pad_left: 0, out_h: 1, out_w: pixels, out_c: outChannels)
  }

  /// `C[m×n] = op(A)·op(B)` (written, not accumulated) with `op(A)` `m×k` and `op(B)` `k×n`, row-major; A
  /// and B stored as `BLAS.parallelMatmul` takes them (not both transposed).
  static func multiply(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transA: Bool, b: UnsafePointer<Float>, transB: Bool,
    c: UnsafeMutablePointer<Float>
  ) {
    precondition(!(transA && transB), "DirectMatmul: Aᵀ·Bᵀ is not supported")
    if transA {
      // A Dense layer's weight gradient, xᵀ·dy over a batch of k rows: each worker writes its own rows of C,
      // so no partial gradients are summed.
      Parallel.forEachChunk(m, minimumPerWorker: 16) { _, rows in
        astro_matmul_transposed_a(a, b, k, m, n, rows.lowerBound, rows.upperBound, c)
      }
      return
    }
    guard transB else {
      forward(m: m, n: n, k: k, a: a, b: b, c: c)
      return
    }
    // B stored [n × k]: transpose it once into a [k × n] kernel.
    BufferPool.shared.withScratch(k * n) { kernel in
      Elementwise.transpose(b, rows: n, columns: k, into: kernel)
      forward(m: m, n: n, k: k, a: a, b: kernel, c: c)
    }
  }

  /// C = A·B, the rows of A split over the workers.
  private static func forward(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
    Parallel.forEachChunk(m, minimumPerWorker: 16) { _, rows in
      var s = rowShape(pixels: rows.count, inChannels: k, outChannels: n)
      BufferPool.shared.withScratch(astro_conv_scratch_floats(&s)) { scratch in
        astro_conv_forward_rows(&s, a + rows.lowerBound * k, nil, b, 0, nil, 0, c + rows.lowerBound * n, 0, 1, scratch)
      }
    }
  }
}

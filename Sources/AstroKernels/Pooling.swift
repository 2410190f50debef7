import AstroKernelsC

/// Max and average pooling over NHWC inputs; workers own whole samples.
public enum Pooling {
  /// Whether max pooling of `g` records its arg-max (the C kernels of every vector route;
  /// `maxForward(_:input:output:argMax:)`).
  public static func recordsArgMax(_ g: WindowGeometry) -> Bool {
    guard KernelISA.active != .portable else { return false }
    var s = DirectConvolution.shape(g, filters: g.channels)
    return astro_maxpool_supported(&s) != 0
  }

  /// Max over each window, recording in `argMax` (one byte per output element) the first position of the
  /// maximum in the clipped window, row-major; with `argMax` nil (inference), the maxima alone. Only when
  /// `recordsArgMax(g)`.
  public static func maxForward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
    argMax: UnsafeMutablePointer<UInt8>?
  ) {
    var s = DirectConvolution.shape(g, filters: g.channels)
    let isa = KernelISA.active.code
    Parallel.forEachChunk(g.batch) { _, samples in
      astro_maxpool_forward(&s, x, y, argMax, samples.lowerBound, samples.upperBound, isa)
    }
  }

  /// Writes `dx` (no zeroing needed): each output gradient at its window's recorded arg-max, 0 elsewhere.
  public static func maxBackward(
    _ g: WindowGeometry, argMax: UnsafePointer<UInt8>, outputGradient dy: UnsafePointer<Float>,
    inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    var s = DirectConvolution.shape(g, filters: g.channels)
    let isa = KernelISA.active.code
    Parallel.forEachChunk(g.batch) { _, samples in
      astro_maxpool_backward(&s, argMax, dy, dx, samples.lowerBound, samples.upperBound, isa)
    }
  }

  /// Max over each window; windows are clipped to the input, so `same` padding never wins.
  public static func maxForward(_ g: WindowGeometry, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>) {
    let c = g.channels
    visitWindows(g) { n, o, ih, iw, rows, cols in
      let xs = x + n * g.inputSampleSize
      let best = y + o
      best.update(from: xs + (ih * g.inWidth + iw) * c, count: c)
      for i in 0..<rows {
        for j in 0..<cols {
          let src = xs + ((ih + i) * g.inWidth + iw + j) * c
          for ch in 0..<c { best[ch] = max(best[ch], src[ch]) }
        }
      }
    }
  }

  /// Sends each output gradient to the FIRST input element of its window (row-major order) that equals the
  /// window's maximum, as TensorFlow does on ties; `dx` must be zeroed by the caller. Recomputing the
  /// position from the saved input and output keeps the forward pass a plain, vectorised max.
  public static func maxBackward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, output y: UnsafePointer<Float>,
    outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    let c = g.channels
    visitWindows(g) { n, o, ih, iw, rows, cols in
      let sampleOffset = n * g.inputSampleSize
      // A stack buffer of per-channel "still searching" flags (heap or pool calls per window cost more
      // than the search itself).
      withUnsafeTemporaryAllocation(of: Float.self, capacity: c) { pending in
        pending.initialize(repeating: 1)
        let p = pending.baseAddress!
        for i in 0..<rows {
          for j in 0..<cols {
            let offset = sampleOffset + ((ih + i) * g.inWidth + iw + j) * c
            for ch in 0..<c {
              // Loads first, then a select: a vector blend rather than a data-dependent branch.
              let pending = p[ch], isMax = x[offset + ch] == y[o + ch]
              let hit: Float = isMax ? pending : 0
              dx[offset + ch] += hit * dy[o + ch]
              p[ch] = pending - hit
            }
          }
        }
      }
    }
  }

  /// Mean over each window; padded positions are not counted (TensorFlow's `same` average pooling).
  public static func averageForward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>
  ) {
    visitWindows(g) { n, o, ih, iw, rows, cols in
      let c = g.channels
      let out = y + o
      out.update(repeating: 0, count: c)
      for i in 0..<rows {
        for j in 0..<cols {
          let src = x + n * g.inputSampleSize + ((ih + i) * g.inWidth + iw + j) * c
          for ch in 0..<c { out[ch] += src[ch] }
        }
      }
      let scale = 1 / Float(rows * cols)
      for ch in 0..<c { out[ch] *= scale }
    }
  }

  /// Spreads each output gradient evenly over its window (dx must be zeroed by the caller).
  public static func averageBackward(
    _ g: WindowGeometry, outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    visitWindows(g) { n, o, ih, iw, rows, cols in
      let c = g.channels
      let scale = 1 / Float(rows * cols)
      let grad = dy + o
      for i in 0..<rows {
        for j in 0..<cols {
          let dst = dx + n * g.inputSampleSize + ((ih + i) * g.inWidth + iw + j) * c
          for ch in 0..<c { dst[ch] += grad[ch] * scale }
        }
      }
    }
  }

  /// Calls `body(sample, outputOffset, firstRow, firstColumn, rowCount, columnCount)` with each window
  /// clipped to the input.
  @inline(__always)
  static func visitWindows(_ g: WindowGeometry, _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
    let c = g.channels
    Parallel.forEachChunk(g.batch) { _, samples in
      for n in samples {
        for oh in 0..<g.outHeight {
          let top = oh * g.strideH - g.padTop
          let ih = max(top, 0), ihEnd = min(top + g.kernelHeight, g.inHeight)
          for ow in 0..<g.outWidth {
            let left = ow * g.strideW - g.padLeft
            let iw = max(left, 0), iwEnd = min(left + g.kernelWidth, g.inWidth)
            let o = ((n * g.outHeight + oh) * g.outWidth + ow) * c
            body(n, o, ih, iw, ihEnd - ih, iwEnd - iw)
          }
        }
      }
    }
  }
}

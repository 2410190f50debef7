/// Max and average pooling over NHWC inputs; workers own whole samples.
public enum Pooling {
  /// Max over each window. `argmax` receives, per output element, the index of the chosen input element
  /// within its sample (the first maximum in row-major window order on ties, as TensorFlow does).
  /// Padding (`same`) never wins: padded positions are skipped.
  public static func maxForward(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
    argmax: UnsafeMutablePointer<Int32>
  ) {
    let c = g.channels
    let outPerSample = g.outputRowsPerSample * c
    Parallel.forEachChunk(g.batch) { _, samples in
      for n in samples {
        let xs = x + n * g.inputSampleSize
        for oh in 0..<g.outHeight {
          for ow in 0..<g.outWidth {
            let o = n * outPerSample + (oh * g.outWidth + ow) * c
            let best = y + o
            let index = argmax + o
            best.update(repeating: -.infinity, count: c)
            index.update(repeating: -1, count: c)
            for i in 0..<g.kernelHeight {
              let ih = oh * g.strideH - g.padTop + i
              guard ih >= 0 && ih < g.inHeight else { continue }
              for j in 0..<g.kernelWidth {
                let iw = ow * g.strideW - g.padLeft + j
                guard iw >= 0 && iw < g.inWidth else { continue }
                let base = (ih * g.inWidth + iw) * c
                let src = xs + base
                for ch in 0..<c where src[ch] > best[ch] || index[ch] < 0 {
                  best[ch] = src[ch]
                  index[ch] = Int32(base + ch)
                }
              }
            }
          }
        }
      }
    }
  }

  /// `dx[argmax] += dy` (dx must be zeroed by the caller).
  public static func maxBackward(
    _ g: WindowGeometry, outputGradient dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
    inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    let outPerSample = g.outputRowsPerSample * g.channels
    Parallel.forEachChunk(g.batch) { _, samples in
      for n in samples {
        let d = dx + n * g.inputSampleSize
        let o = n * outPerSample
        for e in 0..<outPerSample { d[Int(argmax[o + e])] += dy[o + e] }
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

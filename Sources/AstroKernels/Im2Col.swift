/// im2col / col2im for NHWC inputs and HWIO kernels.
///
/// Row `r` of the column matrix is output pixel `r = (n*outHeight + oh)*outWidth + ow`; its `patchSize`
/// entries are ordered (kh, kw, c), so `cols · kernel[patchSize × filters]` is the convolution.
/// In NHWC, the `kernelWidth` pixels of one kernel row are contiguous in memory, so whole spans are copied
/// at once and only border pixels go one at a time.
public enum Im2Col {
  /// Fills `cols` (`rows.count × patchSize`) from input `x` for output rows `rows`. With `mask`, an input
  /// element is taken only where `mask` (same shape as `x`) is positive, else 0: a ReLU's backward fused
  /// into the gather, so the masked gradient is never written out whole.
  public static func gather(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil, rows: Range<Int>,
    into cols: UnsafeMutablePointer<Float>
  ) {
    if let mask {
      gatherMasked(g, input: x, mask: mask, rows: rows, into: cols)
      return
    }
    let c = g.channels, kw = g.kernelWidth, span = kw * c
    let rowStride = g.inWidth * c
    var dst = cols
    forEachRow(g, rows) { n, ih0, iw0 in
      let sample = x + n * g.inputSampleSize
      let spanInside = iw0 >= 0 && iw0 + kw <= g.inWidth
      for i in 0..<g.kernelHeight {
        let ih = ih0 + i
        if ih < 0 || ih >= g.inHeight {
          dst.update(repeating: 0, count: span)
        } else if spanInside {
          dst.update(from: sample + ih * rowStride + iw0 * c, count: span)
        } else {
          for j in 0..<kw {
            let iw = iw0 + j
            if iw < 0 || iw >= g.inWidth {
              (dst + j * c).update(repeating: 0, count: c)
            } else {
              (dst + j * c).update(from: sample + ih * rowStride + iw * c, count: c)
            }
          }
        }
        dst += span
      }
    }
  }

  static func gatherMasked(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, mask: UnsafePointer<Float>, rows: Range<Int>,
    into cols: UnsafeMutablePointer<Float>
  ) {
    let c = g.channels, kw = g.kernelWidth, span = kw * c
    let rowStride = g.inWidth * c
    var dst = cols
    forEachRow(g, rows) { n, ih0, iw0 in
      let offset = n * g.inputSampleSize
      let spanInside = iw0 >= 0 && iw0 + kw <= g.inWidth
      for i in 0..<g.kernelHeight {
        let ih = ih0 + i
        if ih < 0 || ih >= g.inHeight {
          dst.update(repeating: 0, count: span)
        } else if spanInside {
          let src = x + offset + ih * rowStride + iw0 * c, m = mask + offset + ih * rowStride + iw0 * c
          for e in 0..<span {
            // Both loads before the select, so it compiles to a vector blend instead of a branch.
            let v = src[e], keep = m[e] > 0
            dst[e] = keep ? v : 0
          }
        } else {
          for j in 0..<kw {
            let iw = iw0 + j
            let d = dst + j * c
            if iw < 0 || iw >= g.inWidth {
              d.update(repeating: 0, count: c)
            } else {
              let at = offset + ih * rowStride + iw * c
              for e in 0..<c {
                let v = x[at + e], keep = mask[at + e] > 0
                d[e] = keep ? v : 0
              }
            }
          }
        }
        dst += span
      }
    }
  }

  /// Adds `cols` (`rows.count × patchSize`) back into `dx` (the adjoint of `gather`).
  /// Rows of different workers must belong to different samples (their input windows overlap otherwise).
  public static func scatterAdd(
    _ g: WindowGeometry, cols: UnsafePointer<Float>, rows: Range<Int>, into dx: UnsafeMutablePointer<Float>
  ) {
    let c = g.channels, kw = g.kernelWidth, span = kw * c
    let rowStride = g.inWidth * c
    var src = cols
    forEachRow(g, rows) { n, ih0, iw0 in
      let sample = dx + n * g.inputSampleSize
      let spanInside = iw0 >= 0 && iw0 + kw <= g.inWidth
      for i in 0..<g.kernelHeight {
        let ih = ih0 + i
        if ih >= 0 && ih < g.inHeight {
          if spanInside {
            let d = sample + ih * rowStride + iw0 * c
            for e in 0..<span { d[e] += src[e] }
          } else {
            for j in 0..<kw {
              let iw = iw0 + j
              guard iw >= 0 && iw < g.inWidth else { continue }
              let d = sample + ih * rowStride + iw * c
              let s = src + j * c
              for e in 0..<c { d[e] += s[e] }
            }
          }
        }
        src += span
      }
    }
  }

  /// Visits output rows in order with (sample, top input row, left input column) of each window.
  @inline(__always)
  static func forEachRow(_ g: WindowGeometry, _ rows: Range<Int>, _ body: (Int, Int, Int) -> Void) {
    guard !rows.isEmpty else { return }
    let perSample = g.outputRowsPerSample
    var n = rows.lowerBound / perSample
    var oh = (rows.lowerBound % perSample) / g.outWidth
    var ow = rows.lowerBound % g.outWidth
    for _ in rows {
      body(n, oh * g.strideH - g.padTop, ow * g.strideW - g.padLeft)
      ow += 1
      if ow == g.outWidth {
        ow = 0; oh += 1
        if oh == g.outHeight { oh = 0; n += 1 }
      }
    }
  }
}

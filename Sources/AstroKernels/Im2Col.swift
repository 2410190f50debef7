/// im2col / col2im for NHWC inputs and HWIO kernels.
///
/// Row `r` of the column matrix is output pixel `r = (n*outHeight + oh)*outWidth + ow`; its `patchSize`
/// entries are ordered (kh, kw, c), so `cols · kernel[patchSize × filters]` is the convolution.
/// In NHWC, the `kernelWidth` pixels of one kernel row are contiguous in memory, so whole spans are copied
/// at once and only border pixels go one at a time.
public enum Im2Col {
  /// Fills `cols` (`rows.count × patchSize`) from input `x` for output rows `rows`.
  public static func gather(
    _ g: WindowGeometry, input x: UnsafePointer<Float>, rows: Range<Int>, into cols: UnsafeMutablePointer<Float>
  ) {
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

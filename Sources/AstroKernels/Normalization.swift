import AstroKernelsC

/// Per-channel statistics and affine maps over `[rows × channels]` data (NHWC flattened to rows).
public enum Normalization {
  /// Batch mean and biased variance of each channel. Sums run in Float over blocks of rows and in Double
  /// across blocks and workers, so the result is accurate for the large row counts of early layers.
  public static func meanAndVariance(
    _ x: UnsafePointer<Float>, rows: Int, channels c: Int, mean: UnsafeMutablePointer<Float>,
    variance: UnsafeMutablePointer<Float>
  ) {
    if KernelISA.active != .portable {
      vectorMeanAndVariance(x, rows: rows, channels: c, mean: mean, variance: variance)
      return
    }
    let sums = columnSums(rows: rows, channels: c) { r, ch, block in
      for e in 0..<c { block[e] += x[r * c + e] }
      _ = ch
    }
    for ch in 0..<c { mean[ch] = Float(sums[ch] / Double(max(rows, 1))) }
    let squares = columnSums(rows: rows, channels: c) { r, _, block in
      for e in 0..<c {
        let d = x[r * c + e] - mean[e]
        block[e] += d * d
      }
    }
    for ch in 0..<c { variance[ch] = Float(squares[ch] / Double(max(rows, 1))) }
  }

  /// `y[r, c] = x[r, c] * scale[c] + shift[c]`.
  public static func scaleShift(
    _ x: UnsafePointer<Float>, rows: Int, channels c: Int, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, relu: Bool = false, output y: UnsafeMutablePointer<Float>
  ) {
    Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 15) / max(c, 1))) { _, range in
      for r in range {
        let src = x + r * c, dst = y + r * c
        if relu {
          for e in 0..<c { dst[e] = max(src[e] * scale[e] + shift[e], 0) }
        } else {
          for e in 0..<c { dst[e] = src[e] * scale[e] + shift[e] }
        }
      }
    }
  }

  /// Per-channel `Σ dy` and `Σ dy * (x - mean) * invStd` (the gradients of beta and gamma).
  /// With `outputMask` (the output of a fused ReLU), `dy` counts only where the mask is positive.
  public static func gradientSums(
    _ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, outputMask: UnsafePointer<Float>? = nil,
    rows: Int, channels c: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
    sumDy: UnsafeMutablePointer<Float>, sumDyXhat: UnsafeMutablePointer<Float>
  ) {
    if KernelISA.active != .portable {
      let sums = vectorGradientSums(x, dy, outputMask, rows: rows, channels: c, mean: mean)
      for ch in 0..<c {
        sumDy[ch] = Float(sums[ch])
        sumDyXhat[ch] = Float(sums[c + ch]) * invStd[ch]
      }
      return
    }
    let a = columnSums(rows: rows, channels: c) { r, _, block in
      for e in 0..<c { block[e] += masked(dy, outputMask, r * c + e) }
    }
    let b = columnSums(rows: rows, channels: c) { r, _, block in
      for e in 0..<c { block[e] += masked(dy, outputMask, r * c + e) * (x[r * c + e] - mean[e]) }
    }
    for ch in 0..<c {
      sumDy[ch] = Float(a[ch])
      sumDyXhat[ch] = Float(b[ch]) * invStd[ch]
    }
  }

  /// Training-mode input gradient:
  /// `dx = gamma * invStd / N * (N * dy - Σdy - xhat * Σ(dy * xhat))`, `xhat = (x - mean) * invStd`.
  public static func trainingInputGradient(
    _ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, outputMask: UnsafePointer<Float>? = nil,
    rows: Int, channels c: Int,
    mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
    sumDy: UnsafePointer<Float>, sumDyXhat: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>
  ) {
    let n = Float(rows), isa = KernelISA.active
    BufferPool.shared.withScratch(3 * c) { coef in
      // dx = a*dy + b*x + d, with per-channel a, b, d folded once.
      for ch in 0..<c {
        let k = gamma[ch] * invStd[ch] / n
        let a = k * n
        let b = -k * sumDyXhat[ch] * invStd[ch]
        let d = -k * sumDy[ch] - b * mean[ch]
        coef[ch] = a; coef[c + ch] = b; coef[2 * c + ch] = d
      }
      let a = coef, b = coef + c, d = coef + 2 * c
      if isa != .portable {
        Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 15) / max(c, 1))) { _, range in
          astro_bn_input_gradient(x, dy, outputMask, c, a, b, d, range.lowerBound, range.upperBound, dx, isa.code)
        }
        return
      }
      Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 15) / max(c, 1))) { _, range in
        for r in range {
          let o = r * c
          for e in 0..<c { dx[o + e] = a[e] * masked(dy, outputMask, o + e) + b[e] * x[o + e] + d[e] }
        }
      }
    }
  }

  /// `meanAndVariance` in one pass of the C kernel for the active ISA: each worker's (mean, squared deviations) over its rows, merged in
  /// Double with Chan et al.'s pairwise update.
  static func vectorMeanAndVariance(
    _ x: UnsafePointer<Float>, rows: Int, channels c: Int, mean: UnsafeMutablePointer<Float>,
    variance: UnsafeMutablePointer<Float>
  ) {
    let workers = Parallel.workerCount, isa = KernelISA.active.code
    // Per worker: its row count, then c means and c squared-deviation sums.
    var partials = [Double](repeating: 0, count: (2 * c + 1) * workers)
    partials.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 14) / max(c, 1))) { w, range in
        let part = base + w * (2 * c + 1)
        part[0] = Double(range.count)
        BufferPool.shared.withScratch(3 * c) { block in
          astro_bn_moments(x, c, range.lowerBound, range.upperBound, block, part + 1, part + 1 + c, isa)
        }
      }
    }
    var count = 0.0
    var means = [Double](repeating: 0, count: c), m2 = [Double](repeating: 0, count: c)
    for w in 0..<workers {
      let part = w * (2 * c + 1), n = partials[part]
      guard n > 0 else { continue }
      let total = count + n
      for ch in 0..<c {
        let delta = partials[part + 1 + ch] - means[ch]
        means[ch] += delta * n / total
        m2[ch] += partials[part + 1 + c + ch] + delta * delta * count * n / total
      }
      count = total
    }
    for ch in 0..<c {
      mean[ch] = Float(means[ch])
      variance[ch] = Float(m2[ch] / max(count, 1))
    }
  }

  /// `gradientSums` in one pass of the C kernel for the active ISA: `[Σ dy | Σ dy·(x - mean)]` per channel, summed over workers in Double.
  static func vectorGradientSums(
    _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ mask: UnsafePointer<Float>?, rows: Int, channels c: Int,
    mean: UnsafePointer<Float>
  ) -> [Double] {
    let workers = Parallel.workerCount, isa = KernelISA.active.code
    var partials = [Double](repeating: 0, count: 2 * c * workers)
    partials.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 14) / max(c, 1))) { w, range in
        BufferPool.shared.withScratch(2 * c) { block in
          astro_bn_gradient_sums(x, dy, mask, c, mean, range.lowerBound, range.upperBound, block, base + w * 2 * c, isa)
        }
      }
    }
    return (0..<(2 * c)).map { e in (0..<workers).reduce(0.0) { $0 + partials[$1 * 2 * c + e] } }
  }

  /// `values[i]`, or 0 where a ReLU output `mask` is not positive (loads first: a vector select, no branch).
  @inline(__always)
  static func masked(_ values: UnsafePointer<Float>, _ mask: UnsafePointer<Float>?, _ i: Int) -> Float {
    let v = values[i]
    guard let mask else { return v }
    let keep = mask[i] > 0
    return keep ? v : 0
  }

  /// Sums per channel with Float partials over blocks of rows, combined in Double.
  /// `accumulate(row, channel-unused, block)` adds row `row` into the Float block accumulator.
  static func columnSums(
    rows: Int, channels c: Int, _ accumulate: (Int, Int, UnsafeMutablePointer<Float>) -> Void
  ) -> [Double] {
    let workers = Parallel.workerCount
    var totals = [Double](repeating: 0, count: c * workers)
    totals.withUnsafeMutableBufferPointer { totalsBuffer in
      let totalsBase = totalsBuffer.baseAddress!
      Parallel.forEachChunk(rows, minimumPerWorker: max(1, (1 << 14) / max(c, 1))) { w, range in
        BufferPool.shared.withScratch(c) { block in
          let total = totalsBase + w * c
          var start = range.lowerBound
          while start < range.upperBound {
            let end = min(start + 256, range.upperBound)
            block.update(repeating: 0, count: c)
            for r in start..<end { accumulate(r, 0, block) }
            for e in 0..<c { total[e] += Double(block[e]) }
            start = end
          }
        }
      }
    }
    var result = [Double](repeating: 0, count: c)
    for w in 0..<workers { for e in 0..<c { result[e] += totals[w * c + e] } }
    return result
  }
}

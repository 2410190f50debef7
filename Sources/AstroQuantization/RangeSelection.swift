/// Statistics of one group of tensors over the calibration set, and the range each calibration method picks.
struct RangeStatistics {
  var minimum = Float.infinity, maximum = -Float.infinity
  /// Counts over `bins` equal bins spanning [lower, upper] (the pass-1 range widened to include 0).
  var histogram = [Double]()
  var lower: Float = 0, upper: Float = 0

  static let bins = 2048

  mutating func observe(minimumAndMaximumOf values: [Float]) {
    for v in values where v.isFinite {
      minimum = min(minimum, v)
      maximum = max(maximum, v)
    }
  }

  /// Starts the histogram over the observed range (with 0 in it).
  mutating func startHistogram() {
    lower = min(minimum.isFinite ? minimum : 0, 0)
    upper = max(maximum.isFinite ? maximum : 0, 0)
    histogram = [Double](repeating: 0, count: Self.bins)
  }

  mutating func observe(histogramOf values: [Float]) {
    let width = upper - lower
    guard width > 0 else { return }
    let scale = Float(Self.bins) / width
    for v in values where v.isFinite {
      let bin = Int((v - lower) * scale)
      histogram[min(max(bin, 0), Self.bins - 1)] += 1
    }
  }

  /// The range [lo, hi] (lo ≤ 0 ≤ hi) `method` chooses.
  func range(_ method: CalibrationMethod) -> (lo: Float, hi: Float) {
    let lo = min(minimum.isFinite ? minimum : 0, 0), hi = max(maximum.isFinite ? maximum : 0, 0)
    guard hi > lo, !histogram.isEmpty, histogram.reduce(0, +) > 0 else { return (lo, hi) }
    switch method {
    case .minMax:
      return (lo, hi)
    case .percentile(let p):
      let q = min(max(p, 0.5), 1)
      return (min(quantile(1 - q), 0), max(quantile(q), 0))
    case .mse:
      return minimumErrorRange()
    }
  }

  private var binWidth: Float { (upper - lower) / Float(Self.bins) }

  private func quantile(_ q: Double) -> Float {
    let total = histogram.reduce(0, +)
    var seen = 0.0
    for (bin, count) in histogram.enumerated() {
      seen += count
      if seen >= q * total { return lower + Float(bin + 1) * binWidth }
    }
    return upper
  }

  /// Searches clipping ranges [a·lo, b·hi] on a grid of a, b in (0, 1] for the least expected squared error of
  /// 8-bit quantization: values outside are clipped (their distance squared), values inside round (Δ²/12).
  private func minimumErrorRange() -> (lo: Float, hi: Float) {
    let lo = lower, hi = upper
    let centres = (0..<Self.bins).map { lower + (Float($0) + 0.5) * binWidth }
    let factors = (0..<40).map { 1 - Float($0) * 0.0225 }  // 1.0 down to about 0.12
    var best = (error: Double.infinity, lo: lo, hi: hi)
    let loFactors = lo < 0 ? factors : [1]
    let hiFactors = hi > 0 ? factors : [1]
    for a in loFactors {
      for b in hiFactors {
        let l = lo * a, h = hi * b
        let step = Double(h - l) / 255
        var error = 0.0
        for (centre, count) in zip(centres, histogram) where count > 0 {
          if centre < l {
            error += count * Double(l - centre) * Double(l - centre)
          } else if centre > h {
            error += count * Double(centre - h) * Double(centre - h)
          } else {
            error += count * step * step / 12
          }
        }
        if error < best.error { best = (error, l, h) }
      }
    }
    return (best.lo, best.hi)
  }
}

/// Asymmetric int8 parameters for a range [lo, hi] containing 0, as TensorFlow's converter computes them:
/// `scale = (hi − lo)/255`, `zero point = round(−128 − lo/scale)`.
func activationQuantization(lo: Float, hi: Float) -> (scale: Float, zeroPoint: Int) {
  let scale = max((hi - lo) / 255, 1e-8)
  let zeroPoint = Int(max(-128, min(127, (-128 - lo / scale).rounded(.toNearestOrAwayFromZero))))
  return (scale, zeroPoint)
}

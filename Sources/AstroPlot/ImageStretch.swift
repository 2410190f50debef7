/// How a float image's values are mapped to [0, 1] before a colormap is applied: the display limits (`low`
/// maps to 0, `high` to 1, values beyond are clipped). All automatic stretches ignore NaN and infinities.
public enum ImageStretch: Hashable, Sendable {
  /// Fixed limits.
  case linear(low: Float, high: Float)
  /// The image's own minimum and maximum.
  case minMax
  /// Limits at two percentiles (in percent, e.g. 0.5 and 99.5) of the finite values, interpolated linearly
  /// between order statistics as NumPy's default `percentile` does: robust to a few hot or dead pixels.
  case percentile(lower: Double, upper: Double)
  /// IRAF's zscale as astropy's `ZScaleInterval` computes it (up to 1000 samples, a line fitted to the sorted
  /// samples with iterative 2.5-sigma rejection, slope divided by `contrast`; default contrast 0.25): the
  /// astronomer's standard for showing faint structure around a sky background.
  case zscale(contrast: Double)

  /// zscale with astropy's default contrast, 0.25.
  public static let zscale = ImageStretch.zscale(contrast: 0.25)

  /// The display limits for `values`, with `low < high` guaranteed (a flat or empty image gets a unit-wide
  /// window so the division in `normalise` is safe).
  /// - Throws: `PlotError.nonFinite` / `.invalidArgument` for non-finite or reversed fixed limits, percentiles
  ///   outside [0, 100] or in the wrong order, or a non-positive contrast.
  public func limits(for values: [Float]) throws -> (low: Float, high: Float) {
    let finite = values.filter { $0.isFinite }
    var low: Float, high: Float
    switch self {
    case .linear(let l, let h):
      guard l.isFinite, h.isFinite else {
        throw PlotError.nonFinite(operation: "ImageStretch.linear", message: "limits \(l), \(h) must be finite")
      }
      guard l < h else {
        throw PlotError.invalidArgument(operation: "ImageStretch.linear", message: "low \(l) must be below high \(h)")
      }
      return (l, h)
    case .minMax:
      low = finite.min() ?? 0
      high = finite.max() ?? 1
    case .percentile(let lower, let upper):
      guard lower.isFinite, upper.isFinite, 0 <= lower, lower < upper, upper <= 100 else {
        throw PlotError.invalidArgument(
          operation: "ImageStretch.percentile", message: "need 0 <= lower < upper <= 100, got \(lower), \(upper)")
      }
      let sorted = finite.sorted()
      low = Self.percentile(sorted, lower) ?? 0
      high = Self.percentile(sorted, upper) ?? 1
    case .zscale(let contrast):
      guard contrast > 0, contrast.isFinite else {
        throw PlotError.invalidArgument(operation: "ImageStretch.zscale", message: "contrast \(contrast) must be > 0")
      }
      (low, high) = ZScale.limits(finite, contrast: contrast) ?? (0, 1)
    }
    if !(low < high) {
      // Flat image: centre a unit window on the value so it shows as mid-grey instead of dividing by zero.
      let centre = low
      low = centre - 0.5
      high = centre + 0.5
    }
    return (low, high)
  }

  /// The value at `percent` of ascending `sorted` (NumPy's "linear" method), nil when empty.
  static func percentile(_ sorted: [Float], _ percent: Double) -> Float? {
    guard !sorted.isEmpty else { return nil }
    let position = percent / 100 * Double(sorted.count - 1)
    let i = Int(position.rounded(.down))
    let j = min(i + 1, sorted.count - 1)
    let f = Float(position - Double(i))
    return sorted[i] + (sorted[j] - sorted[i]) * f
  }
}

/// astropy's `ZScaleInterval.get_limits` (n_samples 1000, max_reject 0.5, min_npixels 5, krej 2.5,
/// max_iterations 5), on already-finite values.
enum ZScale {
  static func limits(_ values: [Float], contrast: Double) -> (Float, Float)? {
    guard !values.isEmpty else { return nil }
    let sampleLimit = 1000
    let stride = max(1, values.count / sampleLimit)
    var samples: [Double] = []
    var i = 0
    while i < values.count && samples.count < sampleLimit {
      samples.append(Double(values[i]))
      i += stride
    }
    samples.sort()
    let n = samples.count
    var vmin = samples[0], vmax = samples[n - 1]
    let minimumGood = max(5, Int(Double(n) * 0.5))
    let grow = max(1, Int(Double(n) * 0.01))
    var bad = [Bool](repeating: false, count: n)
    var good = n, lastGood = n + 1
    var slope = 0.0
    for _ in 0..<5 {
      if good >= lastGood || good < minimumGood { break }
      // Least-squares line through the good (index, value) pairs.
      var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, count = 0.0
      for k in 0..<n where !bad[k] {
        let x = Double(k)
        sx += x; sy += samples[k]; sxx += x * x; sxy += x * samples[k]; count += 1
      }
      let denominator = count * sxx - sx * sx
      slope = denominator != 0 ? (count * sxy - sx * sy) / denominator : 0
      let intercept = (sy - slope * sx) / count
      // Reject points further than 2.5 sigma from the line, then grow the rejected runs, as astropy does.
      var mean = 0.0, meanSquare = 0.0
      for k in 0..<n where !bad[k] {
        let r = samples[k] - (intercept + slope * Double(k))
        mean += r; meanSquare += r * r
      }
      mean /= count
      let threshold = 2.5 * max(meanSquare / count - mean * mean, 0).squareRoot()
      var rejected = bad
      for k in 0..<n {
        let r = samples[k] - (intercept + slope * Double(k))
        if r < -threshold || r > threshold { rejected[k] = true }
      }
      var grown = [Bool](repeating: false, count: n)
      for k in 0..<n where rejected[k] {
        for m in max(0, k - (grow - 1) / 2)...min(n - 1, k + grow / 2) { grown[m] = true }
      }
      bad = grown
      lastGood = good
      good = bad.lazy.filter { !$0 }.count
    }
    if good >= minimumGood {
      let adjusted = slope / contrast
      let center = (n - 1) / 2
      let median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2
      vmin = max(vmin, median - Double(center - 1) * adjusted)
      vmax = min(vmax, median + Double(n - center) * adjusted)
    }
    return (Float(vmin), Float(vmax))
  }
}

import Foundation

extension Raster {
  /// Adds a trailed point source: the segment from (`x0`, `y0`) to (`x1`, `y1`) convolved with a Gaussian
  /// PSF of `sigma` px (exact for the Gaussian: a Gaussian cross-section times erf-shaped ends).
  ///
  /// `peak` is the surface brightness on the ridge far from the ends (counts per pixel); `modulation`
  /// scales it along the trail, as a function of the fraction 0...1 of the way from the start (tumbling
  /// or flaring objects, gaps). Pixels are sampled at their centres.
  public mutating func addStreak(
    from start: (x: Double, y: Double), to end: (x: Double, y: Double), peak: Double, sigma: Double,
    modulation: ((Double) -> Double)? = nil
  ) {
    let dx = end.x - start.x, dy = end.y - start.y
    let length = (dx * dx + dy * dy).squareRoot()
    guard length > 0, peak != 0, sigma > 0 else { return }
    let ux = dx / length, uy = dy / length
    let reach = 5 * sigma + 1
    guard let rows = span((start.y + end.y) / 2, radius: abs(dy) / 2 + reach, limit: height),
          let columns = span((start.x + end.x) / 2, radius: abs(dx) / 2 + reach, limit: width) else { return }
    let inverse2Sigma2 = 1 / (2 * sigma * sigma)
    let erfScale = 1 / (sigma * 2.0.squareRoot())
    for row in rows {
      let py = Double(row) - start.y
      for column in columns {
        let px = Double(column) - start.x
        let across = px * uy - py * ux
        guard abs(across) < reach else { continue }
        let along = px * ux + py * uy
        guard along > -reach, along < length + reach else { continue }
        let ends = 0.5 * (erf(along * erfScale) - erf((along - length) * erfScale))
        var value = peak * Foundation.exp(-across * across * inverse2Sigma2) * ends
        if let modulation { value *= modulation(min(max(along / length, 0), 1)) }
        pixels[row * width + column] += Float(value)
      }
    }
  }
}

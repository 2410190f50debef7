import Foundation

extension Raster {
  /// Adds a point source of total `flux` centred at (`x`, `y`) imaged through `psf`.
  ///
  /// Gaussian profiles are integrated exactly over each pixel (a separable product of erf differences),
  /// so undersampled seeing (FWHM ~1.5 px) keeps its flux. Moffat profiles are supersampled 5 x 5 within
  /// 1.5 FWHM of the centre and sampled at pixel centres beyond, out to where the surface brightness
  /// falls below `cutoff` counts per pixel (the wings of bright stars reach across the cutout).
  public mutating func addPointSource(x: Double, y: Double, flux: Double, psf: PointSpreadFunction, cutoff: Double = 0.01) {
    guard flux != 0 else { return }
    switch psf {
    case .gaussian:
      addGaussian(x: x, y: y, flux: flux, sigma: psf.sigma)
    case .moffat(let fwhm, let beta):
      addMoffat(x: x, y: y, flux: flux, fwhm: fwhm, beta: beta, alpha: psf.moffatAlpha, cutoff: cutoff)
    }
  }

  private mutating func addGaussian(x: Double, y: Double, flux: Double, sigma: Double) {
    let radius = 5 * sigma + 1
    guard let rows = span(y, radius: radius, limit: height), let columns = span(x, radius: radius, limit: width) else {
      return
    }
    let scale = 1 / (sigma * 2.0.squareRoot())
    func weights(_ range: Range<Int>, _ centre: Double) -> [Double] {
      range.map { 0.5 * (erf((Double($0) + 0.5 - centre) * scale) - erf((Double($0) - 0.5 - centre) * scale)) }
    }
    let wy = weights(rows, y)
    let wx = weights(columns, x)
    for (i, row) in rows.enumerated() {
      let rowFlux = flux * wy[i]
      let base = row * width
      for (j, column) in columns.enumerated() {
        pixels[base + column] += Float(rowFlux * wx[j])
      }
    }
  }

  private mutating func addMoffat(x: Double, y: Double, flux: Double, fwhm: Double, beta: Double, alpha: Double,
                                  cutoff: Double) {
    let peak = abs(flux) * (beta - 1) / (Double.pi * alpha * alpha)
    // Radius where peak * (1 + r^2/alpha^2)^-beta = cutoff.
    let ratio = max(peak / max(cutoff, 1e-12), 1)
    let reach = alpha * (Foundation.pow(ratio, 1 / beta) - 1).squareRoot()
    let radius = min(max(reach, 2 * fwhm), Double(max(width, height)))
    guard let rows = span(y, radius: radius, limit: height), let columns = span(x, radius: radius, limit: width) else {
      return
    }
    let norm = flux * (beta - 1) / (Double.pi * alpha * alpha)
    let inverseAlpha2 = 1 / (alpha * alpha)
    let coreRadius2 = (1.5 * fwhm) * (1.5 * fwhm)
    let sub = 5
    for row in rows {
      let dy = Double(row) - y
      for column in columns {
        let dx = Double(column) - x
        let r2 = dx * dx + dy * dy
        var density: Double
        if r2 <= coreRadius2 {
          density = 0
          for a in 0..<sub {
            let sy = dy + (Double(a) + 0.5) / Double(sub) - 0.5
            for b in 0..<sub {
              let sx = dx + (Double(b) + 0.5) / Double(sub) - 0.5
              density += Foundation.pow(1 + (sx * sx + sy * sy) * inverseAlpha2, -beta)
            }
          }
          density /= Double(sub * sub)
        } else {
          density = Foundation.pow(1 + r2 * inverseAlpha2, -beta)
        }
        pixels[row * width + column] += Float(norm * density)
      }
    }
  }
}

import Foundation

/// An elliptical Sérsic light profile I(r) ~ exp(-b_n ((r / r_e)^(1/n) - 1)): n = 1 is an exponential
/// disc, n = 4 a de Vaucouleurs bulge, n = 0.5 a Gaussian.
public struct SersicProfile: Sendable, Equatable {
  /// Half-light radius along the major axis, pixels.
  public var effectiveRadius: Double
  /// Sérsic index n.
  public var index: Double
  /// Minor over major axis, in (0, 1].
  public var axisRatio: Double
  /// Major-axis position angle, radians from the +x axis.
  public var angle: Double

  /// A profile with the given half-light radius (px), Sérsic index, axis ratio and position angle (radians).
  public init(effectiveRadius: Double, index: Double, axisRatio: Double, angle: Double) {
    self.effectiveRadius = effectiveRadius
    self.index = index
    self.axisRatio = axisRatio
    self.angle = angle
  }

  /// b_n such that r_e encloses half the light (Ciotti & Bertin's asymptotic expansion).
  var b: Double { 2 * index - 1.0 / 3 + 4 / (405 * index) + 46 / (25515 * index * index) }
}

extension Raster {
  /// Adds a galaxy with `flux` counts inside this image, centred at (`x`, `y`).
  ///
  /// Convolution with the PSF is approximated by softening the radius, r -> sqrt(r^2 + s^2) with s the PSF
  /// sigma: it flattens the cusp as seeing does, at a fraction of the cost of a real convolution. Rendering
  /// the same galaxy through two PSFs therefore gives the same total flux with different central
  /// concentration, which is what a science/template pair of a host galaxy looks like.
  public mutating func addGalaxy(x: Double, y: Double, flux: Double, profile: SersicProfile, psf: PointSpreadFunction) {
    guard flux != 0 else { return }
    let softening2 = psf.sigma * psf.sigma
    let cosA = Foundation.cos(profile.angle), sinA = Foundation.sin(profile.angle)
    let inverseQ = 1 / max(profile.axisRatio, 0.05)
    let inverseRe = 1 / profile.effectiveRadius
    let inverseN = 1 / profile.index
    let b = profile.b
    var light = [Double](repeating: 0, count: pixels.count)
    var total = 0.0
    for row in 0..<height {
      let dy = Double(row) - y
      for column in 0..<width {
        let dx = Double(column) - x
        let major = dx * cosA + dy * sinA
        let minor = (-dx * sinA + dy * cosA) * inverseQ
        let r = (major * major + minor * minor + softening2).squareRoot() * inverseRe
        let value = Foundation.exp(-b * (Foundation.pow(r, inverseN) - 1))
        light[row * width + column] = value
        total += value
      }
    }
    guard total > 0, total.isFinite else { return }
    let scale = flux / total
    for i in pixels.indices { pixels[i] += Float(light[i] * scale) }
  }
}

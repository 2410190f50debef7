import Foundation

/// The image of a point source, normalised to unit total flux: a circular Gaussian or a Moffat profile
/// (whose power-law wings are closer to real ground-based seeing). Widths are in pixels; ZTF's plate scale
/// is about 1"/px, so seeing of 1.5-3" is a FWHM of 1.5-3 px.
public enum PointSpreadFunction: Sendable, Equatable {
  /// exp(-r^2 / 2 sigma^2), sigma = fwhm / 2.3548.
  case gaussian(fwhm: Double)
  /// (1 + r^2 / alpha^2)^-beta with alpha = fwhm / (2 sqrt(2^(1/beta) - 1)); beta > 1.
  case moffat(fwhm: Double, beta: Double)

  /// Full width at half maximum, pixels.
  public var fwhm: Double {
    switch self {
    case .gaussian(let fwhm), .moffat(let fwhm, _): return fwhm
    }
  }

  /// The Gaussian sigma of the same FWHM (used to soften extended profiles and to size search boxes).
  public var sigma: Double { fwhm / (8 * Foundation.log(2)).squareRoot() }

  /// The same profile with its width multiplied by `factor` (an imperfect PSF match).
  public func widened(by factor: Double) -> PointSpreadFunction {
    switch self {
    case .gaussian(let fwhm): return .gaussian(fwhm: fwhm * factor)
    case .moffat(let fwhm, let beta): return .moffat(fwhm: fwhm * factor, beta: beta)
    }
  }

  /// Noise-equivalent area 1 / integral(p^2), pixels: a point source of flux F on white noise of
  /// deviation s has PSF-fit SNR = F / (s sqrt(area)).
  public var noiseEquivalentArea: Double {
    switch self {
    case .gaussian:
      return 4 * Double.pi * sigma * sigma
    case .moffat(_, let beta):
      let alpha = moffatAlpha
      return Double.pi * alpha * alpha * (2 * beta - 1) / ((beta - 1) * (beta - 1))
    }
  }

  /// The Moffat core radius alpha (the Gaussian sigma for a Gaussian).
  var moffatAlpha: Double {
    switch self {
    case .gaussian: return sigma
    case .moffat(let fwhm, let beta): return fwhm / (2 * (Foundation.pow(2, 1 / beta) - 1).squareRoot())
    }
  }

  /// Surface brightness at the centre per unit flux (the peak of the continuous profile).
  public var centralDensity: Double {
    switch self {
    case .gaussian: return 1 / (2 * Double.pi * sigma * sigma)
    case .moffat(_, let beta): return (beta - 1) / (Double.pi * moffatAlpha * moffatAlpha)
    }
  }
}

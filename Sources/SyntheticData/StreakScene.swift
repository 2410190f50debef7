import Foundation

/// How streak cutouts are delivered.
public enum StreakScaling: String, Sendable, CaseIterable {
  /// DeepStreaks' input: the difference image as an 8-bit grey image divided by 255. Pixels are mapped
  /// linearly from [-3 sigma, +12 sigma] of the background noise to [0, 1], clipped, and rounded to
  /// multiples of 1/255 (empty sky sits at 0.2).
  case unitInterval
  /// Difference-image counts.
  case raw
}

/// What was put into one synthetic streak cutout.
public struct StreakTruth: Sendable, Equatable {
  /// The sample's kind (which fixes rb and kd).
  public var kind: StreakKind
  /// Trail length, pixels (0 for bogus kinds).
  public var length: Double
  /// Trail direction, radians in [0, pi) from the +x axis (0 for bogus kinds).
  public var angle: Double
  /// Trail midpoint column; the cutout centre for bogus kinds.
  public var x: Double
  /// Trail midpoint row; the cutout centre for bogus kinds.
  public var y: Double
  /// Ridge SNR of the trail (0 for bogus kinds).
  public var snr: Double
  /// Gaussian sigma of the trail's cross-section, pixels (the PSF's, or wider for `streak_wide`).
  public var width: Double
  /// Noise deviation of the difference image, counts (the unit of the `unitInterval` stretch).
  public var noise: Double
  /// sl: 1 short, 0 long; 0 where not applicable (bogus).
  public var shortLabel: Float
}

/// The signal of one streak cutout (a difference image, counts) and its noise level.
struct StreakScene {
  let size: Int
  /// Gaussian sigma of the seeing, pixels.
  let psfSigma: Double
  /// Difference-image noise on empty sky, counts.
  let noise: Double
  let gain: Double
  var signal: Raster

  init(_ configuration: StreakConfiguration, _ random: inout SampleRandom) {
    size = configuration.size
    psfSigma = random.uniform(configuration.seeingRange) / (8 * Foundation.log(2)).squareRoot()
    gain = configuration.gain
    // Science sky noise plus a deep template's (1/sqrt(20) of it) in quadrature.
    noise = (random.logUniform(configuration.backgroundRange) / gain * 1.05).squareRoot()
    signal = Raster(width: size, height: size)
  }

  var centre: Double { Double(size / 2) }

  /// 0-4 unrelated point-source residuals anywhere (positive, negative or dipole-like), in every class.
  mutating func addUnrelatedSources(_ random: inout SampleRandom) {
    for _ in 0..<random.weightedIndex([0.3, 0.3, 0.2, 0.1, 0.1]) {
      let x = random.uniform(0, Double(size - 1)), y = random.uniform(0, Double(size - 1))
      addPointResidual(x: x, y: y, snr: random.logUniform(3...40), &random)
    }
  }

  /// A point-source residual of ridge `snr`: positive (60%), negative (20%) or a dipole (20%).
  mutating func addPointResidual(x: Double, y: Double, snr: Double, _ random: inout SampleRandom) {
    let psf = PointSpreadFunction.gaussian(fwhm: psfSigma * (8 * Foundation.log(2)).squareRoot())
    let flux = snr * noise / psf.centralDensity
    switch random.weightedIndex([0.6, 0.2, 0.2]) {
    case 0: signal.addPointSource(x: x, y: y, flux: flux, psf: psf)
    case 1: signal.addPointSource(x: x, y: y, flux: -flux, psf: psf)
    default:
      let a = random.uniform(0, 2 * Double.pi), d = random.uniform(0.3, 1.0)
      signal.addPointSource(x: x + d * Foundation.cos(a), y: y + d * Foundation.sin(a), flux: flux, psf: psf)
      signal.addPointSource(x: x - d * Foundation.cos(a), y: y - d * Foundation.sin(a), flux: -flux, psf: psf)
    }
  }

  /// Writes the cutout (size * size floats, one channel): signal plus Gaussian noise whose variance grows
  /// with positive signal (Poisson), scaled as `scaling` says.
  func compose(into out: UnsafeMutableBufferPointer<Float>, scaling: StreakScaling, _ random: inout SampleRandom) {
    let variance = noise * noise
    for i in 0..<(size * size) {
      let s = Double(signal.pixels[i])
      let value = s + (variance + max(s, 0) / gain).squareRoot() * random.normal()
      switch scaling {
      case .raw:
        out[i] = Float(value)
      case .unitInterval:
        let stretched = min(max((value / noise + 3) / 15, 0), 1)
        out[i] = Float((stretched * 255).rounded()) / 255
      }
    }
  }
}

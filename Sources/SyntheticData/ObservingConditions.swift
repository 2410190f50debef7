import Foundation

/// The exposure a synthetic triplet comes from: seeing, sky and depth of the science image, and the
/// template (reference coadd) it is subtracted against. Fluxes are in science-image counts.
public struct ObservingConditions: Sendable, Equatable {
  /// Seeing of the science exposure.
  public var sciencePSF: PointSpreadFunction
  /// Seeing of the template coadd (sharper than or equal to the science).
  public var templatePSF: PointSpreadFunction
  /// Science sky level, counts per pixel.
  public var scienceBackground: Double
  /// Template sky level, science counts per pixel (the coadd's sky differs from tonight's).
  public var templateBackground: Double
  /// Multiplies the template before it is stored: coadds have their own zero point, so the template
  /// channel is on a different scale from the science channel (braai's per-row normalisation removes it).
  public var templateScale: Double
  /// Exposures in the template: its noise is that of one exposure divided by sqrt(depth).
  public var templateDepth: Double
  /// Electrons per count.
  public var gain: Double
  /// Read noise, counts.
  public var readNoise: Double
  /// Science saturation level, counts.
  public var scienceSaturation: Double
  /// Template saturation level in science counts (coadds saturate at a different flux).
  public var templateSaturation: Double

  /// Draws the conditions of one sample.
  static func draw(_ configuration: ZTFTripletConfiguration, _ random: inout SampleRandom) -> ObservingConditions {
    let seeing = random.uniform(configuration.seeingRange)
    let templateSeeing = min(random.uniform(configuration.templateSeeingRange), seeing)
    let moffat = random.chance(configuration.moffatFraction)
    func psf(_ fwhm: Double) -> PointSpreadFunction {
      moffat ? .moffat(fwhm: fwhm, beta: random.uniform(2.5, 4.5)) : .gaussian(fwhm: fwhm)
    }
    let background = random.logUniform(configuration.backgroundRange)
    return ObservingConditions(
      sciencePSF: psf(seeing),
      templatePSF: psf(templateSeeing),
      scienceBackground: background,
      templateBackground: background * random.uniform(0.5, 1.5),
      templateScale: random.logUniform(0.3...3),
      templateDepth: random.uniform(configuration.templateDepthRange),
      gain: configuration.gain,
      readNoise: configuration.readNoise,
      scienceSaturation: configuration.saturation,
      templateSaturation: configuration.saturation * random.uniform(0.6, 1.6))
  }

  /// Noise deviation of a science pixel holding `signal` counts above the sky.
  @inline(__always)
  func scienceSigma(signal: Double) -> Double {
    (max(scienceBackground + signal, 0) / gain + readNoise * readNoise).squareRoot()
  }

  /// Noise deviation of a template pixel holding `signal` (science counts) above its sky.
  @inline(__always)
  func templateSigma(signal: Double) -> Double {
    (max(templateBackground + signal, 0) / gain + readNoise * readNoise).squareRoot() / templateDepth.squareRoot()
  }

  /// Deviation of the difference image on empty sky: science and template noise in quadrature.
  public var differenceSigma: Double {
    let s = scienceSigma(signal: 0), t = templateSigma(signal: 0)
    return (s * s + t * t).squareRoot()
  }

  /// The flux whose PSF-fit SNR in the difference image is `snr`.
  public func flux(forDifferenceSNR snr: Double) -> Double {
    snr * differenceSigma * sciencePSF.noiseEquivalentArea.squareRoot()
  }
}

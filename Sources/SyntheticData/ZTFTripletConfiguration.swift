/// The knobs of `ZTFTripletGenerator`. The defaults give braai's 2:1 real:bogus balance and a mix that a
/// VGG6 can learn to a few per cent FNR/FPR but not to zero (faint reals at SNR ~5, small-shift dipoles,
/// cosmic rays in good seeing). Distances are in pixels (ZTF: ~1"/px), fluxes in detector counts.
public struct ZTFTripletConfiguration: Sendable, Equatable {
  /// Cutout side, pixels (braai: 63).
  public var size: Int = 63
  /// Probability that a sample is real (label 1). braai's training set is about 2:1 real:bogus.
  public var realFraction: Double = 2.0 / 3.0
  /// Relative weights of the real kinds (need not sum to 1; kinds absent get weight 0).
  public var realMix: [TripletKind: Double] = [.psf: 0.30, .psfOnHost: 0.35, .variableStar: 0.15, .fading: 0.20]
  /// Relative weights of the bogus kinds.
  public var bogusMix: [TripletKind: Double] = [
    .cosmicRay: 0.20, .hotPixel: 0.12, .dipole: 0.22, .saturatedStar: 0.14, .edge: 0.12, .noise: 0.20,
  ]
  /// PSF-fit signal-to-noise of real sources in the difference image, drawn log-uniformly.
  public var snrRange: ClosedRange<Double> = 5...100
  /// Science-image seeing FWHM, pixels (ZTF seeing 1.5-3" at 1"/px, bad nights up to 4").
  public var seeingRange: ClosedRange<Double> = 1.5...4.0
  /// Template (reference coadd) seeing FWHM, pixels; never worse than the science seeing, as the
  /// template is the image convolved to match the science PSF.
  public var templateSeeingRange: ClosedRange<Double> = 1.3...2.4
  /// Science sky background, counts per pixel, drawn log-uniformly (dark time to bright moon).
  public var backgroundRange: ClosedRange<Double> = 100...3000
  /// Number of exposures in the template coadd: its noise is 1/sqrt(n) of a single exposure's.
  public var templateDepthRange: ClosedRange<Double> = 10...40
  /// Probability that the seeing is a Moffat profile (beta 2.5-4.5) rather than a Gaussian.
  public var moffatFraction: Double = 0.5
  /// Fraction of samples other than `edge` bogus whose cutout also runs off the CCD at least 10 px from
  /// the candidate, so that a blank region alone does not mean bogus.
  public var offChipFraction: Double = 0.04
  /// Standard deviation of the candidate's offset from the cutout centre, pixels (capped at 3 sigma).
  public var centreJitter: Double = 0.6
  /// Detector gain, electrons per count: sets Poisson noise, variance = signal / gain.
  public var gain: Double = 6.2
  /// Read noise, counts.
  public var readNoise: Double = 1.5
  /// Science saturation level, counts (background included).
  public var saturation: Double = 50_000

  /// The defaults.
  public init() {}

  /// Throws a `SyntheticDataError` naming the first bad field.
  public func validate() throws {
    guard (16...512).contains(size) else { throw SyntheticDataError("size", "must be in 16...512, got \(size)") }
    try Check.fraction(realFraction, "realFraction")
    try checkMix(realMix, "realMix", real: true, needed: realFraction > 0)
    try checkMix(bogusMix, "bogusMix", real: false, needed: realFraction < 1)
    try Check.positiveRange(snrRange, "snrRange")
    try Check.positiveRange(seeingRange, "seeingRange")
    try Check.positiveRange(templateSeeingRange, "templateSeeingRange")
    guard seeingRange.lowerBound >= 0.8, seeingRange.upperBound <= Double(size) / 6 else {
      throw SyntheticDataError("seeingRange", "must lie in 0.8...\(Double(size) / 6) px, got \(seeingRange)")
    }
    guard templateSeeingRange.lowerBound >= 0.8 else {
      throw SyntheticDataError("templateSeeingRange", "must start at 0.8 px or more, got \(templateSeeingRange)")
    }
    try Check.positiveRange(backgroundRange, "backgroundRange")
    try Check.positiveRange(templateDepthRange, "templateDepthRange")
    try Check.fraction(moffatFraction, "moffatFraction")
    try Check.fraction(offChipFraction, "offChipFraction")
    guard centreJitter.isFinite, (0...Double(size) / 8).contains(centreJitter) else {
      throw SyntheticDataError("centreJitter", "must be in 0...\(Double(size) / 8) px, got \(centreJitter)")
    }
    try Check.positive(gain, "gain")
    guard readNoise.isFinite, readNoise >= 0 else {
      throw SyntheticDataError("readNoise", "must be >= 0, got \(readNoise)")
    }
    guard saturation.isFinite, saturation > 4 * backgroundRange.upperBound else {
      throw SyntheticDataError("saturation", "must exceed 4x the largest background, got \(saturation)")
    }
  }

  private func checkMix(_ mix: [TripletKind: Double], _ name: String, real: Bool, needed: Bool) throws {
    if let wrong = mix.keys.first(where: { $0.isReal != real }) {
      throw SyntheticDataError(name, "'\(wrong.rawValue)' is \(wrong.isReal ? "real" : "bogus"), not \(real ? "real" : "bogus")")
    }
    let weights = (real ? TripletKind.realKinds : TripletKind.bogusKinds).map { mix[$0] ?? 0 }
    if needed {
      try Check.weights(weights, name)
    } else if let bad = weights.first(where: { !$0.isFinite || $0 < 0 }) {
      throw SyntheticDataError(name, "weights must be finite and >= 0, got \(bad)")
    }
  }

  /// The weights of `kinds` in declaration order (a stable order, so draws do not depend on hashing).
  func weights(of kinds: [TripletKind]) -> [Double] {
    kinds.map { (realMix[$0] ?? 0) + (bogusMix[$0] ?? 0) }
  }
}

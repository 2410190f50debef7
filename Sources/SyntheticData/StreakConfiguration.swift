/// The knobs of `StreakGenerator`: DeepStreaks-like 144 x 144 difference-image cutouts. Lengths and widths
/// are in pixels; SNRs are per pixel on the trail's ridge (the peak of its cross-section over the noise).
public struct StreakConfiguration: Sendable, Equatable {
  /// Cutout side, pixels (DeepStreaks: 144).
  public var size: Int = 144
  /// Probability of a real streak (rb = 1).
  public var realFraction: Double = 0.5
  /// Probability that a real streak is a clean "keep" streak (kd = 1) rather than one of the ditch kinds.
  public var keepFraction: Double = 0.5
  /// Probability that a real streak is short (sl = 1): its length is then drawn from
  /// `lengthRange.lowerBound ..< shortLengthCut`, otherwise from `shortLengthCut ... lengthRange.upperBound`.
  public var shortFraction: Double = 0.5
  /// Trail lengths, pixels.
  public var lengthRange: ClosedRange<Double> = 10...140
  /// sl = 1 (short) exactly when the trail is shorter than this, pixels.
  public var shortLengthCut: Double = 50
  /// Relative weights of the ditch kinds (among real streaks that are not kept).
  public var ditchMix: [StreakKind: Double] = [
    .faintStreak: 0.30, .irregularStreak: 0.25, .wideStreak: 0.25, .artifactAdjacentStreak: 0.20,
  ]
  /// Relative weights of the bogus kinds.
  public var bogusMix: [StreakKind: Double] = [.cosmicRay: 0.30, .artifact: 0.25, .starResidual: 0.25, .noise: 0.20]
  /// Ridge SNR of kept (and irregular, wide and artifact-adjacent) trails, drawn log-uniformly.
  public var keepSNRRange: ClosedRange<Double> = 2.5...20
  /// Ridge SNR of faint (ditch) trails, drawn uniformly; keep it clearly below `keepSNRRange`.
  public var faintSNRRange: ClosedRange<Double> = 0.6...1.4
  /// Seeing FWHM, pixels.
  public var seeingRange: ClosedRange<Double> = 1.5...4.0
  /// Sky background of the science exposure, counts per pixel (sets the difference-image noise).
  public var backgroundRange: ClosedRange<Double> = 100...3000
  /// Detector gain, electrons per count.
  public var gain: Double = 6.2

  /// The defaults.
  public init() {}

  /// Throws a `SyntheticDataError` naming the first bad field.
  public func validate() throws {
    guard (32...1024).contains(size) else { throw SyntheticDataError("size", "must be in 32...1024, got \(size)") }
    try Check.fraction(realFraction, "realFraction")
    try Check.fraction(keepFraction, "keepFraction")
    try Check.fraction(shortFraction, "shortFraction")
    try Check.positiveRange(lengthRange, "lengthRange")
    guard lengthRange.upperBound <= Double(size) - 4 else {
      throw SyntheticDataError("lengthRange", "must end at most \(size - 4) px (the cutout is \(size) px), got \(lengthRange)")
    }
    guard shortLengthCut.isFinite, shortLengthCut > lengthRange.lowerBound, shortLengthCut < lengthRange.upperBound else {
      throw SyntheticDataError("shortLengthCut", "must lie strictly inside lengthRange \(lengthRange), got \(shortLengthCut)")
    }
    if let wrong = ditchMix.keys.first(where: { !StreakKind.ditchKinds.contains($0) }) {
      throw SyntheticDataError("ditchMix", "'\(wrong.rawValue)' is not a ditch kind")
    }
    if let wrong = bogusMix.keys.first(where: { $0.isReal }) {
      throw SyntheticDataError("bogusMix", "'\(wrong.rawValue)' is not a bogus kind")
    }
    if realFraction > 0 && keepFraction < 1 { try Check.weights(weights(of: StreakKind.ditchKinds), "ditchMix") }
    if realFraction < 1 { try Check.weights(weights(of: StreakKind.bogusKinds), "bogusMix") }
    try Check.positiveRange(keepSNRRange, "keepSNRRange")
    try Check.positiveRange(faintSNRRange, "faintSNRRange")
    guard faintSNRRange.upperBound < keepSNRRange.lowerBound else {
      throw SyntheticDataError("faintSNRRange", "must end below keepSNRRange (\(keepSNRRange)), got \(faintSNRRange)")
    }
    try Check.positiveRange(seeingRange, "seeingRange")
    guard seeingRange.lowerBound >= 0.8, seeingRange.upperBound <= 12 else {
      throw SyntheticDataError("seeingRange", "must lie in 0.8...12 px, got \(seeingRange)")
    }
    try Check.positiveRange(backgroundRange, "backgroundRange")
    try Check.positive(gain, "gain")
  }

  /// Weights of `kinds` in the given order (a stable order, so draws do not depend on hashing).
  func weights(of kinds: [StreakKind]) -> [Double] {
    kinds.map { (ditchMix[$0] ?? 0) + (bogusMix[$0] ?? 0) }
  }
}

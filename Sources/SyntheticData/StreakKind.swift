/// What a synthetic streak cutout shows. The raw value is the name written to `kinds.<stamp>.txt`.
///
/// The real (rb = 1) kinds are trailed images of fast-moving objects; `streak` is DeepStreaks' "keep"
/// (kd = 1), the other real kinds are "ditch" (kd = 0). The bogus kinds (rb = 0) have no sl/kd label.
public enum StreakKind: String, CaseIterable, Sendable, Codable {
  /// A clean trail: PSF-wide, uniform brightness, ridge SNR in `StreakConfiguration.keepSNRRange`. Keep.
  case streak
  /// A trail too faint to be sure of (ridge SNR in `faintSNRRange`). Ditch.
  case faintStreak = "streak_faint"
  /// A trail whose brightness varies strongly along it (gaps, flares, a tumbling glint). Ditch.
  case irregularStreak = "streak_irregular"
  /// A trail 2.5-5x wider than the PSF (defocused glint, smeared artifact). Ditch.
  case wideStreak = "streak_wide"
  /// A clean trail that runs next to a bright-star residual or bad column. Ditch.
  case artifactAdjacentStreak = "streak_near_artifact"
  /// Cosmic-ray hits and tracks (sharp, 1 px wide, not PSF-convolved).
  case cosmicRay = "cosmic_ray"
  /// Detector and optics artifacts: bad columns/rows, ghost rings, row banding.
  case artifact
  /// Subtraction residuals of a bright star: ring, flat-topped core, bleed trail.
  case starResidual = "star_residual"
  /// Noise with unrelated point-source residuals only.
  case noise

  /// rb: true for trails of moving objects.
  public var isReal: Bool {
    switch self {
    case .streak, .faintStreak, .irregularStreak, .wideStreak, .artifactAdjacentStreak: return true
    case .cosmicRay, .artifact, .starResidual, .noise: return false
    }
  }

  /// kd: true for the clean trails worth keeping (only meaningful for real kinds).
  public var isKeep: Bool { self == .streak }

  /// The ditch (kd = 0) real kinds.
  public static var ditchKinds: [StreakKind] { [.faintStreak, .irregularStreak, .wideStreak, .artifactAdjacentStreak] }
  /// The bogus (rb = 0) kinds.
  public static var bogusKinds: [StreakKind] { allCases.filter { !$0.isReal } }
}

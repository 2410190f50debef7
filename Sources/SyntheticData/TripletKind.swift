/// What a synthetic triplet shows. The raw value is the name written to `kinds.<stamp>.txt`.
///
/// Real (label 1) kinds are astrophysical point sources in the difference image; bogus (label 0) kinds
/// are the detector and subtraction artifacts that dominate real ZTF bogus candidates.
public enum TripletKind: String, CaseIterable, Sendable, Codable {
  /// A new hostless point source: in science and difference, not in the template.
  case psf
  /// A transient on (or offset from the nucleus of) a host galaxy; the galaxy cancels in the difference.
  case psfOnHost = "psf_host"
  /// A star already in the template that brightened: positive point source in the difference.
  case variableStar = "variable_star"
  /// A source fainter now than in the template (isdiffpos 'f'): negative point source in the difference.
  case fading
  /// Cosmic-ray hits (sharp 1-3 px spots and short tracks) in the science exposure only.
  case cosmicRay = "cosmic_ray"
  /// Hot pixels and bad columns of the science CCD (sometimes of the template: negative in the difference).
  case hotPixel = "hot_pixel"
  /// A star misaligned between science and template by a fraction of a pixel: +/- lobes in the difference.
  case dipole
  /// A saturated star: flat-topped core, bleed trail, and a ring/plateau residual in the difference.
  case saturatedStar = "saturated_star"
  /// The candidate is at a CCD edge: part of the cutout is off the chip (NaN) and the edge leaves a residual.
  case edge
  /// No source: noise peaks, smooth over/under-subtraction of extended light, correlated-noise blotches.
  case noise

  /// True for the kinds labelled real (1).
  public var isReal: Bool {
    switch self {
    case .psf, .psfOnHost, .variableStar, .fading: return true
    case .cosmicRay, .hotPixel, .dipole, .saturatedStar, .edge, .noise: return false
    }
  }

  /// The label braai uses: 1 real, 0 bogus.
  public var label: Float { isReal ? 1 : 0 }

  /// The real kinds, in declaration order.
  public static var realKinds: [TripletKind] { allCases.filter(\.isReal) }
  /// The bogus kinds, in declaration order.
  public static var bogusKinds: [TripletKind] { allCases.filter { !$0.isReal } }
}

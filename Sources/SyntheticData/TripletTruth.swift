/// What was put into one synthetic triplet: its kind and the parameters analysis and tests need.
public struct TripletTruth: Sendable, Equatable {
  /// The sample's kind (which fixes its label).
  public var kind: TripletKind
  /// Which variant of the kind was drawn (e.g. "track" for a cosmic ray, "bad_column" for a hot pixel,
  /// "broad_blob" for noise), for per-variant error analysis; see `Datasets/SYNTHETIC.md`.
  public var variant: String = ""
  /// Column of the candidate's main feature: the transient, the cosmic ray, the dipole's star, the saturated
  /// star, the hot pixel or column; the cutout centre where there is none.
  public var x: Double
  /// Row of the candidate's main feature (see `x`).
  public var y: Double
  /// For real kinds, the sign of the point source in the difference image (+1, or -1 for `fading`); 0 for bogus.
  public var differenceSign: Double
  /// The SNR the feature was drawn with: for real kinds the PSF-fit SNR of the source in the difference
  /// image, for dipoles the matched-filter SNR of the +/- pattern; 0 for the other bogus kinds.
  public var snr: Double
  /// For dipoles, the science-template misalignment, pixels; 0 otherwise.
  public var shift: Double
  /// The seeing and sky the sample was drawn with.
  public var conditions: ObservingConditions
  /// The off-chip part of the science and difference cutouts (NaN raw, zero after normalisation), if any.
  public var offChip: OffChipRegion?

  /// The label braai uses: 1 real, 0 bogus.
  public var label: Float { kind.label }
}

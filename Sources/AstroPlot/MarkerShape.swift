/// The shape of a scatter-plot marker. `triangleDown` is the usual symbol for an upper limit (a non-detection
/// whose limiting magnitude is drawn), `triangleUp` for a lower limit.
public enum MarkerShape: String, CaseIterable, Sendable, Codable {
  case circle
  case square
  case diamond
  case triangleUp
  case triangleDown
  /// A "+" of two strokes (no fill).
  case plus
  /// An "x" of two strokes (no fill).
  case cross
}

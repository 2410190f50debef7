/// Double-to-pixel conversions that cannot trap: `Int(x)` traps for NaN or |x| >= 2^63, and a data point far
/// outside an axis range maps to an enormous pixel coordinate. Values are clamped to +-2^30 first, far outside
/// any canvas, so the drawing code simply finds nothing to paint.
@inline(__always)
func floorToPixel(_ value: Double) -> Int {
  guard !value.isNaN else { return Int.min / 2 }
  return Int(min(max(value, -1_073_741_824), 1_073_741_824).rounded(.down))
}

/// See `floorToPixel`.
@inline(__always)
func ceilToPixel(_ value: Double) -> Int {
  guard !value.isNaN else { return Int.min / 2 }
  return Int(min(max(value, -1_073_741_824), 1_073_741_824).rounded(.up))
}

import Foundation

/// LiteRT's fixed-point requantization, step for step (its reference kernels, built with double rounding), so
/// results are bit-exact with LiteRT's `BUILTIN_REF` resolver.
public enum Requantization {
  /// A real multiplier as LiteRT stores it: a Q31 mantissa and a power-of-two exponent (positive: left shift).
  public struct Multiplier: Equatable, Sendable {
    /// The mantissa, in [2^30, 2^31) for nonzero multipliers.
    public var mantissa: Int32
    /// The exponent: the multiplier is `mantissa · 2^(shift − 31)`.
    public var shift: Int

    /// `QuantizeMultiplier`: `frexp`, the mantissa rounded half away from zero to 31 bits.
    public init(_ real: Double) {
      guard real != 0 else { mantissa = 0; shift = 0; return }
      let fraction = frexp(real)
      var q = (fraction.0 * 2_147_483_648.0).rounded(.toNearestOrAwayFromZero)
      var exponent = fraction.1
      if q == 2_147_483_648.0 { q /= 2; exponent += 1 }
      if exponent < -31 { mantissa = 0; shift = 0; return }
      mantissa = Int32(q)
      shift = exponent
    }

    /// A multiplier from its stored parts.
    public init(mantissa: Int32, shift: Int) {
      self.mantissa = mantissa
      self.shift = shift
    }

    /// `MultiplyByQuantizedMultiplier(x, M, shift)`.
    @inline(__always)
    public func apply(_ x: Int32) -> Int32 {
      let left = max(shift, 0), right = max(-shift, 0)
      return Requantization.roundingDivideByPowerOfTwo(
        Requantization.saturatingRoundingDoublingHighMultiply(x &* Int32(truncatingIfNeeded: 1 << left), mantissa), right)
    }
  }

  /// gemmlowp's `SaturatingRoundingDoublingHighMul`: the high 32 bits of 2·a·b, rounded, truncating division.
  @inline(__always)
  public static func saturatingRoundingDoublingHighMultiply(_ a: Int32, _ b: Int32) -> Int32 {
    if a == b && a == Int32.min { return Int32.max }
    let product = Int64(a) * Int64(b)
    let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
    return Int32(truncatingIfNeeded: (product + nudge) / (1 << 31))
  }

  /// gemmlowp's `RoundingDivideByPOT`: an arithmetic shift right, rounding half away from zero.
  @inline(__always)
  public static func roundingDivideByPowerOfTwo(_ x: Int32, _ exponent: Int) -> Int32 {
    guard exponent > 0 else { return x }
    let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
    let remainder = x & mask
    let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
    return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
  }

  /// The clamp range of a fused activation on an output with this scale and zero point (LiteRT's
  /// `CalculateActivationRangeQuantized`): `round` of the float bound over the scale, in float.
  public static func activationRange(_ activation: FusedActivation, type: ElementType, scale: Float, zeroPoint: Int)
    -> ClosedRange<Int32>
  {
    let qmin: Int32 = type == .uint8 ? 0 : -128, qmax: Int32 = type == .uint8 ? 255 : 127
    func quantize(_ value: Float) -> Int32 {
      // Clamped before the conversion: a tiny scale must give a wide range, not a trap.
      Int32(zeroPoint) + Int32(max(-1e9, min(1e9, (value / scale).rounded(.toNearestOrAwayFromZero))))
    }
    switch activation {
    case .none: return qmin...qmax
    case .relu: return max(qmin, quantize(0))...qmax
    case .relu6: return max(qmin, quantize(0))...min(qmax, quantize(6))
    case .reluN1To1: return max(qmin, quantize(-1))...min(qmax, quantize(1))
    }
  }
}

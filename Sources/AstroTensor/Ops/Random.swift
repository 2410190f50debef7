/// A seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every source of randomness in the library (initialisers, dropout, shuffling, augmentation) takes one of
/// these, so a run is reproducible from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

  /// A generator whose whole sequence is fixed by `seed`.
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// Uniform in [0, 1) with 24 random bits.
  public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

  /// Standard normal (Box-Muller).
  public mutating func nextNormal() -> Float {
    let u1 = max(Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0), 1e-300)
    let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
  }
}

@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }

import Foundation

extension Tensor {
  /// Uniform values in [low, high).
  public static func uniform(_ shape: [Int], low: Float, high: Float, generator: inout SeededGenerator) -> Tensor {
    let t = Tensor(uninitializedShape: shape)
    let p = t.storage.pointer
    for i in 0..<t.count { p[i] = low + (high - low) * generator.nextUnitFloat() }
    return t
  }

  /// Normal values with the given mean and standard deviation.
  public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, generator: inout SeededGenerator) -> Tensor {
    let t = Tensor(uninitializedShape: shape)
    let p = t.storage.pointer
    for i in 0..<t.count { p[i] = mean + standardDeviation * generator.nextNormal() }
    return t
  }
}

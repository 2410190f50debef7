/// A seeded, reproducible random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Every source of randomness in the library (initialisers, dropout, shuffling, augmentation) takes one of
/// these, so a run is reproducible from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var bits: Xoshiro256StarStar

  /// A generator whose whole sequence is fixed by `seed`.
  public init(seed: UInt64) { bits = Xoshiro256StarStar(seed: seed) }

  /// The next 64 random bits.
  @inline(__always) public mutating func next() -> UInt64 { bits.next() }

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

import AstroKernels
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

import AstroKernels
import Foundation

/// The random stream of one sample: xoshiro256** (Blackman & Vigna) seeded from `(seed, index)`.
///
/// Every sample draws only from its own stream, so sample `i` of seed `s` is the same whether the set is
/// generated serially, on 2 threads or on 64, and whatever `count` is. Helpers give the distributions the
/// generators need (uniform, log-uniform, normal, weighted choice).
public struct SampleRandom: RandomNumberGenerator, Sendable {
  private var bits: Xoshiro256StarStar
  /// The second normal deviate of the last polar-method pair, used by the next `normal()` call.
  private var spareNormal: Double?

  /// The stream of sample `index` in the set generated with `seed`; `stream` separates independent uses
  /// (e.g. triplets and streaks) of the same seed.
  public init(seed: UInt64, index: Int, stream: UInt64 = 0) {
    // Hash the three inputs through separate SplitMix rounds so (seed, index) pairs never alias.
    let key = SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(bitPattern: Int64(index)) &+ 0x632B_E59B_D9B4_E019))
      ^ SplitMix64.mix(stream &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    var seeder = SplitMix64(seed: key)
    bits = Xoshiro256StarStar(seededBy: &seeder)
  }

  /// The next 64 random bits.
  @inline(__always)
  public mutating func next() -> UInt64 { bits.next() }

  /// Uniform in [0, 1) with 53 random bits.
  @inline(__always)
  public mutating func unit() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// Uniform in [low, high).
  @inline(__always)
  public mutating func uniform(_ low: Double, _ high: Double) -> Double {
    low + (high - low) * unit()
  }

  /// Uniform in `range` (both ends possible up to rounding).
  public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
    uniform(range.lowerBound, range.upperBound)
  }

  /// Log-uniform in `range` (both bounds positive): equal probability per factor, as for SNR or flux.
  public mutating func logUniform(_ range: ClosedRange<Double>) -> Double {
    Foundation.exp(uniform(Foundation.log(range.lowerBound), Foundation.log(range.upperBound)))
  }

  /// A uniformly chosen integer in `range`.
  public mutating func integer(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
  }

  /// True with probability `p`.
  @inline(__always)
  public mutating func chance(_ p: Double) -> Bool {
    unit() < p
  }

  /// +1 or -1 with equal probability.
  public mutating func sign() -> Double {
    next() & 1 == 0 ? 1 : -1
  }

  /// A standard normal deviate (Marsaglia's polar method: no trigonometry, two deviates per accepted pair).
  @inline(__always)
  public mutating func normal() -> Double {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    while true {
      let u = 2 * unit() - 1
      let v = 2 * unit() - 1
      let s = u * u + v * v
      if s > 0 && s < 1 {
        let factor = (-2 * Foundation.log(s) / s).squareRoot()
        spareNormal = v * factor
        return u * factor
      }
    }
  }

  /// A normal deviate with the given mean and standard deviation.
  public mutating func normal(mean: Double, deviation: Double) -> Double {
    mean + deviation * normal()
  }

  /// An index drawn with probability proportional to `weights` (non-negative, not all zero).
  public mutating func weightedIndex(_ weights: [Double]) -> Int {
    let total = weights.reduce(0, +)
    var target = unit() * total
    for (index, weight) in weights.enumerated() {
      if target < weight { return index }
      target -= weight
    }
    // Rounding can leave `target` a hair above the last bin: give the last positive weight.
    return weights.lastIndex(where: { $0 > 0 }) ?? 0
  }
}

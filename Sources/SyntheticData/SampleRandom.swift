import Foundation

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator used here only to turn (seed, index, stream)
/// into well-mixed 64-bit states, so that neighbouring indices give unrelated streams.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator whose sequence depends only on `seed`.
  public init(seed: UInt64) {
    state = seed
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return Self.mix(state)
  }

  /// The SplitMix64 output function: a bijective avalanche of all 64 bits.
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// The random stream of one sample: xoshiro256** (Blackman & Vigna) seeded from `(seed, index)`.
///
/// Every sample draws only from its own stream, so sample `i` of seed `s` is the same whether the set is
/// generated serially, on 2 threads or on 64, and whatever `count` is. Helpers give the distributions the
/// generators need (uniform, log-uniform, normal, weighted choice).
public struct SampleRandom: RandomNumberGenerator, Sendable {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
  /// The second normal deviate of the last polar-method pair, used by the next `normal()` call.
  private var spareNormal: Double?

  /// The stream of sample `index` in the set generated with `seed`; `stream` separates independent uses
  /// (e.g. triplets and streaks) of the same seed.
  public init(seed: UInt64, index: Int, stream: UInt64 = 0) {
    // Hash the three inputs through separate SplitMix rounds so (seed, index) pairs never alias.
    let key = SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(bitPattern: Int64(index)) &+ 0x632B_E59B_D9B4_E019))
      ^ SplitMix64.mix(stream &* 0x9E37_79B9_7F4A_7C15 &+ 1)
    var seeder = SplitMix64(seed: key)
    s0 = seeder.next()
    s1 = seeder.next()
    s2 = seeder.next()
    s3 = seeder.next()
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 } // xoshiro's only forbidden state
  }

  /// The next 64 random bits.
  @inline(__always)
  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3 << 45 | s3 >> 19
    return result
  }

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

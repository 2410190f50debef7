/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator whose output function spreads every input bit over all
/// 64 output bits. The library uses it only to turn seeds (and seed, index, stream triples) into generator states.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  @usableFromInline var state: UInt64

  /// A generator whose sequence depends only on `seed`.
  @inlinable public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  @inlinable public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return Self.mix(state)
  }

  /// The SplitMix64 output function: a bijective avalanche of all 64 bits.
  @inlinable public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// xoshiro256** (Blackman & Vigna 2018): the library's one random-number generator family. `SeededGenerator`
/// (initialisers, dropout, shuffling) and the synthetic data's per-sample streams are both this generator, seeded
/// through `SplitMix64`.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
  @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

  /// The generator whose state is the next four outputs of `seeder` (never the all-zero state, xoshiro's only
  /// forbidden one).
  @inlinable public init(seededBy seeder: inout SplitMix64) {
    s0 = seeder.next(); s1 = seeder.next(); s2 = seeder.next(); s3 = seeder.next()
    if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
  }

  /// The generator seeded from `seed` through SplitMix64, as the reference implementation recommends.
  @inlinable public init(seed: UInt64) {
    var seeder = SplitMix64(seed: seed)
    self.init(seededBy: &seeder)
  }

  /// The next 64 random bits.
  @inlinable @inline(__always) public mutating func next() -> UInt64 {
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
}

import Foundation

/// A set of synthetic streak cutouts with the labels of DeepStreaks' three model families.
public struct StreakSet: Sendable, Equatable {
  /// Cutouts, `count * size * size` floats (one channel, row-major).
  public var streaks: [Float]
  /// rb: 1 real streak, 0 bogus.
  public var labelsRB: [Float]
  /// sl: 1 short, 0 long (DeepStreaks' convention); 0 for bogus samples, where it does not apply.
  public var labelsSL: [Float]
  /// kd: 1 keep, 0 ditch; 0 for bogus samples, where it does not apply.
  public var labelsKD: [Float]
  /// True where sl and kd apply (the real streaks); train sl/kd models on these samples only.
  public var slkdApplicable: [Bool]
  /// ZTF-candid-like identifiers (see `SyntheticIdentifiers`).
  public var ids: [Int64]
  /// Each sample's `StreakKind` raw value.
  public var kinds: [String]
  /// Trail length of each sample, pixels (0 for bogus).
  public var lengths: [Float]

  /// Number of samples.
  public var count: Int { ids.count }
}

/// Seeded synthetic DeepStreaks-like cutouts: 144 x 144 x 1 difference images of trailed fast-moving
/// objects and of the artifacts a streak detector also finds, each with rb, sl and kd labels.
///
/// As for `ZTFTripletGenerator`, sample `i` of seed `s` depends on nothing else, so sets are reproducible
/// whatever the thread count. See `Datasets/SYNTHETIC.md`.
public struct StreakGenerator: Sendable {
  /// The (validated) configuration.
  public let configuration: StreakConfiguration

  static let stream: UInt64 = 0x7374_7265_616B_7321 // "streaks!"

  /// Throws `SyntheticDataError` when `configuration` is invalid.
  public init(configuration: StreakConfiguration = StreakConfiguration()) throws {
    try configuration.validate()
    self.configuration = configuration
  }

  /// Floats per cutout (size * size).
  public var valuesPerSample: Int { configuration.size * configuration.size }

  /// Generates `count` cutouts with `seed` on `threads` workers (default: all cores), scaled to [0, 1]
  /// like DeepStreaks' JPG/255 input unless `scaling` is `.raw`.
  public func generate(count: Int, seed: UInt64, scaling: StreakScaling = .unitInterval,
                       threads: Int? = nil) throws -> StreakSet {
    try Check.count(count)
    let workers = threads ?? ParallelSamples.defaultThreads
    try Check.threads(workers)
    let stride = valuesPerSample
    var truths = [StreakTruth?](repeating: nil, count: count)
    let streaks = [Float](unsafeUninitializedCapacity: count * stride) { values, initialized in
      truths.withUnsafeMutableBufferPointer { slots in
        ParallelSamples.forEach(count: count, threads: workers, chunk: 4) { index in
          let slot = UnsafeMutableBufferPointer(rebasing: values[(index * stride)..<((index + 1) * stride)])
          slots[index] = render(index: index, seed: seed, scaling: scaling, into: slot)
        }
      }
      initialized = count * stride
    }
    let kinds = truths.map { $0!.kind }
    return StreakSet(
      streaks: streaks,
      labelsRB: kinds.map { $0.isReal ? 1 : 0 },
      labelsSL: truths.map { $0!.shortLabel },
      labelsKD: kinds.map { $0.isKeep ? 1 : 0 },
      slkdApplicable: kinds.map(\.isReal),
      ids: (0..<count).map { SyntheticIdentifiers.identifier(seed: seed, index: $0) },
      kinds: kinds.map(\.rawValue),
      lengths: truths.map { Float($0!.length) })
  }

  /// One cutout as `generate` makes it, with what was put into it.
  public func sample(index: Int, seed: UInt64, scaling: StreakScaling = .raw) -> (streak: [Float], truth: StreakTruth) {
    precondition(index >= 0, "sample: index must be >= 0, got \(index)")
    var truth: StreakTruth?
    let streak = [Float](unsafeUninitializedCapacity: valuesPerSample) { values, initialized in
      truth = render(index: index, seed: seed, scaling: scaling, into: values)
      initialized = valuesPerSample
    }
    return (streak, truth!)
  }

  func render(index: Int, seed: UInt64, scaling: StreakScaling, into out: UnsafeMutableBufferPointer<Float>) -> StreakTruth {
    var random = SampleRandom(seed: seed, index: index, stream: Self.stream)
    let kind: StreakKind
    if random.chance(configuration.realFraction) {
      if random.chance(configuration.keepFraction) {
        kind = .streak
      } else {
        kind = StreakKind.ditchKinds[random.weightedIndex(configuration.weights(of: StreakKind.ditchKinds))]
      }
    } else {
      kind = StreakKind.bogusKinds[random.weightedIndex(configuration.weights(of: StreakKind.bogusKinds))]
    }
    var scene = StreakScene(configuration, &random)
    let truth = kind.isReal
      ? scene.paintRealStreak(kind, configuration, &random)
      : scene.paintBogus(kind, &random)
    scene.compose(into: out, scaling: scaling, &random)
    return truth
  }
}

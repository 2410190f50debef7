import Foundation

/// Seeded synthetic ZTF-like triplets: 63 x 63 x 3 cutouts (science, template, difference) of real
/// point-source transients and of the artifacts braai learns to reject, with braai's labels.
///
/// Sample `i` of seed `s` depends on nothing else (not on `count`, nor on the thread count), so sets are
/// reproducible byte for byte and a larger set extends a smaller one with the same seed. See
/// `Datasets/SYNTHETIC.md` for the physics and the class mix.
public struct ZTFTripletGenerator: Sendable {
  /// HWC triplets (`count * size * size * 3` floats), labels (1 real, 0 bogus), ZTF-style ids, and each
  /// sample's `TripletKind` raw value.
  public typealias Output = (triplets: [Float], labels: [Float], candids: [Int64], kinds: [String])

  /// The (validated) configuration.
  public let configuration: ZTFTripletConfiguration

  /// Separates the triplet random streams from the streak streams of the same seed.
  static let stream: UInt64 = 0x7472_6970_6C65_7473 // "triplets"

  /// Throws `SyntheticDataError` when `configuration` is invalid.
  public init(configuration: ZTFTripletConfiguration = ZTFTripletConfiguration()) throws {
    try configuration.validate()
    self.configuration = configuration
  }

  /// Floats per triplet (size * size * 3).
  public var valuesPerSample: Int { configuration.size * configuration.size * 3 }

  /// Generates `count` samples with `seed` on `threads` workers (default: all cores).
  ///
  /// `normalization` `.row` (default) gives braai's preprocessed training input, `.raw` detector counts
  /// with NaN off the chip. Throws for a negative count, a count over `SyntheticIdentifiers.maximumCount`,
  /// or fewer than one thread.
  public func generate(count: Int, seed: UInt64, normalization: CutoutNormalization = .row,
                       threads: Int? = nil) throws -> Output {
    try Check.count(count)
    let workers = threads ?? ParallelSamples.defaultThreads
    try Check.threads(workers)
    let stride = valuesPerSample
    var kinds = [TripletKind](repeating: .psf, count: count)
    let triplets = [Float](unsafeUninitializedCapacity: count * stride) { values, initialized in
      kinds.withUnsafeMutableBufferPointer { kindSlots in
        ParallelSamples.forEach(count: count, threads: workers) { index in
          let slot = UnsafeMutableBufferPointer(rebasing: values[(index * stride)..<((index + 1) * stride)])
          kindSlots[index] = render(index: index, seed: seed, normalization: normalization, into: slot).kind
        }
      }
      initialized = count * stride
    }
    return (
      triplets: triplets,
      labels: kinds.map(\.label),
      candids: (0..<count).map { SyntheticIdentifiers.identifier(seed: seed, index: $0) },
      kinds: kinds.map(\.rawValue))
  }

  /// One sample as `generate` makes it, with what was put into it.
  public func sample(index: Int, seed: UInt64, normalization: CutoutNormalization = .raw) -> (triplet: [Float], truth: TripletTruth) {
    precondition(index >= 0, "sample: index must be >= 0, got \(index)")
    var truth: TripletTruth?
    let triplet = [Float](unsafeUninitializedCapacity: valuesPerSample) { values, initialized in
      truth = render(index: index, seed: seed, normalization: normalization, into: values)
      initialized = valuesPerSample
    }
    return (triplet, truth!)
  }

  /// Draws sample `index` into `out` (size * size * 3 floats, HWC) and returns its truth.
  func render(index: Int, seed: UInt64, normalization: CutoutNormalization,
              into out: UnsafeMutableBufferPointer<Float>) -> TripletTruth {
    var random = SampleRandom(seed: seed, index: index, stream: Self.stream)
    let real = random.chance(configuration.realFraction)
    let candidates = real ? TripletKind.realKinds : TripletKind.bogusKinds
    let kind = candidates[random.weightedIndex(configuration.weights(of: candidates))]
    let conditions = ObservingConditions.draw(configuration, &random)
    var scene = TripletScene(size: configuration.size, conditions: conditions, random: &random)
    var truth: TripletTruth
    switch kind {
    case .psf, .psfOnHost, .variableStar, .fading: truth = scene.paintReal(kind, configuration, &random)
    case .cosmicRay: truth = scene.paintCosmicRay(configuration, &random)
    case .hotPixel: truth = scene.paintHotPixel(configuration, &random)
    case .dipole: truth = scene.paintDipole(configuration, &random)
    case .saturatedStar: truth = scene.paintSaturatedStar(configuration, &random)
    case .edge: truth = scene.paintEdge(configuration, &random)
    case .noise: truth = scene.paintNoise(configuration, &random)
    }
    if kind != .edge && random.chance(configuration.offChipFraction) {
      truth.offChip = scene.addDistantOffChipRegion(awayFrom: (truth.x, truth.y), &random)
    }
    scene.compose(into: out, &random)
    if normalization == .row {
      RowNormalization.apply(out, height: configuration.size, width: configuration.size, channels: 3)
    }
    return truth
  }
}

extension TripletScene {
  /// Puts a CCD edge at least 10 px from `feature` (the same in all three cutouts), so that blank regions
  /// turn up in every class and not only in `edge` bogus.
  mutating func addDistantOffChipRegion(awayFrom feature: (x: Double, y: Double),
                                        _ random: inout SampleRandom) -> OffChipRegion? {
    let side = OffChipRegion.Side.allCases[random.integer(0...3)]
    let room: Double
    switch side {
    case .top: room = feature.y
    case .bottom: room = Double(size - 1) - feature.y
    case .left: room = feature.x
    case .right: room = Double(size - 1) - feature.x
    }
    let deepest = Int(room) - 10
    guard deepest >= 2 else { return nil }
    let region = OffChipRegion(side: side, depth: random.integer(2...deepest))
    offChip = region
    templateOffChip = region
    return region
  }
}

import SyntheticData
import XCTest

final class TripletGeneratorTests: XCTestCase {
  func testSameSeedGivesIdenticalBytesWhateverTheThreadCount() throws {
    let generator = try ZTFTripletGenerator()
    let serial = try generator.generate(count: 150, seed: 42, threads: 1)
    let parallel = try generator.generate(count: 150, seed: 42, threads: 3)
    let again = try generator.generate(count: 150, seed: 42)
    for other in [parallel, again] {
      // Bit patterns, so that equal NaNs (none in normalised output, but be exact) and -0 compare as bytes.
      XCTAssertEqual(serial.triplets.map(\.bitPattern), other.triplets.map(\.bitPattern))
      XCTAssertEqual(serial.labels, other.labels)
      XCTAssertEqual(serial.candids, other.candids)
      XCTAssertEqual(serial.kinds, other.kinds)
    }
    let raw1 = try generator.generate(count: 60, seed: 42, normalization: .raw, threads: 1)
    let raw2 = try generator.generate(count: 60, seed: 42, normalization: .raw, threads: 2)
    XCTAssertEqual(raw1.triplets.map(\.bitPattern), raw2.triplets.map(\.bitPattern))
  }

  func testDifferentSeedsDiffer() throws {
    let generator = try ZTFTripletGenerator()
    let a = try generator.generate(count: 20, seed: 1), b = try generator.generate(count: 20, seed: 2)
    XCTAssertNotEqual(a.triplets, b.triplets)
    XCTAssertTrue(Set(a.candids).isDisjoint(with: b.candids))
  }

  func testSampleIDependsNeitherOnCountNorOnTheOtherSamples() throws {
    let generator = try ZTFTripletGenerator()
    let small = try generator.generate(count: 40, seed: 3)
    let large = try generator.generate(count: 100, seed: 3)
    XCTAssertEqual(small.triplets, Array(large.triplets[0..<small.triplets.count]))
    XCTAssertEqual(small.kinds, Array(large.kinds[0..<40]))
    let stride = generator.valuesPerSample
    for index in [0, 17, 99] {
      let one = generator.sample(index: index, seed: 3, normalization: .row)
      XCTAssertEqual(one.triplet, Array(large.triplets[(index * stride)..<((index + 1) * stride)]))
      XCTAssertEqual(one.truth.kind.rawValue, large.kinds[index])
    }
  }

  func testShapesLabelsKindsAndCandids() throws {
    let generator = try ZTFTripletGenerator()
    let output = try generator.generate(count: 300, seed: 5)
    XCTAssertEqual(output.triplets.count, 300 * 63 * 63 * 3)
    XCTAssertEqual(output.labels.count, 300)
    XCTAssertEqual(Set(output.candids).count, 300, "candids are unique")
    XCTAssertEqual(output.candids.first, 1_000_000_000_000_000_000 + 5 * 1_000_000_000)
    for (label, name) in zip(output.labels, output.kinds) {
      let kind = try XCTUnwrap(TripletKind(rawValue: name), "unknown kind \(name)")
      XCTAssertEqual(label, kind.isReal ? 1 : 0)
    }
    XCTAssertFalse(output.triplets.contains { !$0.isFinite }, "normalised output has no NaN or infinity")
    let empty = try generator.generate(count: 0, seed: 5)
    XCTAssertTrue(empty.triplets.isEmpty && empty.labels.isEmpty && empty.candids.isEmpty && empty.kinds.isEmpty)
  }

  func testDefaultClassBalanceIsTwoRealsPerBogusAndEveryKindOccurs() throws {
    let generator = try ZTFTripletGenerator()
    let n = 3000
    let output = try generator.generate(count: n, seed: 11)
    let realShare = Double(output.labels.filter { $0 == 1 }.count) / Double(n)
    // Binomial deviation at p = 2/3, n = 3000 is 0.0086: allow 4 sigma.
    XCTAssertEqual(realShare, 2.0 / 3.0, accuracy: 0.035)
    let configuration = generator.configuration
    let bogusWeight = configuration.bogusMix.values.reduce(0, +)
    for kind in TripletKind.bogusKinds {
      let expected = Double(n) / 3 * (configuration.bogusMix[kind] ?? 0) / bogusWeight
      let observed = Double(output.kinds.filter { $0 == kind.rawValue }.count)
      XCTAssertEqual(observed, expected, accuracy: 5 * expected.squareRoot(), "\(kind.rawValue)")
    }
    XCTAssertEqual(Set(output.kinds), Set(TripletKind.allCases.map(\.rawValue)))
  }

  func testConfiguredRealFractionIsHonoured() throws {
    for fraction in [0.0, 0.25, 1.0] {
      var configuration = ZTFTripletConfiguration()
      configuration.realFraction = fraction
      let output = try ZTFTripletGenerator(configuration: configuration).generate(count: 1200, seed: 8)
      let share = Double(output.labels.filter { $0 == 1 }.count) / 1200
      XCTAssertEqual(share, fraction, accuracy: 0.05, "realFraction \(fraction)")
    }
  }

  func testKindMixCanBeRestricted() throws {
    var configuration = ZTFTripletConfiguration()
    configuration.realMix = [.fading: 1]
    configuration.bogusMix = [.dipole: 1, .edge: 0]
    let output = try ZTFTripletGenerator(configuration: configuration).generate(count: 200, seed: 1)
    XCTAssertEqual(Set(output.kinds), ["fading", "dipole"])
  }

  func testBadArgumentsThrowNamedErrors() throws {
    func assertError(_ mutate: (inout ZTFTripletConfiguration) -> Void, mentions subject: String,
                     file: StaticString = #filePath, line: UInt = #line) {
      var configuration = ZTFTripletConfiguration()
      mutate(&configuration)
      XCTAssertThrowsError(try ZTFTripletGenerator(configuration: configuration), file: file, line: line) { error in
        XCTAssertEqual((error as? SyntheticDataError)?.subject, subject, "\(error)", file: file, line: line)
      }
    }
    assertError({ $0.realFraction = 1.5 }, mentions: "realFraction")
    assertError({ $0.realFraction = .nan }, mentions: "realFraction")
    assertError({ $0.realMix = [.psf: -1, .fading: 1] }, mentions: "realMix")
    assertError({ $0.realMix = [:] }, mentions: "realMix")
    assertError({ $0.bogusMix = [.psf: 1] }, mentions: "bogusMix")
    assertError({ $0.snrRange = 0...10 }, mentions: "snrRange")
    assertError({ $0.seeingRange = 0.5...3 }, mentions: "seeingRange")
    assertError({ $0.size = 8 }, mentions: "size")
    assertError({ $0.gain = 0 }, mentions: "gain")
    assertError({ $0.saturation = 1000 }, mentions: "saturation")
    // An all-real set needs no bogus mix.
    var realOnly = ZTFTripletConfiguration()
    realOnly.realFraction = 1
    realOnly.bogusMix = [:]
    XCTAssertNoThrow(try ZTFTripletGenerator(configuration: realOnly))

    let generator = try ZTFTripletGenerator()
    XCTAssertThrowsError(try generator.generate(count: -1, seed: 0)) { error in
      XCTAssertEqual(error as? SyntheticDataError, SyntheticDataError("count", "must be >= 0, got -1"))
    }
    XCTAssertThrowsError(try generator.generate(count: 1, seed: 0, threads: 0)) { error in
      XCTAssertEqual((error as? SyntheticDataError)?.subject, "threads")
    }
  }
}

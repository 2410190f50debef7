import Foundation
import SyntheticData
import XCTest

final class StreakGeneratorTests: XCTestCase {
  func testSameSeedGivesIdenticalCutoutsWhateverTheThreadCount() throws {
    let generator = try StreakGenerator()
    let a = try generator.generate(count: 24, seed: 7, threads: 1)
    let b = try generator.generate(count: 24, seed: 7, threads: 3)
    XCTAssertEqual(a, b)
    XCTAssertEqual(a.streaks.map(\.bitPattern), b.streaks.map(\.bitPattern))
    let longer = try generator.generate(count: 30, seed: 7, threads: 2)
    XCTAssertEqual(Array(longer.streaks[0..<a.streaks.count]), a.streaks)
    XCTAssertNotEqual(try generator.generate(count: 24, seed: 8).streaks, a.streaks)
  }

  func testLabelsFollowTheDocumentedDefinitions() throws {
    let configuration = StreakConfiguration()
    let set = try StreakGenerator(configuration: configuration).generate(count: 600, seed: 9)
    for i in 0..<set.count {
      let kind = try XCTUnwrap(StreakKind(rawValue: set.kinds[i]))
      XCTAssertEqual(set.labelsRB[i], kind.isReal ? 1 : 0)
      XCTAssertEqual(set.slkdApplicable[i], kind.isReal)
      if kind.isReal {
        XCTAssertTrue(configuration.lengthRange.contains(Double(set.lengths[i])))
        // sl = 1 (short) exactly when the trail is shorter than the cut; kd = 1 only for clean trails.
        XCTAssertEqual(set.labelsSL[i], Double(set.lengths[i]) < configuration.shortLengthCut ? 1 : 0, "#\(i)")
        XCTAssertEqual(set.labelsKD[i], kind == .streak ? 1 : 0)
      } else {
        XCTAssertEqual(set.labelsSL[i], 0)
        XCTAssertEqual(set.labelsKD[i], 0)
        XCTAssertEqual(set.lengths[i], 0)
      }
    }
    // Defaults: rb 50/50, and among reals sl and kd 50/50 (binomial 4-sigma bounds).
    let reals = set.labelsRB.filter { $0 == 1 }.count
    XCTAssertEqual(Double(reals) / 600, 0.5, accuracy: 0.082)
    let short = set.labelsSL.filter { $0 == 1 }.count, keep = set.labelsKD.filter { $0 == 1 }.count
    XCTAssertEqual(Double(short) / Double(reals), 0.5, accuracy: 0.12)
    XCTAssertEqual(Double(keep) / Double(reals), 0.5, accuracy: 0.12)
  }

  func testUnitIntervalScalingIsEightBitGreyWithSkyAtPointTwo() throws {
    let set = try StreakGenerator().generate(count: 20, seed: 10)
    XCTAssertTrue(set.streaks.allSatisfy { (0...1).contains($0) })
    XCTAssertTrue(set.streaks.allSatisfy { ($0 * 255 - ($0 * 255).rounded()).magnitude < 1e-4 }, "multiples of 1/255")
    let sorted = set.streaks.sorted()
    XCTAssertEqual(sorted[sorted.count / 2], 0.2, accuracy: 2.0 / 255, "empty sky sits at 0.2")
  }

  func testRealStreaksLieAlongTheirSegmentAtTheirRidgeBrightness() throws {
    var configuration = StreakConfiguration()
    configuration.realFraction = 1
    configuration.keepFraction = 1
    let generator = try StreakGenerator(configuration: configuration)
    for index in 0..<40 {
      let (cutout, truth) = generator.sample(index: index, seed: 11, scaling: .raw)
      XCTAssertEqual(truth.kind, .streak)
      // Mean along the middle 80% of the trail, one sample per pixel of length: the ridge, about snr sigmas.
      let (ux, uy) = (cos(truth.angle), sin(truth.angle))
      var ridge: [Double] = [], off: [Double] = []
      for step in stride(from: -0.4 * truth.length, through: 0.4 * truth.length, by: 1) {
        let x = truth.x + step * ux, y = truth.y + step * uy
        ridge.append(Double(cutout[Int(y.rounded()) * 144 + Int(x.rounded())]))
        // 6 PSF sigmas (and at least 6 px) to the side: empty sky (unless an unrelated source sits there).
        let side = max(6 * truth.width, 6)
        let ox = min(max(x - side * uy, 0), 143), oy = min(max(y + side * ux, 0), 143)
        off.append(Double(cutout[Int(oy.rounded()) * 144 + Int(ox.rounded())]))
      }
      let ridgeMean = ridge.reduce(0, +) / Double(ridge.count)
      let offMedian = off.sorted()[off.count / 2]
      let expected = truth.snr * truth.noise
      // Sampling at the nearest pixel centre loses up to exp(-0.5 / (2 sigma^2)) of the peak; the noise of
      // the mean is noise / sqrt(n); the trail's brightness wobbles by up to 8%.
      let loss = exp(-0.5 / (2 * truth.width * truth.width))
      let tolerance = 4 * truth.noise / Double(ridge.count).squareRoot() + 0.1 * expected
      XCTAssertGreaterThan(ridgeMean, loss * expected - tolerance, "#\(index)")
      XCTAssertLessThan(ridgeMean, expected + tolerance, "#\(index)")
      XCTAssertEqual(offMedian, 0, accuracy: 4 * truth.noise / Double(off.count).squareRoot() + 0.2 * truth.noise, "#\(index)")
    }
  }

  func testBadConfigurationsThrowNamedErrors() {
    func assertError(_ mutate: (inout StreakConfiguration) -> Void, mentions subject: String,
                     file: StaticString = #filePath, line: UInt = #line) {
      var configuration = StreakConfiguration()
      mutate(&configuration)
      XCTAssertThrowsError(try StreakGenerator(configuration: configuration), file: file, line: line) { error in
        XCTAssertEqual((error as? SyntheticDataError)?.subject, subject, "\(error)", file: file, line: line)
      }
    }
    assertError({ $0.realFraction = -0.1 }, mentions: "realFraction")
    assertError({ $0.shortLengthCut = 5 }, mentions: "shortLengthCut")
    assertError({ $0.lengthRange = 10...200 }, mentions: "lengthRange")
    assertError({ $0.faintSNRRange = 1...3 }, mentions: "faintSNRRange")
    assertError({ $0.ditchMix = [.streak: 1] }, mentions: "ditchMix")
    assertError({ $0.bogusMix = [.cosmicRay: 0] }, mentions: "bogusMix")
    XCTAssertThrowsError(try StreakGenerator().generate(count: -3, seed: 0))
  }
}

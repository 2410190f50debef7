import XCTest

@testable import AlertStore

/// A seeded generator so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// A position uniform on the sphere (degrees).
func randomPosition(_ rng: inout SeededGenerator) -> (ra: Double, dec: Double) {
  let ra = Double.random(in: 0..<360, using: &rng)
  let dec = asin(Double.random(in: -1...1, using: &rng)) * 180 / .pi
  return (ra, dec)
}

final class HEALPixTests: XCTestCase {
  /// The 12 base pixels are numbered as in Górski et al. (2005), fig. 4: 0-3 around the north pole from ra 0,
  /// 4-7 on the equator centred on ra 0, 90, 180, 270, and 8-11 in the south.
  func testBasePixelsAreNumberedAsInTheHEALPixPaper() {
    let h = HEALPix(order: 0)
    let midLatitude = asin(2.0 / 3.0) * 180 / .pi  // z = 2/3, where the base pixels' centres lie
    for q in 0..<4 {
      let ra = 45.0 + 90 * Double(q)
      XCTAssertEqual(h.pixel(ra: ra, dec: midLatitude), Int64(q))
      XCTAssertEqual(h.pixel(ra: 90 * Double(q), dec: 0), Int64(4 + q))
      XCTAssertEqual(h.pixel(ra: ra, dec: -midLatitude), Int64(8 + q))
      let c = h.center(of: Int64(q))
      XCTAssertEqual(c.ra, ra, accuracy: 1e-9)
      XCTAssertEqual(c.dec, midLatitude, accuracy: 1e-9)
      let e = h.center(of: Int64(4 + q))
      XCTAssertEqual(e.ra, 90 * Double(q), accuracy: 1e-9)
      XCTAssertEqual(e.dec, 0, accuracy: 1e-9)
    }
    XCTAssertEqual(h.pixel(ra: 10, dec: 90), 0)
    XCTAssertEqual(h.pixel(ra: 10, dec: -90), 8)
  }

  func testPixelOfEachPixelCentreIsThatPixel() {
    var rng = SeededGenerator(seed: 1)
    for order in [0, 1, 2, 5, 10, 14, 20, 29] {
      let h = HEALPix(order: order)
      let pixels = (0..<2000).map { _ in Int64.random(in: 0..<h.pixelCount, using: &rng) } + [0, h.pixelCount - 1]
      for p in pixels {
        let c = h.center(of: p)
        XCTAssertEqual(h.pixel(ra: c.ra, dec: c.dec), p, "order \(order) pixel \(p) centre \(c)")
      }
    }
  }

  /// The nested property the sky index relies on: a pixel's parent is its number divided by 4.
  func testFinerPixelsNestInsideCoarserOnes() {
    var rng = SeededGenerator(seed: 2)
    for _ in 0..<20_000 {
      let (ra, dec) = randomPosition(&rng)
      let fine = HEALPix(order: 14).pixel(ra: ra, dec: dec)
      for order in [0, 3, 8, 13] {
        XCTAssertEqual(fine >> Int64(2 * (14 - order)), HEALPix(order: order).pixel(ra: ra, dec: dec), "\(ra), \(dec)")
      }
    }
  }

  /// Pixels have equal areas: uniform points fall evenly into the 192 pixels of order 2.
  func testPixelsHaveEqualAreas() {
    let h = HEALPix(order: 2)
    var counts = [Int](repeating: 0, count: Int(h.pixelCount))
    var rng = SeededGenerator(seed: 3)
    let perPixel = 1000
    for _ in 0..<(perPixel * counts.count) {
      let (ra, dec) = randomPosition(&rng)
      counts[Int(h.pixel(ra: ra, dec: dec))] += 1
    }
    // Poisson: sigma ~ 32 per pixel; 6 sigma either way.
    XCTAssertGreaterThan(counts.min()!, perPixel - 190)
    XCTAssertLessThan(counts.max()!, perPixel + 190)
  }

  /// `maximumPixelRadius` bounds the distance from any point to the centre of its pixel, everywhere including
  /// the poles, and is not loose by more than the documented margin.
  func testMaximumPixelRadiusBoundsEveryPointOfAPixel() {
    var rng = SeededGenerator(seed: 4)
    for order in [0, 1, 2, 4, 8, 14, 18] {
      let h = HEALPix(order: order)
      var worst = 0.0
      var points = (0..<30_000).map { _ in randomPosition(&rng) }
      points += (0..<3000).map { _ in (Double.random(in: 0..<360, using: &rng), 90 - Double.random(in: 0...2, using: &rng)) }
      points += (0..<3000).map { _ in (Double.random(in: 0..<360, using: &rng), -90 + Double.random(in: 0...2, using: &rng)) }
      for (ra, dec) in points {
        let c = h.center(of: h.pixel(ra: ra, dec: dec))
        worst = max(worst, SphericalDistance.radians(ra1: ra, dec1: dec, ra2: c.ra, dec2: c.dec))
      }
      XCTAssertLessThanOrEqual(worst, h.maximumPixelRadius, "order \(order)")
      XCTAssertGreaterThan(worst, h.maximumPixelRadius / 2, "order \(order): the bound is needlessly loose")
    }
  }

  func testLocationsInsideAPixelMapBackToIt() {
    var rng = SeededGenerator(seed: 5)
    for order in [0, 3, 14] {
      let h = HEALPix(order: order)
      for _ in 0..<3000 {
        let p = Int64.random(in: 0..<h.pixelCount, using: &rng)
        let x = Double.random(in: 0.001...0.999, using: &rng)
        let y = Double.random(in: 0.001...0.999, using: &rng)
        let l = h.location(in: p, x: x, y: y)
        XCTAssertEqual(h.pixel(ra: l.ra, dec: l.dec), p, "order \(order) pixel \(p) at (\(x), \(y))")
      }
    }
  }

  func testRightAscensionWrapsAt360() {
    let h = HEALPix(order: 14)
    XCTAssertEqual(h.pixel(ra: 360, dec: 12.5), h.pixel(ra: 0, dec: 12.5))
    XCTAssertEqual(h.pixel(ra: -0.5, dec: -33), h.pixel(ra: 359.5, dec: -33))
    XCTAssertEqual(h.pixelSizeArcsec, 12.88, accuracy: 0.01)
  }
}

import XCTest

@testable import AlertStore

final class SkyCoverageTests: XCTestCase {
  func testHaversineDistance() {
    XCTAssertEqual(SphericalDistance.arcsec(ra1: 10, dec1: 0, ra2: 10, dec2: 1), 3600, accuracy: 1e-6)
    XCTAssertEqual(SphericalDistance.arcsec(ra1: 359.9, dec1: 0, ra2: 0.1, dec2: 0), 720, accuracy: 1e-6)
    XCTAssertEqual(SphericalDistance.arcsec(ra1: 0, dec1: 89.999, ra2: 180, dec2: 89.999), 7.2, accuracy: 1e-6)
    XCTAssertEqual(SphericalDistance.radians(ra1: 0, dec1: 90, ra2: 0, dec2: -90), .pi, accuracy: 1e-12)
    // Small separations keep their precision (0.01 mas).
    XCTAssertEqual(
      SphericalDistance.arcsec(ra1: 201.6235643, dec1: 36.0086571, ra2: 201.6235643, dec2: 36.0086571 + 1e-8 / 3.6),
      1e-5, accuracy: 1e-9)
  }

  /// Every point within the cone lies in a pixel of the covering ranges: random cones everywhere (poles and the
  /// ra = 0/360 seam included), radii from 0.5" to 2 degrees, points scattered in and around each cone.
  func testCoverageContainsEveryPixelTheConeTouches() {
    var rng = SeededGenerator(seed: 11)
    let order = 14
    let h = HEALPix(order: order)
    var centres = (0..<300).map { _ in randomPosition(&rng) }
    centres += [(0, 90), (123, -90), (0, 0), (359.9999, 0), (0.0001, -45), (180, 89.9995), (270, -89.99)]
    for (i, (ra, dec)) in centres.enumerated() {
      let radius = [0.5, 5, 30, 300, 7200][i % 5] * Double.random(in: 0.5...1.5, using: &rng)
      let ranges = SkyCoverage.pixelRanges(ra: ra, dec: dec, radiusArcsec: radius, order: order)
      XCTAssertFalse(ranges.isEmpty)
      for _ in 0..<400 {
        // A point at a random bearing and a distance up to 1.2 radius (uniform in area up to the radius).
        let distance = radius * 1.2 * Double.random(in: 0...1, using: &rng).squareRoot() / 3600 * .pi / 180
        let bearing = Double.random(in: 0..<(2 * .pi), using: &rng)
        let (pra, pdec) = offset(ra: ra, dec: dec, distance: distance, bearing: bearing)
        guard SphericalDistance.arcsec(ra1: ra, dec1: dec, ra2: pra, dec2: pdec) <= radius else { continue }
        let p = h.pixel(ra: pra, dec: pdec)
        XCTAssertTrue(
          ranges.contains { $0.contains(p) }, "cone (\(ra), \(dec), \(radius)\") misses pixel \(p) of (\(pra), \(pdec))")
      }
    }
  }

  /// A small cone touches few pixels: the point of the index.
  func testSmallConeTouchesAHandfulOfPixels() {
    var rng = SeededGenerator(seed: 12)
    var worst = 0
    for _ in 0..<500 {
      let (ra, dec) = randomPosition(&rng)
      let ranges = SkyCoverage.pixelRanges(ra: ra, dec: dec, radiusArcsec: 5, order: 14)
      worst = max(worst, ranges.reduce(0) { $0 + Int($1.count) })
    }
    XCTAssertLessThanOrEqual(worst, 40)
  }

  func testMergedJoinsAdjacentRanges() {
    XCTAssertEqual(SkyCoverage.merged([5...6, 1...2, 3...4, 8...9, 9...12]), [1...6, 8...12])
    XCTAssertEqual(SkyCoverage.merged([1...2, 4...5]), [1...2, 4...5])
  }

  /// The position `distance` radians from (ra, dec) along `bearing` (spherical trigonometry).
  private func offset(ra: Double, dec: Double, distance: Double, bearing: Double) -> (Double, Double) {
    let d2r = Double.pi / 180
    let lat1 = dec * d2r
    let lat2 = asin(sin(lat1) * cos(distance) + cos(lat1) * sin(distance) * cos(bearing))
    let lon2 = ra * d2r + atan2(sin(bearing) * sin(distance) * cos(lat1), cos(distance) - sin(lat1) * sin(lat2))
    var ra2 = (lon2 / d2r).truncatingRemainder(dividingBy: 360)
    if ra2 < 0 { ra2 += 360 }
    if ra2 >= 360 { ra2 -= 360 }
    return (ra2, lat2 / d2r)
  }
}

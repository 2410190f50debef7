import Foundation

/// Angular distances on the sphere.
public enum SphericalDistance {
  /// Great-circle distance between two positions (degrees in, arcsec out), by the haversine formula, which stays
  /// accurate for the arcsecond separations cone searches care about (the cosine formula loses them to rounding).
  public static func arcsec(ra1: Double, dec1: Double, ra2: Double, dec2: Double) -> Double {
    radians(ra1: ra1, dec1: dec1, ra2: ra2, dec2: dec2) * HEALPix.arcsecPerRadian
  }

  /// Great-circle distance in radians (positions in degrees).
  public static func radians(ra1: Double, dec1: Double, ra2: Double, dec2: Double) -> Double {
    let d = Double.pi / 180
    let sinHalfDec = sin((dec2 - dec1) * d / 2)
    let sinHalfRA = sin((ra2 - ra1) * d / 2)
    let h = sinHalfDec * sinHalfDec + cos(dec1 * d) * cos(dec2 * d) * sinHalfRA * sinHalfRA
    return 2 * asin(min(1, h.squareRoot()))
  }
}

/// The HEALPix pixels that a cone (a disc on the sky) can touch, as ranges of nested pixel numbers at one order.
///
/// The set is conservative: every pixel that intersects the disc is in it, plus a few near misses; callers then
/// apply the exact great-circle distance. It is found by descending the nested hierarchy from the 12 base pixels:
/// a pixel whose centre is farther than radius + `maximumPixelRadius` from the cone's centre cannot touch the
/// disc and is dropped with all its descendants; one entirely inside the disc contributes its whole range of
/// descendants at once; the others are split into their 4 children. A 5" cone at order 14 ends with about a dozen
/// pixels in a few ranges after ~500 centre computations.
public enum SkyCoverage {
  /// Pixel ranges at `order` covering the cone at (`ra`, `dec`) degrees of radius `radiusArcsec`, sorted and
  /// merged where they touch.
  ///
  /// For cones much wider than a pixel, the descent stops once pixels are smaller than a quarter of the radius
  /// and keeps their whole ranges: a thin rim of extra rows to filter instead of thousands of tiny ranges.
  public static func pixelRanges(ra: Double, dec: Double, radiusArcsec: Double, order: Int) -> [ClosedRange<Int64>] {
    precondition((0...HEALPix.maximumOrder).contains(order), "SkyCoverage: order \(order) out of range")
    let radius = radiusArcsec / HEALPix.arcsecPerRadian
    var ranges: [ClosedRange<Int64>] = []

    // (order, pixel) still to examine; depth-first keeps the list short.
    var pending: [(Int, Int64)] = (0..<12).reversed().map { (0, Int64($0)) }
    while let (k, p) = pending.popLast() {
      let grid = HEALPix(order: k)
      let c = grid.center(of: p)
      let d = SphericalDistance.radians(ra1: ra, dec1: dec, ra2: c.ra, dec2: c.dec)
      let reach = grid.maximumPixelRadius
      if d > radius + reach { continue }  // cannot touch the disc
      let shift = Int64(2 * (order - k))
      let wholePixel = (p << shift)...(((p + 1) << shift) - 1)
      if k == order || d + reach <= radius || reach < radius / 4 {
        ranges.append(wholePixel)
      } else {
        for child in (0..<Int64(4)).reversed() { pending.append((k + 1, 4 * p + child)) }
      }
    }
    return merged(ranges)
  }

  /// Sorts ranges and joins those that overlap or are adjacent.
  static func merged(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
    var out: [ClosedRange<Int64>] = []
    for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
      if let last = out.last, r.lowerBound <= last.upperBound + 1 {
        out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
      } else {
        out.append(r)
      }
    }
    return out
  }
}

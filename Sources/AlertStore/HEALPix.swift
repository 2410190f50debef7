import Foundation

/// HEALPix pixelisation of the sphere in the NESTED scheme (Górski et al. 2005, ApJ 622, 759).
///
/// The sphere is cut into 12 base pixels ("faces"), each split recursively into 4, so at `order` k there are
/// 12 * 4^k equal-area pixels (`nside` = 2^k). In the nested numbering the 4 children of pixel p are 4p...4p+3,
/// so every pixel at a coarse order is a contiguous RANGE of pixel numbers at a finer one: a sky index on the
/// finest order answers queries at any coarser resolution with a range scan. That is why the store uses it.
///
/// Coordinates are ICRS right ascension and declination in degrees (θ = 90° - dec, φ = ra).
public struct HEALPix: Sendable, Equatable {
  /// Resolution: nside = 2^order. Order 14 gives pixels of about 12.9 arcsec.
  public let order: Int

  /// The finest order whose pixel numbers fit comfortably in Int64 (12 * 4^29 < 2^63).
  public static let maximumOrder = 29

  public init(order: Int) {
    precondition((0...Self.maximumOrder).contains(order), "HEALPix order must be 0...\(Self.maximumOrder), got \(order)")
    self.order = order
  }

  /// Pixels along a side of a base pixel.
  public var nside: Int64 { 1 << Int64(order) }
  /// Number of pixels on the sphere: 12 * nside².
  public var pixelCount: Int64 { 12 * nside * nside }
  /// Side of a pixel of equal area, in arcsec (sqrt(4π / pixelCount)).
  public var pixelSizeArcsec: Double { (4 * Double.pi / Double(pixelCount)).squareRoot() * Self.arcsecPerRadian }

  /// An upper bound, in radians, on the angular distance from a pixel's centre to any point of that pixel.
  ///
  /// The largest pixels (at the edge of the polar caps) reach about 1.07/nside radians from their centre to a
  /// corner; the bound takes 1.6/nside, a margin of 50% that also covers pixel edges bulging past their corners
  /// (they are not great circles). `HEALPixTests` checks it against points sampled inside pixels at many orders.
  public var maximumPixelRadius: Double { min(Double.pi, 1.6 / Double(nside)) }

  static let arcsecPerRadian = 180 * 3600 / Double.pi

  // MARK: - Angle to pixel

  /// The pixel containing the position (degrees). `ra` is taken modulo 360; `dec` must be in -90...90.
  public func pixel(ra: Double, dec: Double) -> Int64 {
    let phi = Self.normalizedRadians(ra)
    let decRadians = dec * .pi / 180
    return pixel(z: sin(decRadians), sinTheta: cos(decRadians), phi: phi)
  }

  /// The pixel of the position with z = cos θ, sin θ and φ in [0, 2π).
  func pixel(z: Double, sinTheta: Double, phi: Double) -> Int64 {
    let n = nside
    let za = abs(z)
    let t = phi / (Double.pi / 2)  // in [0, 4): which quarter of the sky in longitude
    let face: Int64
    let ix: Int64
    let iy: Int64
    if za <= 2.0 / 3.0 {
      // Equatorial belt: pixel boundaries are straight lines in (φ, z); jp and jm index the ascending and
      // descending lines through the point.
      let a = Double(n) * (0.5 + t)
      let b = Double(n) * (z * 0.75)
      let jp = Int64((a - b).rounded(.down))
      let jm = Int64((a + b).rounded(.down))
      let faceP = jp >> Int64(order)
      let faceM = jm >> Int64(order)
      if faceP == faceM {
        face = (faceP & 3) | 4  // faceP = 4 only at φ → 2π, which is face 4 again
      } else if faceP < faceM {
        face = faceP  // north face
      } else {
        face = faceM + 8  // south face
      }
      ix = jm & (n - 1)
      iy = n - (jp & (n - 1)) - 1
    } else {
      // Polar caps: the distance to the pole scales with sqrt(3 (1 - |z|)) = sin θ * sqrt(3 / (1 + |z|)), written
      // with sin θ so that positions within a few milliarcsec of a pole keep their precision.
      let quarter = min(3, Int64(t))
      let tp = t - Double(quarter)
      let scale = Double(n) * sinTheta * (3 / (1 + za)).squareRoot()
      let jp = min(n - 1, Int64((tp * scale).rounded(.down)))
      let jm = min(n - 1, Int64(((1 - tp) * scale).rounded(.down)))
      if z > 0 {
        face = quarter
        ix = n - jm - 1
        iy = n - jp - 1
      } else {
        face = quarter + 8
        ix = jp
        iy = jm
      }
    }
    return face * n * n + Self.interleave(ix, iy)
  }

  // MARK: - Pixel to angle

  /// The centre of `pixel` (degrees).
  public func center(of pixel: Int64) -> (ra: Double, dec: Double) {
    location(in: pixel, x: 0.5, y: 0.5)
  }

  /// A point of `pixel` (degrees): `x`, `y` in 0...1 are coordinates across the pixel (0.5, 0.5 is the centre,
  /// corners are 0 or 1), along the two directions of its base pixel's grid.
  public func location(in pixel: Int64, x: Double, y: Double) -> (ra: Double, dec: Double) {
    precondition(pixel >= 0 && pixel < pixelCount, "HEALPix pixel \(pixel) out of range at order \(order)")
    let n = nside
    let face = Int(pixel / (n * n))
    let (ix, iy) = Self.deinterleave(pixel % (n * n))
    let (z, phi) = Self.faceLocation(
      face: face, x: (Double(ix) + x) / Double(n), y: (Double(iy) + y) / Double(n))
    let dec = asin(max(-1, min(1, z))) * 180 / .pi
    var ra = phi * 180 / .pi
    if ra >= 360 { ra -= 360 }
    return (ra, dec)
  }

  /// For each face: the distance from the north pole, in rings of nside, of its southernmost corner (x = y = 0),
  /// and the longitude of its centre in units of π/4.
  private static let faceRing: [Double] = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]
  private static let faceLongitude: [Double] = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7]

  /// (z, φ) of face coordinates x, y in 0...1 (the inverse of the projection `pixel(z:sinTheta:phi:)` uses).
  static func faceLocation(face: Int, x: Double, y: Double) -> (z: Double, phi: Double) {
    // r: distance from the north pole in rings, in units of nside (0 at the north pole, 4 at the south pole).
    let r = faceRing[face] - x - y
    let ringsFromPole: Double
    let z: Double
    if r < 1 {
      ringsFromPole = r
      z = 1 - r * r / 3
    } else if r > 3 {
      ringsFromPole = 4 - r
      z = ringsFromPole * ringsFromPole / 3 - 1
    } else {
      ringsFromPole = 1
      z = (2 - r) * 2 / 3
    }
    var s = faceLongitude[face] * ringsFromPole + x - y
    if s < 0 { s += 8 }
    if s >= 8 { s -= 8 }
    let phi = ringsFromPole < 1e-15 ? 0 : (Double.pi / 4) * s / ringsFromPole
    return (z, phi)
  }

  // MARK: - Helpers

  /// φ in [0, 2π) from right ascension in degrees (any value; wrapped).
  static func normalizedRadians(_ ra: Double) -> Double {
    var r = ra.truncatingRemainder(dividingBy: 360)
    if r < 0 { r += 360 }
    let phi = r * .pi / 180
    return phi >= 2 * .pi ? 0 : phi
  }

  /// Nested pixel index within a face: the bits of ix in the even positions, those of iy in the odd ones.
  static func interleave(_ ix: Int64, _ iy: Int64) -> Int64 {
    spread(UInt64(ix)) | (spread(UInt64(iy)) << 1)
  }

  static func deinterleave(_ p: Int64) -> (Int64, Int64) {
    (Int64(compact(UInt64(p))), Int64(compact(UInt64(p) >> 1)))
  }

  /// Moves bit i of `v` to bit 2i (v < 2^32).
  private static func spread(_ v: UInt64) -> Int64 {
    var x = v & 0xFFFF_FFFF
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F
    x = (x | (x << 2)) & 0x3333_3333_3333_3333
    x = (x | (x << 1)) & 0x5555_5555_5555_5555
    return Int64(x)
  }

  /// Inverse of `spread`: gathers the even bits of `v`.
  private static func compact(_ v: UInt64) -> UInt64 {
    var x = v & 0x5555_5555_5555_5555
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF
    x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
    return x
  }
}

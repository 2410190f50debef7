import Foundation

/// One photometric point of an object's light curve: a detection (it has `magpsf`) or a non-detection upper limit
/// (only `diffmaglim`, the 5-sigma limiting magnitude of the difference image).
///
/// Points come from each alert's candidate and its `prv_candidates` history; the store keeps one point per
/// (objectId, jd, fid), so a detection repeated in the histories of later packets is stored once.
public struct LightCurvePoint: Sendable, Equatable {
  /// Julian date of the exposure.
  public var jd: Double
  /// Filter: 1 = g, 2 = r, 3 = i.
  public var fid: Int
  /// The detection's candidate id (nil for upper limits).
  public var candid: Int64?
  public var magpsf: Double?
  public var sigmapsf: Double?
  public var diffmaglim: Double?
  /// "t"/"1" for a positive subtraction, "f"/"0" for a negative one (detections only).
  public var isdiffpos: String?
  public var ra: Double?
  public var dec: Double?
  public var programid: Int?

  public init(
    jd: Double, fid: Int, candid: Int64? = nil, magpsf: Double? = nil, sigmapsf: Double? = nil,
    diffmaglim: Double? = nil, isdiffpos: String? = nil, ra: Double? = nil, dec: Double? = nil, programid: Int? = nil
  ) {
    self.jd = jd
    self.fid = fid
    self.candid = candid
    self.magpsf = magpsf
    self.sigmapsf = sigmapsf
    self.diffmaglim = diffmaglim
    self.isdiffpos = isdiffpos
    self.ra = ra
    self.dec = dec
    self.programid = programid
  }

  /// True for a detection (a measured magnitude), false for an upper limit.
  public var isDetection: Bool { magpsf != nil }

  /// The filter's name: g, r, i (or `fid=N` for anything else).
  public var filterName: String { Self.filterName(fid) }

  /// g, r, i for fid 1, 2, 3.
  public static func filterName(_ fid: Int) -> String {
    switch fid {
    case 1: return "g"
    case 2: return "r"
    case 3: return "i"
    default: return "fid=\(fid)"
    }
  }
}

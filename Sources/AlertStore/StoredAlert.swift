import Foundation

/// An alert as the store returns it: the indexed candidate columns and the whole candidate record (JSON text).
public struct StoredAlert: Sendable, Equatable {
  // Fields carry ZTF's names and meanings (see ZTFCandidate): the alert's candid and objectId, the packet's
  // schemavsn, then the candidate's jd, fid, position (degrees), PSF magnitude and error, limiting magnitude,
  // subtraction sign and real-bogus scores.
  public var candid: Int64
  public var objectId: String
  public var schemavsn: String
  public var jd: Double
  public var fid: Int
  public var ra: Double
  public var dec: Double
  public var magpsf: Double?
  public var sigmapsf: Double?
  public var diffmaglim: Double?
  public var isdiffpos: String?
  public var rb: Double?
  public var drb: Double?
  public var programid: Int?
  /// The whole candidate record as a JSON object, fields in the packet's schema order.
  public var candidateJSON: String

  public init(
    candid: Int64, objectId: String, schemavsn: String, jd: Double, fid: Int, ra: Double, dec: Double,
    magpsf: Double?, sigmapsf: Double?, diffmaglim: Double?, isdiffpos: String?, rb: Double?, drb: Double?,
    programid: Int?, candidateJSON: String
  ) {
    self.candid = candid
    self.objectId = objectId
    self.schemavsn = schemavsn
    self.jd = jd
    self.fid = fid
    self.ra = ra
    self.dec = dec
    self.magpsf = magpsf
    self.sigmapsf = sigmapsf
    self.diffmaglim = diffmaglim
    self.isdiffpos = isdiffpos
    self.rb = rb
    self.drb = drb
    self.programid = programid
    self.candidateJSON = candidateJSON
  }

  /// The candidate record parsed into Foundation values (`[String: Any]`), e.g. to read a field the store does
  /// not index: `try alert.candidate()["sgscore1"]`.
  public func candidate() throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(candidateJSON.utf8)) as? [String: Any] else {
      throw AlertStoreError(source: "candid \(candid)", reason: "stored candidate record is not a JSON object")
    }
    return object
  }
}

/// The three cutouts of one stored alert, gzip FITS bytes exactly as they arrived (nil where the packet had none).
public struct StoredCutouts: Sendable, Equatable {
  public var candid: Int64
  public var science: CutoutBlob?
  public var template: CutoutBlob?
  public var difference: CutoutBlob?

  public init(candid: Int64, science: CutoutBlob?, template: CutoutBlob?, difference: CutoutBlob?) {
    self.candid = candid
    self.science = science
    self.template = template
    self.difference = difference
  }

  /// The cutouts a record carries, or nil when it has none.
  public init?(record: AlertIngestRecord) {
    guard record.hasCutouts else { return nil }
    self.init(candid: record.candid, science: record.science, template: record.template, difference: record.difference)
  }
}

/// One model's score for one alert. Scores are keyed by (candid, model, version): re-scoring with the same
/// model and version replaces the score, a new version is stored beside the old one.
public struct ModelScore: Sendable, Equatable {
  public var candid: Int64
  /// e.g. `braai`.
  public var model: String
  /// e.g. `d6_m7` (the weights).
  public var version: String
  public var score: Double

  public init(candid: Int64, model: String, version: String, score: Double) {
    self.candid = candid
    self.model = model
    self.version = version
    self.score = score
  }
}

/// A cone search: everything within `radiusArcsec` of (ra, dec), optionally within a Julian-date window.
public struct ConeQuery: Sendable, Equatable {
  /// Centre, degrees (ICRS); ra in [0, 360), dec in [-90, 90].
  public var ra: Double
  public var dec: Double
  /// Radius in arcsec, > 0.
  public var radiusArcsec: Double
  /// Only alerts with jd >= jdMin (when set).
  public var jdMin: Double?
  /// Only alerts with jd <= jdMax (when set).
  public var jdMax: Double?

  public init(ra: Double, dec: Double, radiusArcsec: Double, jdMin: Double? = nil, jdMax: Double? = nil) {
    self.ra = ra
    self.dec = dec
    self.radiusArcsec = radiusArcsec
    self.jdMin = jdMin
    self.jdMax = jdMax
  }

  /// Throws `AlertStoreError` when the centre, radius or date window is out of range.
  public func validate() throws {
    func fail(_ reason: String) -> AlertStoreError { AlertStoreError(source: "cone search", reason: reason) }
    guard ra.isFinite, ra >= 0, ra < 360 else { throw fail("ra = \(ra) is outside 0..<360 degrees") }
    guard dec.isFinite, dec >= -90, dec <= 90 else { throw fail("dec = \(dec) is outside -90...90 degrees") }
    guard radiusArcsec.isFinite, radiusArcsec > 0 else { throw fail("radius = \(radiusArcsec) arcsec is not positive") }
    guard radiusArcsec <= 180 * 3600 else { throw fail("radius = \(radiusArcsec) arcsec is more than 180 degrees") }
    if let jdMin, let jdMax, jdMin > jdMax { throw fail("jd window is empty: jd-min \(jdMin) > jd-max \(jdMax)") }
  }
}

/// One alert found by a cone search, with its distance from the cone's centre.
public struct ConeMatch: Sendable, Equatable {
  public var alert: StoredAlert
  public var distanceArcsec: Double

  public init(alert: StoredAlert, distanceArcsec: Double) {
    self.alert = alert
    self.distanceArcsec = distanceArcsec
  }
}

/// What a batch insert did.
public struct InsertSummary: Sendable, Equatable {
  /// Alerts that were new.
  public var inserted: Int
  /// Alerts already stored (same candid): nothing of theirs was written again.
  public var duplicates: Int

  public init(inserted: Int = 0, duplicates: Int = 0) {
    self.inserted = inserted
    self.duplicates = duplicates
  }
}

/// Counts describing a store.
public struct StoreStatistics: Sendable, Equatable {
  public var alerts: Int
  public var objects: Int
  public var detections: Int
  public var upperLimits: Int
  public var cutouts: Int
  /// Score counts per "model/version".
  public var scores: [String: Int]
  /// Earliest and latest alert jd (nil when empty).
  public var jdRange: ClosedRange<Double>?
  /// Schema version of the store file.
  public var schemaVersion: Int

  public init(
    alerts: Int, objects: Int, detections: Int, upperLimits: Int, cutouts: Int, scores: [String: Int],
    jdRange: ClosedRange<Double>?, schemaVersion: Int
  ) {
    self.alerts = alerts
    self.objects = objects
    self.detections = detections
    self.upperLimits = upperLimits
    self.cutouts = cutouts
    self.scores = scores
    self.jdRange = jdRange
    self.schemaVersion = schemaVersion
  }
}

import Foundation
import ZTFAlerts

/// One gzip-compressed FITS cutout as it arrived in the packet.
public struct CutoutBlob: Sendable, Equatable {
  /// e.g. `candid1105522281015015000_pid1105522281015_targ_sci.fits.gz`.
  public var fileName: String
  /// The gzip FITS bytes, untouched.
  public var data: Data

  public init(fileName: String, data: Data) {
    self.fileName = fileName
    self.data = data
  }
}

/// What the store keeps of one alert packet, independent of the backend: the indexed candidate columns, the whole
/// candidate record as JSON, the three cutouts and the light-curve points the packet carries.
///
/// Made from a decoded `ZTFAlert` (`init(alert:)`, which validates it), or directly for generated alerts.
public struct AlertIngestRecord: Sendable {
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
  /// The whole candidate record as a JSON object, fields in schema order.
  public var candidateJSON: String
  public var science: CutoutBlob?
  public var template: CutoutBlob?
  public var difference: CutoutBlob?
  /// The candidate's own point followed by its `prv_candidates` points (detections and upper limits).
  public var lightCurve: [LightCurvePoint]
  /// Where the record came from, for error messages (a packet file, or a label).
  public var source: String

  public init(
    candid: Int64, objectId: String, schemavsn: String, jd: Double, fid: Int, ra: Double, dec: Double,
    magpsf: Double? = nil, sigmapsf: Double? = nil, diffmaglim: Double? = nil, isdiffpos: String? = nil,
    rb: Double? = nil, drb: Double? = nil, programid: Int? = nil, candidateJSON: String,
    science: CutoutBlob? = nil, template: CutoutBlob? = nil, difference: CutoutBlob? = nil,
    lightCurve: [LightCurvePoint] = [], source: String = "record"
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
    self.science = science
    self.template = template
    self.difference = difference
    self.lightCurve = lightCurve
    self.source = source
  }

  /// Maps a decoded alert. Throws `AlertStoreError` naming the packet and field when a field the store indexes
  /// is missing or out of range (candidate.jd, fid, ra, dec; jd and fid of every prv_candidates entry).
  ///
  /// A `prv_candidates` entry with neither `magpsf` nor `diffmaglim` carries no photometry and adds no point.
  public init(alert: ZTFAlert) throws {
    let source = alert.source
    func fail(_ reason: String) -> AlertStoreError { AlertStoreError(source: source, reason: reason) }
    func required<T>(_ value: T?, _ field: String) throws -> T {
      guard let value else { throw fail("\(field) is missing or null") }
      return value
    }
    let c = alert.candidate
    self.init(
      candid: alert.candid, objectId: alert.objectId, schemavsn: alert.schemavsn,
      jd: try required(c.jd, "candidate.jd"), fid: try required(c.fid, "candidate.fid"),
      ra: try required(c.ra, "candidate.ra"), dec: try required(c.dec, "candidate.dec"),
      magpsf: c.magpsf, sigmapsf: c.sigmapsf, diffmaglim: c.diffmaglim, isdiffpos: c.isdiffpos,
      rb: c.rb, drb: c.drb, programid: c.programid, candidateJSON: JSONText(avro: c.record).rendered,
      science: alert.cutoutScience.map { CutoutBlob(fileName: $0.fileName, data: $0.stampData) },
      template: alert.cutoutTemplate.map { CutoutBlob(fileName: $0.fileName, data: $0.stampData) },
      difference: alert.cutoutDifference.map { CutoutBlob(fileName: $0.fileName, data: $0.stampData) },
      source: source)

    var points = [
      LightCurvePoint(
        jd: jd, fid: fid, candid: alert.candid, magpsf: magpsf, sigmapsf: sigmapsf, diffmaglim: diffmaglim,
        isdiffpos: isdiffpos, ra: ra, dec: dec, programid: programid)
    ]
    for (i, p) in alert.prvCandidates.enumerated() {
      guard p.magpsf != nil || p.diffmaglim != nil else { continue }
      points.append(
        LightCurvePoint(
          jd: try required(p.jd, "prv_candidates[\(i)].jd"), fid: try required(p.fid, "prv_candidates[\(i)].fid"),
          candid: p.magpsf == nil ? nil : p.candid, magpsf: p.magpsf, sigmapsf: p.sigmapsf, diffmaglim: p.diffmaglim,
          isdiffpos: p.magpsf == nil ? nil : p.isdiffpos, ra: p.ra, dec: p.dec, programid: p.programid))
    }
    lightCurve = points
    try validate()
  }

  /// Checks what the indexes and queries rely on: a non-empty objectId, finite jd, ra in [0, 360), dec in
  /// [-90, 90], a positive fid, and finite jd and positive fid for every light-curve point.
  /// Throws `AlertStoreError` naming the source, candid and field.
  public func validate() throws {
    func fail(_ reason: String) -> AlertStoreError {
      AlertStoreError(source: source, reason: "candid \(candid): \(reason)")
    }
    guard !objectId.isEmpty else { throw fail("objectId is empty") }
    guard jd.isFinite else { throw fail("candidate.jd = \(jd) is not a finite number") }
    guard ra.isFinite, ra >= 0, ra < 360 else { throw fail("candidate.ra = \(ra) is outside 0..<360 degrees") }
    guard dec.isFinite, dec >= -90, dec <= 90 else { throw fail("candidate.dec = \(dec) is outside -90...90 degrees") }
    guard fid > 0 else { throw fail("candidate.fid = \(fid) is not a filter id (1 = g, 2 = r, 3 = i)") }
    for (i, p) in lightCurve.enumerated() {
      guard p.jd.isFinite, p.fid > 0 else {
        throw fail("light-curve point \(i) has jd = \(p.jd), fid = \(p.fid) (need a finite jd and a positive fid)")
      }
    }
  }
}

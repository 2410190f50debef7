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
/// The indexed columns are those of `StoredAlert` (what the store returns), read and written through it
/// (`record.candid`, `record.jd`, ...).
@dynamicMemberLookup
public struct AlertIngestRecord: Sendable {
  /// The indexed candidate columns and the whole candidate record as JSON.
  public var columns: StoredAlert
  public subscript<T>(dynamicMember keyPath: WritableKeyPath<StoredAlert, T>) -> T {
    get { columns[keyPath: keyPath] }
    set { columns[keyPath: keyPath] = newValue }
  }
  public var science: CutoutBlob?
  public var template: CutoutBlob?
  public var difference: CutoutBlob?
  /// The candidate's own point followed by its `prv_candidates` points (detections and upper limits).
  public var lightCurve: [LightCurvePoint]
  /// Where the record came from, for error messages (a packet file, or a label).
  public var source: String
  /// Whether the packet carried any of the three stamps.
  public var hasCutouts: Bool { science != nil || template != nil || difference != nil }

  public init(
    candid: Int64, objectId: String, schemavsn: String, jd: Double, fid: Int, ra: Double, dec: Double,
    magpsf: Double? = nil, sigmapsf: Double? = nil, diffmaglim: Double? = nil, isdiffpos: String? = nil,
    rb: Double? = nil, drb: Double? = nil, programid: Int? = nil, candidateJSON: String,
    science: CutoutBlob? = nil, template: CutoutBlob? = nil, difference: CutoutBlob? = nil,
    lightCurve: [LightCurvePoint] = [], source: String = "record"
  ) {
    columns = StoredAlert(
      candid: candid, objectId: objectId, schemavsn: schemavsn, jd: jd, fid: fid, ra: ra, dec: dec, magpsf: magpsf,
      sigmapsf: sigmapsf, diffmaglim: diffmaglim, isdiffpos: isdiffpos, rb: rb, drb: drb, programid: programid,
      candidateJSON: candidateJSON)
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

    let own = columns
    var points = [
      LightCurvePoint(
        jd: own.jd, fid: own.fid, candid: alert.candid, magpsf: own.magpsf, sigmapsf: own.sigmapsf,
        diffmaglim: own.diffmaglim, isdiffpos: own.isdiffpos, ra: own.ra, dec: own.dec, programid: own.programid)
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

  /// Checks what the indexes and queries of both backends rely on: a non-empty objectId, a jd within the years
  /// 1858–2132 (PostgreSQL partitions by date), ra in [0, 360), dec in [-90, 90], a positive 32-bit fid and
  /// programid, no NUL character in any text (PostgreSQL's text and jsonb refuse it), and for every light-curve
  /// point a finite jd and a positive fid. Throws `AlertStoreError` naming the source, candid and field, so the
  /// ingest skips and reports the record instead of failing its batch.
  /// Julian dates the store accepts: 1858-11-17 to 2132-08-31.
  public static let jdRange = 2_400_000.5..<2_500_000.5

  public func validate() throws {
    let (candid, objectId, jd, ra, dec, fid) = (columns.candid, columns.objectId, columns.jd, columns.ra, columns.dec, columns.fid)
    func fail(_ reason: String) -> AlertStoreError {
      AlertStoreError(source: source, reason: "candid \(candid): \(reason)")
    }
    guard !objectId.isEmpty else { throw fail("objectId is empty") }
    guard jd.isFinite, jd >= Self.jdRange.lowerBound, jd < Self.jdRange.upperBound else {
      throw fail("candidate.jd = \(jd) is outside \(Self.jdRange.lowerBound)..<\(Self.jdRange.upperBound) (the years 1858 to 2132)")
    }
    guard ra.isFinite, ra >= 0, ra < 360 else { throw fail("candidate.ra = \(ra) is outside 0..<360 degrees") }
    guard dec.isFinite, dec >= -90, dec <= 90 else { throw fail("candidate.dec = \(dec) is outside -90...90 degrees") }
    guard fid > 0, fid <= Int(Int32.max) else { throw fail("candidate.fid = \(fid) is not a filter id (1 = g, 2 = r, 3 = i)") }
    if let programid = columns.programid, Int32(exactly: programid) == nil {
      throw fail("candidate.programid = \(programid) is not a 32-bit integer")
    }
    for (name, text) in [
      ("objectId", objectId), ("schemavsn", columns.schemavsn), ("candidate.isdiffpos", columns.isdiffpos ?? ""),
    ] where text.utf8.contains(0) {
      throw fail("\(name) contains a NUL character")
    }
    // The record's JSON writes a NUL as \u0000.
    if columns.candidateJSON.contains("\\u0000") { throw fail("the candidate record contains a NUL character") }
    for (i, p) in lightCurve.enumerated() {
      guard p.jd.isFinite, p.fid > 0, p.fid <= Int(Int32.max), p.programid.map({ Int32(exactly: $0) != nil }) ?? true,
        !(p.isdiffpos ?? "").utf8.contains(0)
      else {
        throw fail(
          "light-curve point \(i) has jd = \(p.jd), fid = \(p.fid) (need a finite jd, a positive 32-bit fid and programid, "
            + "no NUL in isdiffpos)")
      }
    }
  }
}

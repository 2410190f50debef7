import Foundation

/// JSON documents and tables for stored alerts, light curves and cone-search results: what `alerts` prints.
///
/// JSON keeps ZTF's field names (`candid`, `objectId`, `magpsf`, ...), so documents read like Kowalski's.
public enum AlertRendering {
  /// The indexed columns of an alert, in the order tables show them.
  public static let alertColumns = [
    "candid", "objectId", "jd", "fid", "ra", "dec", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos", "rb", "drb",
    "programid",
  ]

  /// The alert as a JSON object: its columns, `schemavsn`, the whole `candidate` record, and `scores` when given.
  public static func json(_ a: StoredAlert, scores: [ModelScore]? = nil) -> JSONText {
    var members: [(String, JSONText)] = [
      ("candid", .int(a.candid)), ("objectId", .string(a.objectId)), ("schemavsn", .string(a.schemavsn)),
      ("jd", .double(a.jd)), ("fid", .int(Int64(a.fid))), ("ra", .double(a.ra)), ("dec", .double(a.dec)),
      ("magpsf", .number(a.magpsf)), ("sigmapsf", .number(a.sigmapsf)), ("diffmaglim", .number(a.diffmaglim)),
      ("isdiffpos", .text(a.isdiffpos)), ("rb", .number(a.rb)), ("drb", .number(a.drb)),
      ("programid", .integer(a.programid)), ("candidate", .raw(a.candidateJSON)),
    ]
    if let scores {
      members.append(
        ("scores", .array(scores.map { .object([("model", .string($0.model)), ("version", .string($0.version)), ("score", .double($0.score))]) })))
    }
    return .object(members)
  }

  static func row(_ a: StoredAlert) -> [String] {
    [
      String(a.candid), a.objectId, String(a.jd), String(a.fid), String(a.ra), String(a.dec), RecordTable.cell(a.magpsf),
      RecordTable.cell(a.sigmapsf), RecordTable.cell(a.diffmaglim), RecordTable.cell(a.isdiffpos), RecordTable.cell(a.rb),
      RecordTable.cell(a.drb), RecordTable.cell(a.programid),
    ]
  }

  /// Alerts as a table of their columns.
  public static func table(_ alerts: [StoredAlert]) -> RecordTable {
    RecordTable(columns: alertColumns, rows: alerts.map(row))
  }

  /// Columns of light-curve points.
  public static let pointColumns = [
    "jd", "fid", "filter", "kind", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos", "candid", "ra", "dec", "programid",
  ]

  /// A light-curve point as a JSON object (`kind` is `detection` or `upper_limit`).
  public static func json(_ p: LightCurvePoint) -> JSONText {
    .object([
      ("jd", .double(p.jd)), ("fid", .int(Int64(p.fid))), ("filter", .string(p.filterName)),
      ("kind", .string(p.isDetection ? "detection" : "upper_limit")), ("magpsf", .number(p.magpsf)),
      ("sigmapsf", .number(p.sigmapsf)), ("diffmaglim", .number(p.diffmaglim)), ("isdiffpos", .text(p.isdiffpos)),
      ("candid", .integer(p.candid)), ("ra", .number(p.ra)), ("dec", .number(p.dec)), ("programid", .integer(p.programid)),
    ])
  }

  static func row(_ p: LightCurvePoint) -> [String] {
    [
      String(p.jd), String(p.fid), p.filterName, p.isDetection ? "detection" : "upper_limit", RecordTable.cell(p.magpsf),
      RecordTable.cell(p.sigmapsf), RecordTable.cell(p.diffmaglim), RecordTable.cell(p.isdiffpos), RecordTable.cell(p.candid),
      RecordTable.cell(p.ra), RecordTable.cell(p.dec), RecordTable.cell(p.programid),
    ]
  }

  /// Light-curve points as a table.
  public static func table(_ points: [LightCurvePoint]) -> RecordTable {
    RecordTable(columns: pointColumns, rows: points.map(row))
  }

  /// `{"objectId": ..., "alerts": [...], "lightcurve": [...]}`.
  public static func objectJSON(objectId: String, alerts: [StoredAlert], lightCurve: [LightCurvePoint]) -> JSONText {
    .object([
      ("objectId", .string(objectId)), ("alerts", .array(alerts.map { json($0) })),
      ("lightcurve", .array(lightCurve.map(json))),
    ])
  }

  /// An object's alerts and light curve as ONE table (so the CSV is a single valid table): `section` is `alert`
  /// or `lightcurve`; light-curve rows leave the alert-only columns empty.
  public static func objectTable(alerts: [StoredAlert], lightCurve: [LightCurvePoint]) -> RecordTable {
    let columns = ["section", "kind"] + alertColumns
    var rows = alerts.map { ["alert", "detection"] + row($0) }
    for p in lightCurve {
      rows.append([
        "lightcurve", p.isDetection ? "detection" : "upper_limit", RecordTable.cell(p.candid), "", String(p.jd),
        String(p.fid), RecordTable.cell(p.ra), RecordTable.cell(p.dec), RecordTable.cell(p.magpsf),
        RecordTable.cell(p.sigmapsf), RecordTable.cell(p.diffmaglim), RecordTable.cell(p.isdiffpos), "", "",
        RecordTable.cell(p.programid),
      ])
    }
    return RecordTable(columns: columns, rows: rows)
  }

  /// A cone-search match: `distance_arcsec` followed by the alert's members.
  public static func json(_ m: ConeMatch) -> JSONText {
    guard case .object(let members) = json(m.alert) else { return .null }
    return .object([("distance_arcsec", .double(m.distanceArcsec))] + members)
  }

  /// Cone-search matches as a table with the distance first.
  public static func table(_ matches: [ConeMatch]) -> RecordTable {
    RecordTable(
      columns: ["distance_arcsec"] + alertColumns, rows: matches.map { [String($0.distanceArcsec)] + row($0.alert) })
  }

  /// Store statistics as a JSON object.
  public static func json(_ s: StoreStatistics) -> JSONText {
    .object([
      ("alerts", .int(Int64(s.alerts))), ("objects", .int(Int64(s.objects))), ("detections", .int(Int64(s.detections))),
      ("upper_limits", .int(Int64(s.upperLimits))), ("cutouts", .int(Int64(s.cutouts))),
      ("scores", .object(s.scores.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
      ("jd_min", .number(s.jdRange?.lowerBound)), ("jd_max", .number(s.jdRange?.upperBound)),
      ("schema_version", .int(Int64(s.schemaVersion))),
    ])
  }
}

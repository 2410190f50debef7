import Foundation
import GRDB

extension SQLiteAlertDatabase {
  /// Columns of `alerts` in the order `storedAlert(_:)` reads them.
  static let alertColumns =
    "candid, objectId, schemavsn, jd, fid, ra, dec, magpsf, sigmapsf, diffmaglim, isdiffpos, rb, drb, programid, candidate"

  static func storedAlert(_ row: Row) -> StoredAlert {
    StoredAlert(
      candid: row[0], objectId: row[1], schemavsn: row[2], jd: row[3], fid: row[4], ra: row[5], dec: row[6],
      magpsf: row[7], sigmapsf: row[8], diffmaglim: row[9], isdiffpos: row[10], rb: row[11], drb: row[12],
      programid: row[13], candidateJSON: row[14])
  }

  public func alert(candid: Int64) throws -> StoredAlert? {
    try read("reading alert \(candid)") { db in
      try Row.fetchOne(db, sql: "SELECT \(Self.alertColumns) FROM alerts WHERE candid = ?", arguments: [candid])
        .map(Self.storedAlert)
    }
  }

  public func alerts(objectId: String) throws -> [StoredAlert] {
    try read("reading the alerts of \(objectId)") { db in
      try Row.fetchAll(
        db, sql: "SELECT \(Self.alertColumns) FROM alerts WHERE objectId = ? ORDER BY jd, candid", arguments: [objectId]
      ).map(Self.storedAlert)
    }
  }

  public func lightCurve(objectId: String) throws -> [LightCurvePoint] {
    try read("reading the light curve of \(objectId)") { db in
      let statement = try db.cachedStatement(
        sql: """
          SELECT jd, fid, candid, magpsf, sigmapsf, diffmaglim, isdiffpos, ra, dec, programid
          FROM lightcurve WHERE objectId = ? ORDER BY jd, fid
          """)
      let rows = try Row.fetchCursor(statement, arguments: [objectId])
      var points: [LightCurvePoint] = []
      while let row = try rows.next() {
        points.append(
          LightCurvePoint(
            jd: row[0], fid: row[1], candid: row[2], magpsf: row[3], sigmapsf: row[4], diffmaglim: row[5],
            isdiffpos: row[6], ra: row[7], dec: row[8], programid: row[9]))
      }
      return points
    }
  }

  /// Finds the pixel ranges the cone can touch (`SkyCoverage`), reads the alerts in those ranges through the sky
  /// index, and keeps those within the exact great-circle distance.
  public func coneSearch(_ query: ConeQuery) throws -> [ConeMatch] {
    try query.validate()
    let ranges = SkyCoverage.pixelRanges(
      ra: query.ra, dec: query.dec, radiusArcsec: query.radiusArcsec, order: healpix.order)
    var sql = "SELECT \(Self.alertColumns) FROM alerts WHERE hpix BETWEEN ? AND ?"
    if query.jdMin != nil { sql += " AND jd >= ?" }
    if query.jdMax != nil { sql += " AND jd <= ?" }
    return try read("cone search") { db in
      let statement = try db.cachedStatement(sql: sql)
      var matches: [ConeMatch] = []
      for range in ranges {
        var arguments: StatementArguments = [range.lowerBound, range.upperBound]
        if let jdMin = query.jdMin { arguments += [jdMin] }
        if let jdMax = query.jdMax { arguments += [jdMax] }
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
          // Distance first, from two columns: rows outside the cone never have their record read.
          let distance = SphericalDistance.arcsec(ra1: query.ra, dec1: query.dec, ra2: row[5], dec2: row[6])
          if distance <= query.radiusArcsec {
            matches.append(ConeMatch(alert: Self.storedAlert(row), distanceArcsec: distance))
          }
        }
      }
      return matches.sorted { ($0.distanceArcsec, $0.alert.candid) < ($1.distanceArcsec, $1.alert.candid) }
    }
  }

  static func cutouts(_ row: Row) -> StoredCutouts {
    func blob(_ name: Int, _ data: Int) -> CutoutBlob? {
      guard let bytes: Data = row[data] else { return nil }
      return CutoutBlob(fileName: row[name] ?? "", data: bytes)
    }
    return StoredCutouts(candid: row[0], science: blob(1, 2), template: blob(3, 4), difference: blob(5, 6))
  }

  static let cutoutColumns =
    "candid, science_name, science, template_name, template, difference_name, difference"

  public func cutouts(candid: Int64) throws -> StoredCutouts? {
    try read("reading the cutouts of \(candid)") { db in
      try Row.fetchOne(db, sql: "SELECT \(Self.cutoutColumns) FROM cutouts WHERE candid = ?", arguments: [candid])
        .map(Self.cutouts)
    }
  }

  public func cutouts(after: Int64?, limit: Int) throws -> [StoredCutouts] {
    try read("reading cutouts") { db in
      try Row.fetchAll(
        db, sql: "SELECT \(Self.cutoutColumns) FROM cutouts WHERE candid > ? ORDER BY candid LIMIT ?",
        arguments: [after ?? Int64.min, max(0, limit)]
      ).map(Self.cutouts)
    }
  }

  public func scores(candid: Int64) throws -> [ModelScore] {
    try read("reading the scores of \(candid)") { db in
      try Row.fetchAll(
        db, sql: "SELECT candid, model, version, score FROM scores WHERE candid = ? ORDER BY model, version",
        arguments: [candid]
      ).map { ModelScore(candid: $0[0], model: $0[1], version: $0[2], score: $0[3]) }
    }
  }

  public func alertCount() throws -> Int {
    try read("counting alerts") { try Int.fetchOne($0, sql: "SELECT count(*) FROM alerts") ?? 0 }
  }

  public func statistics() throws -> StoreStatistics {
    try read("reading statistics") { db in
      let alerts = try Int.fetchOne(db, sql: "SELECT count(*) FROM alerts") ?? 0
      let objects = try Int.fetchOne(db, sql: "SELECT count(DISTINCT objectId) FROM lightcurve") ?? 0
      let detections = try Int.fetchOne(db, sql: "SELECT count(*) FROM lightcurve WHERE magpsf IS NOT NULL") ?? 0
      let points = try Int.fetchOne(db, sql: "SELECT count(*) FROM lightcurve") ?? 0
      let cutouts = try Int.fetchOne(db, sql: "SELECT count(*) FROM cutouts") ?? 0
      var scores: [String: Int] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT model, version, count(*) FROM scores GROUP BY model, version") {
        scores["\(row[0] as String)/\(row[1] as String)"] = row[2]
      }
      let range = try Row.fetchOne(db, sql: "SELECT min(jd), max(jd) FROM alerts")
      let jdMin: Double? = range?[0]
      let jdMax: Double? = range?[1]
      return StoreStatistics(
        alerts: alerts, objects: objects, detections: detections, upperLimits: points - detections, cutouts: cutouts,
        scores: scores, jdRange: jdMin.flatMap { lo in jdMax.map { lo...$0 } },
        schemaVersion: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)
    }
  }
}

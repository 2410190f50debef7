import Foundation
import GRDB

extension SQLiteAlertDatabase {
  /// Columns of `alerts` in the order `storedAlert(_:)` reads them.
  static let alertColumns =
    "candid, objectId, schemavsn, jd, fid, ra, dec, magpsf, sigmapsf, diffmaglim, isdiffpos, rb, drb, programid, candidate"

  /// Row values are decoded with `decode(atIndex:)`, which throws, never with GRDB's subscript, which traps: a corrupt or
  /// foreign store (a `jd` holding text, a score stored as `'NaN'`) must give an error naming the column and row.
  static func storedAlert(_ row: Row) throws -> StoredAlert {
    try StoredAlert(
      candid: row.decode(atIndex: 0), objectId: row.decode(atIndex: 1), schemavsn: row.decode(atIndex: 2),
      jd: row.decode(atIndex: 3), fid: row.decode(atIndex: 4), ra: row.decode(atIndex: 5), dec: row.decode(atIndex: 6),
      magpsf: row.decode(atIndex: 7), sigmapsf: row.decode(atIndex: 8), diffmaglim: row.decode(atIndex: 9),
      isdiffpos: row.decode(atIndex: 10), rb: row.decode(atIndex: 11), drb: row.decode(atIndex: 12),
      programid: row.decode(atIndex: 13), candidateJSON: row.decode(atIndex: 14))
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
          try LightCurvePoint(
            jd: row.decode(atIndex: 0), fid: row.decode(atIndex: 1), candid: row.decode(atIndex: 2),
            magpsf: row.decode(atIndex: 3), sigmapsf: row.decode(atIndex: 4), diffmaglim: row.decode(atIndex: 5),
            isdiffpos: row.decode(atIndex: 6), ra: row.decode(atIndex: 7), dec: row.decode(atIndex: 8),
            programid: row.decode(atIndex: 9)))
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
          let distance = try SphericalDistance.arcsec(
            ra1: query.ra, dec1: query.dec, ra2: row.decode(atIndex: 5), dec2: row.decode(atIndex: 6))
          if distance <= query.radiusArcsec {
            matches.append(ConeMatch(alert: try Self.storedAlert(row), distanceArcsec: distance))
          }
        }
      }
      return matches.sorted { ($0.distanceArcsec, $0.alert.candid) < ($1.distanceArcsec, $1.alert.candid) }
    }
  }

  static func cutouts(_ row: Row) throws -> StoredCutouts {
    func blob(_ name: Int, _ data: Int) throws -> CutoutBlob? {
      guard let bytes: Data = row[data] else { return nil }
      return CutoutBlob(fileName: row[name] ?? "", data: bytes)
    }
    return try StoredCutouts(
      candid: row.decode(atIndex: 0), science: blob(1, 2), template: blob(3, 4), difference: blob(5, 6))
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
      ).map {
        try ModelScore(
          candid: $0.decode(atIndex: 0), model: $0.decode(atIndex: 1), version: $0.decode(atIndex: 2),
          score: $0.decode(atIndex: 3))
      }
    }
  }

  /// The filter as an SQL condition with `?` placeholders, and its arguments.
  static func whereClause(_ filter: AlertFilter) -> (String, StatementArguments) {
    var arguments = StatementArguments()
    let terms = filter.conditions.map { c -> String in
      for v in c.values {
        switch v {
        case .integer(let i): arguments += [i]
        case .real(let d): arguments += [d]
        case .text(let t): arguments += [t]
        }
      }
      if c.op == .in { return "\(c.column) IN (\(Array(repeating: "?", count: c.values.count).joined(separator: ", ")))" }
      return "\(c.column) \(c.op.sql) ?"
    }
    return (terms.isEmpty ? "1" : terms.joined(separator: " AND "), arguments)
  }

  public func find(_ filter: AlertFilter, limit: Int, skip: Int) throws -> [StoredAlert] {
    let (condition, arguments) = Self.whereClause(filter)
    return try read("find") { db in
      try Row.fetchAll(
        db, sql: "SELECT \(Self.alertColumns) FROM alerts WHERE \(condition) ORDER BY jd, candid LIMIT ? OFFSET ?",
        arguments: arguments + [max(0, limit), max(0, skip)]
      ).map(Self.storedAlert)
    }
  }

  public func count(_ filter: AlertFilter) throws -> Int {
    let (condition, arguments) = Self.whereClause(filter)
    return try read("count") { try Int.fetchOne($0, sql: "SELECT count(*) FROM alerts WHERE \(condition)", arguments: arguments) ?? 0 }
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
        let model: String = try row.decode(atIndex: 0)
        let version: String = try row.decode(atIndex: 1)
        scores["\(model)/\(version)"] = try row.decode(atIndex: 2)
      }
      let range = try Row.fetchOne(db, sql: "SELECT min(jd), max(jd) FROM alerts")
      let jdMin: Double? = try range?.decode(atIndex: 0)
      let jdMax: Double? = try range?.decode(atIndex: 1)
      return StoreStatistics(
        alerts: alerts, objects: objects, detections: detections, upperLimits: points - detections, cutouts: cutouts,
        scores: scores, jdRange: jdMin.flatMap { lo in jdMax.map { lo...$0 } },
        schemaVersion: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)
    }
  }
}

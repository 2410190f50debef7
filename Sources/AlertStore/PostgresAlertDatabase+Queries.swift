import Foundation

extension PostgresAlertDatabase {
  /// Columns of `alerts` in the order `storedAlerts(_:)` reads them.
  static let alertColumns =
    "candid, objectid, schemavsn, jd, fid, ra, dec, magpsf, sigmapsf, diffmaglim, isdiffpos, rb, drb, programid, candidate_text"

  static func storedAlerts(_ rows: PostgresRows) throws -> [StoredAlert] {
    try (0..<rows.count).map { r in
      try StoredAlert(
        candid: rows.required(rows.int64(r, 0), r, 0), objectId: rows.required(rows.string(r, 1), r, 1),
        schemavsn: rows.required(rows.string(r, 2), r, 2), jd: rows.required(rows.double(r, 3), r, 3),
        fid: Int(rows.required(rows.int64(r, 4), r, 4)), ra: rows.required(rows.double(r, 5), r, 5),
        dec: rows.required(rows.double(r, 6), r, 6), magpsf: rows.double(r, 7), sigmapsf: rows.double(r, 8),
        diffmaglim: rows.double(r, 9), isdiffpos: rows.string(r, 10), rb: rows.double(r, 11), drb: rows.double(r, 12),
        programid: rows.int64(r, 13).map(Int.init), candidateJSON: rows.required(rows.string(r, 14), r, 14))
    }
  }

  public func alert(candid: Int64) throws -> StoredAlert? {
    try withConnection("reading alert \(candid)") { connection in
      // The jd from alert_index names the one partition to read (pruned when the statement starts).
      try Self.storedAlerts(
        connection.execute(
          "SELECT \(Self.alertColumns) FROM alerts WHERE candid = $1 AND jd = (SELECT jd FROM alert_index WHERE candid = $1)",
          [.int64(candid)])
      ).first
    }
  }

  public func alerts(objectId: String) throws -> [StoredAlert] {
    try withConnection("reading the alerts of \(objectId)") { connection in
      try Self.storedAlerts(
        connection.execute(
          "SELECT \(Self.alertColumns) FROM alerts WHERE objectid = $1 ORDER BY jd, candid", [.text(objectId)]))
    }
  }

  public func lightCurve(objectId: String) throws -> [LightCurvePoint] {
    try withConnection("reading the light curve of \(objectId)") { connection in
      let rows = try connection.execute(
        """
        SELECT jd, fid, candid, magpsf, sigmapsf, diffmaglim, isdiffpos, ra, dec, programid
        FROM lightcurve WHERE objectid = $1 ORDER BY jd, fid
        """, [.text(objectId)])
      return try (0..<rows.count).map { r in
        try LightCurvePoint(
          jd: rows.required(rows.double(r, 0), r, 0), fid: Int(rows.required(rows.int64(r, 1), r, 1)),
          candid: rows.int64(r, 2), magpsf: rows.double(r, 3), sigmapsf: rows.double(r, 4),
          diffmaglim: rows.double(r, 5), isdiffpos: rows.string(r, 6), ra: rows.double(r, 7), dec: rows.double(r, 8),
          programid: rows.int64(r, 9).map(Int.init))
      }
    }
  }

  /// q3c finds the candidates through its sky index (with a radius a hair larger, so no alert on the edge is lost
  /// to q3c's own rounding); the exact great-circle distance the SQLite store uses then decides, so both stores
  /// return the same alerts in the same order.
  public func coneSearch(_ query: ConeQuery) throws -> [ConeMatch] {
    try query.validate()
    let radiusDegrees = min(180, query.radiusArcsec / 3600 * (1 + 1e-9) + 1e-9)
    return try withConnection("cone search") { connection in
      let rows = try connection.execute(
        """
        SELECT \(Self.alertColumns) FROM alerts
        WHERE q3c_radial_query(ra, dec, $1, $2, $3) AND jd >= $4 AND jd <= $5
        """,
        [
          .double(query.ra), .double(query.dec), .double(radiusDegrees), .double(query.jdMin ?? -.infinity),
          .double(query.jdMax ?? .infinity),
        ])
      var matches: [ConeMatch] = []
      for alert in try Self.storedAlerts(rows) {
        let distance = SphericalDistance.arcsec(ra1: query.ra, dec1: query.dec, ra2: alert.ra, dec2: alert.dec)
        if distance <= query.radiusArcsec { matches.append(ConeMatch(alert: alert, distanceArcsec: distance)) }
      }
      return matches.sorted { ($0.distanceArcsec, $0.alert.candid) < ($1.distanceArcsec, $1.alert.candid) }
    }
  }

  static let cutoutColumns = "candid, science_name, science, template_name, template, difference_name, difference"

  static func storedCutouts(_ rows: PostgresRows) throws -> [StoredCutouts] {
    try (0..<rows.count).map { r in
      func blob(_ name: Int, _ data: Int) throws -> CutoutBlob? {
        guard let bytes = try rows.data(r, data) else { return nil }
        return CutoutBlob(fileName: try rows.string(r, name) ?? "", data: bytes)
      }
      return try StoredCutouts(
        candid: rows.required(rows.int64(r, 0), r, 0), science: blob(1, 2), template: blob(3, 4), difference: blob(5, 6))
    }
  }

  public func cutouts(candid: Int64) throws -> StoredCutouts? {
    try withConnection("reading the cutouts of \(candid)") { connection in
      try Self.storedCutouts(
        connection.execute(
          "SELECT \(Self.cutoutColumns) FROM cutouts WHERE candid = $1 AND jd = (SELECT jd FROM alert_index WHERE candid = $1)",
          [.int64(candid)])
      ).first
    }
  }

  public func cutouts(after: Int64?, limit: Int) throws -> [StoredCutouts] {
    try withConnection("reading cutouts") { connection in
      try Self.storedCutouts(
        connection.execute(
          "SELECT \(Self.cutoutColumns) FROM cutouts WHERE candid > $1 ORDER BY candid LIMIT $2",
          [.int64(after ?? Int64.min), .int64(Int64(max(0, limit)))]))
    }
  }

  public func scores(candid: Int64) throws -> [ModelScore] {
    try withConnection("reading the scores of \(candid)") { connection in
      let rows = try connection.execute(
        "SELECT candid, model, version, score FROM scores WHERE candid = $1 ORDER BY model, version", [.int64(candid)])
      return try (0..<rows.count).map { r in
        try ModelScore(
          candid: rows.required(rows.int64(r, 0), r, 0), model: rows.required(rows.string(r, 1), r, 1),
          version: rows.required(rows.string(r, 2), r, 2), score: rows.required(rows.double(r, 3), r, 3))
      }
    }
  }

  public func alertCount() throws -> Int {
    try withConnection("counting alerts") { connection in
      let rows = try connection.execute("SELECT count(*) FROM alert_index")
      return Int(try rows.required(rows.int64(0, 0), 0, 0))
    }
  }

  public func statistics() throws -> StoreStatistics {
    try withConnection("reading statistics") { connection in
      // One snapshot for every count, as the SQLite store's single read transaction gives.
      try connection.transaction {
        try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        func count(_ sql: String) throws -> Int {
          let rows = try connection.execute(sql)
          return Int(try rows.required(rows.int64(0, 0), 0, 0))
        }
        let points = try count("SELECT count(*) FROM lightcurve")
        let detections = try count("SELECT count(*) FROM lightcurve WHERE magpsf IS NOT NULL")
        var scores: [String: Int] = [:]
        let scoreRows = try connection.execute("SELECT model, version, count(*) FROM scores GROUP BY model, version")
        for r in 0..<scoreRows.count {
          let key = "\(try scoreRows.required(scoreRows.string(r, 0), r, 0))/\(try scoreRows.required(scoreRows.string(r, 1), r, 1))"
          scores[key] = Int(try scoreRows.required(scoreRows.int64(r, 2), r, 2))
        }
        let range = try connection.execute("SELECT min(jd), max(jd) FROM alert_index")
        let jdMin = try range.double(0, 0)
        let jdMax = try range.double(0, 1)
        return StoreStatistics(
          alerts: try count("SELECT count(*) FROM alert_index"),
          objects: try count("SELECT count(DISTINCT objectid) FROM lightcurve"), detections: detections,
          upperLimits: points - detections, cutouts: try count("SELECT count(*) FROM cutouts"), scores: scores,
          jdRange: jdMin.flatMap { lo in jdMax.map { lo...$0 } },
          schemaVersion: try PostgresSchema.appliedMigrations(connection).count)
      }
    }
  }

  /// Checks that every indexed candid has its alert row, every alert its own light-curve point, and no cutout,
  /// point or score refers to a missing alert. Returns the problems found (empty when the store is consistent).
  public func consistencyProblems() throws -> [String] {
    try withConnection("checking the store") { connection in
      let checks: [(String, String)] = [
        ("indexed candids without an alert", "SELECT count(*) FROM alert_index i WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.candid = i.candid AND a.jd = i.jd)"),
        ("alerts missing from alert_index", "SELECT count(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM alert_index i WHERE i.candid = a.candid AND i.jd = a.jd)"),
        ("cutouts without an alert", "SELECT count(*) FROM cutouts c WHERE NOT EXISTS (SELECT 1 FROM alert_index i WHERE i.candid = c.candid)"),
        ("scores without an alert", "SELECT count(*) FROM scores s WHERE NOT EXISTS (SELECT 1 FROM alert_index i WHERE i.candid = s.candid)"),
        (
          "alerts without their own light-curve point",
          "SELECT count(*) FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM lightcurve l WHERE l.objectid = a.objectid AND l.jd = a.jd AND l.fid = a.fid)"
        ),
        (
          "light-curve points of objects without alerts",
          "SELECT count(*) FROM lightcurve l WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.objectid = l.objectid)"
        ),
      ]
      var problems: [String] = []
      for (what, sql) in checks {
        let rows = try connection.execute(sql)
        let n = try rows.required(rows.int64(0, 0), 0, 0)
        if n > 0 { problems.append("\(n) \(what)") }
      }
      return problems
    }
  }
}

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

  /// An alert's place: its candid and the night partition holding it.
  struct AlertKey {
    var candid: Int64
    var jd: Double
  }

  /// Keys from `alert_index` rows whose first two columns are candid and jd.
  static func keys(_ rows: PostgresRows) throws -> [AlertKey] {
    try (0..<rows.count).map { r in
      AlertKey(candid: try rows.required(rows.int64(r, 0), r, 0), jd: try rows.required(rows.double(r, 1), r, 1))
    }
  }

  /// Reads `columns` of these alerts from `table`'s night partitions, in one statement with one branch per night:
  /// each branch names its partition, so nothing is planned for the other nights.
  func rows(
    _ columns: String, from table: String, of keys: [AlertKey], _ connection: LibPQConnection
  ) throws -> PostgresRows? {
    var byNight: [String: [Int64]] = [:]
    for key in keys { byNight[try Self.night(of: key.jd, source: source).name, default: []].append(key.candid) }
    guard !byNight.isEmpty else { return nil }
    let nights = byNight.keys.sorted()
    let sql = nights.enumerated().map { i, night in
      "SELECT \(columns) FROM \(table)_\(night) WHERE candid = ANY($\(i + 1)::int8[])"
    }.joined(separator: " UNION ALL ")
    return try connection.execute(sql, nights.map { .int64Array(byNight[$0]!) })
  }

  /// The stored alerts with these keys, by candid.
  func alerts(_ keys: [AlertKey], _ connection: LibPQConnection) throws -> [Int64: StoredAlert] {
    guard let rows = try rows(Self.alertColumns, from: "alerts", of: keys, connection) else { return [:] }
    return Dictionary(try Self.storedAlerts(rows).map { ($0.candid, $0) }, uniquingKeysWith: { a, _ in a })
  }

  /// The stored alerts with these keys, in the keys' order.
  func alertsInOrder(_ keys: [AlertKey], _ connection: LibPQConnection) throws -> [StoredAlert] {
    let found = try alerts(keys, connection)
    return keys.compactMap { found[$0.candid] }
  }

  public func alert(candid: Int64) throws -> StoredAlert? {
    try withConnection("reading alert \(candid)") { connection in
      let keys = try Self.keys(connection.execute("SELECT candid, jd FROM alert_index WHERE candid = $1", [.int64(candid)]))
      return try alerts(keys, connection)[candid]
    }
  }

  public func alerts(objectId: String) throws -> [StoredAlert] {
    try withConnection("reading the alerts of \(objectId)") { connection in
      let keys = try Self.keys(
        connection.execute("SELECT candid, jd FROM alert_index WHERE objectid = $1 ORDER BY jd, candid", [.text(objectId)]))
      return try alertsInOrder(keys, connection)
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

  /// q3c finds the candidates in `alert_index` (with a radius a hair larger, so no alert on the edge is lost to q3c's
  /// own rounding); the exact great-circle distance the SQLite store uses then decides, so both stores return the
  /// same alerts in the same order; only those are read from their nights.
  ///
  /// Why not `WHERE q3c_radial_query(ra, dec, ...)`: that SQL function expands into 100 range conditions that the
  /// planner folds and turns into 100 bitmap index scans on every call, 2.4 ms on a warm connection for a 5" cone.
  /// The same ranges (`q3c_radial_query_it`, 50 fully and 50 partly covered pixel ranges, exactly what
  /// q3c_radial_query 2.0 ORs together) are computed in a CTE, and each range is read through the sky index in a
  /// LATERAL subquery: 0.1 ms. `OFFSET 0` keeps the subquery apart, so the planner cannot flatten it into a join
  /// that, before the table has statistics, it would run as a sequential scan (25 ms on 10,000 alerts).
  public func coneSearch(_ query: ConeQuery) throws -> [ConeMatch] {
    try query.validate()
    let radiusDegrees = min(180, query.radiusArcsec / 3600 * (1 + 1e-9) + 1e-9)
    return try withConnection("cone search") { connection in
      let rows = try connection.execute(
        """
        WITH ranges AS MATERIALIZED (
          SELECT q3c_radial_query_it($1, $2, $3, 2 * i, f) AS lo, q3c_radial_query_it($1, $2, $3, 2 * i + 1, f) AS hi
          FROM generate_series(0, 49) AS i, (VALUES (0), (1)) AS v(f))
        SELECT a.candid, a.jd, a.ra, a.dec FROM ranges, LATERAL (
          SELECT candid, jd, ra, dec FROM alert_index
          WHERE q3c_ang2ipix(ra, dec) >= ranges.lo AND q3c_ang2ipix(ra, dec) < ranges.hi OFFSET 0) AS a
        WHERE ranges.lo < ranges.hi AND a.jd >= $4 AND a.jd <= $5
        """,
        [
          .double(query.ra), .double(query.dec), .double(radiusDegrees), .double(query.jdMin ?? -.infinity),
          .double(query.jdMax ?? .infinity),
        ])
      var seen = Set<Int64>()
      var within: [(AlertKey, Double)] = []
      for r in 0..<rows.count {
        let distance = SphericalDistance.arcsec(
          ra1: query.ra, dec1: query.dec, ra2: try rows.required(rows.double(r, 2), r, 2),
          dec2: try rows.required(rows.double(r, 3), r, 3))
        let candid = try rows.required(rows.int64(r, 0), r, 0)
        // A pixel in two ranges (a fully and a partly covered one) would bring its alerts twice.
        if distance <= query.radiusArcsec && seen.insert(candid).inserted {
          within.append((AlertKey(candid: candid, jd: try rows.required(rows.double(r, 1), r, 1)), distance))
        }
      }
      let found = try alerts(within.map(\.0), connection)
      return within.compactMap { key, distance in found[key.candid].map { ConeMatch(alert: $0, distanceArcsec: distance) } }
        .sorted { ($0.distanceArcsec, $0.alert.candid) < ($1.distanceArcsec, $1.alert.candid) }
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
      let keys = try Self.keys(connection.execute("SELECT candid, jd FROM alert_index WHERE candid = $1", [.int64(candid)]))
      return try rows(Self.cutoutColumns, from: "cutouts", of: keys, connection).map(Self.storedCutouts)?.first
    }
  }

  /// Walks `alert_index` by candid, a page at a time, until `limit` alerts with cutouts are found or the index ends.
  public func cutouts(after: Int64?, limit: Int) throws -> [StoredCutouts] {
    guard limit > 0 else { return [] }
    return try withConnection("reading cutouts") { connection in
      var found: [StoredCutouts] = []
      var cursor = after ?? Int64.min
      while found.count < limit {
        let keys = try Self.keys(
          connection.execute(
            "SELECT candid, jd FROM alert_index WHERE candid > $1 ORDER BY candid LIMIT $2",
            [.int64(cursor), .int64(Int64(limit - found.count))]))
        guard let last = keys.last else { break }
        cursor = last.candid
        if let rows = try rows(Self.cutoutColumns, from: "cutouts", of: keys, connection) {
          found += try Self.storedCutouts(rows).sorted { $0.candid < $1.candid }
        }
      }
      return found
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

  /// Columns `alert_index` holds: a filter on these alone is answered there, without planning every night.
  static let indexColumns: Set<String> = ["candid", "objectId", "jd", "ra", "dec"]

  /// The filter as an SQL condition with `$1...` placeholders, and its parameters.
  static func whereClause(_ filter: AlertFilter) -> (String, [PostgresValue]) {
    var parameters: [PostgresValue] = []
    let terms = filter.conditions.map { c -> String in
      let column = c.column.lowercased()
      if c.op == .in {
        switch c.values.first {
        case .integer?: parameters.append(.int64Array(c.values.map { if case .integer(let i) = $0 { return i } else { return nil } }))
        case .real?: parameters.append(.doubleArray(c.values.map { if case .real(let d) = $0 { return d } else { return nil } }))
        default: parameters.append(.textArray(c.values.map { if case .text(let t) = $0 { return t } else { return nil } }))
        }
        return "\(column) = ANY($\(parameters.count))"
      }
      switch c.values[0] {
      case .integer(let i): parameters.append(.int64(i))
      case .real(let d): parameters.append(.double(d))
      case .text(let t): parameters.append(.text(t))
      }
      return "\(column) \(c.op.sql) $\(parameters.count)"
    }
    return (terms.isEmpty ? "true" : terms.joined(separator: " AND "), parameters)
  }

  public func find(_ filter: AlertFilter, limit: Int, skip: Int) throws -> [StoredAlert] {
    let (condition, parameters) = Self.whereClause(filter)
    let page: [PostgresValue] = [.int64(Int64(max(0, limit))), .int64(Int64(max(0, skip)))]
    let n = parameters.count
    return try withConnection("find") { connection in
      guard filter.conditions.allSatisfy({ Self.indexColumns.contains($0.column) }) else {
        return try Self.storedAlerts(
          connection.execute(
            "SELECT \(Self.alertColumns) FROM alerts WHERE \(condition) ORDER BY jd, candid LIMIT $\(n + 1) OFFSET $\(n + 2)",
            parameters + page))
      }
      let keys = try Self.keys(
        connection.execute(
          "SELECT candid, jd FROM alert_index WHERE \(condition) ORDER BY jd, candid LIMIT $\(n + 1) OFFSET $\(n + 2)",
          parameters + page))
      return try alertsInOrder(keys, connection)
    }
  }

  public func count(_ filter: AlertFilter) throws -> Int {
    let (condition, parameters) = Self.whereClause(filter)
    let table = filter.conditions.allSatisfy({ Self.indexColumns.contains($0.column) }) ? "alert_index" : "alerts"
    return try withConnection("count") { try $0.integer("SELECT count(*) FROM \(table) WHERE \(condition)", parameters) }
  }

  public func alertCount() throws -> Int {
    try withConnection("counting alerts") { try $0.integer("SELECT count(*) FROM alert_index") }
  }

  public func statistics() throws -> StoreStatistics {
    try withConnection("reading statistics") { connection in
      // One snapshot for every count, as the SQLite store's single read transaction gives.
      try connection.transaction {
        try connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        func count(_ sql: String) throws -> Int { try connection.integer(sql) }
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
          "SELECT count(*) FROM lightcurve l WHERE NOT EXISTS (SELECT 1 FROM alert_index i WHERE i.objectid = l.objectid)"
        ),
      ]
      var problems: [String] = []
      for (what, sql) in checks {
        let n = try connection.integer(sql)
        if n > 0 { problems.append("\(n) \(what)") }
      }
      return problems
    }
  }
}

import Foundation

extension PostgresAlertDatabase {
  /// Writes the batch in one transaction, each table with one statement over arrays (`INSERT ... SELECT FROM
  /// unnest(...)`): one round trip per table whatever the batch size. Records are validated first, so a bad record
  /// fails the call without writing anything (validation also keeps jd within the dates partitions are named for).
  /// Safe from many processes at once: `alert_index`'s key decides which ingest stores a candid, the others skip it.
  public func insert(_ records: [AlertIngestRecord]) throws -> InsertSummary {
    for record in records { try record.validate() }
    // The first record of each candid; later ones in the batch are duplicates, as they would be in SQLite.
    var seen = Set<Int64>()
    let unique = records.filter { seen.insert($0.candid).inserted }
    // Candids are claimed in candid order: two ingests claiming overlapping batches in different orders would each
    // hold a key the other waits for (a deadlock, which PostgreSQL ends by rolling one back).
    let claims = unique.sorted { $0.candid < $1.candid }
    guard !unique.isEmpty else { return InsertSummary() }
    return try withConnection("inserting \(records.count) alerts") { connection in
      try ensurePartitions(for: unique.map(\.jd), connection)
      let inserted = try connection.transaction { () -> Int in
        let claimed = try connection.execute(
          """
          INSERT INTO alert_index (candid, objectid, jd, ra, dec)
          SELECT * FROM unnest($1::int8[], $2::text[], $3::float8[], $4::float8[], $5::float8[])
          ON CONFLICT (candid) DO NOTHING RETURNING candid
          """,
          [
            .int64Array(claims.map(\.candid)), .textArray(claims.map(\.objectId)), .doubleArray(claims.map(\.jd)),
            .doubleArray(claims.map(\.ra)), .doubleArray(claims.map(\.dec)),
          ])
        var new = Set<Int64>()
        for row in 0..<claimed.count { new.insert(try claimed.required(claimed.int64(row, 0), row, 0)) }
        // In batch order for the light curves (the first of two differing copies of a point stays, as in SQLite);
        // by jd for the night partitions (rows of one partition arrive together).
        let fresh = unique.filter { new.contains($0.candid) }
        guard !fresh.isEmpty else { return 0 }
        let byNight = fresh.sorted { $0.jd < $1.jd }
        try insertAlerts(byNight, connection)
        try insertCutouts(byNight.filter(\.hasCutouts), connection)
        try upsertPoints(fresh, connection)
        return fresh.count
      }
      return InsertSummary(inserted: inserted, duplicates: records.count - inserted)
    }
  }

  /// New alerts only (claimed in `alert_index` by this transaction), so COPY, which cannot skip conflicts, is safe.
  private func insertAlerts(_ records: [AlertIngestRecord], _ connection: LibPQConnection) throws {
    try connection.copyIn(
      "alerts",
      columns: [
        "candid", "objectid", "schemavsn", "jd", "fid", "ra", "dec", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos", "rb",
        "drb", "programid", "candidate", "candidate_text",
      ], rows: records.count
    ) { i in
      let r = records[i]
      return [
        .int64(r.candid), .text(r.objectId), .text(r.schemavsn), .double(r.jd), .int32(Int32(r.fid)), .double(r.ra),
        .double(r.dec), .double(r.magpsf), .double(r.sigmapsf), .double(r.diffmaglim), .text(r.isdiffpos), .double(r.rb),
        .double(r.drb), .int32(r.programid.map(Int32.init)), .jsonb(r.candidateJSON), .text(r.candidateJSON),
      ]
    }
  }

  /// The stamps as received, through COPY (no statement parameter to outgrow, however large the batch).
  private func insertCutouts(_ records: [AlertIngestRecord], _ connection: LibPQConnection) throws {
    try connection.copyIn(
      "cutouts",
      columns: ["candid", "jd", "science_name", "science", "template_name", "template", "difference_name", "difference"],
      rows: records.count
    ) { i in
      let r = records[i]
      return [
        .int64(r.candid), .double(r.jd), .text(r.science?.fileName), .bytes(r.science?.data), .text(r.template?.fileName),
        .bytes(r.template?.data), .text(r.difference?.fileName), .bytes(r.difference?.data),
      ]
    }
  }

  /// The same rule as the SQLite store: one point per (objectId, jd, fid); a detection replaces an upper limit,
  /// otherwise the first point stays. Points are merged within the batch first (one statement may not touch a row
  /// twice) and written in key order, so concurrent ingests lock rows in the same order.
  private func upsertPoints(_ records: [AlertIngestRecord], _ connection: LibPQConnection) throws {
    struct Key: Hashable, Comparable {
      var objectId: String
      var jd: Double
      var fid: Int
      static func < (a: Key, b: Key) -> Bool { (a.objectId, a.jd, a.fid) < (b.objectId, b.jd, b.fid) }
    }
    var points: [Key: LightCurvePoint] = [:]
    for record in records {
      for p in record.lightCurve {
        let key = Key(objectId: record.objectId, jd: p.jd, fid: p.fid)
        if let old = points[key], old.isDetection || !p.isDetection { continue }
        points[key] = p
      }
    }
    let merged = points.sorted { $0.key < $1.key }
    guard !merged.isEmpty else { return }
    try connection.execute(
      """
      INSERT INTO lightcurve (objectid, jd, fid, candid, magpsf, sigmapsf, diffmaglim, isdiffpos, ra, dec, programid)
      SELECT * FROM unnest($1::text[], $2::float8[], $3::int4[], $4::int8[], $5::float8[], $6::float8[], $7::float8[],
                           $8::text[], $9::float8[], $10::float8[], $11::int4[])
      ON CONFLICT (objectid, jd, fid) DO UPDATE SET
        candid = excluded.candid, magpsf = excluded.magpsf, sigmapsf = excluded.sigmapsf,
        diffmaglim = excluded.diffmaglim, isdiffpos = excluded.isdiffpos, ra = excluded.ra, dec = excluded.dec,
        programid = excluded.programid
      WHERE lightcurve.magpsf IS NULL AND excluded.magpsf IS NOT NULL
      """,
      [
        .textArray(merged.map(\.key.objectId)), .doubleArray(merged.map(\.key.jd)),
        .int32Array(merged.map { Int32(clamping: $0.key.fid) }), .int64Array(merged.map(\.value.candid)),
        .doubleArray(merged.map(\.value.magpsf)), .doubleArray(merged.map(\.value.sigmapsf)),
        .doubleArray(merged.map(\.value.diffmaglim)), .textArray(merged.map(\.value.isdiffpos)),
        .doubleArray(merged.map(\.value.ra)), .doubleArray(merged.map(\.value.dec)),
        .int32Array(merged.map { $0.value.programid.map { Int32(clamping: $0) } }),
      ])
  }

  public func saveScores(_ scores: [ModelScore]) throws {
    for s in scores where !s.score.isFinite {
      throw AlertStoreError(source: source, reason: "score of candid \(s.candid) by \(s.model) is \(s.score)")
    }
    // Later scores of the same key in one call win, as INSERT OR REPLACE does in SQLite.
    var latest: [String: Int] = [:]
    for (i, s) in scores.enumerated() { latest["\(s.candid)/\(s.model)/\(s.version)"] = i }
    let kept = latest.values.sorted().map { scores[$0] }
    guard !kept.isEmpty else { return }
    try withConnection("saving \(scores.count) scores") { connection in
      try connection.transaction {
        try connection.execute(
          """
          INSERT INTO scores (candid, model, version, score) SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::float8[])
          ON CONFLICT (candid, model, version) DO UPDATE SET score = excluded.score, scored_at = now()
          """,
          [
            .int64Array(kept.map(\.candid)), .textArray(kept.map(\.model)), .textArray(kept.map(\.version)),
            .doubleArray(kept.map(\.score)),
          ])
      }
    }
  }
}

import Foundation
import GRDB

extension SQLiteAlertDatabase {
  /// Writes the batch in one transaction with prepared (cached) statements. Records are validated before the
  /// transaction starts, so a bad record fails the call without writing anything.
  public func insert(_ records: [AlertIngestRecord]) throws -> InsertSummary {
    for record in records { try record.validate() }
    let healpix = self.healpix
    return try write("inserting \(records.count) alerts") { db in
      let insertAlert = try db.cachedStatement(
        sql: """
          INSERT OR IGNORE INTO alerts
            (candid, objectId, schemavsn, jd, fid, ra, dec, hpix, magpsf, sigmapsf, diffmaglim, isdiffpos, rb, drb,
             programid, candidate)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """)
      let insertCutouts = try db.cachedStatement(
        sql: """
          INSERT OR IGNORE INTO cutouts
            (candid, science_name, science, template_name, template, difference_name, difference)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """)
      // One point per (objectId, jd, fid). A detection replaces an upper limit with the same key; otherwise the
      // first point stays (the same detection arrives again in the history of every later packet).
      let upsertPoint = try db.cachedStatement(
        sql: """
          INSERT INTO lightcurve
            (objectId, jd, fid, candid, magpsf, sigmapsf, diffmaglim, isdiffpos, ra, dec, programid)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (objectId, jd, fid) DO UPDATE SET
            candid = excluded.candid, magpsf = excluded.magpsf, sigmapsf = excluded.sigmapsf,
            diffmaglim = excluded.diffmaglim, isdiffpos = excluded.isdiffpos, ra = excluded.ra, dec = excluded.dec,
            programid = excluded.programid
          WHERE lightcurve.magpsf IS NULL AND excluded.magpsf IS NOT NULL
          """)
      var summary = InsertSummary()
      for r in records {
        try insertAlert.execute(arguments: [
          r.candid, r.objectId, r.schemavsn, r.jd, r.fid, r.ra, r.dec, healpix.pixel(ra: r.ra, dec: r.dec),
          r.magpsf, r.sigmapsf, r.diffmaglim, r.isdiffpos, r.rb, r.drb, r.programid, r.candidateJSON,
        ])
        // Same candid already stored: the packet was ingested before, and everything it carries with it.
        guard db.changesCount > 0 else {
          summary.duplicates += 1
          continue
        }
        summary.inserted += 1
        if r.hasCutouts {
          try insertCutouts.execute(arguments: [
            r.candid, r.science?.fileName, r.science?.data, r.template?.fileName, r.template?.data,
            r.difference?.fileName, r.difference?.data,
          ])
        }
        for p in r.lightCurve {
          try upsertPoint.execute(arguments: [
            r.objectId, p.jd, p.fid, p.candid, p.magpsf, p.sigmapsf, p.diffmaglim, p.isdiffpos, p.ra, p.dec,
            p.programid,
          ])
        }
      }
      return summary
    }
  }

  public func saveScores(_ scores: [ModelScore]) throws {
    let now = ISO8601DateFormatter().string(from: Date())
    try write("saving \(scores.count) scores") { db in
      let statement = try db.cachedStatement(
        sql: "INSERT OR REPLACE INTO scores (candid, model, version, score, scored_at) VALUES (?, ?, ?, ?, ?)")
      for s in scores {
        guard s.score.isFinite else {
          throw AlertStoreError(source: path, reason: "score of candid \(s.candid) by \(s.model) is \(s.score)")
        }
        try statement.execute(arguments: [s.candid, s.model, s.version, s.score, now])
      }
    }
  }
}

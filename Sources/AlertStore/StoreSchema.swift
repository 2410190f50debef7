import Foundation
import GRDB

/// The versioned schema of the SQLite store, and the checks that decide whether a file may be opened.
///
/// Every change to the schema is a new migration appended to `migrator` (never an edit of an old one). Opening a
/// store applies the migrations it lacks, so a file from an older version is upgraded in place, in one
/// transaction per migration. `PRAGMA user_version` mirrors the number of migrations applied, so the version is
/// visible to any SQLite tool; a file whose version (or whose list of applied migrations) goes beyond what this
/// build knows was written by a newer AlertStore and is refused rather than guessed at.
enum StoreSchema {
  /// `PRAGMA application_id` of AlertStore files ("ZTFA"): tells our files apart from other SQLite databases.
  static let applicationID: Int32 = 0x5A54_4641

  /// HEALPix order of the `hpix` sky index (nside 16384, pixels of ~12.9 arcsec): a 5" cone touches about a
  /// dozen pixels. Recorded in `store_info`, and read back from there, so a future version may choose another.
  static let defaultPixelOrder = 14

  /// Migration identifiers, oldest first. The schema version of a store is the number of these applied.
  static let migrationIdentifiers = ["v1-alerts-cutouts-lightcurve", "v2-model-scores"]

  /// The schema version this build writes.
  static var currentVersion: Int { migrationIdentifiers.count }

  /// Every migration, or those up to `version` (tests build old stores with it).
  static func migrator(upTo version: Int = currentVersion) -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    let steps: [@Sendable (Database) throws -> Void] = [createAlertTables, createScoreTable]
    precondition(steps.count == migrationIdentifiers.count)
    for (i, (identifier, step)) in zip(migrationIdentifiers, steps).enumerated() where i < version {
      migrator.registerMigration(identifier) { db in
        try step(db)
        try db.execute(sql: "PRAGMA user_version = \(i + 1)")
      }
    }
    return migrator
  }

  /// Version 1: alerts, their cutouts and the light-curve points.
  private static func createAlertTables(_ db: Database) throws {
    try db.execute(sql: "PRAGMA application_id = \(applicationID)")
    try db.execute(
      sql: """
        CREATE TABLE store_info (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
        INSERT INTO store_info (key, value) VALUES ('healpix_order', '\(defaultPixelOrder)'), ('healpix_scheme', 'nested');

        -- One row per alert packet. hpix: HEALPix nested pixel of (ra, dec) at store_info.healpix_order.
        -- candidate: the whole candidate record as a JSON object (json_extract works on it).
        CREATE TABLE alerts (
          candid INTEGER PRIMARY KEY NOT NULL,
          objectId TEXT NOT NULL,
          schemavsn TEXT NOT NULL,
          jd REAL NOT NULL,
          fid INTEGER NOT NULL,
          ra REAL NOT NULL,
          dec REAL NOT NULL,
          hpix INTEGER NOT NULL,
          magpsf REAL,
          sigmapsf REAL,
          diffmaglim REAL,
          isdiffpos TEXT,
          rb REAL,
          drb REAL,
          programid INTEGER,
          candidate TEXT NOT NULL
        );
        CREATE INDEX alerts_by_object ON alerts (objectId, jd);
        CREATE INDEX alerts_by_jd ON alerts (jd);
        CREATE INDEX alerts_by_sky ON alerts (hpix);

        -- The three gzip FITS stamps as received (NULL where the packet had none).
        CREATE TABLE cutouts (
          candid INTEGER PRIMARY KEY NOT NULL REFERENCES alerts (candid) ON DELETE CASCADE,
          science_name TEXT, science BLOB,
          template_name TEXT, template BLOB,
          difference_name TEXT, difference BLOB
        );

        -- Light-curve points per object, one per (jd, fid): detections (magpsf set) and upper limits
        -- (diffmaglim only). Clustered by object so a light curve is one contiguous range.
        CREATE TABLE lightcurve (
          objectId TEXT NOT NULL,
          jd REAL NOT NULL,
          fid INTEGER NOT NULL,
          candid INTEGER,
          magpsf REAL,
          sigmapsf REAL,
          diffmaglim REAL,
          isdiffpos TEXT,
          ra REAL,
          dec REAL,
          programid INTEGER,
          PRIMARY KEY (objectId, jd, fid)
        ) WITHOUT ROWID;
        """)
  }

  /// Version 2: model scores per alert.
  private static func createScoreTable(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE scores (
          candid INTEGER NOT NULL REFERENCES alerts (candid) ON DELETE CASCADE,
          model TEXT NOT NULL,
          version TEXT NOT NULL,
          score REAL NOT NULL,
          scored_at TEXT NOT NULL,
          PRIMARY KEY (candid, model, version)
        ) WITHOUT ROWID;
        """)
  }

  /// Refuses files that are not AlertStore stores or that a newer version wrote, then applies missing migrations
  /// (with `migrate`; without it, a store that lacks any is refused). Returns the HEALPix order of the sky index.
  static func prepare(_ pool: any DatabaseWriter, path: String, migrate: Bool) throws -> Int {
    func refuse(_ reason: String) -> AlertStoreError { AlertStoreError(source: path, reason: reason) }
    let migrator = migrator()
    try pool.read { db in
      let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
      let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
      let tables = try String.fetchAll(
        db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      if appID != applicationID {
        if appID != 0 || !tables.isEmpty {
          throw refuse(
            "not an AlertStore store (SQLite application_id \(appID), tables: "
              + (tables.isEmpty ? "none" : tables.joined(separator: ", ")) + ")")
        }
        guard migrate else { throw refuse("not an AlertStore store (an empty SQLite database)") }
        return  // an empty database: created below
      }
      if version > currentVersion {
        throw refuse(
          "written by a newer AlertStore (schema version \(version); this build knows versions up to "
            + "\(currentVersion)): use a newer build of alerts, or another store file")
      }
      if try migrator.hasBeenSuperseded(db) {
        let unknown = try migrator.appliedIdentifiers(db).subtracting(migrationIdentifiers).sorted()
        throw refuse(
          "written by a newer AlertStore (unknown schema migrations: \(unknown.joined(separator: ", "))): "
            + "use a newer build of alerts, or another store file")
      }
      // The migration record must match user_version: a store whose record was lost would otherwise have its
      // tables created again over the existing ones.
      let applied = try migrator.appliedIdentifiers(db)
      if applied != Set(migrationIdentifiers.prefix(version)) {
        throw refuse(
          "damaged store: schema version \(version) but applied migrations [\(applied.sorted().joined(separator: ", "))]")
      }
      if !migrate && version != currentVersion {
        throw refuse(
          "schema version \(version), older than this build's \(currentVersion): a query does not upgrade a store "
            + "(`alerts ingest --db \(path)` upgrades it)")
      }
    }
    guard migrate else { return try healpixOrder(pool, refuse) }
    do {
      try migrator.migrate(pool)
    } catch {
      throw refuse("cannot upgrade the store to schema version \(currentVersion): \(error)")
    }
    return try healpixOrder(pool, refuse)
  }

  private static func healpixOrder(_ pool: any DatabaseWriter, _ refuse: (String) -> AlertStoreError) throws -> Int {
    try pool.read { db in
      guard let text = try String.fetchOne(db, sql: "SELECT value FROM store_info WHERE key = 'healpix_order'"),
        let order = Int(text), (0...HEALPix.maximumOrder).contains(order)
      else { throw refuse("store_info has no valid healpix_order") }
      return order
    }
  }
}

import Foundation

/// The versioned schema of the PostgreSQL store, kept in the connection's current schema (`search_path`, so one
/// database can hold several stores), and the checks that decide whether a database may be used.
///
/// The migrations carry the same identifiers as the SQLite store's, so both report the same schema version.
/// `schema_migrations` records those applied; each runs in its own transaction under an advisory lock, so two
/// ingests starting together on an empty database create it once. A database whose record names a migration this
/// build does not know was written by a newer AlertStore and is refused.
///
/// Layout: `alerts` and `cutouts` are partitioned by night (one partition per UTC date, `alerts_20200208` holding
/// jd in [2458887.5, 2458888.5): ZTF's Palomar nights fall within one UTC date; Rubin's Chilean nights span two), so
/// a night can be moved to cheaper storage or placed on another server (`postgres_fdw`) as a whole; retiring one
/// means detaching its partitions and deleting its `alert_index` rows in the same transaction. `alert_index`, not
/// partitioned, holds every alert's candid, objectId, jd and position with the sky (q3c: `q3c_ang2ipix(ra, dec)`,
/// Debian's postgresql-15-q3c), object and time indexes. Every query finds its alerts there and then reads each
/// night's partition by name, so its cost does not grow with the number of nights (a query on the partitioned table
/// is planned for every partition: 300 nights made a q3c cone search take 300 ms). Its key is also what makes ingest
/// idempotent across partitions (a partitioned table's keys must contain the partition column). The candidate
/// record is kept twice: as `jsonb`, for queries on any field, and as the text the packet produced, which the JSON
/// output embeds byte for byte (jsonb reorders keys and rewrites numbers).
enum PostgresSchema {
  static let migrations: [(identifier: String, sql: String)] = [
    (StoreSchema.migrationIdentifiers[0], alertTables),
    (StoreSchema.migrationIdentifiers[1], scoreTable),
  ]

  static var currentVersion: Int { migrations.count }

  /// Key of the advisory lock held while migrating or adding partitions.
  static let lockKey: Int64 = 0x5A54_4641

  private static let alertTables = """
    CREATE EXTENSION IF NOT EXISTS q3c SCHEMA public;
    CREATE TABLE store_info (key text PRIMARY KEY, value text NOT NULL);
    INSERT INTO store_info (key, value) VALUES
      ('application', 'AlertStore'), ('sky_index', 'q3c'), ('partitions', 'alerts and cutouts by UTC date of jd');

    -- Every alert's key, night and position: the one sky, object and time index, whatever the number of nights.
    CREATE TABLE alert_index (
      candid bigint PRIMARY KEY,
      objectid text NOT NULL,
      jd float8 NOT NULL,
      ra float8 NOT NULL,
      dec float8 NOT NULL
    );
    CREATE INDEX alert_index_by_sky ON alert_index (q3c_ang2ipix(ra, dec));
    CREATE INDEX alert_index_by_object ON alert_index (objectid, jd);
    CREATE INDEX alert_index_by_jd ON alert_index (jd);

    CREATE TABLE alerts (
      candid bigint NOT NULL,
      objectid text NOT NULL,
      schemavsn text NOT NULL,
      jd float8 NOT NULL,
      fid integer NOT NULL,
      ra float8 NOT NULL,
      dec float8 NOT NULL,
      magpsf float8,
      sigmapsf float8,
      diffmaglim float8,
      isdiffpos text,
      rb float8,
      drb float8,
      programid integer,
      candidate jsonb NOT NULL,
      candidate_text text NOT NULL,
      PRIMARY KEY (candid, jd)
    ) PARTITION BY RANGE (jd);

    -- The three gzip FITS stamps as received. Already compressed: stored without PostgreSQL's own compression.
    CREATE TABLE cutouts (
      candid bigint NOT NULL,
      jd float8 NOT NULL,
      science_name text, science bytea,
      template_name text, template bytea,
      difference_name text, difference bytea,
      PRIMARY KEY (candid, jd)
    ) PARTITION BY RANGE (jd);
    ALTER TABLE cutouts ALTER COLUMN science SET STORAGE EXTERNAL, ALTER COLUMN template SET STORAGE EXTERNAL,
      ALTER COLUMN difference SET STORAGE EXTERNAL;

    -- One point per (objectid, jd, fid): detections (magpsf set) and upper limits (diffmaglim only).
    CREATE TABLE lightcurve (
      objectid text NOT NULL,
      jd float8 NOT NULL,
      fid integer NOT NULL,
      candid bigint,
      magpsf float8,
      sigmapsf float8,
      diffmaglim float8,
      isdiffpos text,
      ra float8,
      dec float8,
      programid integer,
      PRIMARY KEY (objectid, jd, fid)
    );
    """

  private static let scoreTable = """
    CREATE TABLE scores (
      candid bigint NOT NULL REFERENCES alert_index (candid) ON DELETE CASCADE,
      model text NOT NULL,
      version text NOT NULL,
      score float8 NOT NULL,
      scored_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (candid, model, version)
    );
    """

  /// Refuses databases that are not AlertStore stores or that a newer version wrote, then applies the missing
  /// migrations (with `migrate`; without it, a store that lacks any is refused). An empty database becomes a store
  /// only with both `migrate` and `create`.
  static func prepare(_ connection: LibPQConnection, migrate: Bool, create: Bool) throws {
    func refuse(_ reason: String) -> AlertStoreError { AlertStoreError(source: connection.source, reason: reason) }
    let tables = try tableNames(connection)
    if !tables.isEmpty && !tables.contains("schema_migrations") {
      throw refuse("not an AlertStore store (tables in schema \(try currentSchema(connection)): \(tables.sorted().joined(separator: ", ")))")
    }
    if tables.isEmpty && !(migrate && create) {
      throw refuse("no alert store here (create one with `alerts ingest --db URL PACKETS...`)")
    }
    if !tables.isEmpty {
      let applied = try appliedMigrations(connection)
      try check(applied: applied, migrate: migrate, refuse)
      if applied.count == currentVersion || !migrate { return }
    }
    for (i, migration) in migrations.enumerated() {
      try connection.transaction {
        try connection.execute("SELECT pg_advisory_xact_lock($1)", [.int64(lockKey)])
        if try !tableNames(connection).contains("schema_migrations") {
          try connection.execute(
            "CREATE TABLE schema_migrations (identifier text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        }
        let applied = try appliedMigrations(connection)
        try check(applied: applied, migrate: true, refuse)
        guard !applied.contains(migration.identifier) else { return }
        do {
          try connection.executeScript(migration.sql)
        } catch let e as PostgresError {
          throw refuse("cannot upgrade the store to schema version \(i + 1): \(e.message)"
              + (e.message.contains("extension control file") ? " (install Debian's postgresql-15-q3c on the server)" : ""))
        }
        try connection.execute("INSERT INTO schema_migrations (identifier) VALUES ($1)", [.text(migration.identifier)])
      }
    }
  }

  private static func check(applied: [String], migrate: Bool, _ refuse: (String) -> AlertStoreError) throws {
    let known = migrations.map(\.identifier)
    let unknown = applied.filter { !known.contains($0) }
    if !unknown.isEmpty {
      throw refuse(
        "written by a newer AlertStore (unknown schema migrations: \(unknown.sorted().joined(separator: ", "))): "
          + "use a newer build of alerts")
    }
    if Set(applied) != Set(known.prefix(applied.count)) {
      throw refuse("damaged store: applied migrations [\(applied.sorted().joined(separator: ", "))] skip one")
    }
    if !migrate && applied.count != currentVersion {
      throw refuse(
        "schema version \(applied.count), older than this build's \(currentVersion): a query does not upgrade a store "
          + "(`alerts ingest --db URL` upgrades it)")
    }
  }

  static func appliedMigrations(_ connection: LibPQConnection) throws -> [String] {
    let rows = try connection.execute("SELECT identifier FROM schema_migrations ORDER BY applied_at, identifier")
    return try (0..<rows.count).map { try rows.required(rows.string($0, 0), $0, 0) }
  }

  private static func tableNames(_ connection: LibPQConnection) throws -> [String] {
    let rows = try connection.execute(
      "SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition")
    return try (0..<rows.count).map { try rows.required(rows.string($0, 0), $0, 0) }
  }

  private static func currentSchema(_ connection: LibPQConnection) throws -> String {
    let rows = try connection.execute("SELECT current_schema()::text")
    return try rows.string(0, 0) ?? "?"
  }

  /// The UTC date (yyyyMMdd) and jd bounds of the night partition holding `jd`.
  static func night(of jd: Double) -> (name: String, start: Double, end: Double) {
    let start = (jd - 0.5).rounded(.down) + 0.5
    let seconds = (start - 2_440_587.5) * 86_400
    let date = Date(timeIntervalSince1970: seconds)
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let c = calendar.dateComponents([.year, .month, .day], from: date)
    let name = String(format: "%04d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    return (name, start, start + 1)
  }

  /// Creates the `alerts` and `cutouts` partitions of these nights that do not exist yet, in a short transaction
  /// of their own under the advisory lock (concurrent ingests of the same night create it once).
  static func createPartitions(_ connection: LibPQConnection, nights: [(name: String, start: Double, end: Double)]) throws {
    try connection.transaction {
      try connection.execute("SELECT pg_advisory_xact_lock($1)", [.int64(lockKey)])
      for night in nights {
        // Another process may have made it (the lock makes this check and the creation one step).
        let exists = try connection.execute("SELECT to_regclass($1) IS NOT NULL", [.text("alerts_\(night.name)")])
        if exists.count == 1, try exists.bool(0, 0) == true { continue }
        for table in ["alerts", "cutouts"] {
          // Bounds are written as exact decimal text of whole-and-a-half jds.
          try connection.execute(
            "CREATE TABLE \(table)_\(night.name) PARTITION OF \(table) FOR VALUES FROM (\(night.start)) TO (\(night.end))")
        }
        try connection.execute(
          """
          ALTER TABLE cutouts_\(night.name) ALTER COLUMN science SET STORAGE EXTERNAL,
            ALTER COLUMN template SET STORAGE EXTERNAL, ALTER COLUMN difference SET STORAGE EXTERNAL
          """)
      }
    }
  }
}

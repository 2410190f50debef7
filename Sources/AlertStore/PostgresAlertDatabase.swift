import AstroKernels
import Foundation

/// The alert store on a PostgreSQL server (15 or later, with the q3c extension), for archives that outgrow one
/// file: ingest from many processes and machines at once, cone searches through q3c, nights as partitions.
///
/// It answers exactly as `SQLiteAlertDatabase` does (the same test suite runs on both): the same idempotent
/// batches, light-curve rule, exact great-circle cone check and ordering, so `alerts ... --format json` prints the
/// same bytes from either. The layout is described in `PostgresSchema`.
///
///     let store = try PostgresAlertDatabase(url: "postgres://ztf@db.example.org/alerts")
///     let matches = try store.coneSearch(ConeQuery(ra: 201.6235, dec: 36.0087, radiusArcsec: 5))
///
/// Any libpq connection URL works (`postgres://` or `postgresql://`), with libpq's environment variables and
/// password file; `?options=-csearch_path%3Dname,public` puts the store in a schema of its own (q3c's functions
/// live in `public`).
public final class PostgresAlertDatabase: AlertDatabase, @unchecked Sendable {
  /// The server and database as messages name them (the URL without its password).
  public let source: String
  let pool: PostgresConnectionPool
  /// Night partitions known to exist (they are never dropped by this class).
  private let partitions = LockedValue(Set<String>())

  /// Connects to the database at `url` and prepares the store in it: created when the database (schema) is empty
  /// and `createIfEmpty` is true, upgraded when an older build wrote it. With `readOnly`, nothing is ever created or upgraded: an empty
  /// database or an older store is refused (queries never migrate). Throws `AlertStoreError` naming the server when
  /// it cannot be reached, the database holds other tables, or a newer build wrote it.
  ///
  /// `connections` is how many connections this object opens at most (one per thread working at once).
  public init(url: String, readOnly: Bool = false, createIfEmpty: Bool = true, connections: Int = 8) throws {
    source = Self.redacted(url)
    // JIT off: the store's statements are short, and a cost estimate above jit_above_cost (a cone search on 10M
    // alerts, before q3c's ranges are known) made the server compile expressions on every call, 40 ms each.
    // Read-only sessions: the server itself refuses any write, whatever a caller tries.
    pool = PostgresConnectionPool(
      url: url, source: source, capacity: connections,
      setup: ["SET jit = off"] + (readOnly ? ["SET default_transaction_read_only = on"] : []))
    try withConnection("opening the store") { try PostgresSchema.prepare($0, migrate: !readOnly, create: createIfEmpty) }
  }

  /// True when `location` names a PostgreSQL database rather than a file.
  public static func isURL(_ location: String) -> Bool {
    location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
  }

  /// The location with any password of a URL replaced by `***`: how messages and logs name a store.
  public static func redacted(_ url: String) -> String {
    guard isURL(url) else { return url }
    // A URL that URLComponents cannot parse (several hosts) is shown up to its host list only.
    guard var components = URLComponents(string: url) else {
      return String(url.prefix { $0 != "@" }.split(separator: ":").prefix(2).joined(separator: ":")) + ":***@..."
    }
    if components.password != nil { components.password = "***" }
    components.queryItems = components.queryItems?.map { $0.name == "password" ? URLQueryItem(name: "password", value: "***") : $0 }
    return components.string ?? url
  }

  /// Runs `body` on a pooled connection, turning server errors into `AlertStoreError` naming the store.
  /// A connection the server dropped (a restart) fails its first statement and leaves the pool; the call is then
  /// run once more on a new connection. Safe for every call: reads change nothing, and inserts and score saves are
  /// idempotent, so a batch whose COMMIT was lost in flight is simply written again.
  func withConnection<T>(_ what: String, _ body: (LibPQConnection) throws -> T) throws -> T {
    do {
      do {
        return try pool.withConnection(body)
      } catch let e as PostgresError where e.lostConnection {
        return try pool.withConnection(body)
      }
    } catch let e as AlertStoreError {
      throw e
    } catch let e as PostgresError {
      throw AlertStoreError(source: source, reason: "\(what) failed: \(e.message)" + (e.sqlState.map { " (SQLSTATE \($0))" } ?? ""))
    } catch {
      throw AlertStoreError(source: source, reason: "\(what) failed: \(error)")
    }
  }

  /// Creates the night partitions of these jds that this process has not seen yet.
  func ensurePartitions(for jds: [Double], _ connection: LibPQConnection) throws {
    var missing: [String: (name: String, start: Double, end: Double)] = [:]
    for jd in jds {
      let night = try Self.night(of: jd, source: source)
      if !partitions.update({ $0.contains(night.name) }) { missing[night.name] = night }
    }
    guard !missing.isEmpty else { return }
    try PostgresSchema.createPartitions(connection, nights: missing.values.sorted { $0.start < $1.start })
    partitions.update { $0.formUnion(missing.keys) }
  }

  /// The night of `jd`, refused outside `AlertIngestRecord.jdRange` (partitions are named by date; records outside
  /// it do not validate).
  static func night(of jd: Double, source: String) throws -> (name: String, start: Double, end: Double) {
    guard AlertIngestRecord.jdRange.contains(jd) else {
      throw AlertStoreError(
        source: source, reason: "jd = \(jd) is outside the dates the store partitions by night (jd 2400000.5 to 2500000.5)")
    }
    return PostgresSchema.night(of: jd)
  }

  /// Schema version of the store (the number of migrations applied).
  public func schemaVersion() throws -> Int {
    try withConnection("reading the schema version") { try PostgresSchema.appliedMigrations($0).count }
  }
}

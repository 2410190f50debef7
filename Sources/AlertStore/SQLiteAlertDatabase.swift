import Foundation
import GRDB

/// The embedded alert store: one SQLite file through GRDB, in WAL mode.
///
/// WAL lets any number of readers (in this process or others) query while one writer ingests: readers see the
/// last committed batch, never a half-written one. Batches are single transactions, so a process killed in the
/// middle of an ingest loses only the batch in flight (`synchronous = NORMAL` keeps every committed batch across a
/// process crash; only a power cut can roll back the last few, which a re-ingest restores since ingest is
/// idempotent).
///
///     let store = try SQLiteAlertDatabase(path: "alerts.sqlite")
///     let matches = try store.coneSearch(ConeQuery(ra: 201.6235, dec: 36.0087, radiusArcsec: 5))
public final class SQLiteAlertDatabase: AlertDatabase, Sendable {
  /// The store file.
  public let path: String
  /// HEALPix grid of the `hpix` sky index (read from the store).
  public let healpix: HEALPix
  /// A WAL-mode pool when opened for writing, a read-only queue otherwise.
  let database: any DatabaseWriter

  /// Opens the store at `path`, creating it when `create` is true and the file does not exist, and upgrading a
  /// store written by an older version. Throws `AlertStoreError` naming the file when it is missing (and `create`
  /// is false), is not an SQLite database, is another application's database, or was written by a newer version.
  ///
  /// With `readOnly`, the file is opened read-only and never changed: an empty or foreign file, a store of an
  /// older schema version or one whose migration record is damaged is refused instead of being created or
  /// upgraded (queries never migrate).
  public init(path: String, create: Bool = true, readOnly: Bool = false) throws {
    self.path = path
    func fail(_ reason: String) -> AlertStoreError { AlertStoreError(source: path, reason: reason) }
    let exists = FileManager.default.fileExists(atPath: path)
    if !exists && (!create || readOnly) {
      throw fail("no alert store here (create one with `alerts ingest --db \(path) PACKETS...`)")
    }
    if exists { try Self.checkSQLiteHeader(path, allowEmpty: !readOnly) }

    var config = Configuration()
    // Another process may hold the write lock (a second ingest): wait for it rather than fail at once.
    config.busyMode = .timeout(30)
    config.readonly = readOnly
    if !readOnly {
      config.prepareDatabase { db in
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
      }
    }
    do {
      // A read-only queue rather than a pool: a pool sets up WAL mode, which writes to the file.
      database = readOnly
        ? try DatabaseQueue(path: path, configuration: config) : try DatabasePool(path: path, configuration: config)
    } catch {
      throw fail("cannot open as an SQLite store: \(error)")
    }
    do {
      healpix = HEALPix(order: try StoreSchema.prepare(database, path: path, migrate: !readOnly))
    } catch let error as AlertStoreError {
      throw error
    } catch {
      throw fail("cannot read the store's schema: \(error)")
    }
  }

  /// Refuses a file that is not SQLite before SQLite does, with a message that says so.
  private static func checkSQLiteHeader(_ path: String, allowEmpty: Bool) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw AlertStoreError(source: path, reason: "cannot read the file")
    }
    defer { try? handle.close() }
    let header = (try? handle.read(upToCount: 16)) ?? Data()
    // A zero-length file is a database SQLite has not written yet (a writer may create the store in it, a reader
    // refuses it); anything else must carry the magic string.
    if header.isEmpty && !allowEmpty {
      throw AlertStoreError(source: path, reason: "empty file, not an alert store")
    }
    guard header.isEmpty || header == Data("SQLite format 3\0".utf8) else {
      throw AlertStoreError(source: path, reason: "not an SQLite database (the file does not start with 'SQLite format 3')")
    }
  }

  /// Schema version of the open store.
  public func schemaVersion() throws -> Int {
    try database.read { try Int.fetchOne($0, sql: "PRAGMA user_version") ?? 0 }
  }

  /// `PRAGMA integrity_check` and a check that every alert has its light-curve point and no cutout, point or
  /// score refers to a missing alert. Returns the problems found (empty when the store is consistent).
  public func consistencyProblems() throws -> [String] {
    try database.read { db in
      var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
      let checks: [(String, String)] = [
        ("cutouts without an alert", "SELECT count(*) FROM cutouts WHERE candid NOT IN (SELECT candid FROM alerts)"),
        ("scores without an alert", "SELECT count(*) FROM scores WHERE candid NOT IN (SELECT candid FROM alerts)"),
        (
          "alerts without their own light-curve point",
          """
          SELECT count(*) FROM alerts a WHERE NOT EXISTS
            (SELECT 1 FROM lightcurve l WHERE l.objectId = a.objectId AND l.jd = a.jd AND l.fid = a.fid)
          """
        ),
        (
          "light-curve points of objects without alerts",
          "SELECT count(*) FROM lightcurve WHERE objectId NOT IN (SELECT objectId FROM alerts)"
        ),
      ]
      for (what, sql) in checks {
        let n = try Int.fetchOne(db, sql: sql) ?? 0
        if n > 0 { problems.append("\(n) \(what)") }
      }
      return problems
    }
  }

  /// Runs a read on a connection of the pool, wrapping SQLite errors into `AlertStoreError`.
  func read<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
    do {
      return try database.read(body)
    } catch let e as AlertStoreError {
      throw e
    } catch {
      throw AlertStoreError(source: path, reason: "\(what) failed: \(error)")
    }
  }

  /// Runs a write transaction, wrapping SQLite errors into `AlertStoreError`.
  func write<T>(_ what: String, _ body: (Database) throws -> T) throws -> T {
    do {
      return try database.write(body)
    } catch let e as AlertStoreError {
      throw e
    } catch {
      throw AlertStoreError(source: path, reason: "\(what) failed: \(error)")
    }
  }
}

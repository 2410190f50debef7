@testable import AlertStore
import Foundation
import XCTest

/// What only the PostgreSQL store has: its schema checks, night partitions, q3c index, concurrent ingest, and the
/// same output as SQLite.
final class PostgresStoreTests: XCTestCase {
  private func freshURL() throws -> String { try PostgresTestServer.freshDatabase(for: self) }

  /// `alerts get|object|lightcurve|cone --format json` print the same bytes from both backends for every real packet.
  func testJSONOutputIsByteForByteTheSameOnBothBackends() throws {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let url = try freshURL()
    let packets = try StoreFixtures.realPacketFolder()
    for db in ["alerts.sqlite", url] {
      let ingest = try AlertsBinary.run(["ingest", packets, "--db", db, "--quiet"], in: folder)
      XCTAssertEqual(ingest.status, 0, ingest.stderr)
    }
    let expected = try StoreFixtures.expectedPackets()
    var commands: [[String]] = []
    for e in expected {
      commands.append(["get", String(e.candid)])
      commands.append(["object", e.objectId])
      commands.append(["lightcurve", e.objectId])
      commands.append(["cone", String(e.ra), String(e.dec), "3600"])
    }
    commands.append(["cone", "201.6235643", "36.0086571", "5", "--jd-min", "2458882"])
    commands.append(["stats"])
    for command in commands {
      let sqlite = try AlertsBinary.run(command + ["--format", "json", "--db", "alerts.sqlite"], in: folder)
      let postgres = try AlertsBinary.run(command + ["--format", "json", "--db", url], in: folder)
      XCTAssertEqual(sqlite.status, 0, sqlite.stderr)
      XCTAssertEqual(postgres.status, 0, postgres.stderr)
      XCTAssertFalse(sqlite.stdout.isEmpty)
      XCTAssertEqual(postgres.stdout, sqlite.stdout, command.joined(separator: " "))
    }
  }

  /// One partition per night of alerts and cutouts; cone searches and lookups go through alert_index's indexes and
  /// find the alerts in their nights.
  func testAlertsArePartitionedByNightAndQueriedThroughTheIndexes() throws {
    let url = try freshURL()
    let store = try PostgresAlertDatabase(url: url)
    // Three UTC dates: 2020-02-08, 2020-02-09 (both ends of it) and 2020-02-12 (jd 2458887.5 is 2020-02-08 00:00 UTC).
    let jds = [2_458_887.6, 2_458_888.5, 2_458_889.499, 2_458_891.7]
    var records = jds.enumerated().map { i, jd in
      StoreFixtures.record(candid: Int64(100 + i), objectId: "ZTF20aaaaaa\(i)", ra: 10 + Double(i), dec: 20, jd: jd)
    }
    records[0].science = CutoutBlob(fileName: "sci.fits.gz", data: Data([1, 2, 3]))
    XCTAssertEqual(try store.insert(records), InsertSummary(inserted: 4, duplicates: 0))
    let connection = try LibPQConnection(url: url, source: url)
    func strings(_ sql: String) throws -> [String] {
      let rows = try connection.execute(sql)
      return try (0..<rows.count).map { try rows.string($0, 0) ?? "" }
    }
    XCTAssertEqual(
      try strings("SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'alerts'::regclass ORDER BY 1"),
      ["alerts_20200208", "alerts_20200209", "alerts_20200212"])
    XCTAssertEqual(
      try strings("SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'cutouts'::regclass ORDER BY 1"),
      ["cutouts_20200208", "cutouts_20200209", "cutouts_20200212"])
    XCTAssertEqual(try strings("SELECT count(*)::text FROM alerts_20200209"), ["2"])

    // Cone searches and lookups go through alert_index's indexes (one table, however many nights).
    try connection.execute("SET enable_seqscan = off")
    let cone = try strings("EXPLAIN (COSTS OFF) SELECT candid FROM alert_index WHERE q3c_radial_query(ra, dec, 11, 20, 0.01)")
      .joined(separator: "\n")
    XCTAssertTrue(cone.contains("alert_index_by_sky"), cone)
    let byObject = try strings("EXPLAIN (COSTS OFF) SELECT candid FROM alert_index WHERE objectid = 'ZTF20aaaaaa1'")
      .joined(separator: "\n")
    XCTAssertTrue(byObject.contains("alert_index_by_object"), byObject)
    XCTAssertEqual(try store.coneSearch(ConeQuery(ra: 11, dec: 20, radiusArcsec: 1)).map(\.alert.candid), [101])
    XCTAssertEqual(try store.coneSearch(ConeQuery(ra: 11.5, dec: 20, radiusArcsec: 3600)).map(\.alert.candid), [101, 102])
    XCTAssertEqual(try store.alerts(objectId: "ZTF20aaaaaa3").map(\.jd), [2_458_891.7])
    XCTAssertEqual(try store.cutouts(candid: 100)?.science?.data, Data([1, 2, 3]))
    XCTAssertNil(try store.cutouts(candid: 101))

    // A jd the store cannot name a night for is refused, naming the record, and nothing is written.
    let far = StoreFixtures.record(candid: 200, objectId: "ZTF20aaaaaab", ra: 1, dec: 1, jd: 1e9)
    XCTAssertThrowsError(try store.insert([far])) { XCTAssertTrue("\($0)".contains("jd = 1000000000.0 is outside"), "\($0)") }
    XCTAssertEqual(try store.alertCount(), 4)
  }

  /// Eight threads, each with its own connection, ingest overlapping batches in different orders: every alert is
  /// stored once, light curves have the SQLite store's points, and the store is consistent.
  func testConcurrentIngestsFromManyConnectionsStoreEachAlertOnce() throws {
    let url = try freshURL()
    let generator = try StoreFixtures.syntheticAlerts(alertsPerObject: 6)
    let records = try (0..<600).map { try generator.record($0) }
    let failures = Counter()
    DispatchQueue.concurrentPerform(iterations: 8) { worker in
      do {
        let store = try PostgresAlertDatabase(url: url, connections: 1)
        var order = Array(records.indices)
        var rng = SeededGenerator(seed: UInt64(worker + 1))
        order.shuffle(using: &rng)
        for start in stride(from: 0, to: order.count, by: 50) {
          _ = try store.insert(order[start..<min(order.count, start + 50)].map { records[$0] })
        }
      } catch {
        XCTFail("worker \(worker): \(error)")
        failures.add()
      }
    }
    XCTAssertEqual(failures.value, 0)
    let store = try PostgresAlertDatabase(url: url)
    XCTAssertEqual(try store.alertCount(), 600)
    XCTAssertEqual(try store.consistencyProblems(), [])
    let reference = try SQLiteAlertDatabase(path: try StoreFixtures.temporaryFolder(for: self) + "/r.sqlite")
    _ = try reference.insert(records)
    XCTAssertEqual(try store.statistics(), try reference.statistics())
    // The same points, detections and limits. Their values may differ: where a detection's copy in a later
    // packet's history differs from the original (these generated packets round them), the first one ingested stays.
    func keys(_ points: [LightCurvePoint]) -> [String] { points.map { "\($0.jd)/\($0.fid)/\($0.isDetection)/\($0.candid ?? 0)" } }
    for objectId in Set(records.map(\.objectId)).sorted() {
      XCTAssertEqual(keys(try store.lightCurve(objectId: objectId)), keys(try reference.lightCurve(objectId: objectId)), objectId)
    }
  }

  /// The server drops every connection (a restart, an idle timeout): the next calls reconnect and succeed, the
  /// batch in flight included.
  func testCallsSurviveTheServerDroppingTheirConnections() throws {
    let url = try freshURL()
    let store = try PostgresAlertDatabase(url: url, connections: 2)
    _ = try store.insert([StoreFixtures.record(candid: 1, objectId: "ZTF20aaaaaaa", ra: 1, dec: 1)])
    let name = try XCTUnwrap(URLComponents(string: url)?.path.dropFirst())
    let admin = try LibPQConnection(url: try PostgresTestServer.adminURL(), source: "admin")
    let killed = try admin.execute(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", [.text(String(name))])
    XCTAssertGreaterThan(try killed.int64(0, 0) ?? 0, 0, "the store's connections were dropped")
    XCTAssertEqual(try store.alertCount(), 1)
    XCTAssertEqual(try store.insert([StoreFixtures.record(candid: 2, objectId: "ZTF20aaaaaab", ra: 2, dec: 2)]).inserted, 1)
    XCTAssertEqual(try store.coneSearch(ConeQuery(ra: 2, dec: 2, radiusArcsec: 1)).map(\.alert.candid), [2])
  }

  /// A database with other tables, a store from a newer build, an older store opened by a query, an unreachable
  /// server: each refused with a message that says which and why, and nothing changed.
  func testDatabasesItCannotUseAreRefusedWithAReason() throws {
    let foreign = try freshURL()
    try PostgresTestServer.execute("CREATE TABLE invoices (id int)", on: foreign)
    XCTAssertThrowsError(try PostgresAlertDatabase(url: foreign)) {
      XCTAssertTrue("\($0)".contains("not an AlertStore store (tables in schema public: invoices)"), "\($0)")
    }

    let empty = try freshURL()
    XCTAssertThrowsError(try PostgresAlertDatabase(url: empty, readOnly: true)) {
      XCTAssertTrue("\($0)".contains("no alert store here"), "\($0)")
    }
    XCTAssertThrowsError(try PostgresAlertDatabase(url: empty, createIfEmpty: false))

    let newer = try freshURL()
    _ = try PostgresAlertDatabase(url: newer)
    try PostgresTestServer.execute("INSERT INTO schema_migrations (identifier) VALUES ('v9-from-the-future')", on: newer)
    XCTAssertThrowsError(try PostgresAlertDatabase(url: newer)) {
      XCTAssertTrue("\($0)".contains("newer AlertStore (unknown schema migrations: v9-from-the-future)"), "\($0)")
    }

    // A version-1 store (made by hand, as an older build left it): queries refuse it, a writer upgrades it.
    let older = try freshURL()
    _ = try PostgresAlertDatabase(url: older)
    try PostgresTestServer.execute("DROP TABLE scores; DELETE FROM schema_migrations WHERE identifier = 'v2-model-scores'", on: older)
    XCTAssertThrowsError(try PostgresAlertDatabase(url: older, readOnly: true)) {
      XCTAssertTrue("\($0)".contains("schema version 1, older than this build's 2"), "\($0)")
    }
    XCTAssertEqual(try PostgresAlertDatabase(url: older).schemaVersion(), 2)

    // A read-only store cannot write, whatever the caller tries.
    let readOnly = try PostgresAlertDatabase(url: older, readOnly: true)
    XCTAssertThrowsError(try readOnly.insert([StoreFixtures.record(candid: 1, objectId: "ZTF20aaaaaaa", ra: 1, dec: 1)])) {
      XCTAssertTrue("\($0)".contains("read-only transaction"), "\($0)")
    }

    XCTAssertEqual(
      PostgresAlertDatabase.redacted("postgres://ztf@db:5432/alerts?password=secret&sslmode=require"),
      "postgres://ztf@db:5432/alerts?password=***&sslmode=require")
    XCTAssertFalse(PostgresAlertDatabase.redacted("postgres://ztf:secret@h1:5432,h2:5432/alerts").contains("secret"))
    XCTAssertThrowsError(try PostgresAlertDatabase(url: "postgres://postgres:secret@127.0.0.1:1/alerts")) {
      XCTAssertTrue("\($0)".contains("postgres://postgres:***@127.0.0.1:1/alerts: cannot connect"), "\($0)")
      XCTAssertFalse("\($0)".contains("secret"), "\($0)")
    }
  }
}

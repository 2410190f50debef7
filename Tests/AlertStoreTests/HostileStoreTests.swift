@testable import AlertStore
import Foundation
import GRDB
import XCTest

/// Corrupt, foreign and empty store files: the queries give an error naming the file (and the column), never trap,
/// and never change the file.
final class HostileStoreTests: XCTestCase {
  /// The real store, closed, and its path.
  private func realStorePath() throws -> String {
    try StoreFixtures.realStore(for: self).0.path
  }

  private func digest(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

  private func folder(of path: String) -> String { (path as NSString).deletingLastPathComponent }

  func testAValueOfTheWrongTypeIsAnErrorNamingTheColumnNotATrap() throws {
    let path = try realStorePath()
    try DatabaseQueue(path: path).write { db in
      try db.execute(sql: "UPDATE alerts SET jd = 'abc' WHERE candid = 1127495406315015005")
      try db.execute(sql: "INSERT INTO scores VALUES (1127536316315015004, 'braai', 'd6_m7', 'NaN', 'now')")
    }
    let store = try SQLiteAlertDatabase(path: path, readOnly: true)
    XCTAssertThrowsError(try store.alert(candid: 1_127_495_406_315_015_005)) { error in
      XCTAssertTrue("\(error)".contains("jd") && "\(error)".contains("abc"), "\(error)")
    }
    XCTAssertThrowsError(try store.alerts(objectId: "ZTF20aajcdad"))
    XCTAssertThrowsError(try store.statistics()) { XCTAssertTrue("\($0)".contains("abc"), "\($0)") }
    XCTAssertThrowsError(try store.scores(candid: 1_127_536_316_315_015_004)) { error in
      XCTAssertTrue("\(error)".contains("score") && "\(error)".contains("NaN"), "\(error)")
    }

    let get = try AlertsBinary.run(["get", "1127495406315015005", "--db", path], in: folder(of: path))
    XCTAssertEqual(get.status, 1, get.stderr)
    XCTAssertTrue(get.stderr.contains("alerts.sqlite: reading alert 1127495406315015005 failed"), get.stderr)
    XCTAssertFalse(get.stderr.contains("Fatal error"), get.stderr)
    let stats = try AlertsBinary.run(["stats", "--db", path], in: folder(of: path))
    XCTAssertEqual(stats.status, 1, stats.stderr)
    XCTAssertFalse(stats.stderr.contains("Fatal error"), stats.stderr)
  }

  func testQueriesRefuseAnEmptyFileAndLeaveItEmpty() throws {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let path = folder + "/empty.sqlite"
    XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
    for command in [["stats"], ["get", "1"], ["object", "ZTF20aajcdad"], ["cone", "10", "10", "5"]] {
      let result = try AlertsBinary.run(command + ["--db", path], in: folder)
      XCTAssertEqual(result.status, 1, "\(command): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains("empty.sqlite: empty file, not an alert store"), result.stderr)
    }
    XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, 0)
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: path, readOnly: true))
    // A writer may still create a store in an empty file (what `touch alerts.sqlite; alerts ingest` expects).
    XCTAssertNoThrow(try SQLiteAlertDatabase(path: path))
  }

  func testAStoreWithALostMigrationRecordIsRefusedUnchangedByQueriesAndIngest() throws {
    let path = try realStorePath()
    try DatabaseQueue(path: path).write { try $0.execute(sql: "DELETE FROM grdb_migrations") }
    let before = try digest(path)
    let stats = try AlertsBinary.run(["stats", "--db", path], in: folder(of: path))
    XCTAssertEqual(stats.status, 1)
    XCTAssertTrue(stats.stderr.contains("damaged store: schema version 2 but applied migrations []"), stats.stderr)
    XCTAssertFalse(stats.stderr.contains("CREATE TABLE"), "no schema SQL dumped: \(stats.stderr)")
    XCTAssertEqual(try digest(path), before, "a query leaves the file unchanged")
    // A writer refuses it too, rather than creating the tables again over the existing ones.
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: path)) { XCTAssertTrue("\($0)".contains("damaged store"), "\($0)") }
    XCTAssertEqual(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM alerts") }, 44)
  }

  func testQueriesDoNotUpgradeAnOlderStore() throws {
    let path = try StoreFixtures.temporaryFolder(for: self) + "/v1.sqlite"
    try StoreSchema.migrator(upTo: 1).migrate(try DatabaseQueue(path: path))
    let before = try digest(path)
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: path, readOnly: true)) { error in
      XCTAssertTrue("\(error)".contains("schema version 1, older than this build's 2"), "\(error)")
    }
    XCTAssertEqual(try digest(path), before)
    XCTAssertEqual(try SQLiteAlertDatabase(path: path).schemaVersion(), 2, "a writer upgrades it")
  }

  func testAForeignSQLiteFileIsRefusedUnchanged() throws {
    let path = try StoreFixtures.temporaryFolder(for: self) + "/other.sqlite"
    try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE t (x)") }
    let before = try digest(path)
    let stats = try AlertsBinary.run(["stats", "--db", path], in: folder(of: path))
    XCTAssertEqual(stats.status, 1)
    XCTAssertTrue(stats.stderr.contains("other.sqlite: not an AlertStore store"), stats.stderr)
    XCTAssertEqual(try digest(path), before)
  }

  /// 17 of the 44 shared packets are southern: `alerts cone RA -DEC R` must work without `--`.
  func testConeTakesANegativeDeclination() throws {
    let path = try realStorePath()
    let south = try XCTUnwrap(try StoreFixtures.expectedPackets().first { $0.dec < 0 })
    let cone = try AlertsBinary.run(
      ["cone", String(south.ra), String(south.dec), "2", "--db", path, "--format", "json"], in: folder(of: path))
    XCTAssertEqual(cone.status, 0, cone.stderr)
    let matches = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cone.stdout.utf8)) as? [[String: Any]])
    XCTAssertTrue(matches.contains { ($0["candid"] as? NSNumber)?.int64Value == south.candid }, cone.stdout)

    let wrong = try AlertsBinary.run(["cone", "10", "-abc", "2", "--db", path], in: folder(of: path))
    XCTAssertNotEqual(wrong.status, 0)
    XCTAssertTrue(wrong.stderr.contains("DEC '-abc' is not a number"), wrong.stderr)
    let short = try AlertsBinary.run(["cone", "10", "-5", "--db", path], in: folder(of: path))
    XCTAssertTrue(short.stderr.contains("expected RA DEC RADIUS (3 numbers), got 2"), short.stderr)
  }
}

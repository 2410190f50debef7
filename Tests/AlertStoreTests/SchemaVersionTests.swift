import Foundation
import GRDB
import XCTest

@testable import AlertStore

/// Store files from other schema versions: older ones are upgraded, newer or foreign ones refused clearly.
final class SchemaVersionTests: XCTestCase {
  func testAStoreFromAnOlderVersionIsUpgradedKeepingItsData() throws {
    let path = try StoreFixtures.temporaryFolder(for: self) + "/old.sqlite"
    // A version-1 store (no scores table) with one alert, as the first release would have left it.
    do {
      let pool = try DatabasePool(path: path)
      try StoreSchema.migrator(upTo: 1).migrate(pool)
      try pool.write { db in
        try db.execute(
          sql: """
            INSERT INTO alerts (candid, objectId, schemavsn, jd, fid, ra, dec, hpix, candidate)
            VALUES (5, 'ZTF18aaaaaaa', '3.3', 2458000.5, 1, 10.0, 20.0, ?, '{}');
            INSERT INTO lightcurve (objectId, jd, fid, candid, magpsf) VALUES ('ZTF18aaaaaaa', 2458000.5, 1, 5, 18.0);
            """, arguments: [HEALPix(order: 14).pixel(ra: 10, dec: 20)])
      }
      XCTAssertEqual(try pool.read { try Int.fetchOne($0, sql: "PRAGMA user_version") }, 1)
      XCTAssertFalse(try pool.read { try $0.tableExists("scores") })
    }
    let store = try SQLiteAlertDatabase(path: path)
    XCTAssertEqual(try store.schemaVersion(), StoreSchema.currentVersion)
    XCTAssertEqual(try store.alert(candid: 5)?.objectId, "ZTF18aaaaaaa")
    XCTAssertEqual(try store.coneSearch(ConeQuery(ra: 10, dec: 20, radiusArcsec: 1)).map(\.alert.candid), [5])
    try store.saveScores([ModelScore(candid: 5, model: "m", version: "1", score: 0.5)])
    XCTAssertEqual(try store.scores(candid: 5).count, 1)
  }

  func testAStoreFromANewerVersionIsRefused() throws {
    let path = try StoreFixtures.temporaryFolder(for: self) + "/new.sqlite"
    _ = try SQLiteAlertDatabase(path: path)
    try DatabaseQueue(path: path).write { try $0.execute(sql: "PRAGMA user_version = 9") }
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: path)) {
      XCTAssertTrue("\($0)".contains("written by a newer AlertStore (schema version 9"), "\($0)")
      XCTAssertTrue("\($0)".hasPrefix(path), "names the file: \($0)")
    }
  }

  func testAStoreWithAnUnknownMigrationIsRefused() throws {
    let path = try StoreFixtures.temporaryFolder(for: self) + "/new.sqlite"
    _ = try SQLiteAlertDatabase(path: path)
    try DatabaseQueue(path: path).write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v3-future-index')") }
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: path)) {
      XCTAssertTrue("\($0)".contains("unknown schema migrations: v3-future-index"), "\($0)")
    }
  }

  func testOtherFilesAreRefused() throws {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    try DatabaseQueue(path: folder + "/other.sqlite").write { try $0.execute(sql: "CREATE TABLE notes (t TEXT)") }
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: folder + "/other.sqlite")) {
      XCTAssertTrue("\($0)".contains("not an AlertStore store"), "\($0)")
      XCTAssertTrue("\($0)".contains("notes"), "\($0)")
    }
    try Data("plain text, not a database at all".utf8).write(to: URL(fileURLWithPath: folder + "/text.sqlite"))
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: folder + "/text.sqlite")) {
      XCTAssertTrue("\($0)".contains("not an SQLite database"), "\($0)")
    }
    XCTAssertThrowsError(try SQLiteAlertDatabase(path: folder + "/missing.sqlite", create: false)) {
      XCTAssertTrue("\($0)".contains("no alert store here"), "\($0)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/missing.sqlite"))
  }
}

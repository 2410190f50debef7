import AlertStore
import Foundation
import XCTest
import ZTFAlerts

/// The `alerts` executable end to end on the real packets.
final class CLITests: StoreTestCase {
  /// The store of this test: `--db` is left to its default (alerts.sqlite in the current folder) on SQLite, and
  /// names a fresh database on PostgreSQL.
  private var db = "alerts.sqlite"

  /// Runs `alerts` in `folder` on this test's store.
  private func runAlerts(_ arguments: [String], in folder: String) throws -> AlertsBinary.Result {
    try AlertsBinary.run(arguments + (Self.backend == .sqlite ? [] : ["--db", db]), in: folder)
  }

  /// A folder with a store of the 44 real packets made by `alerts ingest`, plus one corrupt packet.
  private func ingestedFolder() throws -> (folder: String, ingest: AlertsBinary.Result) {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    if Self.backend != .sqlite { db = try storeLocation(in: folder) }
    let packets = folder + "/packets"
    try FileManager.default.createDirectory(atPath: packets, withIntermediateDirectories: true)
    for file in try StoreFixtures.realPacketFiles() {
      try FileManager.default.copyItem(atPath: file, toPath: packets + "/" + (file as NSString).lastPathComponent)
    }
    try Data("corrupt".utf8).write(to: URL(fileURLWithPath: packets + "/zz_corrupt.avro"))
    let result = try runAlerts(["ingest", "packets", "--batch-size", "20"], in: folder)
    return (folder, result)
  }

  func testIngestReportsProgressAndFailuresAndExitsWith1() throws {
    let (folder, ingest) = try ingestedFolder()
    XCTAssertEqual(ingest.status, 1, "a packet failed")
    XCTAssertTrue(ingest.stderr.contains("skipped packets/zz_corrupt.avro: not an Avro container file"), ingest.stderr)
    XCTAssertTrue(ingest.stderr.contains("batch 3 committed: 45/45 packets, 44 new"), ingest.stderr)
    XCTAssertTrue(ingest.stdout.contains("44 new alerts, 0 already stored, 1 failed"), ingest.stdout)
    if Self.backend == .sqlite {
      XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/alerts.sqlite"), "default --db is in the current folder")
    }

    let again = try runAlerts(["ingest", "packets", "--quiet"], in: folder)
    XCTAssertTrue(again.stdout.contains("0 new alerts, 44 already stored, 1 failed"), again.stdout)
    XCTAssertFalse(again.stderr.contains("committed"), "--quiet")
  }

  func testObjectPrintsAlertsAndLightCurveAsJSONAndCSV() throws {
    let (folder, _) = try ingestedFolder()
    let json = try runAlerts(["object", "ZTF20aajcdad", "--format", "json"], in: folder)
    XCTAssertEqual(json.status, 0, json.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(Set(object.keys), ["objectId", "alerts", "lightcurve"])
    XCTAssertEqual(object["objectId"] as? String, "ZTF20aajcdad")
    let alerts = try XCTUnwrap(object["alerts"] as? [[String: Any]])
    XCTAssertEqual(alerts.compactMap { ($0["candid"] as? NSNumber)?.int64Value }, [1_127_495_406_315_015_005, 1_127_536_316_315_015_004])
    XCTAssertEqual(((alerts[0]["candidate"] as? [String: Any])?["candid"] as? NSNumber)?.int64Value, 1_127_495_406_315_015_005)
    let curve = try XCTUnwrap(object["lightcurve"] as? [[String: Any]])
    let store = try openAlertDatabase(Self.backend == .sqlite ? folder + "/" + db : db)
    let stored = try store.lightCurve(objectId: "ZTF20aajcdad")
    XCTAssertEqual(curve.count, stored.count)
    XCTAssertEqual(curve.compactMap { $0["jd"] as? Double }, stored.map(\.jd))
    XCTAssertEqual(Set(curve.compactMap { $0["kind"] as? String }), ["detection", "upper_limit"])

    let csv = try runAlerts(["object", "ZTF20aajcdad", "--format", "csv"], in: folder)
    let lines = csv.stdout.split(separator: "\n")
    XCTAssertEqual(lines.first, "section,kind,candid,objectId,jd,fid,ra,dec,magpsf,sigmapsf,diffmaglim,isdiffpos,rb,drb,programid")
    XCTAssertEqual(lines.count, 1 + 2 + stored.count)
    XCTAssertTrue(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 15 })

    let missing = try runAlerts(["object", "ZTF99zzzzzzz"], in: folder)
    XCTAssertNotEqual(missing.status, 0)
    XCTAssertTrue(missing.stderr.contains("\(db): object ZTF99zzzzzzz is not in the store"), missing.stderr)
  }

  func testGetConeLightcurveAndStats() throws {
    let (folder, _) = try ingestedFolder()
    let get = try runAlerts(["get", "1127495406315015005", "--format", "json"], in: folder)
    XCTAssertEqual(get.status, 0, get.stderr)
    let alert = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(get.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(alert["objectId"] as? String, "ZTF20aajcdad")
    XCTAssertEqual((alert["scores"] as? [Any])?.count, 0, "no scores yet")
    let unknown = try runAlerts(["get", "12345"], in: folder)
    XCTAssertEqual(unknown.status, 1)
    XCTAssertTrue(unknown.stderr.contains("\(db): candid 12345 is not in the store"), unknown.stderr)

    let cone = try runAlerts(
      ["cone", "201.6235643", "36.0086571", "5", "--jd-min", "2458882", "--format", "json"], in: folder)
    let matches = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cone.stdout.utf8)) as? [[String: Any]])
    XCTAssertEqual(matches.compactMap { ($0["candid"] as? NSNumber)?.int64Value }, [1_127_536_316_315_015_004])
    XCTAssertLessThan(try XCTUnwrap(matches.first?["distance_arcsec"] as? Double), 0.1)
    let bad = try runAlerts(["cone", "400", "0", "5"], in: folder)
    XCTAssertNotEqual(bad.status, 0)
    XCTAssertTrue(bad.stderr.contains("ra = 400.0 is outside"), bad.stderr)

    let table = try runAlerts(["lightcurve", "ZTF20aajcdad"], in: folder)
    XCTAssertTrue(table.stdout.hasPrefix("jd "), table.stdout)
    XCTAssertTrue(table.stdout.contains("17.54656"), "table shows float32 values compactly")

    let stats = try runAlerts(["stats", "--format", "json"], in: folder)
    let s = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(s["alerts"] as? Int, 44)
    XCTAssertEqual(s["cutouts"] as? Int, 44)
  }

  func testQueriesRefuseAMissingStoreWithoutCreatingIt() throws {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    // A file that does not exist, or an empty database.
    let location = Self.backend == .sqlite ? "nope.sqlite" : try storeLocation(in: folder)
    let result = try AlertsBinary.run(["get", "1", "--db", location], in: folder)
    XCTAssertNotEqual(result.status, 0)
    XCTAssertTrue(result.stderr.contains("\(location): no alert store here"), result.stderr)
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/nope.sqlite"))
    XCTAssertThrowsError(try openAlertDatabase(location, readOnly: true), "the query created nothing")
  }

  func testScoreSavesBraaiScoresAndCutoutSavesTheStamps() throws {
    let (folder, _) = try ingestedFolder()
    let score = try runAlerts(["score", "--model", "braai"], in: folder)
    XCTAssertEqual(score.status, 0, score.stderr)
    XCTAssertTrue(score.stdout.contains("scored 44 alerts with braai/d6_m7"), score.stdout)
    let get = try runAlerts(["get", "1127495406315015005", "--format", "csv"], in: folder)
    XCTAssertTrue(get.stdout.hasPrefix("candid,objectId,"), get.stdout)
    XCTAssertTrue(get.stdout.split(separator: "\n")[0].hasSuffix(",score:braai/d6_m7"), get.stdout)
    XCTAssertNotEqual(try runAlerts(["score", "--model", "nonesuch"], in: folder).status, 0)

    let stamps = try runAlerts(["cutout", "1127495406315015005", "--fits-dir", "stamps"], in: folder)
    XCTAssertEqual(stamps.status, 0, stamps.stderr)
    let alert = try AlertReader.read(path: try StoreFixtures.realPacketFiles()[3])[0]
    XCTAssertEqual(alert.candid, 1_127_495_406_315_015_005)
    let saved = try Data(contentsOf: URL(fileURLWithPath: folder + "/stamps/" + alert.cutoutDifference!.fileName))
    XCTAssertEqual(saved, alert.cutoutDifference!.stampData)
  }
}

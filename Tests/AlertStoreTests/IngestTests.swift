import AlertStore
import Foundation
import XCTest
import ZTFAlerts

final class IngestTests: StoreTestCase {
  func testIngestsEveryRealPacketWithItsFields() throws {
    let (store, report) = try realStore()
    XCTAssertEqual(report.failures.map(\.description), [])
    XCTAssertEqual(report.progress.inserted, 44)
    XCTAssertEqual(report.progress.batchesCommitted, 5)
    XCTAssertEqual(try store.alertCount(), 44)
    let expected = try StoreFixtures.expectedPackets()
    XCTAssertEqual(expected.count, 44)
    for e in expected {
      let alert = try XCTUnwrap(try store.alert(candid: e.candid), e.file)
      XCTAssertEqual(alert.objectId, e.objectId, e.file)
      XCTAssertEqual(alert.jd, e.jd, accuracy: 1e-7, e.file)
      XCTAssertEqual(alert.ra, e.ra, accuracy: 1e-7, e.file)
      XCTAssertEqual(alert.dec, e.dec, accuracy: 1e-7, e.file)
      XCTAssertEqual(alert.drb.map(Float.init), e.drb.map(Float.init), e.file)
      XCTAssertEqual(alert.rb.map(Float.init), e.rb.map(Float.init), e.file)
      // The whole candidate record is kept, not only the indexed columns.
      let candidate = try alert.candidate()
      XCTAssertEqual((candidate["candid"] as? NSNumber)?.int64Value, e.candid, e.file)
      XCTAssertGreaterThan(candidate.count, 90, "\(e.file): candidate fields")
      XCTAssertNotNil(candidate["sgscore1"], e.file)
    }
    let stats = try store.statistics()
    XCTAssertEqual(stats.alerts, 44)
    XCTAssertEqual(stats.objects, Set(expected.map(\.objectId)).count)
    XCTAssertEqual(stats.cutouts, 44)
    XCTAssertEqual(stats.schemaVersion, 2)
    XCTAssertEqual(try store.consistencyProblems(), [])
  }

  func testStoredCutoutsAreTheBytesAsReceived() throws {
    let (store, _) = try realStore()
    for file in try StoreFixtures.realPacketFiles().prefix(5) {
      let alert = try AlertReader.read(path: file)[0]
      let stored = try XCTUnwrap(try store.cutouts(candid: alert.candid))
      XCTAssertEqual(stored.science?.data, alert.cutoutScience?.stampData)
      XCTAssertEqual(stored.template?.data, alert.cutoutTemplate?.stampData)
      XCTAssertEqual(stored.difference?.data, alert.cutoutDifference?.stampData)
      XCTAssertEqual(stored.science?.fileName, alert.cutoutScience?.fileName)
    }
    XCTAssertNil(try store.cutouts(candid: 42))
  }

  func testIngestingTheSamePacketsAgainChangesNothing() throws {
    let (store, _) = try realStore()
    let before = try store.statistics()
    let curve = try store.lightCurve(objectId: "ZTF20aajcdad")
    let files = try StoreFixtures.realPacketFiles()
    let again = try AlertIngester(database: store, batchSize: 7).ingest(files.map(PacketInput.file))
    XCTAssertEqual(again.progress.inserted, 0)
    XCTAssertEqual(again.progress.duplicates, 44)
    XCTAssertEqual(try store.statistics(), before)
    XCTAssertEqual(try store.lightCurve(objectId: "ZTF20aajcdad"), curve)
    // The same packet twice within one batch is also stored once.
    let twice = try AlertIngester(database: store).ingest([files[0], files[0]].map(PacketInput.file))
    XCTAssertEqual(twice.progress.duplicates, 2)
    XCTAssertEqual(try store.alertCount(), 44)
  }

  func testCorruptPacketsAreSkippedWithTheirReasonAndTheRestIsIngested() throws {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let files = Array(try StoreFixtures.realPacketFiles().prefix(4))
    var inputs = files.map(PacketInput.file)
    let good = try Data(contentsOf: URL(fileURLWithPath: files[0]))
    let truncated = folder + "/truncated.avro"
    try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: truncated))
    let garbage = folder + "/garbage.avro"
    try Data("this is not an avro file".utf8).write(to: URL(fileURLWithPath: garbage))
    inputs.insert(PacketInput.file(truncated), at: 1)
    inputs.append(PacketInput.file(garbage))
    inputs.append(PacketInput.file(folder + "/missing.avro"))

    let store = try openAlertDatabase(try storeLocation(in: folder), create: true)
    let report = try AlertIngester(database: store, batchSize: 3).ingest(inputs)
    XCTAssertEqual(report.progress.inserted, 4)
    XCTAssertEqual(report.failures.map(\.packet), [truncated, garbage, folder + "/missing.avro"])
    XCTAssertTrue(report.failures[0].reason.contains("truncated"), report.failures[0].reason)
    XCTAssertTrue(report.failures[1].reason.contains("not an Avro container"), report.failures[1].reason)
    XCTAssertTrue(report.failures[2].reason.contains("cannot read file"), report.failures[2].reason)
    XCTAssertEqual(try store.alertCount(), 4)
  }

  func testPacketFoldersAreSearchedRecursively() throws {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let files = try StoreFixtures.realPacketFiles()
    try FileManager.default.createDirectory(atPath: folder + "/night1/sub", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: files[0], toPath: folder + "/night1/a.avro")
    try FileManager.default.copyItem(atPath: files[1], toPath: folder + "/night1/sub/b.avro")
    try Data("notes".utf8).write(to: URL(fileURLWithPath: folder + "/night1/readme.txt"))
    XCTAssertEqual(try PacketInput.files(in: [folder]).map(\.label), [folder + "/night1/a.avro", folder + "/night1/sub/b.avro"])
    XCTAssertThrowsError(try PacketInput.files(in: [folder + "/nope"])) {
      XCTAssertTrue("\($0)".contains("no such file or folder"))
    }
  }

  /// A batch is one transaction: a record the store refuses fails the whole batch and writes nothing.
  func testABatchWithAnInvalidRecordWritesNothing() throws {
    let store = try emptyStore()
    let ok = StoreFixtures.record(candid: 1, objectId: "ZTF24aaaaaaa", ra: 10, dec: 10)
    var bad = StoreFixtures.record(candid: 2, objectId: "ZTF24aaaaaab", ra: 10, dec: 95)
    // The store refuses `bad` with a message containing `fragment`.
    func assertRefused(_ fragment: String, line: UInt = #line) {
      XCTAssertThrowsError(try store.insert([bad]), line: line) { XCTAssertTrue("\($0)".contains(fragment), "\($0)", line: line) }
    }
    XCTAssertThrowsError(try store.insert([ok, bad])) { XCTAssertTrue("\($0)".contains("candidate.dec = 95.0"), "\($0)") }
    XCTAssertEqual(try store.alertCount(), 0)
    bad.dec = 10
    bad.ra = 360
    assertRefused("candidate.ra = 360.0")
    bad.ra = 0
    bad.objectId = ""
    assertRefused("objectId is empty")
    // What PostgreSQL could not store is refused on both backends, per record: a date outside 1858-2132 (nights
    // are partitions named by date), a NUL character (text and jsonb refuse it), a fid beyond 32 bits.
    bad.objectId = "ZTF24aaaaaab"
    bad.jd = 1e9
    assertRefused("candidate.jd = 1000000000.0 is outside")
    bad.jd = 2_460_000.5
    bad.objectId = "ZTF24\u{0}aaaaab"
    assertRefused("objectId contains a NUL character")
    bad.objectId = "ZTF24aaaaaab"
    bad.candidateJSON = #"{"ssnamenr":"a\u0000b"}"#
    assertRefused("candidate record contains a NUL")
    bad.candidateJSON = "{}"
    bad.fid = 1 << 40
    assertRefused("candidate.fid = 1099511627776")
    XCTAssertEqual(try store.insert([ok]), InsertSummary(inserted: 1, duplicates: 0))
  }
}

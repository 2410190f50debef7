import AlertStore
import Foundation
import TestSupport
import XCTest
import ZTFAlerts

/// One row of `../shared/data/ztf-alerts/expected.csv` (values written by an independent Avro reader).
struct ExpectedPacket {
  var file: String
  var candid: Int64
  var objectId: String
  var drb: Double?
  var rb: Double?
  var prvCount: Int
  var ra: Double
  var dec: Double
  var jd: Double
}

/// The real packets, temporary folders and stores the tests share.
enum StoreFixtures {
  /// The folder of the 44 real packets (skips the test when `../shared` is absent).
  static func realPacketFolder() throws -> String { try SharedData.path("data/ztf-alerts") }

  /// The 44 packet files, sorted.
  static func realPacketFiles() throws -> [String] {
    let folder = try realPacketFolder()
    return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".avro") }.sorted()
      .map { folder + "/" + $0 }
  }

  static func expectedPackets() throws -> [ExpectedPacket] {
    let text = try String(contentsOfFile: try realPacketFolder() + "/expected.csv", encoding: .utf8)
    // The file has CRLF line ends (one Character in Swift, so split on isNewline rather than "\n").
    var lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let header = lines.removeFirst()
    func column(_ name: String) -> Int { header.firstIndex(of: name)! }
    return lines.map { f in
      ExpectedPacket(
        file: f[column("file")], candid: Int64(f[column("candid")])!, objectId: f[column("objectId")],
        drb: Double(f[column("drb")]), rb: Double(f[column("rb")]), prvCount: Int(f[column("n_prv_candidates")])!,
        ra: Double(f[column("ra")])!, dec: Double(f[column("dec")])!, jd: Double(f[column("jd")])!)
    }
  }

  /// A fresh empty folder, removed when the test ends.
  static func temporaryFolder(for test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("alertstore-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }

  /// An SQLite store holding the 44 real packets (for the SQLite-only tests; others use `StoreTestCase.realStore`).
  static func realStore(for test: XCTestCase) throws -> (SQLiteAlertDatabase, IngestReport) {
    let database = try SQLiteAlertDatabase(path: try temporaryFolder(for: test) + "/alerts.sqlite")
    return (database, try ingestRealPackets(into: database))
  }

  /// Ingests the 44 real packets in batches of 10.
  static func ingestRealPackets(into database: any AlertDatabase) throws -> IngestReport {
    try AlertIngester(database: database, batchSize: 10).ingest(try realPacketFiles().map(PacketInput.file))
  }

  /// A generator of synthetic alerts from a real packet.
  /// The template is the ZTF20aajcdad packet bundled in Datasets/ (its prv_candidates hold detections and
  /// upper limits), so the tests built on generated alerts run without `../shared`.
  static func syntheticAlerts(alertsPerObject: Int = 5) throws -> SyntheticAlerts {
    let file = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts/1127495406315015005.avro").path
    guard FileManager.default.fileExists(atPath: file) else { throw XCTSkip("bundled packet \(file) is missing") }
    return try SyntheticAlerts(templatePacket: Data(contentsOf: URL(fileURLWithPath: file)), alertsPerObject: alertsPerObject)
  }

  /// The light curve an object should have, computed from the packets themselves: candidate and prv_candidates
  /// points, one per (jd, fid), a detection preferred to an upper limit.
  static func expectedLightCurves(_ files: [String]) throws -> [String: [LightCurvePoint]] {
    var byObject: [String: [String: LightCurvePoint]] = [:]
    for file in files {
      for alert in try AlertReader.read(path: file) {
        var points = [alert.candidate]
        points += alert.prvCandidates.filter { $0.magpsf != nil || $0.diffmaglim != nil }
        for c in points {
          let key = "\(c.jd!)/\(c.fid!)"
          let p = LightCurvePoint(jd: c.jd!, fid: c.fid!, magpsf: c.magpsf, diffmaglim: c.diffmaglim)
          if let old = byObject[alert.objectId, default: [:]][key], old.isDetection || !p.isDetection { continue }
          byObject[alert.objectId, default: [:]][key] = p
        }
      }
    }
    return byObject.mapValues { $0.values.sorted { ($0.jd, $0.fid) < ($1.jd, $1.fid) } }
  }

  /// A minimal record at a given position, for geometry tests.
  static func record(candid: Int64, objectId: String, ra: Double, dec: Double, jd: Double = 2_460_000.5) -> AlertIngestRecord {
    AlertIngestRecord(
      candid: candid, objectId: objectId, schemavsn: "test", jd: jd, fid: 1, ra: ra, dec: dec, magpsf: 18,
      sigmapsf: 0.1, diffmaglim: 20, candidateJSON: "{\"candid\":\(candid)}",
      lightCurve: [LightCurvePoint(jd: jd, fid: 1, candid: candid, magpsf: 18, sigmapsf: 0.1, diffmaglim: 20)])
  }
}

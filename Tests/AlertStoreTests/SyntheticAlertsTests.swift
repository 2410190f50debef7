import AlertStore
import Foundation
import XCTest
import ZTFAlerts

final class SyntheticAlertsTests: StoreTestCase {
  /// Generated packets are valid Avro containers that ZTFAlerts decodes into the alerts the generator describes.
  func testGeneratedPacketsDecodeToTheGeneratedAlerts() throws {
    let generator = try StoreFixtures.syntheticAlerts(alertsPerObject: 4)
    for index in [0, 1, 3, 4, 1234] {
      let decoded = try AlertReader(data: try generator.packet(index), source: "gen").alerts
      XCTAssertEqual(decoded.count, 1)
      let alert = decoded[0]
      let direct = try generator.alert(index)
      XCTAssertEqual(alert.candid, generator.candid(index))
      XCTAssertEqual(alert.objectId, generator.objectId(index))
      XCTAssertEqual(alert.candidate.candid, generator.candid(index))
      XCTAssertEqual(alert.record, direct.record, "encoding then decoding gives the same record")
      let position = generator.objectPosition(index)
      XCTAssertLessThan(
        SphericalDistance.arcsec(ra1: position.ra, dec1: position.dec, ra2: alert.candidate.ra!, dec2: alert.candidate.dec!), 0.2)
      // History: the object's earlier detections, each with an upper limit.
      XCTAssertEqual(alert.prvCandidates.count, 2 * (index % 4))
      XCTAssertEqual(alert.prvCandidates.filter { $0.magpsf != nil }.map(\.candid), (0..<(index % 4)).map { generator.candid(index - index % 4 + $0) })
      XCTAssertTrue(alert.cutoutScience?.fileName.contains(String(alert.candid)) ?? false)
      XCTAssertNoThrow(try Triplet.make(alert))
    }
    XCTAssertEqual(generator.objectId(0), "ZTF24aaaaaaa")
    XCTAssertEqual(generator.objectId(4 * 27), "ZTF24aaaaabb")
  }

  /// Ingested, an object's repeated histories collapse into one light curve: one detection per alert and one
  /// upper limit between consecutive detections.
  func testGeneratedObjectsHaveDeduplicatedLightCurves() throws {
    let generator = try StoreFixtures.syntheticAlerts(alertsPerObject: 5)
    let store = try emptyStore()
    let packets = try (0..<20).map { PacketInput.bytes(try generator.packet($0), label: "gen \($0)") }
    let report = try AlertIngester(database: store, batchSize: 6).ingest(packets)
    XCTAssertEqual(report.progress.inserted, 20)
    for object in 0..<4 {
      let curve = try store.lightCurve(objectId: generator.objectId(object * 5))
      XCTAssertEqual(curve.filter(\.isDetection).count, 5)
      XCTAssertEqual(curve.filter { !$0.isDetection }.count, 4)
      XCTAssertEqual(curve.filter(\.isDetection).map(\.fid), [1, 2, 1, 2, 1])
    }
    XCTAssertEqual(try store.consistencyProblems(), [])
  }
}

import AlertStore
import Foundation
import XCTest
import ZTFAlerts

final class LightCurveTests: StoreTestCase {
  /// Every object's stored light curve is the union of its packets' points, one per (jd, fid): ZTF20aajcdad's two
  /// packets repeat the same history, which is stored once.
  func testLightCurvesAreDeduplicatedAcrossPackets() throws {
    let (store, _) = try realStore()
    let files = try StoreFixtures.realPacketFiles()
    let expected = try StoreFixtures.expectedLightCurves(files)
    for (objectId, points) in expected {
      let stored = try store.lightCurve(objectId: objectId)
      XCTAssertEqual(stored.map(\.jd), points.map(\.jd), objectId)
      XCTAssertEqual(stored.map(\.fid), points.map(\.fid), objectId)
      XCTAssertEqual(stored.map(\.isDetection), points.map(\.isDetection), objectId)
      XCTAssertEqual(stored.map(\.magpsf), points.map(\.magpsf), objectId)
    }

    let packets = try files.flatMap { try AlertReader.read(path: $0) }.filter { $0.objectId == "ZTF20aajcdad" }
    XCTAssertEqual(packets.count, 2)
    let curve = try store.lightCurve(objectId: "ZTF20aajcdad")
    let raw = packets.map { 1 + $0.prvCandidates.filter { $0.magpsf != nil || $0.diffmaglim != nil }.count }.reduce(0, +)
    XCTAssertLessThan(curve.count, raw, "the repeated history is stored once")
    XCTAssertEqual(Set(curve.map { "\($0.jd)/\($0.fid)" }).count, curve.count)
    // Both alerts' own detections are there, with their candids.
    for alert in packets {
      let point = try XCTUnwrap(curve.first { $0.jd == alert.candidate.jd && $0.fid == alert.candidate.fid })
      XCTAssertEqual(point.candid, alert.candid)
      XCTAssertTrue(point.isDetection)
    }
    XCTAssertTrue(curve.contains { !$0.isDetection && $0.diffmaglim != nil }, "upper limits are kept")
    XCTAssertEqual(curve.map(\.jd), curve.map(\.jd).sorted())
  }

  /// When a detection and an upper limit share (jd, fid), the detection is kept, whichever arrives first.
  func testADetectionWinsOverAnUpperLimitWithTheSameKey() throws {
    let store = try emptyStore()
    let limit = LightCurvePoint(jd: 2_460_001.5, fid: 2, diffmaglim: 20.1)
    let detection = LightCurvePoint(jd: 2_460_001.5, fid: 2, candid: 99, magpsf: 18.5, sigmapsf: 0.1, diffmaglim: 20.3, isdiffpos: "t")
    let other = LightCurvePoint(jd: 2_460_002.5, fid: 1, diffmaglim: 19.9)

    var first = StoreFixtures.record(candid: 1, objectId: "ZTF24aaaaaaa", ra: 1, dec: 1, jd: 2_460_000.5)
    first.lightCurve += [limit, other]
    var second = StoreFixtures.record(candid: 2, objectId: "ZTF24aaaaaaa", ra: 1, dec: 1, jd: 2_460_003.5)
    second.lightCurve += [detection, LightCurvePoint(jd: 2_460_002.5, fid: 1, diffmaglim: 25)]
    var third = StoreFixtures.record(candid: 3, objectId: "ZTF24aaaaaaa", ra: 1, dec: 1, jd: 2_460_004.5)
    third.lightCurve += [limit]
    _ = try store.insert([first])
    _ = try store.insert([second])
    _ = try store.insert([third])

    let curve = try store.lightCurve(objectId: "ZTF24aaaaaaa")
    XCTAssertEqual(curve.map(\.jd), [2_460_000.5, 2_460_001.5, 2_460_002.5, 2_460_003.5, 2_460_004.5])
    XCTAssertEqual(curve[1], detection, "the detection replaced the upper limit, and a later limit did not undo it")
    XCTAssertEqual(curve[2].diffmaglim, 19.9, "the first upper limit stays")
  }

  func testUnknownObjectHasNoLightCurve() throws {
    let (store, _) = try realStore()
    XCTAssertEqual(try store.lightCurve(objectId: "ZTF99zzzzzzz"), [])
    XCTAssertEqual(try store.alerts(objectId: "ZTF99zzzzzzz").count, 0)
  }
}

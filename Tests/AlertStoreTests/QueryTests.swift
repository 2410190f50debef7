import AlertStore
import Foundation
import XCTest

final class QueryTests: StoreTestCase {
  func testGetByCandid() throws {
    let (store, _) = try realStore()
    let alert = try XCTUnwrap(try store.alert(candid: 1_127_495_406_315_015_005))
    XCTAssertEqual(alert.objectId, "ZTF20aajcdad")
    XCTAssertEqual(alert.fid, 1)
    XCTAssertEqual(alert.isdiffpos, "t")
    XCTAssertEqual(alert.schemavsn, "3.3")
    XCTAssertNil(try store.alert(candid: 1))
  }

  func testAlertsOfAnObjectAreOrderedByTime() throws {
    let (store, _) = try realStore()
    let alerts = try store.alerts(objectId: "ZTF20aajcdad")
    XCTAssertEqual(alerts.map(\.candid), [1_127_495_406_315_015_005, 1_127_536_316_315_015_004])
    XCTAssertLessThan(alerts[0].jd, alerts[1].jd)
  }

  /// Cone searches on the real store agree with a brute-force scan of every alert, for centres on each alert
  /// and at random, radii from 1" to 90 degrees, with and without a jd window.
  func testConeSearchMatchesABruteForceScanOnRealAlerts() throws {
    let (store, _) = try realStore()
    let expected = try StoreFixtures.expectedPackets()
    let all = try expected.map { try XCTUnwrap(try store.alert(candid: $0.candid)) }
    var rng = SeededGenerator(seed: 21)
    var centres = all.map { ($0.ra, $0.dec) }
    centres += (0..<20).map { _ in randomPosition(&rng) }
    var nonEmpty = 0
    for (i, (ra, dec)) in centres.enumerated() {
      for radius in [1.0, 5, 60, 3600, 36000, 324_000] {
        let window: (Double?, Double?) = i % 3 == 0 ? (2_458_880, 2_458_890) : (nil, nil)
        let query = ConeQuery(ra: ra, dec: dec, radiusArcsec: radius, jdMin: window.0, jdMax: window.1)
        let found = try store.coneSearch(query)
        let brute = all.filter { a in
          SphericalDistance.arcsec(ra1: ra, dec1: dec, ra2: a.ra, dec2: a.dec) <= radius
            && a.jd >= (window.0 ?? -.infinity) && a.jd <= (window.1 ?? .infinity)
        }
        XCTAssertEqual(Set(found.map(\.alert.candid)), Set(brute.map(\.candid)), "cone (\(ra), \(dec), \(radius)\")")
        XCTAssertEqual(found.map(\.distanceArcsec), found.map(\.distanceArcsec).sorted(), "nearest first")
        if !found.isEmpty { nonEmpty += 1 }
      }
    }
    XCTAssertGreaterThan(nonEmpty, 150)
  }

  /// The same against a store of alerts crowded around both poles and across ra = 0/360, where pixel geometry is
  /// least regular; random centres and radii.
  func testConeSearchMatchesABruteForceScanNearThePolesAndTheRASeam() throws {
    let store = try emptyStore()
    var rng = SeededGenerator(seed: 22)
    var records: [AlertIngestRecord] = []
    let clusters: [(Double, Double, Double)] = [(0, 90, 0.2), (200, -89.9, 0.2), (0, 0, 0.05), (359.99, -30, 0.05), (120, 45, 0.05)]
    for (c, (ra, dec, spread)) in clusters.enumerated() {
      for i in 0..<800 {
        var pra = ra + Double.random(in: -spread...spread, using: &rng) / max(0.001, cos(dec * .pi / 180))
        pra = (pra.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360)
        let pdec = max(-90, min(90, dec + Double.random(in: -spread...spread, using: &rng)))
        records.append(
          StoreFixtures.record(
            candid: Int64(c * 10_000 + i + 1), objectId: "ZTF24c\(c)o\(i)", ra: pra, dec: pdec,
            jd: 2_460_000 + Double(i % 10)))
      }
    }
    _ = try store.insert(records)
    var total = 0
    for trial in 0..<300 {
      let base = records[Int.random(in: 0..<records.count, using: &rng)]
      let ra = (base.ra + Double.random(in: -0.01...0.01, using: &rng) + 360).truncatingRemainder(dividingBy: 360)
      let dec = max(-90, min(90, base.dec + Double.random(in: -0.01...0.01, using: &rng)))
      let radius = [2.0, 10, 60, 300, 1800][trial % 5] * Double.random(in: 0.5...1.5, using: &rng)
      let jdMin: Double? = trial % 4 == 0 ? 2_460_003 : nil
      let found = try store.coneSearch(ConeQuery(ra: ra, dec: dec, radiusArcsec: radius, jdMin: jdMin))
      let brute = records.filter {
        SphericalDistance.arcsec(ra1: ra, dec1: dec, ra2: $0.ra, dec2: $0.dec) <= radius && $0.jd >= (jdMin ?? -.infinity)
      }
      XCTAssertEqual(Set(found.map(\.alert.candid)), Set(brute.map(\.candid)), "cone (\(ra), \(dec), \(radius)\")")
      total += found.count
    }
    XCTAssertGreaterThan(total, 1000, "the cones found alerts")
    // Exactly at the pole, every alert within the radius whatever its ra.
    let pole = try store.coneSearch(ConeQuery(ra: 0, dec: 90, radiusArcsec: 360))
    XCTAssertEqual(pole.count, records.filter { 90 - $0.dec <= 0.1 }.count)
  }

  func testConeQueriesOutOfRangeAreRefused() throws {
    let (store, _) = try realStore()
    for (query, message) in [
      (ConeQuery(ra: 360, dec: 0, radiusArcsec: 5), "ra = 360.0"), (ConeQuery(ra: 1, dec: -91, radiusArcsec: 5), "dec = -91.0"),
      (ConeQuery(ra: 1, dec: 0, radiusArcsec: 0), "not positive"),
      (ConeQuery(ra: 1, dec: 0, radiusArcsec: 5, jdMin: 3, jdMax: 2), "jd window is empty"),
    ] {
      XCTAssertThrowsError(try store.coneSearch(query)) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
    }
  }

  func testScoresAreKeptPerModelVersionAndReplacedOnRescoring() throws {
    let (store, _) = try realStore()
    let candid: Int64 = 1_127_495_406_315_015_005
    try store.saveScores([ModelScore(candid: candid, model: "braai", version: "d6_m7", score: 0.25)])
    try store.saveScores([ModelScore(candid: candid, model: "braai", version: "d6_m7", score: 0.75)])
    try store.saveScores([ModelScore(candid: candid, model: "braai", version: "d6_m9", score: 0.5)])
    XCTAssertEqual(try store.scores(candid: candid).map(\.score), [0.75, 0.5])
    XCTAssertEqual(try store.statistics().scores, ["braai/d6_m7": 1, "braai/d6_m9": 1])
    XCTAssertThrowsError(try store.saveScores([ModelScore(candid: 7, model: "braai", version: "x", score: 1)]))
    XCTAssertThrowsError(try store.saveScores([ModelScore(candid: candid, model: "braai", version: "x", score: .nan)]))
    XCTAssertEqual(try store.scores(candid: candid).count, 2)
  }
}

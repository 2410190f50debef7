import AlertStore
import Braai
import Foundation
import TestSupport
import XCTest

final class ScoringTests: StoreTestCase {
  /// braai d6_m7 on triplets rebuilt from the STORED cutouts reproduces the drb ZTF put in each packet, and the
  /// scores are saved; scoring again replaces them.
  func testBraaiScoresFromStoredCutoutsMatchTheProductionDRB() throws {
    let (store, _) = try realStore()
    let braai = try BraaiModel(weights: SharedData.path("data/braai/d6_m7.h5"))
    let scorer = StoredAlertScorer(database: store, model: "braai", version: "d6_m7", batchSize: 16)
    var calls = 0
    let report = try scorer.run(score: {
      calls += 1
      return try braai.score(triplets: $0)
    })
    XCTAssertEqual(report.scored, 44)
    XCTAssertEqual(report.failures.count, 0)
    XCTAssertEqual(calls, 3, "44 alerts in batches of 16")
    var compared = 0
    var close = 0
    for e in try StoreFixtures.expectedPackets() {
      let scores = try store.scores(candid: e.candid)
      XCTAssertEqual(scores.map(\.model), ["braai"], e.file)
      guard let drb = e.drb, let score = scores.first?.score else { continue }
      compared += 1
      if abs(score - drb) <= 1e-5 { close += 1 }
    }
    XCTAssertEqual(compared, 43)
    XCTAssertGreaterThanOrEqual(close, compared - 1, "scores within 1e-5 of the packets' drb")

    let again = try scorer.run(score: { Array(repeating: 0.5, count: $0.count) })
    XCTAssertEqual(again.scored, 44)
    XCTAssertEqual(try store.statistics().scores, ["braai/d6_m7": 44])
    XCTAssertEqual(try store.scores(candid: 1_127_495_406_315_015_005).first?.score, 0.5)
  }

  func testAlertsWithUnusableCutoutsAreReportedAndOthersScored() throws {
    let store = try emptyStore()
    var good = try StoreFixtures.syntheticAlerts().record(0)
    var broken = try StoreFixtures.syntheticAlerts().record(1)
    broken.difference = CutoutBlob(fileName: "x.fits.gz", data: Data("not gzip".utf8))
    good.objectId = "ZTF24good"
    _ = try store.insert([good, broken])
    let report = try StoredAlertScorer(database: store, model: "m", version: "1").run(score: { $0.map { _ in 0.9 } })
    XCTAssertEqual(report.scored, 1)
    XCTAssertEqual(report.failures.map(\.candid), [broken.candid])
    XCTAssertTrue(report.failures[0].reason.contains("cutoutDifference"), report.failures[0].reason)
  }
}

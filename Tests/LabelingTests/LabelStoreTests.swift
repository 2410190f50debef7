import AstroIO
import Foundation
import GRDB
import Labeling
import TestSupport
import XCTest

final class LabelStoreTests: XCTestCase {
  var scratch: TemporaryFolder!
  var folder: URL { scratch.url }
  var path: String { folder.appendingPathComponent("labels.sqlite").path }

  override func setUpWithError() throws {
    scratch = try TemporaryFolder("label-store")
  }

  override func tearDown() { scratch = nil }

  func item(_ id: String, candid: Int64? = nil, gold: [String]? = nil, value: Float = 0) -> NewLabelItem {
    NewLabelItem(externalID: id, candid: candid, height: 2, width: 2, channels: 3, triplet: [Float](repeating: value, count: 12), gold: gold)
  }

  /// A store with a braai-style project, four items (one gold) and two labellers and an admin.
  func populated(blind: Bool = false, labelsPerItem: Int = 2) throws -> (LabelStore, LabelProject, [Labeller], [Int64]) {
    let store = try LabelStore.create(path: path)
    let project = try store.createProject(name: "rb", classes: ["bogus", "real"], labelsPerItem: labelsPerItem, blind: blind)
    try store.importItems(projectID: project.id, dataset: "night1", items: [
      item("a", candid: 101), item("b", candid: 102), item("c", candid: 103), item("g", candid: 104, gold: ["real"]),
    ])
    let ann = try store.addLabeller(name: "ann", role: .labeller).labeller
    let bob = try store.addLabeller(name: "bob", role: .labeller).labeller
    let boss = try store.addLabeller(name: "boss", role: .admin).labeller
    return (store, project, [ann, bob, boss], try store.items(projectID: project.id).map(\.id))
  }

  func testOpeningRefusesMissingEmptyAndForeignFilesAndChangesNothing() throws {
    XCTAssertThrowsError(try LabelStore(path: path)) { XCTAssertEqual($0 as? LabelStoreError, .notFound("\(self.path): no such labelling store (create one with `label init`)")) }
    _ = FileManager.default.createFile(atPath: path, contents: Data())
    XCTAssertThrowsError(try LabelStore(path: path))
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)).count, 0, "an empty file stays empty")
    try FileManager.default.removeItem(atPath: path)
    let foreign = try DatabaseQueue(path: path)
    try foreign.write { try $0.execute(sql: "CREATE TABLE t (x)") }
    try foreign.close()
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try LabelStore(path: path)) { XCTAssertTrue("\($0)".contains("not a labelling store"), "\($0)") }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    XCTAssertThrowsError(try LabelStore.create(path: path), "create refuses an existing file")
  }

  func testConsistencyCheckFindsDanglingReferencesAndTruncatedTriplets() throws {
    let (store, _, labellers, items) = try populated()
    try store.record(itemID: items[0], labeller: labellers[0], labels: ["real"])
    XCTAssertEqual(try store.consistencyProblems(), [])
    // Damage the file behind the store's back, as another program could (one without foreign-key enforcement).
    var configuration = Configuration()
    configuration.foreignKeysEnabled = false
    let other = try DatabaseQueue(path: path, configuration: configuration)
    try other.write { db in
      try db.execute(sql: "UPDATE items SET triplet = zeroblob(8) WHERE id = ?", arguments: [items[1]])
      try db.execute(sql: "DELETE FROM labellers WHERE id = ?", arguments: [labellers[0].id])
    }
    try other.close()
    XCTAssertEqual(try store.consistencyProblems(), [
      "a row of label_events refers to a missing row of labellers", "1 items whose triplet does not match their shape",
    ])
  }

  func testTokensAuthenticateAndOnlyTheirHashIsStored() throws {
    let store = try LabelStore.create(path: path)
    let (ann, token) = try store.addLabeller(name: "ann", role: .admin)
    XCTAssertEqual(token.count, 64)
    XCTAssertEqual(try store.labeller(token: token), ann)
    XCTAssertNil(try store.labeller(token: String(repeating: "0", count: 64)))
    XCTAssertNil(try store.labeller(token: "short"))
    XCTAssertThrowsError(try store.addLabeller(name: "ann", role: .labeller))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertNil(bytes.range(of: Data(token.utf8)), "the token itself is in the file")
  }

  func testLabelsAreValidatedAndTheLogIsAppendOnly() throws {
    let (store, _, people, items) = try populated()
    let ann = people[0]
    XCTAssertThrowsError(try store.record(itemID: items[0], labeller: ann, labels: ["cat"])) { XCTAssertTrue("\($0)".contains("'cat'"), "\($0)") }
    XCTAssertThrowsError(try store.record(itemID: items[0], labeller: ann, labels: ["real", "bogus"]))
    XCTAssertThrowsError(try store.record(itemID: 999, labeller: ann, labels: ["real"]))
    XCTAssertThrowsError(try store.record(itemID: items[0], labeller: ann, labels: ["real"], seconds: -1))
    XCTAssertTrue(try store.events(projectID: 1).isEmpty, "failed calls wrote nothing")
    try store.record(itemID: items[0], labeller: ann, labels: ["real"], seconds: 2.5)
    try store.record(itemID: items[0], labeller: ann, labels: ["bogus"], unsure: true, seconds: 4)
    XCTAssertEqual(try store.currentLabels(projectID: 1)[items[0]]?[ann.id]?.labels, ["bogus"])
    let undone = try XCTUnwrap(try store.undo(projectID: 1, labeller: ann))
    XCTAssertEqual(undone.kind, .retract)
    XCTAssertEqual(try store.currentLabels(projectID: 1)[items[0]]?[ann.id]?.labels, ["real"], "undo brings back the earlier label")
    XCTAssertEqual(try store.events(projectID: 1).count, 3)
    let database = try DatabaseQueue(path: path)
    XCTAssertThrowsError(try database.write { try $0.execute(sql: "UPDATE label_events SET labels = '[\"real\"]'") })
    XCTAssertThrowsError(try database.write { try $0.execute(sql: "DELETE FROM label_events") })
  }

  func testQueueRetiresItemsHidesGoldAndOrdersByTheModel() throws {
    let (store, project, people, items) = try populated(labelsPerItem: 2)
    let (ann, bob) = (people[0], people[1])
    XCTAssertEqual(try store.queue(projectID: project.id, labeller: ann, count: 10).entries.first?.externalID, "g", "a gold item first")
    try store.setScores(projectID: project.id, modelVersion: "m1", strategy: "uncertainty",
                        scores: [items[0]: (0.9, 0.1), items[1]: (0.5, 0.7), items[2]: (0.3, 0.6)])
    try store.record(itemID: items[3], labeller: ann, labels: ["real"])
    let (version, queue) = try store.queue(projectID: project.id, labeller: ann, count: 10)
    XCTAssertEqual(version, "m1")
    XCTAssertEqual(queue.map(\.externalID), ["b", "c", "a"], "by acquisition, answered items left out")
    XCTAssertEqual(queue[0].score, 0.5)
    XCTAssertEqual(try store.queue(projectID: project.id, labeller: ann, count: 10, order: .uncertainty).entries.map(\.externalID), ["b", "c", "a"])
    try store.record(itemID: items[1], labeller: ann, labels: ["real"])
    try store.record(itemID: items[1], labeller: bob, labels: ["bogus"])
    XCTAssertFalse(try store.queue(projectID: project.id, labeller: people[2], count: 10).entries.map(\.externalID).contains("b"),
                   "two labels retire an item")
    try store.record(itemID: items[3], labeller: bob, labels: ["bogus"])
    XCTAssertEqual(try store.queue(projectID: project.id, labeller: people[2], count: 10).entries.first?.externalID, "g",
                   "a gold item is never retired: every labeller meets it")
    let shown = try store.events(projectID: project.id).filter { $0.itemID == items[1] }.last!
    XCTAssertEqual(shown.modelVersion, "m1")
    XCTAssertEqual(shown.shownScore, 0.5)
  }

  func testBlindProjectsHideTheScore() throws {
    let (store, project, people, items) = try populated(blind: true)
    try store.setScores(projectID: project.id, modelVersion: "m1", strategy: "uncertainty", scores: [items[0]: (0.9, 0.1)])
    XCTAssertTrue(try store.queue(projectID: project.id, labeller: people[0], count: 10).entries.allSatisfy { $0.score == nil })
    try store.record(itemID: items[0], labeller: people[0], labels: ["real"])
    XCTAssertNil(try store.events(projectID: project.id).last!.shownScore)
  }

  func testAgreementConflictsAndGoldAccuracy() throws {
    let (store, project, people, items) = try populated()
    let (ann, bob) = (people[0], people[1])
    for (i, (a, b)) in [("real", "real"), ("real", "bogus"), ("bogus", "bogus")].enumerated() {
      try store.record(itemID: items[i], labeller: ann, labels: [a], seconds: Double(i + 1))
      try store.record(itemID: items[i], labeller: bob, labels: [b], seconds: 10)
    }
    try store.record(itemID: items[3], labeller: ann, labels: ["real"])
    try store.record(itemID: items[3], labeller: bob, labels: ["bogus"])
    let report = try store.agreement(projectID: project.id)
    // Four shared items: ann real,real,bogus,real; bob real,bogus,bogus,bogus. p_o = 2/4; p_e = (3/4)(1/4) + (1/4)(3/4) = 3/8.
    XCTAssertEqual(report.pairs.count, 1)
    XCTAssertEqual(report.pairs[0].cohenKappa, (0.5 - 0.375) / (1 - 0.375), accuracy: 1e-12)
    XCTAssertEqual(report.pairs[0].n, 4)
    XCTAssertEqual(Set(report.conflicts.map(\.externalID)), ["b", "g"])
    let annSummary = report.labellers.first { $0.name == "ann" }!
    XCTAssertEqual(annSummary.goldAnswered, 1)
    XCTAssertEqual(annSummary.goldCorrect, 1)
    XCTAssertEqual(report.labellers.first { $0.name == "bob" }!.goldCorrect, 0)
    XCTAssertEqual(annSummary.medianSeconds, 2)
    XCTAssertNotNil(report.fleissKappa)
  }

  func testExportsParseBack() throws {
    let (store, project, people, items) = try populated()
    let (ann, bob) = (people[0], people[1])
    try store.setScores(projectID: project.id, modelVersion: "braai-d6_m9", strategy: "uncertainty",
                        scores: [items[0]: (0.8, 0.2), items[1]: (0.4, 0.9)])
    try store.record(itemID: items[0], labeller: ann, labels: ["real"], seconds: 3)
    try store.record(itemID: items[0], labeller: bob, labels: ["real"], seconds: 5)
    try store.record(itemID: items[1], labeller: ann, labels: ["bogus"], seconds: 1)
    try store.record(itemID: items[2], labeller: bob, labels: [], skip: true)

    let zwicky = try JSONSerialization.jsonObject(with: try store.export(projectID: project.id, format: .zwickyverse)) as! [String: [String: [String]]]
    XCTAssertEqual(zwicky, ["night1": ["a": ["real"], "b": ["bogus"]]])

    let kowalski = try JSONSerialization.jsonObject(with: try store.export(projectID: project.id, format: .kowalski)) as! [String: [String: [String: Double]]]
    XCTAssertEqual(kowalski["101"]?["human_labels"], ["real": 1])
    XCTAssertEqual(kowalski["101"]?["ml_scores"], ["braai-d6_m9": 0.8])
    XCTAssertEqual(kowalski["102"]?["human_labels"], ["bogus": 1])

    let tasks = try JSONSerialization.jsonObject(with: try store.export(projectID: project.id, format: .labelstudio)) as! [[String: Any]]
    XCTAssertEqual(tasks.count, 4)
    let first = tasks[0]["annotations"] as! [[String: Any]]
    XCTAssertEqual(first.map { $0["completed_by"] as? String }, ["ann", "bob"])
    XCTAssertEqual(first[0]["lead_time"] as? Double, 3)
    XCTAssertEqual(first[0]["was_cancelled"] as? Bool, false)
    let predictions = tasks[0]["predictions"] as! [[String: Any]]
    XCTAssertEqual(predictions[0]["model_version"] as? String, "braai-d6_m9")
    XCTAssertEqual(predictions[0]["score"] as? Double, 0.8)
    let skipped = tasks[2]["annotations"] as! [[String: Any]]
    XCTAssertEqual(skipped[0]["was_cancelled"] as? Bool, true)

    let paths = try store.exportTrainingArrays(projectID: project.id, positiveClass: "real", folder: folder.path, stamp: "v1")
    XCTAssertEqual(try NpyArray.read(path: paths[0]).shape, [2, 2, 2, 3])
    XCTAssertEqual(try NpyArray.read(path: paths[1]).floats(), [1, 0])
    XCTAssertEqual(try NpyArray.read(path: paths[2]).int64s(), [101, 102])
    XCTAssertThrowsError(try store.exportTrainingArrays(projectID: project.id, positiveClass: "cat", folder: folder.path, stamp: "v1"))
  }
}

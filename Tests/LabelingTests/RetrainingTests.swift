import ActiveLearning
import AstroNN
import AstroTensor
import Foundation
import Labeling
import TestSupport
import XCTest

final class RetrainingTests: XCTestCase {
  var scratch: TemporaryFolder!
  var folder: URL { scratch.url }

  override func setUpWithError() throws {
    scratch = try TemporaryFolder("label-retrain")
  }

  override func tearDown() { scratch = nil }

  /// Blobs (real) against hot pixels (bogus) as 8×8×3 items; 12 labelled, the rest waiting.
  func testRetrainingScoresEveryItemAndReordersTheQueue() throws {
    let store = try LabelStore.create(path: folder.appendingPathComponent("l.sqlite").path)
    // Two labels per item: items ann labelled stay in bob's queue, after the unlabelled ones.
    let project = try store.createProject(name: "toy", classes: ["bogus", "real"], labelsPerItem: 2)
    let (images, labels) = ToyData.blobsVersusHotPixels(count: 40, shape: [8, 8, 3], seed: 3)
    let values = images.values, truth = labels.values
    try store.importItems(projectID: project.id, dataset: "d", items: (0..<40).map { i in
      NewLabelItem(externalID: "x\(i)", height: 8, width: 8, channels: 3, triplet: Array(values[(i * 192)..<((i + 1) * 192)]))
    })
    let labeller = try store.addLabeller(name: "ann", role: .labeller).labeller
    let items = try store.items(projectID: project.id)
    let model = try ModelBuilder.sequential(name: "toy", inputShape: [8, 8, 3], seed: 1, [
      Conv2D(4, kernelSize: (3, 3), activation: .relu), Flatten(), Dense(8, activation: .relu), Dropout(0.2), Dense(1, activation: .sigmoid),
    ])
    var retraining = Retraining(positiveClass: "real")
    retraining.epochs = 3
    retraining.batchSize = 8
    try store.record(itemID: items[0].id, labeller: labeller, labels: [truth[0] >= 0.5 ? "real" : "bogus"])
    let oneClass = (0..<40).first { (truth[$0] >= 0.5) == (truth[0] >= 0.5) && $0 > 0 }!
    try store.record(itemID: items[oneClass].id, labeller: labeller, labels: [truth[0] >= 0.5 ? "real" : "bogus"])
    XCTAssertThrowsError(try retraining.run(store: store, projectID: project.id, model: model, modelVersion: "v0")) {
      XCTAssertTrue("\($0)".contains("both classes"), "\($0)")
    }
    for i in 1..<12 { try store.record(itemID: items[i].id, labeller: labeller, labels: [truth[i] >= 0.5 ? "real" : "bogus"]) }
    let result = try retraining.run(store: store, projectID: project.id, model: model, modelVersion: "v1")
    XCTAssertEqual(result.scoredItems, 40)
    XCTAssertEqual(try store.currentModel(projectID: project.id)?.version, "v1")
    XCTAssertEqual(try store.currentModel(projectID: project.id)?.strategy, "uncertainty")
    let queue = try store.queue(projectID: project.id, labeller: try store.addLabeller(name: "bob", role: .labeller).labeller, count: 40).entries
    XCTAssertEqual(queue.count, 40)
    // Every open item (ann's half-labelled ones too: two labels per item) in the strategy's order, most uncertain
    // (score nearest 0.5) first.
    let uncertainty = queue.map { abs($0.score! - 0.5) }
    XCTAssertEqual(uncertainty, uncertainty.sorted())
    let predictions = try model.predict(images).values
    for entry in queue { XCTAssertEqual(entry.score!, Double(predictions[Int(entry.externalID.dropFirst())!]), accuracy: 1e-5) }
  }

  func testDemoRunsTheLoop() throws {
    let run = try runProduct("label", ["demo", "--out", folder.appendingPathComponent("demo").path, "--pool", "60", "--test", "40",
                                       "--batch", "10", "--rounds", "1", "--epochs", "2"])
    XCTAssertEqual(run.status, 0, run.stderr)
    XCTAssertTrue(run.stdout.contains("round 1: 30 labels"), run.stdout)
  }
}

import AstroIO
import AstroNN
import AstroTensor
import Foundation
import XCTest

/// The training loop: determinism, early stopping, best weights, checkpoints and resume, bad data.
final class TrainerTests: XCTestCase {
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("astro-trainer-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

  /// A small problem on VGG6-sized inputs: 96 training and 32 validation samples.
  func data() throws -> (train: LabelledImages, validation: LabelledImages) {
    let (x, y) = ToyData.blobsVersusHotPixels(count: 128, shape: [63, 63, 3], seed: 21)
    let all = try LabelledImages(images: x, labels: y)
    return try (all.subset(Array(32..<128)), all.subset(Array(0..<32)))
  }

  func configuration(epochs: Int, checkpoint: String? = nil) -> TrainingConfiguration {
    var c = TrainingConfiguration()
    c.epochs = epochs
    c.batchSize = 16
    c.flips = true
    c.seed = 9
    c.checkpointPath = checkpoint
    c.progress = .silent
    return c
  }

  func testSameSeedGivesTheSameRun() throws {
    let (train, validation) = try data()
    func run() throws -> (TrainingHistory, [[Float]]) {
      let model = try VGG6.make(seed: 1)
      let trainer = Trainer(model: model, optimizer: Adam(learningRate: 3e-4), configuration: configuration(epochs: 2))
      let history = try trainer.fit(train, validation: validation)
      return (history, model.weights.map(\.values))
    }
    let (h1, w1) = try run(), (h2, w2) = try run()
    XCTAssertEqual(h1.epochs.map(\.loss), h2.epochs.map(\.loss))
    XCTAssertEqual(h1.epochs.map(\.validationLoss), h2.epochs.map(\.validationLoss))
    XCTAssertEqual(w1, w2)
    XCTAssertEqual(h1.epochs.count, 2)
  }

  func testKilledRunResumesFromItsCheckpointExactly() throws {
    let (train, validation) = try data()
    let path = scratch.appendingPathComponent("run.h5").path
    // Uninterrupted: 4 epochs.
    let straight = try VGG6.make(seed: 1)
    try Trainer(model: straight, optimizer: Adam(learningRate: 3e-4), configuration: configuration(epochs: 4)).fit(train, validation: validation)
    // Interrupted after 2 epochs (the process is gone; only the checkpoint remains) then resumed.
    let first = Trainer(model: try VGG6.make(seed: 1), optimizer: Adam(learningRate: 3e-4), configuration: configuration(epochs: 2, checkpoint: path))
    try first.fit(train, validation: validation)
    let resumedModel = try VGG6.make(seed: 77)  // different initial weights: everything must come from the file
    let resumed = Trainer(model: resumedModel, optimizer: Adam(learningRate: 3e-4), configuration: configuration(epochs: 4, checkpoint: path))
    let history = try resumed.fit(train, validation: validation, resume: true)
    XCTAssertEqual(history.epochs.map(\.epoch), [1, 2, 3, 4])
    XCTAssertEqual(resumedModel.weights.map(\.values), straight.weights.map(\.values), "resumed run must equal the uninterrupted one")
    // The checkpoint is a Keras full-model weights file too.
    let reloaded = try VGG6.make(seed: 5)
    try reloaded.loadKerasWeights(from: path)
    XCTAssertEqual(reloaded.weights.map(\.values), resumedModel.weights.map(\.values))

    // Resuming with no checkpoint is an error, not a silent fresh start.
    let missing = path + ".missing"
    let fresh = Trainer(model: try VGG6.make(seed: 1), optimizer: Adam(learningRate: 3e-4), configuration: configuration(epochs: 1, checkpoint: missing))
    XCTAssertThrowsError(try fresh.fit(train, validation: validation, resume: true)) { error in
      XCTAssertTrue("\(error)".contains("no checkpoint to resume from"), "\(error)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
  }

  func testEarlyStoppingFires() throws {
    let (train, validation) = try data()
    var c = configuration(epochs: 10)
    c.earlyStoppingPatience = 2
    c.restoreBestWeights = true
    // With a zero learning rate nothing changes, so the validation loss never improves after epoch 1.
    let model = try VGG6.make(seed: 1)
    let trainer = Trainer(model: model, optimizer: SGD(learningRate: 0), configuration: c)
    let history = try trainer.fit(train, validation: validation)
    XCTAssertTrue(history.stoppedEarly)
    XCTAssertEqual(history.epochs.count, 3, "best epoch 1, then two epochs without improvement")
    XCTAssertEqual(history.bestEpoch, 1)
  }

  func testRestoreBestWeightsPutsBackTheBestEpoch() throws {
    let (train, validation) = try data()
    var c = configuration(epochs: 3)
    c.restoreBestWeights = true
    c.learningRateSchedule = { epoch, base in epoch == 1 ? base : 0.05 }  // later epochs diverge
    let model = try VGG6.make(seed: 1)
    let trainer = Trainer(model: model, optimizer: SGD(learningRate: 0.01), configuration: c)
    let history = try trainer.fit(train, validation: validation)
    XCTAssertEqual(history.epochs.map(\.learningRate).map { Float($0) }, [0.01, 0.05, 0.05])
    let best = try XCTUnwrap(history.bestEpoch)
    let evaluation = try trainer.evaluate(validation)
    XCTAssertEqual(evaluation.loss, try XCTUnwrap(history.epochs[best - 1].validationLoss), accuracy: 1e-5)
  }

  func testNonFiniteLossNamesTheStepAndKeepsTheCheckpoint() throws {
    let (train, validation) = try data()
    let path = scratch.appendingPathComponent("nan.h5").path
    let model = try VGG6.make(seed: 1)
    let trainer = Trainer(model: model, optimizer: Adam(learningRate: 3e-4), configuration: configuration(epochs: 1, checkpoint: path))
    try trainer.fit(train, validation: validation)
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    (model.layer(named: "fc_out") as! Dense).bias!.storage.pointer[0] = .nan
    trainer.configuration.epochs = 2
    XCTAssertThrowsError(try trainer.fit(train, validation: validation)) { error in
      XCTAssertTrue("\(error)".contains("epoch 2 step 1"), "\(error)")
      XCTAssertTrue("\(error)".contains("intact"), "\(error)")
    }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the last good checkpoint must be untouched")
  }

  func testBadDataIsRejectedWithItsSource() throws {
    let x = Tensor.zeros([4, 63, 63, 3])
    XCTAssertThrowsError(try LabelledImages(images: x, labels: Tensor.zeros([3]), source: "labels.npy")) {
      XCTAssertTrue("\($0)".contains("labels.npy") && "\($0)".contains("4 images but 3 labels"), "\($0)")
    }
    XCTAssertThrowsError(try LabelledImages(images: x, labels: try Tensor(shape: [4], values: [0, 1, 2, 0]))) {
      XCTAssertTrue("\($0)".contains("sample 2"), "\($0)")
    }
    x.storage.pointer[63 * 63 * 3 * 3 + 7] = .infinity
    XCTAssertThrowsError(try LabelledImages(images: x, labels: Tensor.zeros([4]), source: "triplets.npy")) {
      XCTAssertTrue("\($0)".contains("sample 3"), "\($0)")
    }
    let (train, _) = try data()
    let trainer = Trainer(model: try VGG6.make(inputShape: [144, 144, 1]), optimizer: Adam())
    XCTAssertThrowsError(try trainer.fit(train)) { XCTAssertTrue("\($0)".contains("[63, 63, 3]"), "\($0)") }
  }

  func testBraaiClassWeights() throws {
    let labels = try Tensor(shape: [40], values: (0..<40).map { $0 < 30 ? 0 : 1 })
    let set = try LabelledImages(images: Tensor.zeros([40, 2, 2, 1]), labels: labels)
    // inverse counts (1/30, 1/10), normalised then divided by the max: (1/3, 1).
    let w = try set.balancedClassWeights()
    XCTAssertEqual(w[0], 1.0 / 3.0, accuracy: 1e-6)
    XCTAssertEqual(w[1], 1, accuracy: 1e-6)
  }

  func testFlipsProduceAllFourOrientationsAndNothingElse() throws {
    let image = try Tensor(shape: [1, 2, 3, 1], values: [1, 2, 3, 4, 5, 6])
    let set = try LabelledImages(images: image, labels: Tensor.zeros([1]))
    let orientations: Set<[Float]> = [[1, 2, 3, 4, 5, 6], [3, 2, 1, 6, 5, 4], [4, 5, 6, 1, 2, 3], [6, 5, 4, 3, 2, 1]]
    var seen: Set<[Float]> = []
    var generator = SeededGenerator(seed: 3)
    for _ in 0..<64 {
      let values = try set.batch([0], flips: true, generator: &generator).images.values
      XCTAssertTrue(orientations.contains(values), "\(values)")
      seen.insert(values)
    }
    XCTAssertEqual(seen, orientations)
  }
}

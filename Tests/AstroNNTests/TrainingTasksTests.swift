import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Training beyond binary: multi-class (integer or one-hot labels), multi-label, several inputs and
/// outputs; metrics, callbacks, clipping.
final class TrainingTasksTests: XCTestCase {
  /// 4 features; the class is the index of the largest of the first 3; label k of 3 is "feature k > 0".
  func problem(count: Int, seed: UInt64) throws -> (x: Tensor, classes: Tensor, oneHot: Tensor, multiLabel: Tensor) {
    let x = TestTensors.uniform([count, 4], seed: seed)
    let v = x.values
    var classes: [Float] = [], oneHot: [Float] = [], multi: [Float] = []
    for i in 0..<count {
      let row = Array(v[(i * 4)..<(i * 4 + 3)])
      let c = row.indices.max { row[$0] < row[$1] }!
      classes.append(Float(c))
      oneHot += (0..<3).map { $0 == c ? 1 : 0 }
      multi += row.map { $0 > 0 ? 1 : 0 }
    }
    return (x, try Tensor(shape: [count], values: classes), try Tensor(shape: [count, 3], values: oneHot),
      try Tensor(shape: [count, 3], values: multi))
  }

  func classifier(_ activation: Activation) throws -> Model {
    try ModelBuilder.sequential(name: "mlp", inputShape: [4], seed: 3, [
      Dense(16, activation: .relu, name: "hidden"), Dense(3, activation: activation, name: "out"),
    ])
  }

  func configuration(_ loss: Loss, epochs: Int = 30) -> TrainingConfiguration {
    var c = TrainingConfiguration()
    c.epochs = epochs; c.batchSize = 32; c.loss = loss; c.progress = .silent
    c.metrics = [.accuracy, .auc, .precision, .recall]
    return c
  }

  func testMultiClassWithIntegerOrOneHotLabelsTrainsTheSame() throws {
    let train = try problem(count: 512, seed: 1), test = try problem(count: 256, seed: 2)
    var histories: [TrainingHistory] = []
    for (loss, targets, validation) in [
      (Loss.sparseCategoricalCrossEntropy, train.classes, test.classes), (.categoricalCrossEntropy, train.oneHot, test.oneHot),
    ] {
      let trainer = Trainer(model: try classifier(.softmax), optimizer: Adam(learningRate: 1e-2), configuration: configuration(loss))
      histories.append(try trainer.fit(
        Dataset(inputs: [train.x], targets: [targets]), validation: Dataset(inputs: [test.x], targets: [validation])))
    }
    let last = try XCTUnwrap(histories[0].epochs.last)
    XCTAssertGreaterThan(last.logs["val_accuracy"]!, 0.9, "\(last.logs)")
    XCTAssertGreaterThan(last.logs["val_auc"]!, 0.97, "\(last.logs)")
    XCTAssertEqual(Set(last.logs.keys), ["loss", "accuracy", "auc", "precision", "recall", "val_loss", "val_accuracy", "val_auc", "val_precision", "val_recall"])
    // One-hot targets and their class indices: the same losses to rounding, epoch after epoch.
    for (a, b) in zip(histories[0].epochs, histories[1].epochs) {
      XCTAssertEqual(a.loss, b.loss, accuracy: 1e-5)
      XCTAssertEqual(a.logs["val_accuracy"], b.logs["val_accuracy"])
    }
  }

  func testMultiLabel() throws {
    let train = try problem(count: 512, seed: 3), test = try problem(count: 256, seed: 4)
    let trainer = Trainer(model: try classifier(.sigmoid), optimizer: Adam(learningRate: 1e-2), configuration: configuration(.binaryCrossEntropy))
    let history = try trainer.fit(Dataset(inputs: [train.x], targets: [train.multiLabel]), validation: Dataset(inputs: [test.x], targets: [test.multiLabel]))
    XCTAssertGreaterThan(history.epochs.last!.logs["val_accuracy"]!, 0.95, "\(history.epochs.last!.logs)")
    let evaluation = try trainer.evaluate(Dataset(inputs: [test.x], targets: [test.multiLabel]))
    XCTAssertEqual(evaluation.outputs[0].shape, [256, 3])
    XCTAssertTrue(evaluation.outputs[0].values.allSatisfy { $0 >= 0 && $0 <= 1 })
  }

  func testSeveralInputsAndOutputs() throws {
    let b = ModelBuilder(name: "two", inputs: [("image", [6, 6, 1]), ("features", [4])], seed: 2)
    let image = try b.chain([Conv2D(2, kernelSize: (3, 3), activation: .relu), Flatten()], from: b.inputs[0])
    let joined = try b(Concatenate(), image, b(Dense(8, activation: .relu), b.inputs[1]))
    let model = try b.model(outputs: [b(Dense(1, activation: .sigmoid, name: "real"), joined), b(Dense(3, activation: .softmax, name: "kind"), joined)])
    let data = try problem(count: 128, seed: 5)
    let images = TestTensors.uniform([128, 6, 6, 1], seed: 6)
    let real = try Tensor(shape: [128], values: data.classes.values.map { $0 == 0 ? 1 : 0 })
    var c = configuration(.binaryCrossEntropy, epochs: 3)
    c.losses = [.binaryCrossEntropy, .sparseCategoricalCrossEntropy]
    c.lossWeights = [1, 0.5]
    c.metrics = [.accuracy]
    let trainer = Trainer(model: model, optimizer: Adam(learningRate: 1e-2), configuration: c)
    let set = try Dataset(inputs: [images, data.x], targets: [real, data.classes])
    let history = try trainer.fit(set, validation: set)
    let logs = history.epochs.last!.logs
    XCTAssertEqual(Set(logs.keys), ["loss", "real_loss", "kind_loss", "real_accuracy", "kind_accuracy",
      "val_loss", "val_real_loss", "val_kind_loss", "val_real_accuracy", "val_kind_accuracy"])
    XCTAssertEqual(logs["val_loss"]!, logs["val_real_loss"]! + 0.5 * logs["val_kind_loss"]!, accuracy: 1e-6)
    // Targets that do not fit an output are named.
    XCTAssertThrowsError(try trainer.fit(Dataset(inputs: [images, data.x], targets: [real, data.oneHot]))) {
      XCTAssertTrue("\($0)".contains("do not fit output 'kind' [N] + [3] with sparseCategoricalCrossEntropy"), "\($0)")
    }
  }

  func testMetricsOnKnownCounts() throws {
    // Scores from logits; labels: TP at 0.9 and 0.6, FN at 0.2, FP at 0.7, TN at 0.1 and 0.4.
    let scores: [Float] = [0.9, 0.6, 0.2, 0.7, 0.1, 0.4], labels: [Float] = [1, 1, 1, 0, 0, 0]
    let model = try ModelBuilder.sequential(name: "identity", inputShape: [1], seed: 0, [ActivationLayer(.sigmoid, name: "out")])
    let logits = scores.map { Float(log(Double($0) / (1 - Double($0)))) }
    var c = TrainingConfiguration()
    c.metrics = Metric.allCases
    let result = try Trainer(model: model, optimizer: SGD(), configuration: c)
      .evaluate(Dataset(inputs: [Tensor(shape: [6, 1], values: logits)], targets: [Tensor(shape: [6], values: labels)]))
    XCTAssertEqual(result.logs["accuracy"]!, 4.0 / 6, accuracy: 1e-9)
    XCTAssertEqual(result.logs["precision"]!, 2.0 / 3, accuracy: 1e-9)
    XCTAssertEqual(result.logs["recall"]!, 2.0 / 3, accuracy: 1e-9)
    XCTAssertEqual(result.logs["fnr"]!, 1.0 / 3, accuracy: 1e-9)
    XCTAssertEqual(result.logs["fpr"]!, 1.0 / 3, accuracy: 1e-9)
    // AUC: of the 9 (positive, negative) pairs the positive scores higher in 6 (0.9 > 3, 0.6 > 2, 0.2 > 1).
    XCTAssertEqual(result.logs["auc"]!, 6.0 / 9, accuracy: 1e-6)
  }

  func testCallbacksLogScheduleCheckpointAndStop() throws {
    let data = try problem(count: 64, seed: 7)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("callbacks-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    final class Recorder: TrainingCallback {
      var rates: [Float] = [], batches = 0
      func batchWillBegin(_ trainer: Trainer, epoch: Int, step: Int, globalStep: Int) throws {
        rates.append(trainer.optimizer.learningRate)
      }
      func batchDidEnd(_ trainer: Trainer, epoch: Int, step: Int, loss: Double, meanLoss: Double) throws { batches += 1 }
      func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws { if record.epoch == 3 { trainer.stopTraining = true } }
    }
    let recorder = Recorder()
    let csv = folder.appendingPathComponent("log.csv").path
    let best = folder.appendingPathComponent("best.h5").path
    let trainer = Trainer(
      model: try classifier(.softmax), optimizer: Adam(learningRate: 0.1), configuration: configuration(.sparseCategoricalCrossEntropy, epochs: 10),
      callbacks: [
        LearningRateSchedule.exponentialDecay(every: 2, factor: 0.5), CSVLogger(path: csv),
        ModelCheckpoint(path: best, monitor: "loss", saveBestOnly: true), recorder,
      ])
    let history = try trainer.fit(Dataset(inputs: [data.x], targets: [data.classes]))
    XCTAssertEqual(history.epochs.count, 3, "the callback stopped training after epoch 3")
    XCTAssertEqual(recorder.batches, 6)
    // Per step: 0.1 for steps 0-1, 0.05 for 2-3, 0.025 for 4-5 (the recorder runs after the schedule).
    let base: Float = 0.1
    XCTAssertEqual(recorder.rates, [base, base, base * 0.5, base * 0.5, base * 0.25, base * 0.25])
    let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(rows.first, "epoch,lr,accuracy,auc,loss,precision,recall")
    XCTAssertEqual(rows.count, 4)
    XCTAssertTrue(FileManager.default.fileExists(atPath: best))
  }

  func testGradientClipping() throws {
    func gradients(_ clipping: GradientClipping?) throws -> [[Float]] {
      let model = try classifier(.softmax)
      let data = try problem(count: 16, seed: 8)
      var generator = SeededGenerator(seed: 1)
      try model.trainStep([data.x], targets: [data.classes], losses: [.sparseCategoricalCrossEntropy], optimizer: SGD(learningRate: 0),
        clipping: clipping, generator: &generator)
      return model.trainableWeights.map { $0.gradient!.values }
    }
    let raw = try gradients(nil).flatMap { $0 }
    let norm = raw.reduce(0) { $0 + Double($1 * $1) }.squareRoot()
    let global = try gradients(.globalNorm(Float(norm / 2))).flatMap { $0 }
    assertClose(global, raw.map { $0 / 2 }, atol: 1e-6, rtol: 1e-5)
    let valued = try gradients(.value(0.01)).flatMap { $0 }
    assertClose(valued, raw.map { min(max($0, -0.01), 0.01) }, atol: 0, rtol: 0)
    for g in try gradients(.norm(0.05)) { XCTAssertLessThanOrEqual(g.reduce(0) { $0 + Double($1 * $1) }.squareRoot(), 0.05 + 1e-6) }
  }
}

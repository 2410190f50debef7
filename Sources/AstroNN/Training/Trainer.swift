import AstroTensor
import Foundation

/// Settings of a training run (Keras' `fit` arguments and braai's options).
public struct TrainingConfiguration {
  public var epochs = 10
  public var batchSize = 32
  /// Seeds shuffling, flips and dropout; each epoch derives its own stream from it, so a resumed run
  /// continues exactly as an uninterrupted one would.
  public var seed: UInt64 = 42
  public var shuffle = true
  /// Random horizontal and vertical flips, probability 1/2 each (braai's augmentation).
  public var flips = false
  /// Per-class loss weights `[w0, w1]` (see `LabelledImages.balancedClassWeights`).
  public var classWeights: [Float]?
  /// Stop after this many epochs without improvement of the validation loss (training loss without
  /// validation data); nil trains all epochs.
  public var earlyStoppingPatience: Int?
  /// At the end, put back the weights of the best epoch (Keras' `restore_best_weights`).
  public var restoreBestWeights = false
  /// A Keras-layout `.h5` written atomically after every epoch, with optimizer and run state for resuming.
  public var checkpointPath: String?
  public var loss: Loss = .binaryCrossEntropy
  /// Learning rate for each epoch (1-based) from the base rate; nil keeps it constant.
  public var learningRateSchedule: ((_ epoch: Int, _ baseRate: Float) -> Float)?
  public var progress: ProgressStyle = .automatic

  public init() {}
}

/// Loss, accuracy at 0.5 and the scores of an evaluation pass.
public struct EvaluationResult {
  public let loss: Double
  public let accuracy: Double
  /// Sigmoid scores, one per sample, in order.
  public let scores: [Float]
}

/// Trains a model as Keras' `fit` does, with braai's options; see `TrainingConfiguration`.
public final class Trainer {
  public let model: Model
  public let optimizer: Optimizer
  public var configuration: TrainingConfiguration
  public internal(set) var history = TrainingHistory()
  var bestWeights: [[Float]]?
  private let baseLearningRate: Float

  public init(model: Model, optimizer: Optimizer, configuration: TrainingConfiguration = TrainingConfiguration()) {
    self.model = model
    self.optimizer = optimizer
    self.configuration = configuration
    self.baseLearningRate = optimizer.learningRate
  }

  /// Trains on `train`, validating on `validation` after each epoch.
  ///
  /// With `resume`, the run continues from `configuration.checkpointPath` (weights, optimizer state,
  /// history and early-stopping state) when that file exists. A failing step (non-finite loss or
  /// gradient, bad data) throws an error naming the epoch and step; the last checkpoint is left intact.
  @discardableResult
  public func fit(_ train: LabelledImages, validation: LabelledImages? = nil, resume: Bool = false) throws -> TrainingHistory {
    let c = configuration
    guard c.batchSize > 0, c.epochs >= 0 else { throw NNError.model("fit: batch size and epochs must be positive") }
    guard train.sampleShape == model.inputShape else {
      throw NNError.model("fit: samples of shape \(train.sampleShape), model '\(model.name)' takes \(model.inputShape)")
    }
    if let validation, validation.sampleShape != model.inputShape {
      throw NNError.model("fit: validation samples of shape \(validation.sampleShape), model takes \(model.inputShape)")
    }
    if let w = c.classWeights, w.count != 2 { throw NNError.model("fit: class weights need 2 values, got \(w.count)") }
    var printer = ProgressPrinter(style: c.progress)
    if resume, let path = c.checkpointPath, FileManager.default.fileExists(atPath: path) {
      try restore(from: path)
      printer.note("Resuming from \(path) after epoch \(history.epochs.count)")
    }
    let steps = (train.count + c.batchSize - 1) / c.batchSize
    var epoch = history.epochs.count + 1
    while epoch <= c.epochs && !history.stoppedEarly {
      optimizer.learningRate = c.learningRateSchedule?(epoch, baseLearningRate) ?? optimizer.learningRate
      var generator = SeededGenerator(seed: c.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
      var order = Array(0..<train.count)
      if c.shuffle { order.shuffle(using: &generator) }
      let start = Date()
      var lossSum = 0.0, correct = 0, seen = 0
      for step in 0..<steps {
        let indices = order[(step * c.batchSize)..<min((step + 1) * c.batchSize, train.count)]
        let (x, y) = train.batch(indices, flips: c.flips, generator: &generator)
        let weights = try c.classWeights.map { w in try Tensor(shape: [y.count], values: y.values.map { w[Int($0)] }) }
        do {
          let result = try model.trainStep(x, labels: y, sampleWeights: weights, loss: c.loss, optimizer: optimizer, generator: &generator)
          lossSum += Double(result.loss) * Double(y.count)
          correct += zip(result.logits.values, y.values).filter { ($0 >= 0 ? 1 : 0) == $1 }.count
          seen += y.count
        } catch {
          let checkpoint = c.checkpointPath.map { "; the last checkpoint \($0) (epoch \(history.epochs.count)) is intact" } ?? ""
          throw NNError.model("epoch \(epoch) step \(step + 1): \(error)\(checkpoint)")
        }
        let elapsed = Date().timeIntervalSince(start)
        printer.step(
          epoch: epoch, epochs: c.epochs, step: step + 1, steps: steps, samplesPerSecond: Double(seen) / max(elapsed, 1e-9),
          loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen), elapsed: elapsed)
      }
      let seconds = Date().timeIntervalSince(start)
      let validationResult = try validation.map { try evaluate($0) }
      let record = EpochRecord(
        epoch: epoch, loss: lossSum / Double(max(seen, 1)), accuracy: Double(correct) / Double(max(seen, 1)),
        validationLoss: validationResult?.loss, validationAccuracy: validationResult?.accuracy,
        learningRate: Double(optimizer.learningRate), seconds: seconds, samplesPerSecond: Double(seen) / max(seconds, 1e-9))
      history.epochs.append(record)
      updateEarlyStopping(monitored: record.validationLoss ?? record.loss, epoch: epoch)
      printer.epochEnd(record, epochs: c.epochs)
      if let path = c.checkpointPath { try saveCheckpoint(to: path) }
      epoch += 1
    }
    if history.stoppedEarly { printer.note("Early stopping after epoch \(history.epochs.count): best epoch \(history.bestEpoch ?? 0)") }
    if c.restoreBestWeights, let best = bestWeights {
      for (w, values) in zip(model.weights, best) {
        values.withUnsafeBufferPointer { w.storage.pointer.update(from: $0.baseAddress!, count: values.count) }
      }
    }
    return history
  }

  private func updateEarlyStopping(monitored: Double, epoch: Int) {
    if history.bestLoss.map({ monitored < $0 }) ?? true {
      history.bestLoss = monitored
      history.bestEpoch = epoch
      history.epochsWithoutImprovement = 0
      if configuration.restoreBestWeights { bestWeights = model.weights.map(\.values) }
    } else {
      history.epochsWithoutImprovement += 1
      if let patience = configuration.earlyStoppingPatience, history.epochsWithoutImprovement >= patience {
        history.stoppedEarly = true
      }
    }
  }

  /// Loss (without class weights) and accuracy of the model in inference mode on `data` (no flips, no dropout).
  public func evaluate(_ data: LabelledImages, batchSize: Int? = nil) throws -> EvaluationResult {
    let size = batchSize ?? max(configuration.batchSize, 256)
    var scores: [Float] = []
    var lossSum = 0.0
    var generator = SeededGenerator(seed: 0)
    let all = Array(0..<data.count)
    for first in stride(from: 0, to: data.count, by: size) {
      let (x, y) = data.batch(all[first..<min(first + size, data.count)], flips: false, generator: &generator)
      let logits = try model.predict(x, logits: true)
      // Unweighted, as Keras: class weights apply to the training loss only, not to validation or test.
      lossSum += Double(try configuration.loss(logits: logits, labels: y).scalarValue) * Double(y.count)
      scores += logits.values.map { 1 / (1 + Foundation.exp(-$0)) }
    }
    let correct = zip(scores, data.labels.values).filter { ($0 >= 0.5 ? 1 : 0) == $1 }.count
    return EvaluationResult(loss: lossSum / Double(max(data.count, 1)), accuracy: Double(correct) / Double(max(data.count, 1)), scores: scores)
  }
}

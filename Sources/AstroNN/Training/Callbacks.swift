import AstroIO
import Foundation

/// Hooks into `Trainer.fit`, as Keras' callbacks: every method has an empty default. A callback may change
/// the optimizer's learning rate, read `trainer.history`, or set `trainer.stopTraining`.
public protocol TrainingCallback: AnyObject {
  func trainingWillBegin(_ trainer: Trainer) throws
  func epochWillBegin(_ trainer: Trainer, epoch: Int) throws
  /// Before step `step` (1-based within the epoch); `globalStep` counts steps over the whole run from 0.
  func batchWillBegin(_ trainer: Trainer, epoch: Int, step: Int, globalStep: Int) throws
  /// After step `step`, with the batch loss and the running mean loss of the epoch.
  func batchDidEnd(_ trainer: Trainer, epoch: Int, step: Int, loss: Double, meanLoss: Double) throws
  /// After an epoch and its validation, once `record` is in `trainer.history`.
  func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws
  func trainingDidEnd(_ trainer: Trainer) throws
}

extension TrainingCallback {
  /// Default implementation: does nothing.
  public func trainingWillBegin(_ trainer: Trainer) throws {}
  /// Default implementation: does nothing.
  public func epochWillBegin(_ trainer: Trainer, epoch: Int) throws {}
  /// Default implementation: does nothing.
  public func batchWillBegin(_ trainer: Trainer, epoch: Int, step: Int, globalStep: Int) throws {}
  /// Default implementation: does nothing.
  public func batchDidEnd(_ trainer: Trainer, epoch: Int, step: Int, loss: Double, meanLoss: Double) throws {}
  /// Default implementation: does nothing.
  public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {}
  /// Default implementation: does nothing.
  public func trainingDidEnd(_ trainer: Trainer) throws {}
}

/// Stops when a monitored log value (`val_loss` by default; `loss` when there is no validation) has not
/// improved for `patience` epochs, and optionally puts back the best epoch's weights at the end (Keras'
/// `EarlyStopping`). Its state lives in `trainer.history`, so a resumed run continues it.
public final class EarlyStopping: TrainingCallback {
  /// The log key watched (`val_loss` by default); without that key, a `val_` name falls back to the training value.
  public let monitor: String
  /// Epochs without improvement before training stops; nil never stops.
  public let patience: Int?
  /// Smallest change that counts as an improvement.
  public let minDelta: Double
  /// Whether the best epoch's weights are put back when training ends (Keras' `restore_best_weights`).
  public let restoreBestWeights: Bool
  /// Whether larger is better; nil decides from the name (`auc`, `accuracy`, `precision`, `recall` grow).
  public let maximize: Bool?

  /// - Parameters:
  ///   - monitor: the log value watched (`val_loss`, `val_auc`, ...).
  ///   - patience: nil only tracks the best epoch (for `restoreBestWeights`) and never stops.
  ///   - minDelta: the least change that counts as an improvement.
  ///   - restoreBestWeights: put back the best epoch's weights when training ends.
  ///   - maximize: whether larger is better; nil decides from the name.
  public init(monitor: String = "val_loss", patience: Int? = 10, minDelta: Double = 0, restoreBestWeights: Bool = false, maximize: Bool? = nil) {
    self.monitor = monitor; self.patience = patience; self.minDelta = minDelta
    self.restoreBestWeights = restoreBestWeights; self.maximize = maximize
  }

  private var larger: Bool {
    maximize ?? ["auc", "accuracy", "precision", "recall"].contains { monitor.hasSuffix($0) }
  }

  /// Records an improvement (keeping the weights when `restoreBestWeights`), or counts the epoch and stops once
  /// `patience` is reached.
  public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
    let key = record.logs[monitor] != nil || monitor.hasPrefix("val_") == false ? monitor : String(monitor.dropFirst(4))
    guard let value = record.logs[key] else {
      throw NNError.model("EarlyStopping: no '\(monitor)' in the epoch's logs (\(record.logs.keys.sorted().joined(separator: ", ")))")
    }
    let signed = larger ? -value : value
    if trainer.history.bestValue.map({ signed < $0 - minDelta }) ?? true {
      trainer.history.bestValue = signed
      trainer.history.bestEpoch = record.epoch
      trainer.history.epochsWithoutImprovement = 0
      if restoreBestWeights { trainer.bestWeights = trainer.model.weights.map(\.values) }
    } else {
      trainer.history.epochsWithoutImprovement += 1
      if let patience, trainer.history.epochsWithoutImprovement >= patience {
        trainer.history.stoppedEarly = true
        trainer.stopTraining = true
      }
    }
  }

  /// Puts back the best epoch's weights when `restoreBestWeights` is set.
  public func trainingDidEnd(_ trainer: Trainer) throws {
    guard restoreBestWeights, let best = trainer.bestWeights else { return }
    for (w, values) in zip(trainer.model.weights, best) {
      values.withUnsafeBufferPointer { w.storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }
  }
}

/// Sets the learning rate from the base rate before each epoch (`perEpoch`, 1-based epochs) or each step
/// (`perStep`, 0-based global steps), as Keras' `LearningRateScheduler` and step-wise schedules.
public final class LearningRateSchedule: TrainingCallback {
  /// When the rate is set: before each epoch (its 1-based number) or before each step (the 0-based global step).
  public enum Unit: Sendable { case epoch, step }
  /// Whether the rate changes per epoch or per step.
  public let unit: Unit
  private let rate: (_ index: Int, _ baseRate: Float) -> Float
  private var baseRate: Float?

  /// A schedule setting the learning rate to `rate(index, baseRate)` before each epoch or step, as `unit` says.
  public init(_ unit: Unit, _ rate: @escaping (_ index: Int, _ baseRate: Float) -> Float) {
    self.unit = unit; self.rate = rate
  }

  /// Step decay: `base * factor^(step / every)`.
  public static func exponentialDecay(every steps: Int, factor: Float) -> LearningRateSchedule {
    LearningRateSchedule(.step) { step, base in base * Foundation.pow(factor, Float(step / max(steps, 1))) }
  }

  /// Remembers the trainer's base learning rate, from which every scheduled rate is computed.
  public func trainingWillBegin(_ trainer: Trainer) throws { baseRate = trainer.baseLearningRate }

  /// Sets the epoch's learning rate when the schedule is per epoch.
  public func epochWillBegin(_ trainer: Trainer, epoch: Int) throws {
    if unit == .epoch { trainer.optimizer.learningRate = rate(epoch, baseRate ?? trainer.baseLearningRate) }
  }

  /// Sets the step's learning rate when the schedule is per step.
  public func batchWillBegin(_ trainer: Trainer, epoch: Int, step: Int, globalStep: Int) throws {
    if unit == .step { trainer.optimizer.learningRate = rate(globalStep, baseRate ?? trainer.baseLearningRate) }
  }
}

/// Appends one CSV row per epoch (epoch, then every log value, columns sorted as in the first row), as
/// Keras' `CSVLogger`. Each write replaces the file atomically with the rows so far. In data-parallel training
/// only rank 0 writes.
public final class CSVLogger: TrainingCallback {
  /// The CSV file written.
  public let path: String
  private var columns: [String]?

  /// A logger writing to `path`.
  public init(path: String) { self.path = path }

  /// Rewrites the file with a header and one row per epoch so far.
  public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
    guard trainer.isRoot else { return }
    let columns = self.columns ?? (["lr"] + record.logs.keys.sorted())
    self.columns = columns
    func row(_ r: EpochRecord) -> String {
      ([String(r.epoch)] + columns.map { key in
        key == "lr" ? String(r.learningRate) : r.logs[key].map { String($0) } ?? ""
      }).joined(separator: ",")
    }
    let text = ([(["epoch"] + columns).joined(separator: ",")] + trainer.history.epochs.map(row)).joined(separator: "\n") + "\n"
    do {
      try AtomicFile.write([Data(text.utf8)], to: path)
    } catch let failure as AtomicFile.Failure {
      throw NNError.model("CSVLogger \(path): \(failure.message)")
    }
  }
}

/// Saves the model's weights (Keras `.h5`) after each epoch, or only when a monitored value improves (Keras'
/// `ModelCheckpoint`). `{epoch}` in the path is replaced by the epoch number. In data-parallel training only rank 0
/// writes (every rank holds the same weights).
public final class ModelCheckpoint: TrainingCallback {
  /// Where the weights go; `{epoch}` is replaced by the epoch number.
  public let path: String
  /// The log key compared when `saveBestOnly` is set.
  public let monitor: String
  /// Whether weights are saved only when `monitor` improves on the best so far.
  public let saveBestOnly: Bool
  /// Whether larger values of `monitor` are better.
  public let maximize: Bool
  private var best: Double?

  /// A checkpoint saving to `path`; `maximize` nil decides from the monitor's name (`auc`, `accuracy`,
  /// `precision`, `recall` grow).
  public init(path: String, monitor: String = "val_loss", saveBestOnly: Bool = false, maximize: Bool? = nil) {
    self.path = path; self.monitor = monitor; self.saveBestOnly = saveBestOnly
    self.maximize = maximize ?? ["auc", "accuracy", "precision", "recall"].contains { monitor.hasSuffix($0) }
  }

  /// Saves the weights, unless only the best are kept and `monitor` did not improve.
  public func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws {
    if saveBestOnly {
      guard let value = record.logs[monitor] else {
        throw NNError.model("ModelCheckpoint: no '\(monitor)' in the epoch's logs (\(record.logs.keys.sorted().joined(separator: ", ")))")
      }
      let signed = maximize ? -value : value
      guard best.map({ signed < $0 }) ?? true else { return }
      best = signed
    }
    guard trainer.isRoot else { return }
    try trainer.model.saveKerasWeights(to: path.replacingOccurrences(of: "{epoch}", with: String(record.epoch)))
  }
}

/// The resumable checkpoint of `TrainingConfiguration.checkpointPath`: weights, optimizer state and run state
/// after every epoch (see `Trainer.saveCheckpoint`). Runs after every other callback, so that it saves their
/// state.
final class ResumeCheckpoint: TrainingCallback {
  let path: String
  init(path: String) { self.path = path }
  func epochDidEnd(_ trainer: Trainer, record: EpochRecord) throws { try trainer.saveCheckpoint(to: path) }
}

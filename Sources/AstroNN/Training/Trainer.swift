import AstroDistributed
import AstroTensor
import Foundation

/// Settings of a training run (Keras' `compile` and `fit` arguments, and braai's options).
public struct TrainingConfiguration {
  /// Number of epochs to train (a resumed run counts those already done).
  public var epochs = 10
  /// Samples per mini-batch; the last batch of an epoch may be smaller.
  public var batchSize = 32
  /// Seeds shuffling, flips and dropout; each epoch derives its own stream from it, so a resumed run
  /// continues exactly as an uninterrupted one would.
  public var seed: UInt64 = 42
  /// Whether each epoch visits the samples in a fresh random order.
  public var shuffle = true
  /// Random horizontal and vertical flips of image inputs, probability 1/2 each (braai's augmentation).
  public var flips = false
  /// The loss of every output (see `losses` for one per output).
  public var loss: Loss = .binaryCrossEntropy
  /// One loss per output, in `Model.outputNames` order; nil uses `loss` for all.
  public var losses: [Loss]?
  /// Weights of the outputs' losses in the total (Keras' `loss_weights`); nil weighs each 1.
  public var lossWeights: [Float]?
  /// Per-class loss weights, by class index (0/1 for binary labels, the class for categorical ones), applied
  /// as sample weights to the training loss only. See `LabelledImages.balancedClassWeights`.
  public var classWeights: [Float]?
  /// Metrics logged per epoch for every output, on the training batches and on the validation set.
  public var metrics: [Metric] = [.accuracy]
  /// Clipping applied to the gradients before each optimizer step; nil clips nothing.
  public var gradientClipping: GradientClipping?
  /// Stop after this many epochs without improvement of the validation loss (training loss without
  /// validation data); nil trains all epochs. Shorthand for an `EarlyStopping` callback.
  public var earlyStoppingPatience: Int?
  /// At the end, put back the weights of the best epoch (Keras' `restore_best_weights`).
  public var restoreBestWeights = false
  /// A Keras-layout `.h5` written atomically after every epoch, with optimizer and run state for resuming.
  public var checkpointPath: String?
  /// Learning rate for each epoch (1-based) from the base rate; nil keeps it constant. Shorthand for a
  /// `LearningRateSchedule(.epoch)` callback.
  public var learningRateSchedule: ((_ epoch: Int, _ baseRate: Float) -> Float)?
  /// How progress is reported: a live bar, log lines or nothing.
  public var progress: ProgressStyle = .automatic
  /// Data-parallel training: the group this process trains in (an MPI communicator, or in-process ranks);
  /// nil trains alone. `batchSize` stays the global batch: each rank takes its slice of every batch, and
  /// gradients, losses and metrics are reduced over the ranks, so N ranks train the model one process trains.
  /// Rank 0 alone prints and writes checkpoints.
  public var communicator: Communicator?
  /// Gradients are summed over the ranks in buckets of at most this many bytes, each started as soon as
  /// backward has finished its gradients (PyTorch DDP uses 25 MB, Horovod 128 MB; these models hold 1–100 MB of
  /// weights, so smaller buckets are what lets the reduction overlap the backward pass).
  public var gradientBucketBytes = 4 << 20
  /// With a communicator: batch normalisation in training uses the statistics of the global batch (count and sum,
  /// then squared deviations from the global mean, summed over the ranks in double precision, as Horovod's and
  /// PyTorch's SyncBatchNorm merge them), so N ranks train what one process trains, to rounding. Off by default,
  /// as in DDP and Horovod: each rank normalises with its own slice's statistics. Every global batch, the last
  /// included, must then hold at least one sample per rank.
  public var synchronizedBatchNormalization = false
  /// Computes each step's gradient as the sum of micro-batches of this many samples (consecutive in the global
  /// batch), each micro-batch's gradient added in double precision, and reduced over the ranks in double
  /// precision: how a batch is split among ranks then no longer changes the order of any float sum, so N ranks
  /// and one process (with the same number of threads each) train the same weights to float rounding (bit for bit
  /// unless a double sum was inexact), for any number of steps. Costs a smaller batch per kernel call and twice the bytes per reduction; batch normalisation then
  /// uses each micro-batch's statistics (as gradient accumulation does). Nil (the default) reduces float gradients
  /// in buckets during backward, whose rounding differs from one process's by about 1e-6 per step.
  public var microBatchSize: Int?

  /// The defaults: 10 epochs, batch size 32, seed 42, shuffled, binary cross-entropy, accuracy logged.
  public init() {}
}

/// Loss, metrics and outputs of an evaluation pass.
public struct EvaluationResult {
  /// The (unweighted) loss over the whole set.
  public let loss: Double
  /// Keras-style logs: `loss`, the configured metrics, and per-output entries for several outputs.
  public let logs: [String: Double]
  /// Each output after its activation (sigmoid or softmax), `[N] + outputShape`.
  public let outputs: [Tensor]

  /// The first output's accuracy (NaN when not computed).
  public var accuracy: Double { logs["accuracy"] ?? logs.first { $0.key.hasSuffix("_accuracy") }?.value ?? .nan }
  /// The first output's values in order: one sigmoid score per sample for a binary model.
  public var scores: [Float] { outputs[0].values }
}

/// Trains a model as Keras' `fit` does: epochs of shuffled mini-batches, per-epoch metrics and validation,
/// callbacks, checkpoints and exact resume. See `TrainingConfiguration`.
public final class Trainer {
  /// The model trained.
  public let model: Model
  /// The optimizer that updates the model's trainable weights.
  public let optimizer: Optimizer
  /// The settings of the run (epochs, batch size, losses, metrics, ...).
  public var configuration: TrainingConfiguration
  /// Callbacks run after the built-in ones of the configuration (schedule, early stopping) and before the
  /// resume checkpoint. In data-parallel training they run on every rank (`isRoot` tells rank 0); the library's
  /// own file-writing callbacks write on rank 0 only.
  public var callbacks: [TrainingCallback]
  /// The finished epochs and early-stopping state; restored when a run resumes.
  public internal(set) var history = TrainingHistory()
  /// Set by a callback to end training after the current epoch.
  public var stopTraining = false
  /// The optimizer's learning rate when the trainer was made: what schedules scale.
  public let baseLearningRate: Float
  /// The best epoch's weights, kept by an `EarlyStopping` that restores them.
  var bestWeights: [[Float]]?

  /// This process's rank in `configuration.communicator` (0 when training alone).
  public var rank: Int { configuration.communicator?.rank ?? 0 }
  /// Whether this process writes files and prints: rank 0, or the only process.
  public var isRoot: Bool { rank == 0 }

  /// A trainer for `model` with `optimizer`; `callbacks` run after the configuration's own.
  public init(model: Model, optimizer: Optimizer, configuration: TrainingConfiguration = TrainingConfiguration(), callbacks: [TrainingCallback] = []) {
    self.model = model
    self.optimizer = optimizer
    self.configuration = configuration
    self.callbacks = callbacks
    self.baseLearningRate = optimizer.learningRate
  }

  /// The loss of each output.
  var losses: [Loss] { configuration.losses ?? Array(repeating: configuration.loss, count: model.outputNames.count) }

  /// Trains on `train` (a single-input, single-output model's images and labels), validating on `validation`.
  @discardableResult
  public func fit(_ train: LabelledImages, validation: LabelledImages? = nil, resume: Bool = false) throws -> TrainingHistory {
    try fit(train.dataset, validation: validation?.dataset, resume: resume)
  }

  /// Trains on `train`, validating on `validation` after each epoch.
  ///
  /// With `resume`, the run continues from `configuration.checkpointPath` (weights, optimizer state,
  /// history and early-stopping state); a missing checkpoint is an error. A failing step (non-finite loss or
  /// gradient, bad data) throws an error naming the epoch and step; the last checkpoint is left intact.
  @discardableResult
  public func fit(_ train: Dataset, validation: Dataset? = nil, resume: Bool = false) throws -> TrainingHistory {
    let c = configuration
    guard c.batchSize > 0, c.epochs >= 0 else { throw NNError.model("fit: batch size and epochs must be positive") }
    try check(train, "training data")
    if let validation { try check(validation, "validation data") }
    let communicator = c.communicator
    var printer = ProgressPrinter(style: isRoot ? c.progress : .silent)
    if resume {
      // Asked to continue but nothing to continue from: an error, not a silent fresh start (a wrong --out would
      // otherwise train from scratch and overwrite what the user meant to keep).
      guard let path = c.checkpointPath else { throw NNError.model("fit: resume needs a checkpoint path") }
      if isRoot {
        guard FileManager.default.fileExists(atPath: path) else {
          throw NNError.model("\(path): no checkpoint to resume from (start a new training without resume)")
        }
        try restore(from: path)
      }
      printer.note("Resuming from \(path) after epoch \(history.epochs.count)")
    }
    if let communicator {
      try checkSameRun(on: communicator, train: train, validation: validation)
      // Every rank starts from rank 0's weights, optimizer state and run state (a fresh or a resumed run alike).
      try broadcastState(from: 0, communicator)
    }
    if let communicator, c.synchronizedBatchNormalization {
      let last = train.count % c.batchSize == 0 ? c.batchSize : train.count % c.batchSize
      guard min(c.batchSize, train.count, last) >= communicator.size else {
        throw NNError.model(
          "fit: synchronised batch normalisation needs a sample per rank in every batch; with \(train.count) samples and batch size "
            + "\(c.batchSize) a batch holds \(min(c.batchSize, train.count, last)) for \(communicator.size) ranks")
      }
    }
    if let size = c.microBatchSize {
      guard size > 0 else { throw NNError.model("fit: micro-batch size \(size) must be positive") }
      // Every micro-batch updates the moving statistics: one process would update them for all micro-batches of a
      // step, each rank only for its own, so the ranks would not train one process's model.
      guard communicator == nil || !model.containsLayer(where: { $0 is BatchNormalization }) else {
        throw NNError.model(
          "fit: micro-batches on several ranks cannot reproduce batch normalisation's moving statistics; train '\(model.name)' "
            + "without micro-batches (with synchronised batch normalisation for the whole batch's statistics)")
      }
      guard !c.synchronizedBatchNormalization else {
        throw NNError.model("fit: micro-batches and synchronised batch normalisation do not combine (micro-batches normalise alone)")
      }
    }
    let exchange = c.microBatchSize == nil ? communicator.map {
      GradientExchange(parameters: model.trainableWeights, communicator: $0, bucketBytes: c.gradientBucketBytes)
    } : nil
    let microBatchGradients = c.microBatchSize.map { _ in MicroBatchGradients(parameters: model.trainableWeights) }
    var all: [TrainingCallback] = []
    if let schedule = c.learningRateSchedule { all.append(LearningRateSchedule(.epoch, schedule)) }
    if c.earlyStoppingPatience != nil || c.restoreBestWeights {
      all.append(EarlyStopping(patience: c.earlyStoppingPatience, restoreBestWeights: c.restoreBestWeights, maximize: false))
    }
    all += callbacks
    if let path = c.checkpointPath, isRoot { all.append(ResumeCheckpoint(path: path)) }
    stopTraining = false
    for callback in all { try callback.trainingWillBegin(self) }

    let steps = (train.count + c.batchSize - 1) / c.batchSize
    var epoch = history.epochs.count + 1
    while epoch <= c.epochs && !history.stoppedEarly && !stopTraining {
      for callback in all { try callback.epochWillBegin(self, epoch: epoch) }
      var generator = SeededGenerator(seed: c.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
      var order = Array(0..<train.count)
      if c.shuffle { order.shuffle(using: &generator) }
      let start = Date()
      var lossSum = 0.0, outputLossSums = [Double](repeating: 0, count: losses.count), seen = 0
      var logits = [[Float]](repeating: [], count: losses.count), targets = [[Float]](repeating: [], count: losses.count)
      for step in 0..<steps {
        let globalStep = (epoch - 1) * steps + step
        for callback in all { try callback.batchWillBegin(self, epoch: epoch, step: step + 1, globalStep: globalStep) }
        let batch = order[(step * c.batchSize)..<min((step + 1) * c.batchSize, train.count)]
        let result: StepResult
        do {
          result = try c.microBatchSize != nil
            ? microBatchStep(batch, of: train, epoch: epoch, globalStep: globalStep, gradients: microBatchGradients!)
            : slicedStep(batch, of: train, epoch: epoch, globalStep: globalStep, exchange: exchange)
        } catch {
          let checkpoint = c.checkpointPath.map { "; the last checkpoint \($0) (epoch \(history.epochs.count)) is intact" } ?? ""
          let where_ = communicator.map { "rank \($0.rank) of \($0.size), " } ?? ""
          throw NNError.model("\(where_)epoch \(epoch) step \(step + 1): \(error)\(checkpoint)")
        }
        lossSum += result.loss * Double(batch.count)
        for o in losses.indices {
          outputLossSums[o] += result.outputLosses[o] * Double(batch.count)
          if !c.metrics.isEmpty {
            logits[o] += result.logits[o]
            targets[o] += result.targets[o]
          }
        }
        seen += batch.count
        for callback in all {
          try callback.batchDidEnd(self, epoch: epoch, step: step + 1, loss: result.loss, meanLoss: lossSum / Double(seen))
        }
        let elapsed = Date().timeIntervalSince(start)
        printer.step(
          epoch: epoch, epochs: c.epochs, step: step + 1, steps: steps, samplesPerSecond: Double(seen) / max(elapsed, 1e-9),
          loss: lossSum / Double(seen), elapsed: elapsed)
      }
      if let communicator, !c.metrics.isEmpty {
        // Metrics over the whole epoch: every rank's outputs, in rank order.
        for o in losses.indices {
          logits[o] = try communicator.allgather(logits[o]).flatMap { $0 }
          targets[o] = try communicator.allgather(targets[o]).flatMap { $0 }
        }
      }
      // Moving statistics (batch normalisation) follow each rank's own batches; rank 0's are kept, as DDP
      // broadcasts its buffers.
      if let communicator { try broadcastTensors(model.nonTrainableWeights, from: 0, communicator) }
      let seconds = Date().timeIntervalSince(start)
      var logs = self.logs(loss: lossSum / Double(max(seen, 1)), outputLosses: outputLossSums.map { $0 / Double(max(seen, 1)) },
        logits: logits, targets: targets)
      if let validation {
        for (key, value) in try evaluate(validation).logs { logs["val_\(key)"] = value }
      }
      let record = EpochRecord(
        epoch: epoch, logs: logs, learningRate: Double(optimizer.learningRate), seconds: seconds,
        samplesPerSecond: Double(seen) / max(seconds, 1e-9))
      history.epochs.append(record)
      for callback in all { try callback.epochDidEnd(self, record: record) }
      printer.epochEnd(record, epochs: c.epochs)
      epoch += 1
    }
    if history.stoppedEarly { printer.note("Early stopping after epoch \(history.epochs.count): best epoch \(history.bestEpoch ?? 0)") }
    for callback in all { try callback.trainingDidEnd(self) }
    return history
  }

  /// Loss, metrics and activated outputs of the model in inference mode on `data` (no flips, no dropout, no
  /// class weights, as Keras evaluates). With a communicator each rank evaluates its share and the outputs are
  /// gathered, so every rank must call it, with the same data.
  public func evaluate(_ data: Dataset, batchSize: Int? = nil) throws -> EvaluationResult {
    try check(data, "evaluation data")
    let size = batchSize ?? max(configuration.batchSize, 256)
    var lossSums = [Double](repeating: 0, count: losses.count)
    var logits = [[Float]](repeating: [], count: losses.count)
    // In a data-parallel group each rank evaluates its contiguous share; the outputs are gathered in rank order.
    let shard = localRange(data.count)
    for first in stride(from: shard.startIndex, to: shard.endIndex, by: size) {
      let range = first..<min(first + size, shard.endIndex)
      let outputs = try model.predict(data.inputs.map { try $0.batch(range) }, logits: true)
      for o in losses.indices {
        let targets = try data.targets[o].batch(range)
        lossSums[o] += Double(try losses[o](logits: outputs[o], labels: targets).scalarValue) * Double(range.count)
        logits[o] += outputs[o].values
      }
    }
    if let communicator = configuration.communicator {
      lossSums = try communicator.allreduce(lossSums, .sum)
      for o in losses.indices { logits[o] = try communicator.allgather(logits[o]).flatMap { $0 } }
    }
    let n = Double(max(data.count, 1))
    let outputLosses = lossSums.map { $0 / n }
    let total = zip(outputLosses, configuration.lossWeights ?? Array(repeating: 1, count: losses.count)).reduce(0) { $0 + $1.0 * Double($1.1) }
    let logs = self.logs(loss: total, outputLosses: outputLosses, logits: logits, targets: data.targets.map(\.values))
    let activated = try zip(losses.indices, model.outputShapes).map { o, shape -> Tensor in
      let z = try Tensor(shape: [data.count] + shape, values: logits[o])
      return losses[o] == .binaryCrossEntropy ? z.sigmoid() : try z.softmax()
    }
    return EvaluationResult(loss: total, logs: logs, outputs: activated)
  }

  /// Loss and metrics of the model on `data` (a single-input, single-output model's images and labels).
  public func evaluate(_ data: LabelledImages, batchSize: Int? = nil) throws -> EvaluationResult {
    try evaluate(data.dataset, batchSize: batchSize)
  }

  /// Keras-style logs: the loss, per-output losses and metrics (prefixed by the output's name when the model
  /// has several outputs).
  private func logs(loss: Double, outputLosses: [Double], logits: [[Float]], targets: [[Float]]) -> [String: Double] {
    var logs = ["loss": loss]
    let names = model.outputNames, several = names.count > 1
    for o in losses.indices {
      let prefix = several ? "\(names[o])_" : ""
      if several { logs["\(prefix)loss"] = outputLosses[o] }
      guard !logits[o].isEmpty else { continue }
      let k = model.outputShapes[o].reduce(1, *)
      for metric in configuration.metrics {
        logs["\(prefix)\(metric.rawValue)"] = metric.value(logits: logits[o], targets: targets[o], outputs: k, loss: losses[o])
      }
    }
    return logs
  }

  /// Per-sample weights from the class weights and the first output's targets.
  func classSampleWeights(_ targets: Tensor) throws -> Tensor? {
    guard let w = configuration.classWeights else { return nil }
    let n = targets.shape[0], k = targets.count / max(n, 1)
    let values = targets.values
    let weights = try (0..<n).map { i -> Float in
      var c = Int(values[i * k])
      if k > 1 {
        guard losses[0] == .categoricalCrossEntropy else {
          throw NNError.model("class weights apply to binary or single-class targets, not multi-label ones")
        }
        c = (0..<k).max { values[i * k + $0] < values[i * k + $1] }!
      }
      guard c >= 0 && c < w.count else { throw NNError.model("class weights: no weight for class \(c) (\(w.count) given)") }
      return w[c]
    }
    return try Tensor(shape: [n], values: weights)
  }

  /// Throws unless `data` fits the model: one array per input of the right shape, one target per output
  /// whose shape fits the output's loss.
  private func check(_ data: Dataset, _ what: String) throws {
    guard data.inputs.count == model.inputShapes.count, data.inputShapes == model.inputShapes else {
      throw NNError.model("fit: \(what) of shape(s) \(data.inputShapes), model '\(model.name)' takes \(model.inputShapes)")
    }
    if let lossWeights = configuration.lossWeights, lossWeights.count != losses.count {
      throw NNError.model("fit: \(lossWeights.count) loss weights for \(losses.count) outputs")
    }
    guard data.targets.count == losses.count, losses.count == model.outputNames.count else {
      throw NNError.model(
        "fit: \(what) has \(data.targets.count) target array(s) and \(losses.count) loss(es) for the \(model.outputNames.count) output(s) \(model.outputNames)")
    }
    for (o, (target, shape)) in zip(data.targets, model.outputShapes).enumerated() {
      let perSample = Array(target.shape.dropFirst()), k = shape.reduce(1, *)
      let fits: Bool
      switch losses[o] {
      case .binaryCrossEntropy: fits = perSample.reduce(1, *) == k
      case .categoricalCrossEntropy: fits = perSample == shape
      case .sparseCategoricalCrossEntropy: fits = perSample.reduce(1, *) == 1 && shape.count == 1
      }
      guard fits else {
        throw NNError.model(
          "fit: \(what): targets of shape [N] + \(perSample) do not fit output '\(model.outputNames[o])' [N] + \(shape) with \(losses[o].rawValue)")
      }
    }
  }
}

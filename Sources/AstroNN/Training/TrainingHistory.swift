/// What one epoch of training measured: Keras' epoch logs (`loss`, `accuracy`, `auc`, ..., and `val_...`
/// for the validation set; per output `<output>_loss`, `<output>_accuracy`, ... when a model has several),
/// the learning rate, and the time taken.
public struct EpochRecord: Codable, Equatable, Sendable {
  /// The epoch's number, from 1.
  public let epoch: Int
  /// Keras-style logs: `loss`, metrics, and `val_...` entries for the validation set.
  public let logs: [String: Double]
  /// The optimizer's learning rate at the end of the epoch.
  public let learningRate: Double
  /// Wall-clock seconds of the epoch's training steps (validation not included).
  public let seconds: Double
  /// Training throughput over the epoch.
  public let samplesPerSecond: Double

  /// A record of the given values.
  public init(epoch: Int, logs: [String: Double], learningRate: Double, seconds: Double, samplesPerSecond: Double) {
    self.epoch = epoch; self.logs = logs; self.learningRate = learningRate; self.seconds = seconds
    self.samplesPerSecond = samplesPerSecond
  }

  /// The training loss (NaN when not logged).
  public var loss: Double { logs["loss"] ?? .nan }
  /// The training accuracy (NaN when not logged).
  public var accuracy: Double { logs["accuracy"] ?? .nan }
  /// The validation loss, when there was validation data.
  public var validationLoss: Double? { logs["val_loss"] }
  /// The validation accuracy, when there was validation data and accuracy was logged.
  public var validationAccuracy: Double? { logs["val_accuracy"] }

  enum CodingKeys: String, CodingKey {
    case epoch, logs, learningRate = "lr", seconds, samplesPerSecond = "samples_per_s"
  }
}

/// The run so far: one record per finished epoch and the early-stopping state, as Keras' `History` plus
/// what a resumed run needs.
public struct TrainingHistory: Codable, Equatable, Sendable {
  /// One record per finished epoch, in order.
  public var epochs: [EpochRecord] = []
  /// Best monitored value so far (negated when larger is better) and its epoch.
  public var bestValue: Double?
  /// The epoch (from 1) of `bestValue`.
  public var bestEpoch: Int?
  /// Epochs since the best one (early stopping's wait counter).
  public var epochsWithoutImprovement = 0
  /// Whether early stopping ended the run.
  public var stoppedEarly = false

  /// An empty history.
  public init() {}

  /// Keras-style columns, one value per epoch: every log key that all epochs have.
  public var kerasHistory: [String: [Double]] {
    guard let first = epochs.first else { return [:] }
    var out: [String: [Double]] = [:]
    for key in first.logs.keys where epochs.allSatisfy({ $0.logs[key] != nil }) { out[key] = epochs.map { $0.logs[key]! } }
    return out
  }
}

/// What one epoch of training measured: Keras' epoch logs (`loss`, `accuracy`, `auc`, ..., and `val_...`
/// for the validation set; per output `<output>_loss`, `<output>_accuracy`, ... when a model has several),
/// the learning rate, and the time taken.
public struct EpochRecord: Codable, Equatable, Sendable {
  public let epoch: Int
  public let logs: [String: Double]
  public let learningRate: Double
  public let seconds: Double
  public let samplesPerSecond: Double

  public init(epoch: Int, logs: [String: Double], learningRate: Double, seconds: Double, samplesPerSecond: Double) {
    self.epoch = epoch; self.logs = logs; self.learningRate = learningRate; self.seconds = seconds
    self.samplesPerSecond = samplesPerSecond
  }

  public var loss: Double { logs["loss"] ?? .nan }
  public var accuracy: Double { logs["accuracy"] ?? .nan }
  public var validationLoss: Double? { logs["val_loss"] }
  public var validationAccuracy: Double? { logs["val_accuracy"] }

  enum CodingKeys: String, CodingKey {
    case epoch, logs, learningRate = "lr", seconds, samplesPerSecond = "samples_per_s"
  }
}

/// The run so far: one record per finished epoch and the early-stopping state, as Keras' `History` plus
/// what a resumed run needs.
public struct TrainingHistory: Codable, Equatable, Sendable {
  public var epochs: [EpochRecord] = []
  /// Best monitored value so far (negated when larger is better) and its epoch.
  public var bestValue: Double?
  public var bestEpoch: Int?
  /// Epochs since the best one (early stopping's wait counter).
  public var epochsWithoutImprovement = 0
  public var stoppedEarly = false

  public init() {}

  /// Keras-style columns, one value per epoch: every log key that all epochs have.
  public var kerasHistory: [String: [Double]] {
    guard let first = epochs.first else { return [:] }
    var out: [String: [Double]] = [:]
    for key in first.logs.keys where epochs.allSatisfy({ $0.logs[key] != nil }) { out[key] = epochs.map { $0.logs[key]! } }
    return out
  }
}

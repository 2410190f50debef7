/// What one epoch of training measured.
public struct EpochRecord: Codable, Equatable, Sendable {
  public let epoch: Int
  public let loss: Double
  public let accuracy: Double
  public let validationLoss: Double?
  public let validationAccuracy: Double?
  public let learningRate: Double
  public let seconds: Double
  public let samplesPerSecond: Double

  enum CodingKeys: String, CodingKey {
    case epoch, loss, accuracy, learningRate = "lr", seconds
    case validationLoss = "val_loss", validationAccuracy = "val_accuracy", samplesPerSecond = "samples_per_s"
  }
}

/// The run so far: one record per finished epoch and the early-stopping state, as Keras' `History` plus
/// what a resumed run needs.
public struct TrainingHistory: Codable, Equatable, Sendable {
  public var epochs: [EpochRecord] = []
  /// Best monitored value (validation loss, or training loss without validation) and its epoch.
  public var bestLoss: Double?
  public var bestEpoch: Int?
  /// Epochs since the best one (early stopping's wait counter).
  public var epochsWithoutImprovement = 0
  public var stoppedEarly = false

  public init() {}

  /// Keras-style columns: `loss`, `accuracy`, `val_loss`, `val_accuracy` per epoch.
  public var kerasHistory: [String: [Double]] {
    var out: [String: [Double]] = ["loss": epochs.map(\.loss), "accuracy": epochs.map(\.accuracy)]
    if epochs.allSatisfy({ $0.validationLoss != nil }) {
      out["val_loss"] = epochs.map { $0.validationLoss! }
      out["val_accuracy"] = epochs.map { $0.validationAccuracy! }
    }
    return out
  }
}

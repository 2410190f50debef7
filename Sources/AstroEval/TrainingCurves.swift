/// Per-epoch training metrics, as in a Keras `History`: loss and accuracy on the training set and, optionally,
/// on the validation set. Plain arrays so this module needs nothing from the training code.
public struct TrainingCurves: Codable, Equatable, Sendable {
  /// Training loss per epoch.
  public let loss: [Double]
  /// Training accuracy per epoch.
  public let accuracy: [Double]
  /// Validation loss per epoch, when there was a validation set.
  public let validationLoss: [Double]?
  /// Validation accuracy per epoch, when there was a validation set.
  public let validationAccuracy: [Double]?

  /// - Throws: `EvaluationError.empty` for no epochs, `.lengthMismatch` when the arrays differ in length,
  ///   `.nonFinite` for a NaN or infinite value (a diverged run should be reported, not plotted as a gap).
  public init(loss: [Double], accuracy: [Double], validationLoss: [Double]? = nil, validationAccuracy: [Double]? = nil) throws {
    guard !loss.isEmpty else { throw EvaluationError.empty("no epochs in training curves") }
    let named: [(String, [Double]?)] = [
      ("loss", loss), ("accuracy", accuracy), ("val_loss", validationLoss), ("val_accuracy", validationAccuracy),
    ]
    for (name, values) in named {
      guard let values else { continue }
      guard values.count == loss.count else {
        throw EvaluationError.lengthMismatch("\(name) has \(values.count) epochs, loss has \(loss.count)")
      }
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw EvaluationError.nonFinite("\(name) is \(values[bad]) at epoch \(bad + 1)")
      }
    }
    self.loss = loss
    self.accuracy = accuracy
    self.validationLoss = validationLoss
    self.validationAccuracy = validationAccuracy
  }

  /// From Keras-style columns (`loss`, `accuracy` or `acc`, and optionally `val_loss`, `val_accuracy` or
  /// `val_acc`), e.g. AstroNN's `TrainingHistory.kerasHistory` or a Keras history JSON.
  /// - Throws: `EvaluationError.empty` when `loss` or the accuracy column is missing; as the memberwise init.
  public init(kerasHistory: [String: [Double]]) throws {
    guard let loss = kerasHistory["loss"], let accuracy = kerasHistory["accuracy"] ?? kerasHistory["acc"] else {
      throw EvaluationError.empty("Keras history without 'loss' and 'accuracy' columns")
    }
    try self.init(
      loss: loss, accuracy: accuracy, validationLoss: kerasHistory["val_loss"],
      validationAccuracy: kerasHistory["val_accuracy"] ?? kerasHistory["val_acc"])
  }

  /// Number of epochs.
  public var epochCount: Int { loss.count }

  /// The 1-based epoch with the lowest validation loss (training loss when there is no validation).
  public var bestEpoch: Int {
    let monitored = validationLoss ?? loss
    return (monitored.indices.min { monitored[$0] < monitored[$1] } ?? 0) + 1
  }

  private enum CodingKeys: String, CodingKey {
    case loss, accuracy, validationLoss = "val_loss", validationAccuracy = "val_accuracy"
  }
}

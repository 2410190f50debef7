/// The 2x2 confusion matrix of a binary classifier at one decision threshold: a sample is predicted positive
/// when its score is `>= threshold` (Keras/braai use 0.5). Rows are the true class, columns the predicted one.
///
/// Rates whose denominator is zero (FNR without positives, precision without predicted positives) are nil:
/// undefined, not zero. Encoded to JSON with the derived rates included, so a report reader need not recompute
/// them; decoding reads only the threshold and the four counts.
public struct ConfusionMatrix: Codable, Equatable, Sendable {
  /// Samples scoring at or above this are predicted positive.
  public let threshold: Float
  /// True negatives: label 0, score < threshold.
  public let trueNegatives: Int
  /// False positives: label 0, score >= threshold.
  public let falsePositives: Int
  /// False negatives: label 1, score < threshold (missed real transients: the costly error for braai).
  public let falseNegatives: Int
  /// True positives: label 1, score >= threshold.
  public let truePositives: Int

  /// Counts the four outcomes of `predictions` at `threshold`.
  /// - Throws: `EvaluationError.nonFinite` for a NaN threshold (infinite ones are allowed: everything negative
  ///   at +inf, everything positive at -inf).
  public init(_ predictions: BinaryPredictions, threshold: Float = 0.5) throws {
    guard !threshold.isNaN else { throw EvaluationError.nonFinite("threshold is NaN") }
    var tn = 0, fp = 0, fn = 0, tp = 0
    for (score, label) in zip(predictions.scores, predictions.labels) {
      let predictedPositive = score >= threshold
      switch (label, predictedPositive) {
      case (0, false): tn += 1
      case (0, true): fp += 1
      case (_, false): fn += 1
      case (_, true): tp += 1
      }
    }
    self.init(threshold: threshold, trueNegatives: tn, falsePositives: fp, falseNegatives: fn, truePositives: tp)
  }

  /// A matrix from known counts.
  public init(threshold: Float, trueNegatives: Int, falsePositives: Int, falseNegatives: Int, truePositives: Int) {
    self.threshold = threshold
    self.trueNegatives = trueNegatives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
    self.truePositives = truePositives
  }

  /// All samples.
  public var total: Int { trueNegatives + falsePositives + falseNegatives + truePositives }
  /// Samples per true class: `[label 0, label 1]`.
  public var classCounts: [Int] { [trueNegatives + falsePositives, falseNegatives + truePositives] }
  /// Samples per predicted class: `[predicted 0, predicted 1]`.
  public var predictedCounts: [Int] { [trueNegatives + falseNegatives, falsePositives + truePositives] }
  /// `[[tn, fp], [fn, tp]]`, as scikit-learn's `confusion_matrix` lays it out.
  public var counts: [[Int]] { [[trueNegatives, falsePositives], [falseNegatives, truePositives]] }

  /// Each row divided by its true-class count (braai's normalised confusion matrix):
  /// `[[TNR, FPR], [FNR, TPR]]`. A class with no samples has a row of zeros.
  public var normalized: [[Double]] {
    counts.map { row in
      let sum = row.reduce(0, +)
      return row.map { sum == 0 ? 0 : Double($0) / Double(sum) }
    }
  }

  /// (tp + tn) / total; nil when there are no samples.
  public var accuracy: Double? { ratio(truePositives + trueNegatives, total) }
  /// fn / (fn + tp): the fraction of positives missed.
  public var falseNegativeRate: Double? { ratio(falseNegatives, falseNegatives + truePositives) }
  /// fp / (fp + tn): the fraction of negatives let through.
  public var falsePositiveRate: Double? { ratio(falsePositives, falsePositives + trueNegatives) }
  /// tp / (tp + fn) (recall, sensitivity) = 1 - FNR.
  public var truePositiveRate: Double? { ratio(truePositives, truePositives + falseNegatives) }
  /// tn / (tn + fp) (specificity) = 1 - FPR.
  public var trueNegativeRate: Double? { ratio(trueNegatives, trueNegatives + falsePositives) }
  /// tp / (tp + fp): the fraction of predicted positives that are real.
  public var precision: Double? { ratio(truePositives, truePositives + falsePositives) }
  /// Harmonic mean of precision and recall.
  public var f1Score: Double? {
    guard let p = precision, let r = truePositiveRate, p + r > 0 else { return nil }
    return 2 * p * r / (p + r)
  }

  private func ratio(_ numerator: Int, _ denominator: Int) -> Double? {
    denominator == 0 ? nil : Double(numerator) / Double(denominator)
  }

  // MARK: Codable (counts plus derived rates)

  private enum CodingKeys: String, CodingKey {
    case threshold, trueNegatives = "tn", falsePositives = "fp", falseNegatives = "fn", truePositives = "tp"
    case accuracy, falseNegativeRate = "fnr", falsePositiveRate = "fpr", truePositiveRate = "tpr"
    case trueNegativeRate = "tnr", precision, f1Score = "f1", normalized, classCounts = "class_counts"
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      threshold: try c.decode(Float.self, forKey: .threshold),
      trueNegatives: try c.decode(Int.self, forKey: .trueNegatives),
      falsePositives: try c.decode(Int.self, forKey: .falsePositives),
      falseNegatives: try c.decode(Int.self, forKey: .falseNegatives),
      truePositives: try c.decode(Int.self, forKey: .truePositives))
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(threshold, forKey: .threshold)
    try c.encode(trueNegatives, forKey: .trueNegatives)
    try c.encode(falsePositives, forKey: .falsePositives)
    try c.encode(falseNegatives, forKey: .falseNegatives)
    try c.encode(truePositives, forKey: .truePositives)
    try c.encode(accuracy, forKey: .accuracy)
    try c.encode(falseNegativeRate, forKey: .falseNegativeRate)
    try c.encode(falsePositiveRate, forKey: .falsePositiveRate)
    try c.encode(truePositiveRate, forKey: .truePositiveRate)
    try c.encode(trueNegativeRate, forKey: .trueNegativeRate)
    try c.encode(precision, forKey: .precision)
    try c.encode(f1Score, forKey: .f1Score)
    try c.encode(normalized, forKey: .normalized)
    try c.encode(classCounts, forKey: .classCounts)
  }
}

/// Scores and 0/1 labels of a binary classifier on a labelled set (1 = positive: "real" for braai, "streak" for
/// DeepStreaks), with optional per-sample ids (ZTF `candid`s). Validated once here so every metric can trust it.
public struct BinaryPredictions: Sendable, Equatable {
  /// One score per sample; higher means more likely positive. Any finite value (probabilities in [0, 1] are
  /// usual, but logits work too).
  public let scores: [Float]
  /// One label per sample, 0 or 1.
  public let labels: [Int]
  /// Optional identifiers, one per sample (candids), used to list misclassified samples.
  public let ids: [Int64]?

  /// - Throws: `EvaluationError.empty` for no samples, `.lengthMismatch` when labels or ids do not match the
  ///   scores, `.invalidLabel` for a label other than 0/1, `.nonFinite` for a NaN or infinite score.
  public init(scores: [Float], labels: [Int], ids: [Int64]? = nil) throws {
    guard !scores.isEmpty else { throw EvaluationError.empty("no scores") }
    guard labels.count == scores.count else {
      throw EvaluationError.lengthMismatch("\(scores.count) scores but \(labels.count) labels")
    }
    if let ids, ids.count != scores.count {
      throw EvaluationError.lengthMismatch("\(scores.count) scores but \(ids.count) ids")
    }
    if let bad = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
      throw EvaluationError.invalidLabel(index: bad, value: Double(labels[bad]))
    }
    if let bad = scores.firstIndex(where: { !$0.isFinite }) {
      throw EvaluationError.nonFinite("score \(scores[bad]) at sample \(bad)")
    }
    self.scores = scores
    self.labels = labels
    self.ids = ids
  }

  /// Labels as floats (as Keras/NumPy arrays hold them); each must be exactly 0 or 1.
  /// - Throws: As `init(scores:labels:ids:)`; `.invalidLabel` also for 0.5, NaN and the like.
  public init(scores: [Float], labels: [Float], ids: [Int64]? = nil) throws {
    if let bad = labels.firstIndex(where: { $0 != 0 && $0 != 1 }) {
      throw EvaluationError.invalidLabel(index: bad, value: Double(labels[bad]))
    }
    try self.init(scores: scores, labels: labels.map { Int($0) }, ids: ids)
  }

  /// Number of samples.
  public var count: Int { scores.count }
  /// Number of samples labelled 1.
  public var positiveCount: Int { labels.reduce(0, +) }
  /// Number of samples labelled 0.
  public var negativeCount: Int { count - positiveCount }

  /// Scores of the samples labelled 1 (in sample order).
  public var positiveScores: [Float] { zip(scores, labels).filter { $0.1 == 1 }.map(\.0) }
  /// Scores of the samples labelled 0 (in sample order).
  public var negativeScores: [Float] { zip(scores, labels).filter { $0.1 == 0 }.map(\.0) }
}

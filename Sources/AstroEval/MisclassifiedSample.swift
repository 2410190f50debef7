/// A sample on the wrong side of the decision threshold.
public struct MisclassifiedSample: Codable, Equatable, Sendable {
  /// Position in the evaluated arrays.
  public let index: Int
  /// The sample's id (ZTF candid) when ids were given.
  public let id: Int64?
  /// The classifier's score.
  public let score: Float
  /// The true label (0 or 1): 0 here is a false positive, 1 a false negative.
  public let label: Int

  /// A misclassified sample from its fields.
  public init(index: Int, id: Int64?, score: Float, label: Int) {
    self.index = index
    self.id = id
    self.score = score
    self.label = label
  }

  /// The samples of `predictions` misclassified at `threshold`, most confidently wrong first (largest distance
  /// from the threshold), which is the order worth inspecting.
  public static func all(in predictions: BinaryPredictions, threshold: Float) -> [MisclassifiedSample] {
    predictions.scores.indices
      .filter { (predictions.scores[$0] >= threshold) != (predictions.labels[$0] == 1) }
      .sorted { a, b in
        let da = abs(predictions.scores[a] - threshold), db = abs(predictions.scores[b] - threshold)
        return da != db ? da > db : a < b  // ties in sample order, so the list is reproducible
      }
      .map { MisclassifiedSample(index: $0, id: predictions.ids?[$0], score: predictions.scores[$0], label: predictions.labels[$0]) }
  }
}

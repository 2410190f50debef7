import Foundation

/// Per-sample uncertainty from class probabilities: higher is more uncertain.
///
/// For a binary model (one sigmoid output, read as the two probabilities 1 − p and p) least confidence
/// (0.5 − |p − 0.5|), margin (1 − |2p − 1|) and entropy H(p) are all monotone in |p − 0.5|: they rank a pool
/// identically and pick the same samples. They differ only with three or more classes.
public enum UncertaintyMeasure: String, Sendable, CaseIterable {
  /// 1 − the top class probability.
  case leastConfidence = "least-confidence"
  /// 1 − (top probability − second probability).
  case margin
  /// −Σ p log p (natural log).
  case entropy

  /// The uncertainty of one row of class probabilities.
  public func callAsFunction(_ p: UnsafeBufferPointer<Float>) -> Float {
    switch self {
    case .leastConfidence:
      return 1 - (p.max() ?? 0)
    case .margin:
      var first: Float = -.infinity, second: Float = -.infinity
      for v in p {
        if v > first { (first, second) = (v, first) } else if v > second { second = v }
      }
      return 1 - (first - (p.count > 1 ? second : 0))
    case .entropy:
      return Self.entropy(p)
    }
  }

  /// −Σ p log p over one row, with 0·log 0 = 0.
  static func entropy(_ p: UnsafeBufferPointer<Float>) -> Float {
    var h: Float = 0
    for v in p where v > 0 { h -= v * log(v) }
    return h
  }

  /// The uncertainty of every row of `probabilities` (`classes` per row).
  public func scores(_ probabilities: [Float], classes: Int) -> [Float] {
    probabilities.withUnsafeBufferPointer { p in
      (0..<(probabilities.count / classes)).map { i in self(UnsafeBufferPointer(rebasing: p[(i * classes)..<((i + 1) * classes)])) }
    }
  }
}

/// Mutual information between a sample's label and the model (Houlsby et al. 2011, BALD):
/// H(mean over members of p) − mean over members of H(p). Members are Monte-Carlo dropout passes or the
/// models of an ensemble (or both); the value is their disagreement, 0 when they all agree.
public enum MutualInformation {
  /// Accumulates members' probability rows for a block of samples.
  public struct Accumulator {
    public let samples: Int, classes: Int
    public private(set) var members = 0
    private var sum: [Double]
    private var entropySum: [Double]

    public init(samples: Int, classes: Int) {
      self.samples = samples
      self.classes = classes
      sum = [Double](repeating: 0, count: samples * classes)
      entropySum = [Double](repeating: 0, count: samples)
    }

    /// Adds one member's probabilities (`samples × classes`).
    public mutating func add(_ probabilities: [Float]) {
      precondition(probabilities.count == samples * classes, "a member's probabilities do not match the block")
      probabilities.withUnsafeBufferPointer { p in
        for i in 0..<samples {
          let row = UnsafeBufferPointer(rebasing: p[(i * classes)..<((i + 1) * classes)])
          for c in 0..<classes { sum[i * classes + c] += Double(row[c]) }
          entropySum[i] += Double(UncertaintyMeasure.entropy(row))
        }
      }
      members += 1
    }

    /// The members' mean probabilities (`samples × classes`).
    public var meanProbabilities: [Float] { sum.map { Float($0 / Double(max(members, 1))) } }

    /// The mutual information of each sample (never negative; rounding is clamped).
    public var values: [Float] {
      let m = Double(max(members, 1))
      return (0..<samples).map { i in
        var h = 0.0
        for c in 0..<classes {
          let p = sum[i * classes + c] / m
          if p > 0 { h -= p * Foundation.log(p) }
        }
        return Float(max(0, h - entropySum[i] / m))
      }
    }
  }
}

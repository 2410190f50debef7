/// The receiver operating characteristic of a binary classifier, and threshold queries on it.
///
/// Points are computed as scikit-learn's `roc_curve` without dropping collinear points: samples are sorted by
/// score, descending, and there is one point per *distinct* score `s`, at threshold `s` (positive when
/// score >= s), so tied samples enter the curve together and a tie between a positive and a negative gives a
/// diagonal step. The curve starts at (0, 0) with threshold +infinity.
public struct ROCCurve: Sendable {
  /// One point of the curve.
  public struct Point: Equatable, Sendable {
    /// Samples with score >= threshold are predicted positive (+infinity for the first point).
    public let threshold: Float
    /// Fraction of negatives at or above the threshold.
    public let falsePositiveRate: Double
    /// Fraction of positives at or above the threshold.
    public let truePositiveRate: Double
  }

  /// From (0, 0) to (1, 1), thresholds strictly decreasing.
  public let points: [Point]
  /// Positive (label 1) scores, ascending: for FNR queries.
  private let positives: [Float]
  /// Negative (label 0) scores, ascending: for FPR queries.
  private let negatives: [Float]
  /// Every distinct score, ascending.
  private let distinctScores: [Float]

  /// - Throws: `EvaluationError.missingClass` unless both labels occur (rates would divide by zero).
  public init(_ predictions: BinaryPredictions) throws {
    guard predictions.positiveCount > 0, predictions.negativeCount > 0 else {
      throw EvaluationError.missingClass(
        "ROC needs both classes; got \(predictions.positiveCount) positives and \(predictions.negativeCount) negatives")
    }
    positives = predictions.positiveScores.sorted()
    negatives = predictions.negativeScores.sorted()
    let order = predictions.scores.indices.sorted { predictions.scores[$0] > predictions.scores[$1] }
    let p = Double(positives.count), n = Double(negatives.count)
    var points = [Point(threshold: .infinity, falsePositiveRate: 0, truePositiveRate: 0)]
    var tp = 0, fp = 0
    var k = 0
    var distinct: [Float] = []
    while k < order.count {
      let score = predictions.scores[order[k]]
      // Take every sample tied at this score before emitting a point.
      while k < order.count && predictions.scores[order[k]] == score {
        if predictions.labels[order[k]] == 1 { tp += 1 } else { fp += 1 }
        k += 1
      }
      points.append(Point(threshold: score, falsePositiveRate: Double(fp) / n, truePositiveRate: Double(tp) / p))
      distinct.append(score)
    }
    self.points = points
    self.distinctScores = distinct.reversed()
  }

  /// Area under the curve by the trapezoid rule over `points`. With the one-point-per-distinct-score
  /// construction this equals the Mann-Whitney probability P(score⁺ > score⁻) + ½ P(score⁺ = score⁻).
  public var auc: Double {
    var area = 0.0
    for i in 1..<points.count {
      let a = points[i - 1], b = points[i]
      area += (b.falsePositiveRate - a.falsePositiveRate) * (a.truePositiveRate + b.truePositiveRate) / 2
    }
    return area
  }

  /// FNR and FPR at `threshold`: the fraction of positives scored below it and of negatives at or above it.
  public func rates(at threshold: Float) -> OperatingPoint {
    let missed = countBelow(threshold, in: positives)
    let passed = negatives.count - countBelow(threshold, in: negatives)
    return OperatingPoint(
      threshold: threshold, falseNegativeRate: Double(missed) / Double(positives.count),
      falsePositiveRate: Double(passed) / Double(negatives.count))
  }

  /// `rates(at:)` for each threshold of a grid (braai's "FNR and FPR vs threshold" plot).
  public func rates(atThresholds thresholds: [Float]) -> [OperatingPoint] {
    thresholds.map { rates(at: $0) }
  }

  /// `count` evenly spaced thresholds from `lower` to `upper` inclusive (default 0, 0.01, ..., 1).
  public static func thresholdGrid(from lower: Float = 0, to upper: Float = 1, count: Int = 101) -> [Float] {
    guard count > 1 else { return [lower] }
    return (0..<count).map { lower + (upper - lower) * Float($0) / Float(count - 1) }
  }

  /// The **highest** threshold whose FNR is at most `target`: the strictest cut that still misses no more than
  /// that fraction of positives (for braai: reject as much bogus as possible while losing at most 1% of reals).
  ///
  /// FNR only changes at positive scores, so the answer is a positive sample's score: the (k+1)-th lowest,
  /// k = floor(target * positives) (with a 1e-9 allowance, so 0.01 * 200 counts as 2 despite rounding).
  /// - Throws: `EvaluationError.invalidArgument` unless `target` is in [0, 1).
  public func threshold(forTargetFNR target: Double) throws -> OperatingPoint {
    guard target >= 0, target < 1 else {
      throw EvaluationError.invalidArgument("target FNR \(target) must be in [0, 1)")
    }
    let allowedMisses = Int((target * Double(positives.count) + 1e-9).rounded(.down))
    return rates(at: positives[min(allowedMisses, positives.count - 1)])
  }

  /// The **lowest** threshold whose FPR is at most `target`: the most permissive cut that still lets through no
  /// more than that fraction of negatives.
  ///
  /// Any threshold just above the (m+1)-th highest negative score works, m = floor(target * negatives); this
  /// returns the lowest *sample score* above it (so it is one of the ROC thresholds and classifies the data
  /// exactly as any threshold in between would), or the next float up when no sample scores higher.
  /// - Throws: `EvaluationError.invalidArgument` unless `target` is in [0, 1).
  public func threshold(forTargetFPR target: Double) throws -> OperatingPoint {
    guard target >= 0, target < 1 else {
      throw EvaluationError.invalidArgument("target FPR \(target) must be in [0, 1)")
    }
    let allowedPasses = Int((target * Double(negatives.count) + 1e-9).rounded(.down))
    let boundary = negatives[negatives.count - 1 - min(allowedPasses, negatives.count - 1)]
    let above = countBelow(boundary.nextUp, in: distinctScores)
    let threshold = above < distinctScores.count ? distinctScores[above] : boundary.nextUp
    return rates(at: threshold)
  }

  /// The point where FNR = 1 - TPR and FPR cross: the ROC threshold minimising |FNR - FPR|, and the crossing
  /// rate interpolated along the segment of the curve where FNR - FPR changes sign.
  public var equalErrorPoint: EqualErrorPoint {
    var best = 1
    var bestGap = Double.infinity
    for i in 1..<points.count {
      let gap = abs((1 - points[i].truePositiveRate) - points[i].falsePositiveRate)
      if gap < bestGap {
        bestGap = gap
        best = i
      }
    }
    // d = FNR - FPR runs from 1 at (0, 0) down to -1 at (1, 1); find where it reaches 0.
    var rate = points[best].falsePositiveRate
    for i in 1..<points.count {
      let a = points[i - 1], b = points[i]
      let da = (1 - a.truePositiveRate) - a.falsePositiveRate, db = (1 - b.truePositiveRate) - b.falsePositiveRate
      if da >= 0 && db <= 0 {
        let t = da == db ? 0 : da / (da - db)
        rate = a.falsePositiveRate + t * (b.falsePositiveRate - a.falsePositiveRate)
        break
      }
    }
    let threshold = points[best].threshold
    return EqualErrorPoint(threshold: threshold, point: rates(at: threshold), rate: rate)
  }

  /// How many of the ascending `sorted` values are < `value` (binary search).
  private func countBelow(_ value: Float, in sorted: [Float]) -> Int {
    var low = 0, high = sorted.count
    while low < high {
      let mid = (low + high) / 2
      if sorted[mid] < value { low = mid + 1 } else { high = mid }
    }
    return low
  }
}

/// A classifier's error rates at one threshold (positive when score >= threshold).
public struct OperatingPoint: Codable, Equatable, Sendable {
  /// Samples scoring at or above this are predicted positive.
  public let threshold: Float
  /// Fraction of positives scored below the threshold.
  public let falseNegativeRate: Double
  /// Fraction of negatives scored at or above the threshold.
  public let falsePositiveRate: Double

  /// A point from its rates.
  public init(threshold: Float, falseNegativeRate: Double, falsePositiveRate: Double) {
    self.threshold = threshold
    self.falseNegativeRate = falseNegativeRate
    self.falsePositiveRate = falsePositiveRate
  }

  /// 1 - FNR.
  public var truePositiveRate: Double { 1 - falseNegativeRate }

  private enum CodingKeys: String, CodingKey {
    case threshold, falseNegativeRate = "fnr", falsePositiveRate = "fpr"
  }
}

/// The threshold chosen to meet a target error rate, with the rates it actually achieves on the data.
public struct TargetOperatingPoint: Codable, Equatable, Sendable {
  /// Which rate the target bounds.
  public enum Rate: String, Codable, Sendable {
    case falseNegativeRate = "fnr"
    case falsePositiveRate = "fpr"
  }

  /// Which rate `target` bounds.
  public let rate: Rate
  /// The bound asked for, e.g. 0.01 for "at most 1% of real transients missed".
  public let target: Double
  /// The chosen threshold and the rates it achieves.
  public let point: OperatingPoint

  /// A target point from its fields.
  public init(rate: Rate, target: Double, point: OperatingPoint) {
    self.rate = rate
    self.target = target
    self.point = point
  }
}

/// Where the false negative and false positive rates cross (the equal error rate, EER).
public struct EqualErrorPoint: Codable, Equatable, Sendable {
  /// The ROC threshold (a distinct score) at which |FNR - FPR| is smallest.
  public let threshold: Float
  /// FNR and FPR at that threshold.
  public let point: OperatingPoint
  /// The crossing rate, interpolated linearly along the ROC curve between the two points that bracket it.
  public let rate: Double

  /// An equal-error point from its fields.
  public init(threshold: Float, point: OperatingPoint, rate: Double) {
    self.threshold = threshold
    self.point = point
    self.rate = rate
  }
}

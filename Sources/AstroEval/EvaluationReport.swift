import Foundation

/// A binary classifier's evaluation, as braai's and DeepStreaks' reports: counts, confusion matrices, error
/// rates, AUC, thresholds for target error rates, the equal error rate, misclassified samples, optional
/// training curves, and the names of the figures.
///
/// Encodes to JSON (`jsonData()`) and renders as Markdown (`markdown`); `write(to:)` writes both plus the
/// figures. The inputs the figures are drawn from (scores, labels, images) are kept but not encoded: a report
/// decoded from JSON can be re-rendered as JSON and Markdown, not as figures.
public struct EvaluationReport: Codable, Equatable, Sendable {
  /// Heading of the Markdown report.
  public let title: String
  /// Names of label 0 and label 1, e.g. `["bogus", "real"]`.
  public let classNames: [String]
  /// Number of evaluated samples.
  public let sampleCount: Int
  /// Samples labelled 1.
  public let positiveCount: Int
  /// Samples labelled 0.
  public let negativeCount: Int
  /// The threshold of the main confusion matrix and of the misclassified list (Keras' 0.5 by default).
  public let decisionThreshold: Float
  /// Area under the ROC curve; nil when only one class is present.
  public let auc: Double?
  /// At `decisionThreshold` first, then at each extra threshold asked for, in the order given.
  public let confusionMatrices: [ConfusionMatrix]
  /// Thresholds meeting each target FNR (highest such threshold) and each target FPR (lowest such threshold).
  public let targetOperatingPoints: [TargetOperatingPoint]
  /// Where FNR and FPR cross; nil when only one class is present.
  public let equalError: EqualErrorPoint?
  /// Samples misclassified at `decisionThreshold`, most confidently wrong first.
  public let misclassified: [MisclassifiedSample]
  /// Per-epoch training curves, when given.
  public let training: TrainingCurves?
  /// File names (relative to the report folder) of the figures `write(to:)` produces.
  public let plotFiles: [String]

  /// What the figures are drawn from; not encoded.
  private let predictions: BinaryPredictions?
  private let images: SampleImages?

  /// File names of the figures.
  public enum PlotFile {
    /// Full and zoomed ROC curves.
    public static let roc = "roc.png"
    /// FNR and FPR against the threshold, log scale.
    public static let errorRates = "fnr_fpr_vs_threshold.png"
    /// Score histograms of both classes.
    public static let scoreHistogram = "score_histogram.png"
    /// The confusion matrix at the decision threshold.
    public static let confusionMatrix = "confusion_matrix.png"
    /// Loss and accuracy per epoch.
    public static let trainingCurves = "training_curves.png"
    /// Images of the misclassified samples.
    public static let misclassified = "misclassified.png"
  }

  /// Evaluates `predictions`.
  ///
  /// - Parameters:
  ///   - title: The report's heading.
  ///   - predictions: Scores and true labels of the evaluated samples.
  ///   - classNames: The names of class 0 and class 1, in that order.
  ///   - decisionThreshold: The score at or above which a sample is called class 1.
  ///   - thresholds: Extra thresholds for confusion matrices (besides `decisionThreshold`).
  ///   - targetFNRs: Target false negative rates, e.g. 1% and 5%: the highest threshold meeting each.
  ///   - targetFPRs: Target false positive rates: the lowest threshold meeting each.
  ///   - training: Per-epoch curves to summarise and plot.
  ///   - images: One image per sample, for the grid of misclassified samples.
  /// - Throws: `EvaluationError` for non-finite thresholds, targets outside [0, 1), class names not two, or
  ///   images not one per sample. A set with only one class is accepted: AUC, ROC-based thresholds, the equal
  ///   error rate and their figures are then left out (they are undefined).
  public init(
    title: String = "Evaluation", predictions: BinaryPredictions, classNames: [String] = ["bogus", "real"],
    decisionThreshold: Float = 0.5, thresholds: [Float] = [], targetFNRs: [Double] = [0.01, 0.05],
    targetFPRs: [Double] = [0.01], training: TrainingCurves? = nil, images: SampleImages? = nil
  ) throws {
    guard classNames.count == 2 else { throw EvaluationError.lengthMismatch("\(classNames.count) class names, need 2") }
    if let bad = ([decisionThreshold] + thresholds).first(where: { !$0.isFinite }) {
      throw EvaluationError.nonFinite("threshold \(bad)")
    }
    if let bad = (targetFNRs + targetFPRs).first(where: { !($0 >= 0 && $0 < 1) }) {
      throw EvaluationError.invalidArgument("target rate \(bad) must be in [0, 1)")
    }
    if let images, images.count != predictions.count {
      throw EvaluationError.lengthMismatch("\(images.count) images for \(predictions.count) samples")
    }
    self.title = title
    self.classNames = classNames
    sampleCount = predictions.count
    positiveCount = predictions.positiveCount
    negativeCount = predictions.negativeCount
    self.decisionThreshold = decisionThreshold
    confusionMatrices = try ([decisionThreshold] + thresholds).map { try ConfusionMatrix(predictions, threshold: $0) }
    misclassified = MisclassifiedSample.all(in: predictions, threshold: decisionThreshold)
    self.training = training
    self.predictions = predictions
    self.images = images

    let roc = predictions.positiveCount > 0 && predictions.negativeCount > 0 ? try ROCCurve(predictions) : nil
    auc = roc?.auc
    equalError = roc?.equalErrorPoint
    if let roc {
      targetOperatingPoints =
        try targetFNRs.map { TargetOperatingPoint(rate: .falseNegativeRate, target: $0, point: try roc.threshold(forTargetFNR: $0)) }
        + targetFPRs.map { TargetOperatingPoint(rate: .falsePositiveRate, target: $0, point: try roc.threshold(forTargetFPR: $0)) }
    } else {
      targetOperatingPoints = []
    }
    var files = [PlotFile.scoreHistogram, PlotFile.confusionMatrix]
    if roc != nil { files = [PlotFile.roc, PlotFile.errorRates] + files }
    if training != nil { files.append(PlotFile.trainingCurves) }
    if images != nil && !misclassified.isEmpty { files.append(PlotFile.misclassified) }
    plotFiles = files
  }

  /// The confusion matrix at `decisionThreshold`.
  public var mainConfusionMatrix: ConfusionMatrix { confusionMatrices[0] }

  /// The report as pretty-printed JSON with sorted keys (stable diffs between runs).
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do { return try encoder.encode(self) } catch {
      throw EvaluationError.io("cannot encode report as JSON: \(error)")
    }
  }

  /// Decodes a report written by `jsonData()` (without the figure inputs).
  public static func decode(jsonData data: Data) throws -> EvaluationReport {
    do { return try JSONDecoder().decode(EvaluationReport.self, from: data) } catch {
      throw EvaluationError.io("cannot decode report JSON: \(error)")
    }
  }

  private enum CodingKeys: String, CodingKey {
    case title, classNames = "class_names", sampleCount = "samples", positiveCount = "positives"
    case negativeCount = "negatives", decisionThreshold = "decision_threshold", auc
    case confusionMatrices = "confusion_matrices", targetOperatingPoints = "target_thresholds"
    case equalError = "equal_error", misclassified, training, plotFiles = "plots"
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    title = try c.decode(String.self, forKey: .title)
    classNames = try c.decode([String].self, forKey: .classNames)
    sampleCount = try c.decode(Int.self, forKey: .sampleCount)
    positiveCount = try c.decode(Int.self, forKey: .positiveCount)
    negativeCount = try c.decode(Int.self, forKey: .negativeCount)
    decisionThreshold = try c.decode(Float.self, forKey: .decisionThreshold)
    auc = try c.decodeIfPresent(Double.self, forKey: .auc)
    confusionMatrices = try c.decode([ConfusionMatrix].self, forKey: .confusionMatrices)
    targetOperatingPoints = try c.decode([TargetOperatingPoint].self, forKey: .targetOperatingPoints)
    equalError = try c.decodeIfPresent(EqualErrorPoint.self, forKey: .equalError)
    misclassified = try c.decode([MisclassifiedSample].self, forKey: .misclassified)
    training = try c.decodeIfPresent(TrainingCurves.self, forKey: .training)
    plotFiles = try c.decode([String].self, forKey: .plotFiles)
    guard !confusionMatrices.isEmpty else {
      throw DecodingError.dataCorruptedError(forKey: .confusionMatrices, in: c, debugDescription: "no confusion matrix")
    }
    predictions = nil
    images = nil
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(title, forKey: .title)
    try c.encode(classNames, forKey: .classNames)
    try c.encode(sampleCount, forKey: .sampleCount)
    try c.encode(positiveCount, forKey: .positiveCount)
    try c.encode(negativeCount, forKey: .negativeCount)
    try c.encode(decisionThreshold, forKey: .decisionThreshold)
    try c.encode(auc, forKey: .auc)
    try c.encode(confusionMatrices, forKey: .confusionMatrices)
    try c.encode(targetOperatingPoints, forKey: .targetOperatingPoints)
    try c.encode(equalError, forKey: .equalError)
    try c.encode(misclassified, forKey: .misclassified)
    try c.encode(training, forKey: .training)
    try c.encode(plotFiles, forKey: .plotFiles)
  }

  /// Equal when every encoded field is equal (the figure inputs are not compared).
  public static func == (a: EvaluationReport, b: EvaluationReport) -> Bool {
    a.title == b.title && a.classNames == b.classNames && a.sampleCount == b.sampleCount
      && a.positiveCount == b.positiveCount && a.negativeCount == b.negativeCount
      && a.decisionThreshold == b.decisionThreshold && a.auc == b.auc && a.confusionMatrices == b.confusionMatrices
      && a.targetOperatingPoints == b.targetOperatingPoints && a.equalError == b.equalError
      && a.misclassified == b.misclassified && a.training == b.training && a.plotFiles == b.plotFiles
  }

  /// The figure inputs, for `write(to:)`.
  var figureInputs: (predictions: BinaryPredictions, images: SampleImages?)? {
    predictions.map { ($0, images) }
  }
}

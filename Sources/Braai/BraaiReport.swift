import AstroEval
import AstroNN
import AstroTensor
import Foundation

/// The JSON report of a braai training run, with braai.py's own keys (so existing tooling reads it), plus
/// the epochs actually run and the class weights used.
public struct BraaiReport: Encodable {
  let values: [String: ReportValue]

  enum ReportValue: Encodable {
    case string(String), int(Int), double(Double), bool(Bool), ints([Int]), intMatrix([[Int]]), doubleMatrix([[Double]])
    case int64s([Int64]), doubles([Double]), misclassified([String: [Double]]), history([String: [Double]]), flags([String: Bool]), null

    func encode(to encoder: Encoder) throws {
      var c = encoder.singleValueContainer()
      switch self {
      case .string(let v): try c.encode(v)
      case .int(let v): try c.encode(v)
      case .double(let v): try c.encode(v)
      case .bool(let v): try c.encode(v)
      case .ints(let v): try c.encode(v)
      case .intMatrix(let v): try c.encode(v)
      case .doubleMatrix(let v): try c.encode(v)
      case .int64s(let v): try c.encode(v)
      case .doubles(let v): try c.encode(v)
      case .misclassified(let v): try c.encode(v)
      case .history(let v): try c.encode(v)
      case .flags(let v): try c.encode(v)
      case .null: try c.encodeNil()
      }
    }
  }

  public func encode(to encoder: Encoder) throws { try values.encode(to: encoder) }

  /// The report of `run` on a dataset called `datasetStamp`.
  public init(run: BraaiTrainingRun, datasetStamp: String, runStamp: String, modelName: String) throws {
    let o = run.options
    let test = try BinaryPredictions(scores: run.testScores, labels: run.test.labels.values, ids: run.test.ids)
    let train = try BinaryPredictions(scores: run.trainScores, labels: run.train.labels.values, ids: run.train.ids)
    let matrix = try ConfusionMatrix(test, threshold: 0.5)
    func misclassified(_ p: BinaryPredictions) -> [String: [Double]] {
      var out: [String: [Double]] = [:]
      for i in 0..<p.count where (p.scores[i] >= 0.5 ? 1 : 0) != p.labels[i] {
        out[String(p.ids?[i] ?? Int64(i))] = [Double(p.labels[i]), Double(p.scores[i])]
      }
      return out
    }
    let testMisses = misclassified(test), trainMisses = misclassified(train)
    values = [
      "Dataset time stamp": .string(datasetStamp), "Run time stamp": .string(runStamp), "Model name": .string(modelName),
      "Model trained": .string(o.model), "Batch size": .int(o.batchSize), "Optimizer": .string(o.optimizer),
      "Requested number of train epochs": .int(o.epochs), "Number of train epochs run": .int(run.history.epochs.count),
      "Early stopping after epochs": .int(o.patience), "Training+validation/test split": .double(o.testSplit),
      "Training/validation split": .double(o.validationSplit), "Weight training data by class": .bool(o.classWeight),
      "Class weights": run.classWeights.map { .doubles($0.map(Double.init)) } ?? .null,
      "Random state": .int(Int(o.seed)), "Number of training examples": .int(run.train.count),
      "Number of validation examples": .int(run.validationCount), "Number of test examples": .int(run.test.count),
      "X_train shape": .ints([run.train.count] + run.train.sampleShape), "X_test shape": .ints([run.test.count] + run.test.sampleShape),
      "Data augmentation": .flags(["horizontal_flip": o.flips, "vertical_flip": o.flips]),
      "Test loss": .double(run.testLoss), "Test accuracy": .double(run.testAccuracy),
      "Confusion matrix": .intMatrix(matrix.counts), "Normalized confusion matrix": .doubleMatrix(matrix.normalized),
      "Misclassified test candids": .int64s(testMisses.keys.compactMap { Int64($0) }.sorted()),
      "Misclassified training candids": .int64s(trainMisses.keys.compactMap { Int64($0) }.sorted()),
      "Test misclassifications": .misclassified(testMisses), "Training misclassifications": .misclassified(trainMisses),
      "Training history": .history(run.history.kerasHistory),
    ]
  }

  /// Writes the report as pretty-printed JSON, atomically.
  public func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
  }
}

extension BraaiTrainingRun {
  /// The evaluation report of the test set (confusion matrices, FNR/FPR, ROC/AUC, thresholds for target
  /// FNRs, misclassified candids) with the training curves and the misclassified triplets.
  public func testEvaluation(thresholds: [Float] = []) throws -> EvaluationReport {
    let predictions = try BinaryPredictions(scores: testScores, labels: test.labels.values, ids: test.ids)
    let images = test.sampleShape == [63, 63, 3] ? try SampleImages(values: test.images.values) : nil
    return try EvaluationReport(
      title: "braai \(options.model) — test set", predictions: predictions, thresholds: thresholds,
      training: try TrainingCurves(kerasHistory: history.kerasHistory), images: images)
  }
}

import AstroDistributed
import AstroEval
import AstroNN
import Foundation

/// DeepStreaks' training recipe for one member: a 90/10 train/test split (scikit-learn's, random state
/// `seed`), the first 10% of the training part for validation, flips, inverse-frequency class weights,
/// Adam, early stopping on the validation loss with the best epoch's weights restored.
public struct StreakTrainingOptions {
  public var family: StreakFamily
  public var model: StreakModelKind
  public var epochs = 20
  public var batchSize = 32
  public var learningRate: Float = 3e-4
  public var patience = 5
  public var seed: UInt32 = 42
  /// Keras `.h5` weights to start from (fine-tuning a published member).
  public var initialWeights: String?
  /// With `initialWeights`: train the dense head only.
  public var freezeConvolutions = false
  /// The resumable checkpoint written after every epoch.
  public var checkpointPath: String?
  public var resume = false
  public var progress: ProgressStyle = .automatic
  /// Data-parallel training as one rank of this group (e.g. `MPICommunicator.world()`); nil trains alone.
  /// `batchSize` stays the global batch.
  public var communicator: Communicator?
  /// With a communicator: batch normalisation on the statistics of the global batch (see
  /// `TrainingConfiguration.synchronizedBatchNormalization`).
  public var synchronizedBatchNormalization = false
  /// Gradients as sums of micro-batches of this many samples in double precision, so that any number of ranks
  /// trains the same weights to float rounding (see `TrainingConfiguration.microBatchSize`); nil by default.
  public var microBatchSize: Int?

  public init(family: StreakFamily, model: StreakModelKind) {
    self.family = family
    self.model = model
  }
}

/// A trained member with its history and its test-set evaluation.
public struct StreakTrainingRun {
  public let options: StreakTrainingOptions
  public let model: Model
  public let history: TrainingHistory
  public let test: LabelledImages
  public let testScores: [Float]

  /// Trains one member on the family's labelled set (see `StreakData.labelled`).
  public static func run(_ set: LabelledImages, options: StreakTrainingOptions) throws -> StreakTrainingRun {
    let (trainIndices, testIndices) = try DataSplit.trainTest(count: set.count, testFraction: 0.1, seed: options.seed)
    let (fitIndices, validationIndices) = DataSplit.validation(trainIndices, fraction: 0.1)
    let network = try options.model.make(seed: UInt64(options.seed))
    try FineTuning.prepare(network, initialWeights: options.initialWeights, freezeConvolutions: options.freezeConvolutions)
    let fit = try set.subset(fitIndices)
    var c = TrainingConfiguration()
    c.epochs = options.epochs; c.batchSize = options.batchSize; c.seed = UInt64(options.seed); c.flips = true
    c.classWeights = try fit.balancedClassWeights()
    c.earlyStoppingPatience = options.patience; c.restoreBestWeights = true
    c.checkpointPath = options.checkpointPath; c.progress = options.progress
    c.communicator = options.communicator
    c.synchronizedBatchNormalization = options.synchronizedBatchNormalization
    c.microBatchSize = options.microBatchSize
    let trainer = Trainer(model: network, optimizer: Adam(learningRate: options.learningRate), configuration: c)
    let validation = validationIndices.isEmpty ? nil : try set.subset(validationIndices)
    let history = try trainer.fit(fit, validation: validation, resume: options.resume)
    let test = try set.subset(testIndices)
    return StreakTrainingRun(options: options, model: network, history: history, test: test, testScores: try trainer.evaluate(test).scores)
  }

  /// The test-set report (FNR/FPR, ROC, training curves) in the family's class names.
  public func report() throws -> EvaluationReport {
    let family = options.family
    return try EvaluationReport(
      title: "DeepStreaks \(family.rawValue) \(options.model.rawValue) — test set",
      predictions: BinaryPredictions(scores: testScores, labels: test.labels.values, ids: test.ids),
      classNames: family == .sl ? ["long", "short"] : family == .kd ? ["ditch", "keep"] : ["bogus", "real"],
      training: try TrainingCurves(kerasHistory: history.kerasHistory))
  }
}

import AstroDistributed
import AstroNN
import AstroTensor
import Foundation

/// braai's training recipe (`braai.py`), with its defaults: VGG6, Adam 3e-4, binary cross-entropy,
/// 90/10 train/test split (scikit-learn's, random state 42), 10% of the training part for validation,
/// horizontal and vertical flips, class weights, early stopping on the validation loss.
public struct BraaiTrainingOptions {
  /// `vgg6`, `resnet18`, `resnet50` or `densenet121` (braai's own builders).
  public var model = "vgg6"
  public var epochs = 300
  public var batchSize = 32
  /// `adam` (lr 3e-4) or `sgd` (lr 0.01, momentum 0.9, Nesterov, decay 1e-6), as braai.py.
  public var optimizer = "adam"
  /// Overrides the optimizer's learning rate.
  public var learningRate: Float?
  /// Early stopping patience in epochs (braai.py: 200).
  public var patience = 200
  public var testSplit = 0.1
  public var validationSplit = 0.1
  /// braai's inverse-frequency class weights (its `--class_weight`; on by default here, as braai's runs used it).
  public var classWeight = true
  public var flips = true
  /// The random state of the splits (42 in braai) and the seed of initialisation and shuffling.
  public var seed: UInt32 = 42
  public var checkpointPath: String?
  public var resume = false
  /// Keras `.h5` weights to start from instead of a fresh initialisation (fine-tuning, e.g. braai's d6_m7).
  public var initialWeights: String?
  /// Keep the convolutional layers as they are (train only the dense head); with `initialWeights`.
  public var freezeConvolutions = false
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

  public init() {}

  /// A new model of the chosen kind for inputs of `shape`.
  public func makeModel(inputShape shape: [Int]) throws -> Model {
    switch model.lowercased() {
    case "vgg6": return try VGG6.make(inputShape: shape, seed: UInt64(seed))
    case "resnet18": return try ResNet.resnet18(inputShape: shape, seed: UInt64(seed))
    case "resnet50": return try ResNet.resnet50(inputShape: shape, seed: UInt64(seed))
    case "densenet121": return try DenseNet.densenet121(inputShape: shape, seed: UInt64(seed))
    default: throw NNError.model("unknown model '\(model)': use vgg6, resnet18, resnet50 or densenet121")
    }
  }

  public func makeOptimizer() throws -> Optimizer {
    switch optimizer.lowercased() {
    case "adam": return Adam(learningRate: learningRate ?? 3e-4)
    case "sgd": return SGD(learningRate: learningRate ?? 0.01, momentum: 0.9, nesterov: true, decay: 1e-6)
    default: throw NNError.model("unknown optimizer '\(optimizer)': use adam or sgd")
    }
  }
}

/// A finished braai training run: the model, its history, and the scores on the training and test sets.
public struct BraaiTrainingRun {
  public let options: BraaiTrainingOptions
  public let model: Model
  public let history: TrainingHistory
  public let classWeights: [Float]?
  public let train: LabelledImages
  public let validationCount: Int
  public let test: LabelledImages
  public let testLoss: Double
  public let testAccuracy: Double
  public let testScores: [Float]
  public let trainScores: [Float]

  /// Splits `data` as braai does, trains, and scores the training and test sets.
  public static func run(_ data: LabelledImages, options: BraaiTrainingOptions) throws -> BraaiTrainingRun {
    let (trainIndices, testIndices) = try DataSplit.trainTest(count: data.count, testFraction: options.testSplit, seed: options.seed)
    let (fitIndices, validationIndices) = DataSplit.validation(trainIndices, fraction: options.validationSplit)
    let train = try data.subset(trainIndices), test = try data.subset(testIndices)
    let fit = try data.subset(fitIndices)
    let validation = validationIndices.isEmpty ? nil : try data.subset(validationIndices)
    let model = try options.makeModel(inputShape: data.sampleShape)
    try FineTuning.prepare(model, initialWeights: options.initialWeights, freezeConvolutions: options.freezeConvolutions)
    var configuration = TrainingConfiguration()
    configuration.epochs = options.epochs
    configuration.batchSize = options.batchSize
    configuration.seed = UInt64(options.seed)
    configuration.flips = options.flips
    configuration.classWeights = options.classWeight ? try fit.balancedClassWeights() : nil
    configuration.earlyStoppingPatience = options.patience
    configuration.checkpointPath = options.checkpointPath
    configuration.progress = options.progress
    configuration.communicator = options.communicator
    configuration.synchronizedBatchNormalization = options.synchronizedBatchNormalization
    configuration.microBatchSize = options.microBatchSize
    let trainer = Trainer(model: model, optimizer: try options.makeOptimizer(), configuration: configuration)
    let history = try trainer.fit(fit, validation: validation, resume: options.resume)
    let testResult = try trainer.evaluate(test)
    let trainResult = try trainer.evaluate(train)
    return BraaiTrainingRun(
      options: options, model: model, history: history, classWeights: configuration.classWeights, train: train,
      validationCount: validationIndices.count, test: test, testLoss: testResult.loss, testAccuracy: testResult.accuracy,
      testScores: testResult.scores, trainScores: trainResult.scores)
  }
}

import AstroEval
import AstroKernels
import AstroNN
import AstroTensor
import Dispatch
import Foundation

/// A labelled set the simulation splits, per seed, into a pool (queried through a simulated oracle) and a
/// held-out test set that is never queryable.
public struct SimulationData {
  /// One tensor per model input, samples along the first axis.
  public let inputs: [Tensor]
  /// The true class of each sample (0 or 1): what the test set is scored against.
  public let labels: [Int]
  /// What the oracle answers for each sample, when it differs from the truth (label noise); nil: the truth.
  public let oracleLabels: [Int]?
  /// Words for the report: where the data came from and its variant.
  public let description: String

  public init(inputs: [Tensor], labels: [Int], oracleLabels: [Int]? = nil, description: String) throws {
    guard let n = inputs.first?.shape.first, inputs.allSatisfy({ $0.shape.first == n }), labels.count == n else {
      throw ActiveLearningError.pool("inputs and \(labels.count) labels hold different sample counts")
    }
    guard labels.allSatisfy({ $0 == 0 || $0 == 1 }), oracleLabels?.allSatisfy({ $0 == 0 || $0 == 1 }) ?? true else {
      throw ActiveLearningError.pool("labels must be 0 or 1 (the simulation reports binary metrics)")
    }
    guard oracleLabels.map({ $0.count == n }) ?? true else { throw ActiveLearningError.pool("oracle labels do not match the samples") }
    self.inputs = inputs
    self.labels = labels
    self.oracleLabels = oracleLabels
    self.description = description
  }

  var count: Int { labels.count }
}

/// The protocol of a label-savings simulation (the brief's E1).
public struct SimulationSettings: Codable, Sendable {
  public var strategies: [String]
  /// Seeds, each derived from `masterSeed`: its own pool/test split, initial set and initial weights.
  public var seeds: Int
  public var masterSeed: UInt64
  public var poolSize: Int
  public var testSize: Int
  /// Labels drawn at random before the first round (the same for every strategy within a seed; both classes).
  public var initialLabels: Int
  public var batchSize: Int
  public var rounds: Int
  /// Gradient steps of each round's training (epochs = steps ÷ batches per epoch, at least 1), so that small
  /// and large labelled sets get the same optimisation budget.
  public var trainingSteps: Int
  public var trainingBatchSize: Int
  public var learningRate: Float
  /// Per-class loss weights from the labelled set's class counts (braai's recipe).
  public var classWeights: Bool
  /// Continue from the previous round's weights instead of re-initialising them (Gal 2017 and baal re-initialise).
  public var warmStart: Bool
  /// Random flips while training (never while scoring the pool).
  public var flips: Bool
  /// Monte-Carlo dropout passes of the BALD family.
  public var monteCarloPasses: Int
  /// Models trained per round for ensemble disagreement.
  public var ensembleMembers: Int
  /// Epochs of the full-pool reference's training (at least `trainingSteps` steps), so that the target the
  /// savings are measured against is a well-trained model, not one held to a round's budget.
  public var referenceEpochs: Int

  public init(strategies: [String], seeds: Int = 10, masterSeed: UInt64 = 2026, poolSize: Int, testSize: Int, initialLabels: Int = 20,
              batchSize: Int = 20, rounds: Int = 10, trainingSteps: Int = 300, trainingBatchSize: Int = 32,
              learningRate: Float = 1e-3, classWeights: Bool = true, warmStart: Bool = false, flips: Bool = false,
              monteCarloPasses: Int = 20, ensembleMembers: Int = 3, referenceEpochs: Int = 20) {
    self.strategies = strategies
    self.seeds = seeds
    self.masterSeed = masterSeed
    self.poolSize = poolSize
    self.testSize = testSize
    self.initialLabels = initialLabels
    self.batchSize = batchSize
    self.rounds = rounds
    self.trainingSteps = trainingSteps
    self.trainingBatchSize = trainingBatchSize
    self.learningRate = learningRate
    self.classWeights = classWeights
    self.warmStart = warmStart
    self.flips = flips
    self.monteCarloPasses = monteCarloPasses
    self.ensembleMembers = ensembleMembers
    self.referenceEpochs = referenceEpochs
  }

  private enum CodingKeys: String, CodingKey {
    case strategies, seeds, masterSeed = "master_seed", poolSize = "pool", testSize = "test", initialLabels = "initial"
    case batchSize = "batch", rounds, trainingSteps = "training_steps", trainingBatchSize = "training_batch_size"
    case learningRate = "learning_rate", classWeights = "class_weights", warmStart = "warm_start", flips
    case monteCarloPasses = "monte_carlo_passes", ensembleMembers = "ensemble_members", referenceEpochs = "reference_epochs"
  }
}

/// Runs every strategy on every seed against a random baseline and a full-pool reference, and reports learning
/// curves and label savings with paired confidence intervals.
///
/// Per seed: a random split of the data into pool and test (the test set is never queried); the same random
/// initial labelled set (both classes) for every strategy; per round, a model trained on the labels so far
/// (re-initialised from the same seed in every strategy unless `warmStart`), scored on the test set (ROC AUC,
/// FNR at 1% FPR, FPR at 1% FNR, accuracy at 0.5), then `batchSize` new labels from the oracle chosen by the
/// strategy. The full-pool reference is the same training on every pool label.
public struct ActiveLearningSimulation {
  public let settings: SimulationSettings
  public let data: SimulationData
  /// A freshly initialised model for a seed.
  public let makeModel: (UInt64) throws -> Model

  public init(settings: SimulationSettings, data: SimulationData, makeModel: @escaping (UInt64) throws -> Model) throws {
    guard settings.seeds >= 1, settings.rounds >= 1, settings.batchSize >= 1, settings.initialLabels >= 2, settings.poolSize >= 1,
      settings.testSize >= 2, settings.trainingSteps >= 1, settings.trainingBatchSize >= 1
    else {
      throw ActiveLearningError.strategy("seeds, rounds, batch, pool, steps and training batch must be at least 1, initial labels and test at least 2")
    }
    guard settings.poolSize + settings.testSize <= data.count else {
      throw ActiveLearningError.pool("pool \(settings.poolSize) + test \(settings.testSize) exceed the \(data.count) samples")
    }
    guard settings.initialLabels + settings.rounds * settings.batchSize <= settings.poolSize else {
      throw ActiveLearningError.pool("initial + rounds × batch labels exceed the pool of \(settings.poolSize)")
    }
    for name in settings.strategies where AcquisitionStrategy(parsing: name) == nil {
      throw ActiveLearningError.strategy("unknown strategy '\(name)' (known: \(AcquisitionStrategy.names.joined(separator: ", ")))")
    }
    guard settings.strategies.contains("random") else {
      throw ActiveLearningError.strategy("the strategies must include 'random': savings are measured against it")
    }
    self.settings = settings
    self.data = data
    self.makeModel = makeModel
  }

  /// Runs the whole protocol; `log` receives one line per finished (seed, strategy).
  public func run(log: (String) -> Void = { _ in }) throws -> SimulationReport {
    var seeds = [SeedResult]()
    for s in 0..<settings.seeds {
      let seed = SplitMix64.mix(settings.masterSeed &+ UInt64(s))
      seeds.append(try runSeed(seed, index: s, log: log))
    }
    return SimulationReport(settings: settings, data: data.description, seeds: seeds)
  }

  struct Split {
    let pool: [Int], test: [Int], initial: [Int]
  }

  func split(_ seed: UInt64) -> Split {
    var generator = SeededGenerator(seed: seed)
    var order = Array(0..<data.count)
    order.shuffle(using: &generator)
    let test = Array(order.prefix(settings.testSize))
    let pool = Array(order[settings.testSize..<(settings.testSize + settings.poolSize)])
    // The initial set: random pool positions, redrawn until it holds both classes (a one-class set trains nothing).
    var initial = [Int]()
    for _ in 0..<100 {
      var positions = Array(0..<pool.count)
      positions.shuffle(using: &generator)
      initial = Array(positions.prefix(settings.initialLabels)).sorted()
      if Set(initial.map { oracle(pool[$0]) }).count == 2 { break }
    }
    return Split(pool: pool, test: test, initial: initial)
  }

  func oracle(_ sample: Int) -> Int { data.oracleLabels?[sample] ?? data.labels[sample] }

  private func runSeed(_ seed: UInt64, index: Int, log: (String) -> Void) throws -> SeedResult {
    let split = split(seed)
    let poolInputs = try data.inputs.map { try $0.gathering(split.pool) }
    let testInputs = try data.inputs.map { try $0.gathering(split.test) }
    let testLabels = split.test.map { data.labels[$0] }
    let pool = try TensorPool(poolInputs)
    let start = DispatchTime.now().uptimeNanoseconds
    let reference = try train(Array(0..<split.pool.count), split: split, inputs: poolInputs, seed: seed, previous: nil,
                              minimumEpochs: settings.referenceEpochs)
    let fullPool = try RoundResult.evaluate(reference, inputs: testInputs, truth: testLabels, labelCount: split.pool.count,
                                            trainingSeconds: Self.seconds(since: start), selectionSeconds: 0)
    log("seed \(index + 1)/\(settings.seeds): full-pool AUC \(String(format: "%.4f", fullPool.auc))")
    var curves = [String: [RoundResult]]()
    for name in settings.strategies {
      let strategy = AcquisitionStrategy(parsing: name, passes: settings.monteCarloPasses)!
      var labeled = split.initial
      var rounds = [RoundResult]()
      var model: Model?
      for round in 0...settings.rounds {
        let trainStart = DispatchTime.now().uptimeNanoseconds
        let roundSeed = SplitMix64.mix(seed ^ UInt64(round + 1) << 40)
        model = try train(labeled, split: split, inputs: poolInputs, seed: roundSeed, previous: settings.warmStart ? model : nil)
        var members = [model!]
        if strategy == .ensemble {
          for m in 1..<max(2, settings.ensembleMembers) {
            members.append(try train(labeled, split: split, inputs: poolInputs, seed: SplitMix64.mix(roundSeed &+ UInt64(m)), previous: nil))
          }
        }
        let trainingSeconds = Self.seconds(since: trainStart)
        var selectionSeconds = 0.0
        let result = try RoundResult.evaluate(model!, inputs: testInputs, truth: testLabels, labelCount: labeled.count,
                                              trainingSeconds: trainingSeconds, selectionSeconds: 0)
        if round < settings.rounds {
          let labeledSet = Set(labeled)
          let unlabeled = (0..<split.pool.count).filter { !labeledSet.contains($0) }
          let selection = try ActiveLearner(strategy: strategy)
            .select(settings.batchSize, models: members, pool: pool, unlabeled: unlabeled, labeled: labeled, seed: roundSeed)
          selectionSeconds = selection.scoringSeconds + selection.selectionSeconds
          labeled += selection.indices
        }
        rounds.append(result.with(selectionSeconds: selectionSeconds))
      }
      curves[name] = rounds
      log("seed \(index + 1)/\(settings.seeds) \(name): AUC " + rounds.map { String(format: "%.3f", $0.auc) }.joined(separator: " "))
    }
    return SeedResult(seed: seed, fullPool: fullPool, curves: curves)
  }

  /// Trains a model on pool positions `labeled` with the oracle's labels.
  func train(_ labeled: [Int], split: Split, inputs: [Tensor], seed: UInt64, previous: Model?, minimumEpochs: Int = 1) throws -> Model {
    let model = try previous ?? makeModel(seed)
    let labels = labeled.map { Float(oracle(split.pool[$0])) }
    let dataset = try Dataset(inputs: try inputs.map { try $0.gathering(labeled) }, targets: [try Tensor(shape: [labels.count], values: labels)])
    var configuration = TrainingConfiguration()
    let batchesPerEpoch = (labeled.count + settings.trainingBatchSize - 1) / settings.trainingBatchSize
    configuration.epochs = max(minimumEpochs, (settings.trainingSteps + batchesPerEpoch - 1) / batchesPerEpoch)
    configuration.batchSize = settings.trainingBatchSize
    configuration.seed = seed
    configuration.flips = settings.flips
    configuration.metrics = []
    configuration.progress = .silent
    if settings.classWeights {
      let positives = labels.reduce(0, +), n = Float(labels.count)
      if positives > 0, positives < n { configuration.classWeights = [n / (2 * (n - positives)), n / (2 * positives)] }
    }
    try Trainer(model: model, optimizer: Adam(learningRate: settings.learningRate), configuration: configuration).fit(dataset)
    return model
  }

  static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

/// One model's scores on the test set after a round.
public struct RoundResult: Codable, Sendable {
  public let labels: Int
  public let auc: Double
  /// FNR at the threshold where FPR ≤ 1%, and FPR where FNR ≤ 1% (braai's operating points).
  public let fnrAt1PercentFPR: Double
  public let fprAt1PercentFNR: Double
  public let accuracy: Double
  public let trainingSeconds: Double
  public let selectionSeconds: Double

  static func evaluate(_ model: Model, inputs: [Tensor], truth: [Int], labelCount count: Int, trainingSeconds: Double,
                       selectionSeconds: Double) throws -> RoundResult {
    let scores = try model.predict(inputs)[0].values
    let roc = try ROCCurve(try BinaryPredictions(scores: scores, labels: truth))
    let correct = zip(scores, truth).filter { ($0 >= 0.5 ? 1 : 0) == $1 }.count
    return RoundResult(labels: count, auc: roc.auc, fnrAt1PercentFPR: try roc.threshold(forTargetFPR: 0.01).falseNegativeRate,
                       fprAt1PercentFNR: try roc.threshold(forTargetFNR: 0.01).falsePositiveRate,
                       accuracy: Double(correct) / Double(max(1, truth.count)), trainingSeconds: trainingSeconds,
                       selectionSeconds: selectionSeconds)
  }

  func with(selectionSeconds: Double) -> RoundResult {
    RoundResult(labels: labels, auc: auc, fnrAt1PercentFPR: fnrAt1PercentFPR, fprAt1PercentFNR: fprAt1PercentFNR, accuracy: accuracy,
                trainingSeconds: trainingSeconds, selectionSeconds: selectionSeconds)
  }

  private enum CodingKeys: String, CodingKey {
    case labels, auc, fnrAt1PercentFPR = "fnr_at_1pct_fpr", fprAt1PercentFNR = "fpr_at_1pct_fnr", accuracy
    case trainingSeconds = "training_seconds", selectionSeconds = "selection_seconds"
  }
}

/// One seed's curves.
public struct SeedResult: Codable, Sendable {
  public let seed: UInt64
  public let fullPool: RoundResult
  public let curves: [String: [RoundResult]]

  private enum CodingKeys: String, CodingKey { case seed, fullPool = "full_pool", curves }
}

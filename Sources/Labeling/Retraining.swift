import ActiveLearning
import AstroNN
import AstroTensor
import Dispatch
import Foundation

/// Closes the loop: trains (or fine-tunes) a model on a project's consensus labels, scores every item, and makes
/// the new model version order the queue by an acquisition strategy.
public struct Retraining {
  /// The class whose items are the positives (label 1) of a binary model.
  public var positiveClass: String
  public var epochs = 10
  public var batchSize = 64
  public var learningRate: Float = 3e-4
  /// braai's recipe: random flips and class weights from the label counts.
  public var flips = true
  public var classWeights = true
  public var seed: UInt64 = 42
  /// What orders the queue afterwards.
  public var strategy: AcquisitionStrategy = .uncertainty(.entropy)
  public var consensus: ConsensusMethod = .majority

  public init(positiveClass: String) { self.positiveClass = positiveClass }

  /// What a retraining did.
  public struct Result: Sendable {
    public let modelVersion: String
    public let trainingLabels: Int
    public let positives: Int
    public let scoredItems: Int
    public let finalLoss: Double
    public let seconds: Double
  }

  /// Trains `model` in place on the consensus labels, then scores the project under `modelVersion`: each item
  /// gets the model's probability of `positiveClass`; items without a consensus are ranked by the strategy (the
  /// queue follows that order), labelled ones go last.
  public func run(store: LabelStore, projectID: Int64, model: Model, modelVersion: String) throws -> Result {
    let start = DispatchTime.now().uptimeNanoseconds
    let project = try store.project(id: projectID)
    guard project.classes.contains(positiveClass) else {
      throw LabelStoreError.invalid("'\(positiveClass)' is not a class of project '\(project.name)'")
    }
    guard model.inputShapes.count == 1, model.outputShape == [1] else {
      throw LabelStoreError.invalid("retraining needs a model with one input and one sigmoid output, '\(model.name)' has \(model.inputShapes) → \(model.outputShapes)")
    }
    let labels = try store.consensus(projectID: projectID, method: consensus)
    let targets = labels.map { Float($0.labels.contains(positiveClass) ? 1 : 0) }
    let positives = Int(targets.reduce(0, +))
    guard positives > 0, positives < labels.count else {
      throw LabelStoreError.invalid("project '\(project.name)' needs consensus labels of both classes to train (\(positives) of \(labels.count) are '\(positiveClass)')")
    }
    let items = try store.items(projectID: projectID).filter { $0.gold == nil }
    let values = try Dictionary(uniqueKeysWithValues: items.map { item in (item.id, try tensorValues(store, item, model)) })
    let trainingInputs = try Tensor(shape: [labels.count] + model.inputShape, values: labels.flatMap { values[$0.itemID]! })
    var configuration = TrainingConfiguration()
    configuration.epochs = epochs
    configuration.batchSize = batchSize
    configuration.flips = flips
    configuration.seed = seed
    configuration.progress = .silent
    let training = try LabelledImages(images: trainingInputs, labels: try Tensor(shape: [targets.count], values: targets))
    if classWeights { configuration.classWeights = try training.balancedClassWeights() }
    let history = try Trainer(model: model, optimizer: Adam(learningRate: learningRate), configuration: configuration).fit(training)

    let pool = try TensorPool([try Tensor(shape: [items.count] + model.inputShape, values: items.flatMap { values[$0.id]! })])
    let scores = try PoolScorer(models: [model]).score(pool)
    // Every item still open (fewer labels than the project asks for, so half-labelled items too) is ranked; items
    // with a label count as labelled for the diversity strategies.
    let current = try store.currentLabels(projectID: projectID)
    let open = items.indices.filter { (current[items[$0].id]?.count ?? 0) < project.labelsPerItem }
    let labelled = items.indices.filter { current[items[$0].id] != nil }
    let openSet = Set(open)
    var order = try ActiveLearner(strategy: strategy).select(open.count, models: [model], pool: pool, unlabeled: open,
                                                             labeled: labelled.filter { !openSet.contains($0) }, seed: seed).indices
    // Items an embedding strategy left out (beyond its candidate limit) follow, most uncertain first.
    let picked = Set(order)
    let uncertainty = UncertaintyMeasure.entropy.scores(scores.probabilities, classes: scores.classes)
    order += open.filter { !picked.contains($0) }.sorted { uncertainty[$0] > uncertainty[$1] }
    // The strategy's order becomes the acquisition value (first pick highest); retired items get -1.
    var acquisition = [Int: Double]()
    for (rank, index) in order.enumerated() { acquisition[index] = Double(order.count - rank) }
    var stored = [Int64: (score: Double, acquisition: Double)]()
    for (i, item) in items.enumerated() { stored[item.id] = (Double(scores.probabilities[2 * i + 1]), acquisition[i] ?? -1) }
    try store.setScores(projectID: projectID, modelVersion: modelVersion, strategy: strategy.description, scores: stored)
    return Result(modelVersion: modelVersion, trainingLabels: labels.count, positives: positives, scoredItems: items.count,
                  finalLoss: history.epochs.last?.loss ?? .nan, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }

  private func tensorValues(_ store: LabelStore, _ item: LabelItem, _ model: Model) throws -> [Float] {
    guard [item.height, item.width, item.channels] == model.inputShape else {
      throw LabelStoreError.invalid("item '\(item.externalID)' is \(item.height)x\(item.width)x\(item.channels); '\(model.name)' takes \(model.inputShape)")
    }
    return try store.triplet(itemID: item.id).values
  }
}

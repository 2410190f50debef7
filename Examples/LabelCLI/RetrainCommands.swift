import ActiveLearning
import ArgumentParser
import AstroEval
import AstroNN
import AstroTensor
import Foundation
import Labeling
import SyntheticData

struct Retrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train on the consensus labels, rescore every item and reorder the queue under a new model version.",
    discussion: "Starts from --weights (a Keras file: a full model, or weights for VGG6) or, without it, from a new VGG6.")
  @Option(help: "The store.") var db: String
  @Option(help: "Project name.") var project: String
  @Option(help: "The class that is the model's positive (sigmoid 1).") var positive: String
  @Option(help: "Keras weights to fine-tune (a full .h5 model, or VGG6 weights such as braai's d6_m7.h5).") var weights: String?
  @Option(help: "Epochs.") var epochs = 10
  @Option(help: "Acquisition strategy ordering the queue: \(AcquisitionStrategy.names.joined(separator: ", ")).") var strategy = "uncertainty"
  @Option(help: "The new model version (default: retrain-<labels>-<UTC time>).") var version: String?
  @Option(help: "Write the trained model here (.h5).") var out: String?

  func run() throws {
    guard let acquisition = AcquisitionStrategy(parsing: strategy), acquisition != .ensemble else {
      throw ValidationError("--strategy must be one of \(AcquisitionStrategy.names.filter { $0 != "ensemble" }.joined(separator: ", "))")
    }
    let store = try LabelStore(path: db)
    let target = try store.project(named: project)
    guard let first = try store.items(projectID: target.id).first else { throw ValidationError("project '\(project)' has no items") }
    let model = try loadModel(inputShape: [first.height, first.width, first.channels])
    var retraining = Retraining(positiveClass: positive)
    retraining.epochs = epochs
    retraining.strategy = acquisition
    let labels = try store.consensus(projectID: target.id).count
    let stamp = ISO8601DateFormatter().string(from: Date())
    let result = try retraining.run(store: store, projectID: target.id, model: model, modelVersion: version ?? "retrain-\(labels)-\(stamp)")
    if let out { try model.saveKeras(to: out) }
    print(String(format: "%@: trained on %d labels (%d %@), final loss %.4f; %d items rescored, queue ordered by %@ (%.1f s)",
                 result.modelVersion, result.trainingLabels, result.positives, positive, result.finalLoss, result.scoredItems,
                 acquisition.description, result.seconds))
  }

  func loadModel(inputShape: [Int]) throws -> Model {
    guard let weights else { return try VGG6.make(inputShape: inputShape, seed: 7) }
    if let full = try? Model.loadKeras(from: weights) { return full }
    let model = try VGG6.make(inputShape: inputShape)
    try model.loadKerasWeights(from: weights)
    return model
  }
}

struct Demo: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a simulated labeller through rounds of label → retrain → reorder on generated triplets.",
    discussion: "Creates OUT/labels.sqlite with a real/bogus project of generated triplets; a simulated labeller answers from the generator's truth; each round retrains VGG6 on the consensus and reorders the queue by uncertainty. Prints the held-out AUC per round.")
  @Option(help: "Folder for the demo store (created; must not hold one).") var out: String
  @Option(help: "Items in the project.") var pool = 400
  @Option(help: "Held-out triplets scored after each round (never labelled).") var test = 400
  @Option(help: "Labels per round.") var batch = 20
  @Option(help: "Rounds.") var rounds = 3
  @Option(help: "Epochs per retraining.") var epochs = 15

  func run() throws {
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let store = try LabelStore.create(path: URL(fileURLWithPath: out).appendingPathComponent("labels.sqlite").path)
    let project = try store.createProject(name: "demo-real-bogus", classes: ["bogus", "real"])
    let (oracle, _) = try store.addLabeller(name: "simulated", role: .labeller)
    let generated = try ZTFTripletGenerator().generate(count: pool + test, seed: 2026)
    let per = 63 * 63 * 3
    let truth = Dictionary(uniqueKeysWithValues: (0..<pool).map { (String(generated.candids[$0]), generated.labels[$0] >= 0.5 ? "real" : "bogus") })
    try store.importItems(projectID: project.id, dataset: "generated", items: (0..<pool).map { i in
      NewLabelItem(externalID: String(generated.candids[i]), candid: generated.candids[i], height: 63, width: 63, channels: 3,
                   triplet: Array(generated.triplets[(i * per)..<((i + 1) * per)]))
    })
    let testInputs = try Tensor(shape: [test, 63, 63, 3], values: Array(generated.triplets[(pool * per)...]))
    let testLabels = (pool..<(pool + test)).map { generated.labels[$0] >= 0.5 ? 1 : 0 }
    var retraining = Retraining(positiveClass: "real")
    retraining.epochs = epochs
    for round in 0...rounds {
      // The labeller works through the queue: random order before the first model, the model's order after.
      let order: QueueOrder = round == 0 ? .random : .acquisition
      let queue = try store.queue(projectID: project.id, labeller: oracle, count: round == 0 ? 2 * batch : batch, order: order).entries
      for entry in queue { try store.record(itemID: entry.id, labeller: oracle, labels: [truth[entry.externalID]!], seconds: 2) }
      let model = try VGG6.make(seed: UInt64(round + 1))
      let result = try retraining.run(store: store, projectID: project.id, model: model, modelVersion: "demo-round-\(round)")
      let auc = try ROCCurve(try BinaryPredictions(scores: try model.predict(testInputs).values, labels: testLabels)).auc
      print(String(format: "round %d: %d labels (%d real), held-out AUC %.3f, queue reordered by %@ under %@", round, result.trainingLabels,
                   result.positives, auc, retraining.strategy.description, result.modelVersion))
    }
  }
}

import ArgumentParser
import AstroMPI
import AstroNN
import Braai
import Foundation

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train braai (braai.py's recipe and defaults): weights, checkpoint, JSON report and plots.")

  @OptionGroup var data: DataOptions
  @Option(help: "vgg6, resnet18, resnet50 or densenet121.") var model = "vgg6"
  @Option var epochs = 300
  @Option var batch = 32
  @Option(help: "adam (lr 3e-4) or sgd (lr 0.01, Nesterov momentum 0.9, decay 1e-6).") var optimizer = "adam"
  @Option(help: "Learning rate (overrides the optimizer's default).") var lr: Float?
  @Option(help: "Early stopping patience on val_loss, in epochs.") var patience = 200
  @Option var testSplit = 0.1
  @Option var validationSplit = 0.1
  @Flag(help: "Do not weight the loss by inverse class frequency.") var noClassWeight = false
  @Flag(help: "Do not flip training triplets.") var noFlips = false
  @Option(help: "Random state of the splits, initialisation and shuffling.") var seed: UInt32 = 42
  @Flag(help: "Continue from the checkpoint in --out.") var resume = false
  @Option(help: "Keras .h5 weights to start from (fine-tuning), e.g. Datasets/braai/d6_m7.h5.") var initWeights: String?
  @Flag(help: "With --init-weights: keep the convolutional layers fixed and train the dense head only.") var freezeConv = false
  @Flag(help: "Replace the training run already in --out (its checkpoint and weights).") var overwrite = false
  @Option(help: "Output folder for weights, checkpoint, reports and plots.") var out = "braai-run"
  @Flag(help: "Train as one rank of an MPI job (mpirun -np N braai train --distributed ...); --batch stays the global batch.")
  var distributed = false
  @Flag(help: "With --distributed: batch normalisation on the statistics of the whole global batch (synchronised over the ranks).")
  var syncBatchNorm = false
  @Option(help: "Sum each step's gradient over micro-batches of this many samples in double precision: runs on any number of ranks then give the same weights to float rounding.")
  var microBatch: Int?

  func validate() throws {
    if resume && overwrite { throw ValidationError("give --resume or --overwrite, not both") }
    if syncBatchNorm && !distributed { throw ValidationError("--sync-batch-norm needs --distributed") }
  }

  /// The weights files of earlier runs in `out` (`braai_*.h5`).
  func earlierWeights() throws -> [String] {
    guard FileManager.default.fileExists(atPath: out) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: out)
      .filter { $0.hasPrefix("braai_") && $0.hasSuffix(".h5") }.sorted()
      .map { (out as NSString).appendingPathComponent($0) }
  }

  func run() throws {
    guard distributed else { return try train() }
    try MPICommunicator.runAsRank("braai train") { try train(communicator: $0) }
  }

  /// Trains as one rank of `communicator` (alone without one). Rank 0 alone checks and writes `--out` and prints.
  func train(communicator: MPICommunicator? = nil) throws {
    let isRoot = (communicator?.rank ?? 0) == 0
    func say(_ line: String) { if isRoot { print(line) } }
    var o = BraaiTrainingOptions()
    o.communicator = communicator
    o.synchronizedBatchNormalization = syncBatchNorm
    o.microBatchSize = microBatch
    o.model = model; o.epochs = epochs; o.batchSize = batch; o.optimizer = optimizer; o.learningRate = lr
    o.patience = patience; o.testSplit = testSplit; o.validationSplit = validationSplit
    o.classWeight = !noClassWeight; o.flips = !noFlips; o.seed = seed; o.resume = resume
    o.initialWeights = initWeights; o.freezeConvolutions = freezeConv
    o.checkpointPath = (out as NSString).appendingPathComponent("checkpoint.h5")
    // One run per folder: a second run would overwrite the checkpoint and leave two weights files (so that
    // `--weights out/braai_*.h5` matches both). Continue it, replace it, or use another folder.
    let earlier = try earlierWeights()
    let hasCheckpoint = FileManager.default.fileExists(atPath: o.checkpointPath!)
    if isRoot && !resume && !overwrite && (hasCheckpoint || !earlier.isEmpty) {
      let found = ((hasCheckpoint ? ["checkpoint.h5"] : []) + earlier.map { ($0 as NSString).lastPathComponent })
      throw ValidationError(
        "\(out) already holds a training run (\(found.joined(separator: ", "))): --resume continues it, --overwrite "
          + "replaces it, or choose another --out")
    }
    if isRoot && overwrite && hasCheckpoint { try FileManager.default.removeItem(atPath: o.checkpointPath!) }
    if isRoot { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
    let dataset = try data.source.load()
    say("Loaded \(dataset.count) samples \(dataset.sampleShape) (classes \(dataset.classCounts))")
    if let communicator { say("Data-parallel over \(communicator.size) ranks: \(batch / communicator.size)-\((batch + communicator.size - 1) / communicator.size) samples of every batch of \(batch) each") }
    let runStamp = Self.stamp()
    let result = try BraaiTrainingRun.run(dataset, options: o)
    guard isRoot else { return }
    let name = "braai_\(data.stampName)_\(result.model.name)_\(runStamp)"
    let weights = (out as NSString).appendingPathComponent("\(name).h5")
    try result.model.saveKerasWeights(to: weights)
    // The new weights replace the earlier run's (a resumed or replaced run), so out/braai_*.h5 stays one file.
    for file in earlier where file != weights { try FileManager.default.removeItem(atPath: file) }
    try BraaiReport(run: result, datasetStamp: data.stampName, runStamp: runStamp, modelName: name)
      .write(to: (out as NSString).appendingPathComponent("braai_report.json"))
    let evaluation = try result.testEvaluation()
    try evaluation.write(to: out)
    let m = evaluation.mainConfusionMatrix
    print(String(
      format: "Test: loss %.4f  accuracy %.4f  FNR %.4f  FPR %.4f  AUC %.4f", result.testLoss, result.testAccuracy,
      m.falseNegativeRate ?? .nan, m.falsePositiveRate ?? .nan, evaluation.auc ?? .nan))
    print("Weights \(weights); reports and plots in \(out)")
  }

  static func stamp() -> String {
    let f = DateFormatter()
    f.dateFormat = "yyyyMMdd_HHmmss"
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: Date())
  }
}

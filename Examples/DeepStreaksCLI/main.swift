// deepstreaks: DeepStreaks' rb/sl/kd classifiers for streaks of fast-moving objects (144x144x1).
//   deepstreaks train --family rb --model vgg6 --data DIR --stamp S --out MODELS
//   deepstreaks evaluate --family rb --model vgg6 --models MODELS --data DIR --stamp S --out REPORT
//   deepstreaks classify --models MODELS --data DIR --stamp S          (CSV: scores per member + the rule)
//   deepstreaks report --models MODELS --data DIR --stamp S --out REPORT  (per family and the joint rule)
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import AstroEval
import AstroIO
import AstroMPI
import AstroNN
import AstroTensor
import DeepStreaks
import Foundation

extension StreakFamily: ExpressibleByArgument {}
extension StreakModelKind: ExpressibleByArgument {}

struct DeepStreaksCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "deepstreaks", abstract: "DeepStreaks: rb/sl/kd ensembles of VGG6, ResNet50 and DenseNet121 on 144x144x1 streaks.",
    subcommands: [Train.self, Evaluate.self, Classify.self, Report.self])
}

struct DataLocation: ParsableArguments {
  @Option(help: "Folder with streaks.<stamp>.npy and labels_{rb,sl,kd}.<stamp>.npy.") var data: String
  @Option(help: "Dataset stamp.") var stamp: String
}

/// `--isolate-h5`, for weights from outside: libhdf5 (C) reads each .h5 first in a child process (`astro-h5check`), so a
/// malformed file that crashes it gives an error instead of ending this process.
struct IsolationOption: ParsableArguments {
  @Flag(help: "Read .h5 weights in a child process (astro-h5check) first: one that crashes libhdf5 gives an error instead.")
  var isolateH5 = false

  func check(_ paths: String?...) throws {
    if isolateH5 { try HDF5Isolation.checkFiles(paths.compactMap { $0 }) }
  }
}

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Train one member; writes <family>_<model>.h5 and a report.")
  @Option var family: StreakFamily
  @Option var model: StreakModelKind
  @OptionGroup var location: DataLocation
  @Option var epochs = 20
  @Option var batch = 32
  @Option var lr: Float = 3e-4
  @Option var patience = 5
  @Option var seed: UInt32 = 42
  @Flag(help: "Continue from the checkpoint in --out.") var resume = false
  @Option(help: "Keras .h5 weights to start from (fine-tuning).") var initWeights: String?
  @Flag(help: "With --init-weights: keep the convolutional layers fixed and train the dense head only.") var freezeConv = false
  @Option(help: "Folder for the member weights, checkpoint and report.") var out = "deepstreaks-models"
  @OptionGroup var isolation: IsolationOption
  @Flag(help: "Train as one rank of an MPI job (mpirun -np N deepstreaks train --distributed ...); --batch stays the global batch.")
  var distributed = false
  @Flag(help: "With --distributed: batch normalisation on the statistics of the whole global batch (synchronised over the ranks).")
  var syncBatchNorm = false
  @Option(help: "Sum each step's gradient over micro-batches of this many samples in double precision: runs on any number of ranks then give the same weights to float rounding.")
  var microBatch: Int?

  func validate() throws {
    if syncBatchNorm && !distributed { throw ValidationError("--sync-batch-norm needs --distributed") }
  }

  func run() throws {
    try isolation.check(initWeights)
    guard distributed else { return try train() }
    try MPICommunicator.runAsRank("deepstreaks train") { try train(communicator: $0) }
  }

  /// Trains as one rank of `communicator` (alone without one). Rank 0 alone writes `--out` and prints.
  func train(communicator: MPICommunicator? = nil) throws {
    let rank = communicator?.rank ?? 0
    let set = try StreakData.labelled(folder: location.data, stamp: location.stamp, family: family)
    if rank == 0 {
      print("\(family.rawValue) (\(family.positiveMeaning)): \(set.count) samples, classes \(set.classCounts)")
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    }
    var o = StreakTrainingOptions(family: family, model: model)
    o.communicator = communicator
    o.synchronizedBatchNormalization = syncBatchNorm
    o.microBatchSize = microBatch
    o.epochs = epochs; o.batchSize = batch; o.learningRate = lr; o.patience = patience; o.seed = seed; o.resume = resume
    o.initialWeights = initWeights; o.freezeConvolutions = freezeConv
    o.checkpointPath = (out as NSString).appendingPathComponent("checkpoint_\(family.rawValue)_\(model.rawValue).h5")
    let result = try StreakTrainingRun.run(set, options: o)
    guard rank == 0 else { return }
    try result.model.saveKerasWeights(to: (out as NSString).appendingPathComponent(model.fileName(family)))
    let report = try result.report()
    try report.write(to: (out as NSString).appendingPathComponent("report_\(family.rawValue)_\(model.rawValue)"))
    let m = report.mainConfusionMatrix
    print(String(format: "test FNR %.4f  FPR %.4f  AUC %.4f", m.falseNegativeRate ?? .nan, m.falsePositiveRate ?? .nan, report.auc ?? .nan))
  }
}

struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Evaluate one member on a labelled set.")
  @Option var family: StreakFamily
  @Option var model: StreakModelKind
  @Option(help: "Folder of <family>_<model>.h5 files.") var models: String
  @OptionGroup var location: DataLocation
  @Option var out = "deepstreaks-evaluation"
  @OptionGroup var isolation: IsolationOption

  func run() throws {
    try isolation.check((models as NSString).appendingPathComponent(model.fileName(family)))
    let set = try StreakData.labelled(folder: location.data, stamp: location.stamp, family: family)
    let network = try model.make()
    try network.loadKerasWeights(from: (models as NSString).appendingPathComponent(model.fileName(family)))
    let report = try EvaluationReport(
      title: "DeepStreaks \(family.rawValue) \(model.rawValue)",
      predictions: BinaryPredictions(scores: network.predict(set.images).values, labels: set.labels.values, ids: set.ids))
    try report.write(to: out)
    print(report.markdown)
  }
}

struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Score cutouts with every member; CSV with the ensemble rule.")
  @Option(help: "Folder of <family>_<model>.h5 files (each family needs one or more).") var models: String
  @OptionGroup var location: DataLocation
  @Option(help: "Score threshold of every member.") var threshold: Float = 0.5
  @OptionGroup var isolation: IsolationOption

  func run() throws {
    try isolation.check(models)
    let ensemble = try DeepStreaksEnsemble(folder: models, threshold: threshold)
    let (images, ids) = try StreakData.images(folder: location.data, stamp: location.stamp)
    let scored = try ensemble.scores(images)
    let decision = DeepStreaksEnsemble.decide(scored)
    print((["id"] + scored.map { "\($0.member.family.rawValue)_\($0.member.kind.rawValue)" } + ["candidate"]).joined(separator: ","))
    for i in ids.indices {
      print(([String(ids[i])] + scored.map { String(format: "%.6f", $0.scores[i]) } + [decision.candidate[i] ? "1" : "0"]).joined(separator: ","))
    }
  }
}

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Reports per family and for the joint rule on a labelled set.")
  @Option var models: String
  @OptionGroup var location: DataLocation
  @Option var threshold: Float = 0.5
  @Option var out = "deepstreaks-report"
  @OptionGroup var isolation: IsolationOption

  func run() throws {
    try isolation.check(models)
    let ensemble = try DeepStreaksEnsemble(folder: models, threshold: threshold)
    let (images, ids) = try StreakData.images(folder: location.data, stamp: location.stamp)
    let scored = try ensemble.scores(images)
    let decision = DeepStreaksEnsemble.decide(scored)
    for family in StreakFamily.allCases {
      let set = try StreakData.labelled(folder: location.data, stamp: location.stamp, family: family)
      let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
      let passes = set.ids.map { decision.families[family]![index[$0]!] ? Float(1) : 0 }
      let report = try EvaluationReport(
        title: "DeepStreaks \(family.rawValue): any member >= \(threshold)",
        predictions: BinaryPredictions(scores: passes, labels: set.labels.values, ids: set.ids))
      try report.write(to: (out as NSString).appendingPathComponent(family.rawValue))
      print("\(family.rawValue): \(report.mainConfusionMatrix.counts)")
    }
    let joint = try StreakData.jointLabels(folder: location.data, stamp: location.stamp)
    let report = try EvaluationReport(
      title: "DeepStreaks joint rule (every family passes)",
      predictions: BinaryPredictions(scores: decision.candidate.map { $0 ? 1 : 0 }, labels: joint, ids: ids),
      classNames: ["not a candidate", "candidate"])
    try report.write(to: (out as NSString).appendingPathComponent("joint"))
    print(report.markdown)
  }
}

// Line-buffered stdout so that progress reaches a pipe or log as it happens. C's `stdout` is a global the
// Swift 6 checker cannot prove safe (hence the @preconcurrency import); this runs once, before any output.
setvbuf(stdout, nil, _IOLBF, 0)
DeepStreaksCommand.main()

import ArgumentParser
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
  @Option(help: "Output folder for weights, checkpoint, reports and plots.") var out = "braai-run"

  func run() throws {
    var o = BraaiTrainingOptions()
    o.model = model; o.epochs = epochs; o.batchSize = batch; o.optimizer = optimizer; o.learningRate = lr
    o.patience = patience; o.testSplit = testSplit; o.validationSplit = validationSplit
    o.classWeight = !noClassWeight; o.flips = !noFlips; o.seed = seed; o.resume = resume
    o.initialWeights = initWeights; o.freezeConvolutions = freezeConv
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    o.checkpointPath = (out as NSString).appendingPathComponent("checkpoint.h5")
    let dataset = try data.source.load()
    print("Loaded \(dataset.count) samples \(dataset.sampleShape) (classes \(dataset.classCounts))")
    let runStamp = Self.stamp()
    let result = try BraaiTrainingRun.run(dataset, options: o)
    let name = "braai_\(data.stampName)_\(result.model.name)_\(runStamp)"
    let weights = (out as NSString).appendingPathComponent("\(name).h5")
    try result.model.saveKerasWeights(to: weights)
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

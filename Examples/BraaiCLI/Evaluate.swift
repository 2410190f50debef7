import ArgumentParser
import AstroEval
import AstroIO
import AstroNN
import Braai
import Foundation

struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Evaluate braai weights on labelled triplets: FNR/FPR, ROC/AUC, thresholds; JSON, Markdown, plots.")

  @OptionGroup var data: DataOptions
  @Option(help: "Keras .h5 weights (default: the bundled d6_m7).") var weights: String?
  @Flag(help: "Read --weights in a child process (astro-h5check) first: a malformed file that crashes libhdf5 gives an error instead.")
  var isolateH5 = false
  @Option(help: "vgg6, resnet18, resnet50 or densenet121.") var model = "vgg6"
  @Option(help: "Extra decision thresholds, comma-separated (e.g. 0.3,0.9).") var thresholds = ""
  @Option(help: "Output folder for report.json, report.md and the plots.") var out = "braai-evaluation"

  func run() throws {
    let dataset = try data.source.load()
    var options = BraaiTrainingOptions()
    options.model = model
    let network = try options.makeModel(inputShape: dataset.sampleShape)
    guard let path = weights ?? BraaiModel.bundledWeightsPath else { throw ValidationError("no --weights and no bundled d6_m7") }
    if isolateH5 { try HDF5Isolation.check(path) }
    do {
      try network.loadKerasWeights(from: path)
    } catch {
      // Weights that fit braai's own input but not these samples: the data is at fault, not the weights file.
      let standard = [BraaiModel.cutoutSize, BraaiModel.cutoutSize, 3]
      if dataset.sampleShape != standard, (try? options.makeModel(inputShape: standard).loadKerasWeights(from: path)) != nil {
        throw ValidationError(
          "\(data.imagesFile): samples of shape \(dataset.sampleShape), but \((path as NSString).lastPathComponent) holds "
            + "weights for \(standard) triplets (science, template, difference)")
      }
      throw error
    }
    let scores = try network.predict(dataset.images).values
    let extra = try thresholds.split(separator: ",").map { text -> Float in
      guard let t = Float(text.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("bad threshold '\(text)'") }
      return t
    }
    let report = try EvaluationReport(
      title: "braai \(model) (\((path as NSString).lastPathComponent)) on \(data.stampName)",
      predictions: BinaryPredictions(scores: scores, labels: dataset.labels.values, ids: dataset.ids), thresholds: extra,
      images: dataset.sampleShape == [63, 63, 3] ? try SampleImages(values: dataset.images.values) : nil)
    let files = try report.write(to: out)
    print(report.markdown)
    print("Wrote \(files.count) files to \(out)")
  }
}

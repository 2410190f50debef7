import AlertStore
import ArgumentParser
import AstroArtefacts
import Braai
import Foundation
import ZTFAlerts

extension TripletNormalization: ExpressibleByArgument {}

/// `alerts score --model braai|ARTEFACT`: scores every stored alert from its stored cutouts and saves the scores.
struct ScoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score the stored alerts with a model and save the scores (re-running replaces them).",
    discussion: """
      --model is braai (with --weights and --norm, default the bundled d6_m7) or a model artefact: a .h5 or .onnx \
      carrying its manifest (Datasets/braai/d6_m9.artefact.h5), or an int8 .tflite; an artefact's manifest gives \
      the triplet normalisation, the model name and its version. Scores are stored per (candid, model, version); \
      without a manifest the version is the weights file's name without its extension (d6_m7 for the bundled \
      braai weights) unless --model-version gives one.
      """)

  @OptionGroup var store: StoreOptions

  @Option(name: .long, help: "The model: braai, or a model artefact (.h5 or .onnx with a manifest, or an int8 .tflite).")
  var model: String

  @Option(name: .long, help: "Keras .h5 weights for braai (default: the bundled d6_m7).")
  var weights: String?

  @Option(name: .long, help: "Cutout normalisation: row (d6_m7) or global (d6_m9). Read from the manifest when the model has one.")
  var norm: TripletNormalization?

  @Option(name: .long, help: "Version recorded with the scores (default: the weights file name).")
  var modelVersion: String?

  @Option(name: .long, help: "Alerts per batch.")
  var batchSize = 256

  func validate() throws {
    guard model == "braai" || ModelFileFormat(path: model) != nil else {
      throw ValidationError("unknown model '\(model)': braai, or a model artefact (.h5, .onnx or .tflite)")
    }
    if model != "braai" && weights != nil { throw ValidationError("--weights goes with --model braai; an artefact holds its weights") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
  }

  func run() throws {
    let database = try store.open()
    let model = try StoreModel(
      model: model, weights: weights, normalization: norm, version: modelVersion, database: database, batchSize: batchSize)
    let (name, version) = (model.scorer.model, model.scorer.version)
    let total = try database.alertCount()
    let report = try model.scorer.run(score: model.score) { done in
      printError("alerts: scored \(done)/\(total)")
    }
    for failure in report.failures { printError("alerts: not scored: \(failure)") }
    // Alerts stored without cutouts (packets that had none) cannot be scored; say so rather than stay silent.
    let withoutCutouts = total - report.scored - report.failures.count
    print(
      "scored \(report.scored) alerts with \(name)/\(version) in \(String(format: "%.1f", report.seconds)) s; "
        + "\(report.failures.count) could not be scored"
        + (withoutCutouts > 0 ? "; \(withoutCutouts) have no cutouts" : ""))
    if !report.failures.isEmpty { throw ExitCode(1) }
  }
}

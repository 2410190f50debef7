import AlertStore
import ArgumentParser
import Braai
import Foundation

/// `alerts score --model braai`: scores every stored alert from its stored cutouts and saves the scores.
struct ScoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score the stored alerts with a model and save the scores (re-running replaces them).",
    discussion: """
      Scores are stored per (candid, model, version); the version is the weights file's name without its
      extension (d6_m7 for the bundled braai weights) unless --model-version gives one.
      """)

  @OptionGroup var store: StoreOptions

  @Option(name: .long, help: "The model: braai.")
  var model: String

  @Option(name: .long, help: "Keras .h5 weights (default: the bundled braai d6_m7).")
  var weights: String?

  @Option(name: .long, help: "Version recorded with the scores (default: the weights file name).")
  var modelVersion: String?

  @Option(name: .long, help: "Alerts per batch.")
  var batchSize = 256

  func validate() throws {
    guard model == "braai" else { throw ValidationError("unknown model '\(model)' (available: braai)") }
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
  }

  func run() throws {
    let database = try store.open()
    let braai = try BraaiModel(weights: weights)
    let version =
      modelVersion ?? URL(fileURLWithPath: braai.weightsPath).deletingPathExtension().lastPathComponent
    let scorer = StoredAlertScorer(database: database, model: model, version: version, batchSize: batchSize)
    let total = try database.alertCount()
    let report = try scorer.run(score: { try braai.score(triplets: $0, batchSize: batchSize) }) { done in
      printError("alerts: scored \(done)/\(total)")
    }
    for failure in report.failures { printError("alerts: not scored: \(failure)") }
    // Alerts stored without cutouts (packets that had none) cannot be scored; say so rather than stay silent.
    let withoutCutouts = total - report.scored - report.failures.count
    print(
      "scored \(report.scored) alerts with \(model)/\(version) in \(String(format: "%.1f", report.seconds)) s; "
        + "\(report.failures.count) could not be scored"
        + (withoutCutouts > 0 ? "; \(withoutCutouts) have no cutouts" : ""))
    if !report.failures.isEmpty { throw ExitCode(1) }
  }
}

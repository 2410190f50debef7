import AstroIO
import AstroPlot
import Foundation

extension EvaluationReport {
  /// Writes `report.json`, `report.md` and the figures named in `plotFiles` into `folder` (created if
  /// missing), each file atomically. A report decoded from JSON has no figure inputs and writes only the JSON
  /// and Markdown. Returns the paths written.
  /// - Throws: `EvaluationError.io` when the folder or a file cannot be written, `.plot` when a figure fails.
  @discardableResult
  public func write(to folder: String) throws -> [String] {
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw EvaluationError.io("cannot create folder \(folder): \(error)")
    }
    func path(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).path }
    var written: [String] = []
    if let inputs = figureInputs {
      for file in plotFiles {
        let image = try figure(file, predictions: inputs.predictions, images: inputs.images)
        try save { try image.writePNG(to: path(file)) }
        written.append(path(file))
      }
    }
    let json = try jsonData()
    try save { try AtomicFile.write([json], to: path("report.json")) }
    try save { try AtomicFile.write([Data((markdown + "\n").utf8)], to: path("report.md")) }
    return written + [path("report.json"), path("report.md")]
  }

  /// Renders the figure stored under `file`.
  private func figure(_ file: String, predictions: BinaryPredictions, images: SampleImages?) throws -> RasterImage {
    let low = min(predictions.scores.min()!, 0), high = max(predictions.scores.max()!, 1)
    switch file {
    case PlotFile.roc:
      return try EvaluationPlots.rocCurve(ROCCurve(predictions), decisionThreshold: decisionThreshold)
    case PlotFile.errorRates:
      return try EvaluationPlots.errorRatesVsThreshold(
        ROCCurve(predictions), scoreRange: low...high, decisionThreshold: decisionThreshold)
    case PlotFile.scoreHistogram:
      return try EvaluationPlots.scoreHistogram(predictions, classNames: classNames)
    case PlotFile.confusionMatrix:
      return try EvaluationPlots.confusionMatrix(mainConfusionMatrix, classNames: classNames)
    case PlotFile.trainingCurves:
      guard let training else { throw EvaluationError.invalidArgument("no training curves to plot") }
      return try EvaluationPlots.trainingCurves(training)
    case PlotFile.misclassified:
      guard let images else { throw EvaluationError.invalidArgument("no images for the misclassified grid") }
      return try EvaluationPlots.misclassifiedGrid(misclassified, images: images)
    default:
      throw EvaluationError.invalidArgument("unknown figure \(file)")
    }
  }

  /// Turns AstroPlot's write errors into `EvaluationError.io`.
  private func save(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as PlotError {
      throw EvaluationError.io(error.description)
    } catch let failure as AtomicFile.Failure {
      throw EvaluationError.io(failure.message)
    }
  }
}

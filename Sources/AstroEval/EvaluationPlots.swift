import AstroPlot
import Foundation

/// The figures of an evaluation report, each rendered to a `RasterImage` (write it with `writePNG(to:)`).
/// Layouts follow the plots of the braai and DeepStreaks papers.
public enum EvaluationPlots {
  /// Runs an AstroPlot call, turning its errors into `EvaluationError.plot`.
  static func plotting<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as PlotError {
      throw EvaluationError.plot("\(what): \(error)")
    }
  }

  /// The ROC curve twice, side by side: the full square, and zoomed on the corner that matters for a
  /// real/bogus classifier (FPR <= 0.2, TPR >= 0.8). AUC is in the legend; the operating point at
  /// `decisionThreshold` is marked.
  public static func rocCurve(
    _ roc: ROCCurve, decisionThreshold: Float = 0.5, width: Int = 1200, height: Int = 560
  ) throws -> RasterImage {
    let fpr = roc.points.map(\.falsePositiveRate), tpr = roc.points.map(\.truePositiveRate)
    let operating = roc.rates(at: decisionThreshold)
    let curve = ChartSeries.line(String(format: "ROC (AUC = %.4f)", roc.auc), x: fpr, y: tpr, width: 2.5)
    let chance = ChartSeries.line("chance", x: [0, 1], y: [0, 1], color: .midGray, width: 1.5, dashPattern: [8, 6])
    let marker = ChartSeries.scatter(
      "threshold \(formatThreshold(decisionThreshold))", x: [operating.falsePositiveRate],
      y: [operating.truePositiveRate], marker: .circle, size: 11, color: PlotColor.defaultPalette[3], edgeColor: .white)
    let full = Chart(
      title: "ROC curve", xAxis: Axis(label: "false positive rate", range: 0...1),
      yAxis: Axis(label: "true positive rate", range: 0...1), series: [chance, curve, marker], legend: .automatic)
    let zoom = Chart(
      title: "ROC curve (zoomed)", xAxis: Axis(label: "false positive rate", range: 0...0.2),
      yAxis: Axis(label: "true positive rate", range: 0.8...1), series: [chance, curve, marker], legend: .automatic)
    return try plotting("ROC curve") {
      try Chart.renderPanels([full, zoom], columns: 2, panelWidth: width / 2, panelHeight: height)
    }
  }

  /// FNR and FPR as functions of the threshold on a log scale (braai's "FNR and FPR vs threshold" figure), on a
  /// grid of `gridCount` thresholds from the lowest to the highest score range in [0, 1] (or the score range,
  /// if scores leave [0, 1]). Zero rates cannot be drawn on a log axis and show as gaps.
  public static func errorRatesVsThreshold(
    _ roc: ROCCurve, scoreRange: ClosedRange<Float> = 0...1, decisionThreshold: Float = 0.5, gridCount: Int = 201,
    width: Int = 800, height: Int = 600
  ) throws -> RasterImage {
    guard gridCount >= 2 else { throw EvaluationError.invalidArgument("grid of \(gridCount) thresholds") }
    let grid = ROCCurve.thresholdGrid(from: scoreRange.lowerBound, to: scoreRange.upperBound, count: gridCount)
    let rates = roc.rates(atThresholds: grid)
    let x = grid.map(Double.init)
    // The y range: the smallest non-zero rate (one sample's worth at least) up to 1.
    let positive = rates.flatMap { [$0.falseNegativeRate, $0.falsePositiveRate] }.filter { $0 > 0 }
    let bottom = min(positive.min() ?? 1e-3, 0.1)
    let chart = Chart(
      title: "FNR and FPR vs threshold",
      xAxis: Axis(label: "threshold", range: Double(scoreRange.lowerBound)...Double(scoreRange.upperBound)),
      yAxis: Axis(label: "rate", scale: .log10, range: (bottom / 1.5)...1.5),
      series: [
        .line("FNR", x: x, y: rates.map(\.falseNegativeRate), color: PlotColor.defaultPalette[3], width: 2.5),
        .line("FPR", x: x, y: rates.map(\.falsePositiveRate), color: PlotColor.defaultPalette[0], width: 2.5),
      ],
      referenceLines: [ReferenceLine(.vertical, at: Double(decisionThreshold), name: "threshold \(formatThreshold(decisionThreshold))")])
    return try plotting("FNR/FPR vs threshold") { try chart.render(width: width, height: height) }
  }

  /// Histograms of the scores of each class on shared bins over [0, 1] (or the score range when scores leave
  /// it), with a log count axis so the minority class and the tails stay visible.
  public static func scoreHistogram(
    _ predictions: BinaryPredictions, classNames: [String] = ["bogus", "real"], bins: Int = 50,
    width: Int = 800, height: Int = 600
  ) throws -> RasterImage {
    guard bins >= 1 else { throw EvaluationError.invalidArgument("\(bins) histogram bins") }
    guard classNames.count == 2 else { throw EvaluationError.lengthMismatch("\(classNames.count) class names, need 2") }
    let low = Double(min(predictions.scores.min()!, 0)), high = Double(max(predictions.scores.max()!, 1))
    let edges = (0...bins).map { low + (high - low) * Double($0) / Double(bins) }
    var series: [ChartSeries] = []
    for label in 0...1 {
      var counts = [Double](repeating: 0, count: bins)
      for (score, l) in zip(predictions.scores, predictions.labels) where l == label {
        // The top edge belongs to the last bin, as in NumPy's histogram.
        let bin = min(Int((Double(score) - low) / (high - low) * Double(bins)), bins - 1)
        counts[bin] += 1
      }
      let total = Int(counts.reduce(0, +))
      var histogram = try plotting("score histogram") {
        try ChartSeries.histogram(
          "\(classNames[label]) (\(total))", binEdges: edges, counts: counts,
          color: PlotColor.defaultPalette[label == 0 ? 3 : 0])
      }
      // Log axis: empty bins would be gaps in the fill; draw the band from 0.5 (below the first count).
      histogram.band = (lower: [Double](repeating: 0.5, count: edges.count), upper: histogram.y.map { max($0, 0.5) })
      series.append(histogram)
    }
    let maximum = series.flatMap(\.y).max() ?? 1
    let chart = Chart(
      title: "Score distribution by class", xAxis: Axis(label: "score", range: low...high),
      yAxis: Axis(label: "samples", scale: .log10, range: 0.5...(max(maximum, 1) * 2)), series: series,
      legend: .automatic)
    return try plotting("score histogram") { try chart.render(width: width, height: height) }
  }

  /// Two panels: loss and validation loss per epoch; accuracy and validation accuracy per epoch.
  public static func trainingCurves(_ curves: TrainingCurves, width: Int = 1200, height: Int = 500) throws -> RasterImage {
    let epochs = (1...curves.epochCount).map(Double.init)
    let marker: MarkerShape? = curves.epochCount <= 40 ? .circle : nil
    func series(_ name: String, _ values: [Double], _ colorIndex: Int, dashed: Bool) -> ChartSeries {
      ChartSeries(
        name: name, x: epochs, y: values, color: PlotColor.defaultPalette[colorIndex], lineWidth: 2,
        dashPattern: dashed ? [8, 5] : [], marker: marker, markerSize: 6)
    }
    var lossSeries = [series("loss", curves.loss, 0, dashed: false)]
    if let v = curves.validationLoss { lossSeries.append(series("val_loss", v, 1, dashed: true)) }
    var accuracySeries = [series("accuracy", curves.accuracy, 0, dashed: false)]
    if let v = curves.validationAccuracy { accuracySeries.append(series("val_accuracy", v, 1, dashed: true)) }
    let epochAxis = Axis(label: "epoch", range: curves.epochCount == 1 ? 0.5...1.5 : 1...Double(curves.epochCount))
    let loss = Chart(title: "Loss", xAxis: epochAxis, yAxis: Axis(label: "loss"), series: lossSeries)
    let accuracy = Chart(title: "Accuracy", xAxis: epochAxis, yAxis: Axis(label: "accuracy"), series: accuracySeries)
    return try plotting("training curves") {
      try Chart.renderPanels([loss, accuracy], columns: 2, panelWidth: width / 2, panelHeight: height)
    }
  }

  /// "0.5", "0.93": a threshold with no more digits than it has.
  static func formatThreshold(_ threshold: Float) -> String {
    var text = String(format: "%.4f", Double(threshold))
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text
  }
}

import AstroIO
import AstroPlot
import Foundation

extension SimulationReport {
  /// `report.json` with snake_case keys.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// The summary table and per-round curves in Markdown, with the protocol stated.
  public var markdown: String {
    func pct(_ i: Interval?) -> String {
      guard let i else { return "—" }
      return String(format: "%.0f%% [%.0f, %.0f]", 100 * i.mean, 100 * i.ciLow, 100 * i.ciHigh)
    }
    func num(_ i: Interval?, _ format: String = "%.0f") -> String {
      guard let i else { return "—" }
      return String(format: "\(format) [\(format), \(format)]", i.mean, i.ciLow, i.ciHigh)
    }
    let s = settings
    var lines = [
      "# Active-learning simulation", "",
      "Data: \(data). Pool \(s.poolSize), held-out test \(s.testSize) (never queried), \(s.seeds) seeds from master seed "
        + "\(s.masterSeed); \(s.initialLabels) initial labels (the same for every strategy within a seed), \(s.rounds) rounds of "
        + "\(s.batchSize). Each round trains \(s.warmStart ? "from the previous round's weights (warm start)" : "from re-initialised weights") "
        + "for \(s.trainingSteps) steps of \(s.trainingBatchSize), Adam \(s.learningRate)\(s.classWeights ? ", class weights" : "")"
        + "\(s.flips ? ", random flips" : ", no augmentation"); the pool is scored without augmentation. BALD family: "
        + "\(s.monteCarloPasses) Monte-Carlo passes; ensemble: \(s.ensembleMembers) members. The full-pool reference trains "
        + "at least \(s.referenceEpochs) epochs.", "",
      "Full-pool AUC (every pool label): " + num(fullPoolAUC, "%.4f") + ". Intervals are 95% (Student's t over seeds); "
        + "savings are paired per seed against random: 1 − labels(strategy)/labels(random) to reach 95% (99%) of the seed's "
        + "full-pool AUC.", "",
      "| strategy | AULC | labels to 95% | reached | savings vs random (95%) | labels to 99% | savings vs random (99%) | ≥ random | train s/round | select s/round |",
      "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in s.strategies {
      let t = strategies[name]!
      lines.append(
        "| \(name) | \(num(t.aulc, "%.4f")) | \(num(t.labelsTo95)) | \(t.reached95)/\(s.seeds) | \(pct(t.savingsVsRandom95)) | "
          + "\(num(t.labelsTo99)) | \(pct(t.savingsVsRandom99)) | \(t.seedsAtLeastRandom.map { "\($0)/\(s.seeds)" } ?? "—") | "
          + String(format: "%.2f | %.2f |", t.trainingSecondsPerRound, t.selectionSecondsPerRound))
    }
    lines += ["", "Test AUC per round (mean over seeds):", "",
              "| labels | " + s.strategies.joined(separator: " | ") + " |",
              "|---|" + String(repeating: "---|", count: s.strategies.count)]
    for r in 0...s.rounds {
      let labels = strategies[s.strategies[0]]!.rounds[r].labels
      lines.append("| \(labels) | " + s.strategies.map { String(format: "%.4f", strategies[$0]!.rounds[r].auc.mean) }.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n")
  }

  /// Learning curves (test metric against labels) with 95% bands, one line per strategy, the full-pool
  /// reference dashed.
  public func learningCurves(metric: String = "auc") throws -> RasterImage {
    func value(_ r: RoundSummaryStatistics) -> Interval {
      switch metric {
      case "fnr": return r.fnrAt1PercentFPR
      case "fpr": return r.fprAt1PercentFNR
      case "accuracy": return r.accuracy
      default: return r.auc
      }
    }
    var series = [ChartSeries]()
    for (i, name) in settings.strategies.enumerated() {
      let rounds = strategies[name]!.rounds
      let color = PlotColor.defaultPalette[i % PlotColor.defaultPalette.count]
      // Every metric here is a rate in [0, 1]; a wide interval over few seeds is drawn up to those bounds.
      series.append(ChartSeries(name: name, x: rounds.map { Double($0.labels) }, y: rounds.map { value($0).mean }, color: color,
                                band: (rounds.map { max(0, value($0).ciLow) }, rounds.map { min(1, value($0).ciHigh) }), bandOpacity: 0.15))
    }
    let labels = strategies[settings.strategies[0]]!.rounds.map { Double($0.labels) }
    if metric == "auc" {
      series.append(.line("full pool", x: [labels.first!, labels.last!], y: [fullPoolAUC.mean, fullPoolAUC.mean], color: .black,
                          width: 1, dashPattern: [6, 4]))
    }
    let names = ["auc": "test ROC AUC", "fnr": "test FNR at 1% FPR", "fpr": "test FPR at 1% FNR", "accuracy": "test accuracy at 0.5"]
    let chart = Chart(title: "\(names[metric] ?? metric), mean and 95% band over \(settings.seeds) seeds",
                      xAxis: Axis(label: "labels"), yAxis: Axis(label: names[metric] ?? metric), series: series,
                      legend: metric == "auc" || metric == "accuracy" ? .bottomRight : .topRight)
    return try chart.render(width: 900, height: 600)
  }

  /// Writes `report.json`, `report.md`, `learning_curve_auc.png` and `learning_curve_fnr.png` into `folder`
  /// (created if missing), each atomically; returns the paths.
  @discardableResult
  public func write(to folder: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    func path(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent(name).path }
    let files: [(String, Data)] = [
      ("learning_curve_auc.png", try learningCurves(metric: "auc").pngData()),
      ("learning_curve_fnr.png", try learningCurves(metric: "fnr").pngData()),
      ("report.json", try jsonData()),
      ("report.md", Data((markdown + "\n").utf8)),
    ]
    for (name, data) in files { try AtomicFile.write([data], to: path(name)) }
    return files.map { path($0.0) }
  }
}

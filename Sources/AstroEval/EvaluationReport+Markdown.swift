import Foundation

extension EvaluationReport {
  /// The report as Markdown: summary, confusion-matrix tables, thresholds for target rates, the equal error
  /// rate, training summary, misclassified samples (first 50) and the figures.
  public var markdown: String {
    var lines: [String] = ["# \(title)", ""]
    let main = mainConfusionMatrix
    lines.append("- samples: \(sampleCount) (\(classNames[1]) / label 1: \(positiveCount), \(classNames[0]) / label 0: \(negativeCount))")
    lines.append("- AUC: \(auc.map { Self.decimal($0, 4) } ?? "undefined (one class only)")")
    lines.append("- at threshold \(Self.threshold(decisionThreshold)): accuracy \(Self.percent(main.accuracy)), "
      + "FNR \(Self.percent(main.falseNegativeRate)), FPR \(Self.percent(main.falsePositiveRate))")
    if let equalError {
      lines.append("- equal error rate: \(Self.percent(equalError.rate)) (near threshold \(Self.threshold(equalError.threshold)))")
    }
    lines.append("")

    lines.append("## Confusion matrix at threshold \(Self.threshold(decisionThreshold))")
    lines.append("")
    lines.append("| true \\ predicted | \(classNames[0]) | \(classNames[1]) |")
    lines.append("|---|---:|---:|")
    for row in 0..<2 {
      let cells = (0..<2).map { "\(main.counts[row][$0]) (\(Self.percent(main.normalized[row][$0])))" }
      lines.append("| **\(classNames[row])** | \(cells[0]) | \(cells[1]) |")
    }
    lines.append("")
    lines.append("Percentages are of the true class (rows sum to 100%).")
    lines.append("")

    lines.append("## Error rates by threshold")
    lines.append("")
    lines.append("| threshold | TN | FP | FN | TP | accuracy | FNR | FPR | precision |")
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in confusionMatrices {
      lines.append("| \(Self.threshold(m.threshold)) | \(m.trueNegatives) | \(m.falsePositives) | \(m.falseNegatives) | "
        + "\(m.truePositives) | \(Self.percent(m.accuracy)) | \(Self.percent(m.falseNegativeRate)) | "
        + "\(Self.percent(m.falsePositiveRate)) | \(Self.percent(m.precision)) |")
    }
    lines.append("")

    if !targetOperatingPoints.isEmpty {
      lines.append("## Thresholds for target error rates")
      lines.append("")
      lines.append("Target FNR: the highest threshold whose FNR is at most the target. "
        + "Target FPR: the lowest threshold whose FPR is at most the target.")
      lines.append("")
      lines.append("| target | threshold | FNR | FPR |")
      lines.append("|---|---:|---:|---:|")
      for t in targetOperatingPoints {
        let name = t.rate == .falseNegativeRate ? "FNR" : "FPR"
        lines.append("| \(name) <= \(Self.percent(t.target)) | \(Self.threshold(t.point.threshold)) | "
          + "\(Self.percent(t.point.falseNegativeRate)) | \(Self.percent(t.point.falsePositiveRate)) |")
      }
      lines.append("")
    }

    if let training {
      lines.append("## Training")
      lines.append("")
      let last = training.epochCount - 1
      var summary = "\(training.epochCount) epochs; final loss \(Self.decimal(training.loss[last], 4)), "
        + "accuracy \(Self.percent(training.accuracy[last]))"
      if let v = training.validationLoss { summary += "; final val_loss \(Self.decimal(v[last], 4))" }
      if let v = training.validationAccuracy { summary += ", val_accuracy \(Self.percent(v[last]))" }
      lines.append(summary + "; best epoch \(training.bestEpoch).")
      lines.append("")
    }

    lines.append("## Misclassified at threshold \(Self.threshold(decisionThreshold)) (\(misclassified.count))")
    lines.append("")
    if misclassified.isEmpty {
      lines.append("None.")
    } else {
      lines.append("| # | id | score | label |")
      lines.append("|---:|---:|---:|---:|")
      for (n, sample) in misclassified.prefix(50).enumerated() {
        lines.append("| \(n + 1) | \(sample.id.map(String.init) ?? "sample \(sample.index)") | "
          + "\(Self.decimal(Double(sample.score), 4)) | \(sample.label) |")
      }
      if misclassified.count > 50 { lines += ["", "(\(misclassified.count - 50) more in report.json)"] }
    }
    lines.append("")

    if !plotFiles.isEmpty {
      lines.append("## Figures")
      lines.append("")
      for file in plotFiles { lines.append("![\(file)](\(file))") }
      lines.append("")
    }
    return lines.joined(separator: "\n")
  }

  static func percent(_ value: Double?) -> String {
    value.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a"
  }

  static func decimal(_ value: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", value)
  }

  static func threshold(_ value: Float) -> String {
    EvaluationPlots.formatThreshold(value)
  }
}

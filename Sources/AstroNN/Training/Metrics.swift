import Foundation

/// Metrics computed per epoch on the training batches (as Keras, from the outputs each step produced) and on
/// the validation set. Binary and multi-label outputs are thresholded at 0.5 (multi-label metrics pool every
/// output, "micro"); multi-class outputs take the arg-max class, and precision, recall, FNR, FPR and AUC are
/// then one-vs-rest averages over the classes ("macro"). An undefined ratio (no positives) counts as 0, as
/// in Keras.
public enum Metric: String, Sendable, CaseIterable, Codable {
  case accuracy
  /// Area under the ROC curve (the Mann-Whitney statistic; ties count half).
  case auc
  case precision
  case recall
  /// False negative rate: missed positives / positives.
  case fnr
  /// False positive rate: false alarms / negatives.
  case fpr

  /// The metric of `logits` (`count / k` samples of `k` outputs) against their targets (as the loss takes them).
  func value(logits: [Float], targets: [Float], outputs k: Int, loss: Loss) -> Double {
    let n = logits.count / max(k, 1)
    guard n > 0 else { return .nan }
    switch loss {
    case .binaryCrossEntropy:
      let scores = logits.map { 1 / (1 + Foundation.exp(-Double($0))) }
      return Metric.binary(self, scores: scores, positive: targets.map { $0 >= 0.5 })
    case .categoricalCrossEntropy, .sparseCategoricalCrossEntropy:
      let truth = (0..<n).map { i in
        loss == .sparseCategoricalCrossEntropy ? Int(targets[i]) : Metric.argmax(targets[(i * k)..<((i + 1) * k)])
      }
      let predicted = (0..<n).map { i in Metric.argmax(logits[(i * k)..<((i + 1) * k)]) }
      if self == .accuracy { return Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(n) }
      var probabilities = [Double](repeating: 0, count: n * k)
      for i in 0..<n {
        let row = logits[(i * k)..<((i + 1) * k)], top = Double(row.max()!)
        let e = row.map { Foundation.exp(Double($0) - top) }, total = e.reduce(0, +)
        for c in 0..<k { probabilities[i * k + c] = e[c] / total }
      }
      // One-vs-rest per class, averaged over the classes present.
      let perClass = (0..<k).map { c -> Double in
        let positive = truth.map { $0 == c }
        if self == .auc { return Metric.binary(.auc, scores: (0..<n).map { probabilities[$0 * k + c] }, positive: positive) }
        return Metric.binary(self, scores: predicted.map { $0 == c ? 1 : 0 }, positive: positive)
      }
      let defined = perClass.filter { !$0.isNaN }
      return defined.isEmpty ? .nan : defined.reduce(0, +) / Double(defined.count)
    }
  }

  private static func argmax(_ values: ArraySlice<Float>) -> Int {
    var best = values.startIndex
    for i in values.indices where values[i] > values[best] { best = i }
    return best - values.startIndex
  }

  /// A binary metric of `scores` (thresholded at 0.5 except for AUC) against `positive`.
  private static func binary(_ metric: Metric, scores: [Double], positive: [Bool]) -> Double {
    if metric == .auc { return areaUnderROC(scores: scores, positive: positive) }
    var tp = 0.0, fp = 0.0, tn = 0.0, fn = 0.0
    for (s, p) in zip(scores, positive) {
      switch (s >= 0.5, p) {
      case (true, true): tp += 1
      case (true, false): fp += 1
      case (false, false): tn += 1
      case (false, true): fn += 1
      }
    }
    func ratio(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
    switch metric {
    case .accuracy: return ratio(tp + tn, tp + tn + fp + fn)
    case .precision: return ratio(tp, tp + fp)
    case .recall: return ratio(tp, tp + fn)
    case .fnr: return ratio(fn, tp + fn)
    case .fpr: return ratio(fp, fp + tn)
    case .auc: return .nan
    }
  }

  /// AUC as the Mann-Whitney U statistic over average ranks; NaN without both classes. (AstroEval draws
  /// the full ROC curve for reports; training sits below it and needs only this number.)
  static func areaUnderROC(scores: [Double], positive: [Bool]) -> Double {
    let positives = positive.filter { $0 }.count, negatives = positive.count - positives
    guard positives > 0 && negatives > 0 else { return .nan }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var rankSum = 0.0
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
      let averageRank = Double(i + j) / 2 + 1
      for t in i...j where positive[order[t]] { rankSum += averageRank }
      i = j + 1
    }
    let u = rankSum - Double(positives) * Double(positives + 1) / 2
    return u / (Double(positives) * Double(negatives))
  }
}

import Foundation

/// The outcome of a simulation: every seed's curves and, per strategy, the summaries a label-savings claim
/// rests on. Encodes to `report.json` (snake_case keys).
public struct SimulationReport: Codable, Sendable {
  public let settings: SimulationSettings
  public let data: String
  /// Test AUC of the full-pool reference over seeds.
  public let fullPoolAUC: Interval
  public let strategies: [String: StrategySummary]
  public let seeds: [SeedResult]

  /// Label-savings targets: fractions of the full-pool AUC.
  static let targets = [0.95, 0.99]

  init(settings: SimulationSettings, data: String, seeds: [SeedResult]) {
    self.settings = settings
    self.data = data
    self.seeds = seeds
    fullPoolAUC = Interval(seeds.map(\.fullPool.auc))!
    var summaries = [String: StrategySummary]()
    for name in settings.strategies {
      summaries[name] = StrategySummary(name: name, seeds: seeds, settings: settings)
    }
    strategies = summaries
  }

  private enum CodingKeys: String, CodingKey { case settings, data, fullPoolAUC = "full_pool_auc", strategies, seeds }
}

/// One strategy over all seeds.
public struct StrategySummary: Codable, Sendable {
  /// Area under the learning curve: the mean test AUC over rounds (round 0 included), per seed, then over seeds.
  public let aulc: Interval
  /// Labels needed to reach 95% and 99% of the seed's full-pool AUC (interpolated between rounds), over the
  /// seeds that reached it; `reached_95`/`reached_99` count them.
  public let labelsTo95: Interval?
  public let labelsTo99: Interval?
  public let reached95: Int
  public let reached99: Int
  /// 1 − labels(strategy) / labels(random) per seed, paired on the same split and initial set; a seed where
  /// random reaches the target and the strategy does not counts with the strategy at one batch beyond the
  /// budget (a bound in the strategy's favour, flagged by `reached_95`); seeds where random never reaches it are
  /// left out. nil for random itself.
  public let savingsVsRandom95: Interval?
  public let savingsVsRandom99: Interval?
  /// Seeds where the strategy's area under the curve is at least random's.
  public let seedsAtLeastRandom: Int?
  /// Per round (by label count): test metrics over seeds.
  public let rounds: [RoundSummaryStatistics]
  /// Mean seconds per round spent training and choosing.
  public let trainingSecondsPerRound: Double
  public let selectionSecondsPerRound: Double

  init(name: String, seeds: [SeedResult], settings: SimulationSettings) {
    let curves = seeds.map { $0.curves[name]! }
    aulc = Interval(curves.map { $0.map(\.auc).reduce(0, +) / Double($0.count) })!
    let budgetBeyond = Double(settings.initialLabels + (settings.rounds + 1) * settings.batchSize)
    func labelsTo(_ fraction: Double, _ curve: [RoundResult], _ seed: SeedResult) -> Double? {
      Self.labelsToReach(fraction * seed.fullPool.auc, curve)
    }
    let to95 = zip(curves, seeds).map { labelsTo(0.95, $0, $1) }
    let to99 = zip(curves, seeds).map { labelsTo(0.99, $0, $1) }
    labelsTo95 = Interval(to95.compactMap { $0 })
    labelsTo99 = Interval(to99.compactMap { $0 })
    reached95 = to95.compactMap { $0 }.count
    reached99 = to99.compactMap { $0 }.count
    if name == "random" {
      savingsVsRandom95 = nil
      savingsVsRandom99 = nil
      seedsAtLeastRandom = nil
    } else {
      let random = seeds.map { $0.curves["random"]! }
      func savings(_ fraction: Double, _ mine: [Double?]) -> Interval? {
        var values = [Double]()
        for (s, seed) in seeds.enumerated() {
          guard let base = labelsTo(fraction, random[s], seed) else { continue }
          values.append(1 - (mine[s] ?? budgetBeyond) / base)
        }
        return Interval(values)
      }
      savingsVsRandom95 = savings(0.95, to95)
      savingsVsRandom99 = savings(0.99, to99)
      seedsAtLeastRandom = zip(curves, random).filter { mine, base in
        mine.map(\.auc).reduce(0, +) >= base.map(\.auc).reduce(0, +)
      }.count
    }
    rounds = (0..<(settings.rounds + 1)).map { r in RoundSummaryStatistics(curves.map { $0[r] }) }
    let all = curves.flatMap { $0 }
    trainingSecondsPerRound = all.map(\.trainingSeconds).reduce(0, +) / Double(all.count)
    selectionSecondsPerRound = all.map(\.selectionSeconds).reduce(0, +) / Double(max(1, all.count - seeds.count))
  }

  /// The first label count at which the curve reaches `target`, interpolated linearly between rounds; nil if it
  /// never does.
  static func labelsToReach(_ target: Double, _ curve: [RoundResult]) -> Double? {
    guard let first = curve.firstIndex(where: { $0.auc >= target }) else { return nil }
    guard first > 0 else { return Double(curve[0].labels) }
    let (a, b) = (curve[first - 1], curve[first])
    let t = (target - a.auc) / (b.auc - a.auc)
    return Double(a.labels) + t * Double(b.labels - a.labels)
  }

  private enum CodingKeys: String, CodingKey {
    case aulc, labelsTo95 = "labels_to_95", labelsTo99 = "labels_to_99", reached95 = "reached_95", reached99 = "reached_99"
    case savingsVsRandom95 = "savings_vs_random_95", savingsVsRandom99 = "savings_vs_random_99"
    case seedsAtLeastRandom = "seeds_at_least_random", rounds
    case trainingSecondsPerRound = "training_seconds_per_round", selectionSecondsPerRound = "selection_seconds_per_round"
  }
}

/// Test metrics of one round over seeds.
public struct RoundSummaryStatistics: Codable, Sendable {
  public let labels: Int
  public let auc: Interval
  public let fnrAt1PercentFPR: Interval
  public let fprAt1PercentFNR: Interval
  public let accuracy: Interval

  init(_ results: [RoundResult]) {
    labels = results[0].labels
    auc = Interval(results.map(\.auc))!
    fnrAt1PercentFPR = Interval(results.map(\.fnrAt1PercentFPR))!
    fprAt1PercentFNR = Interval(results.map(\.fprAt1PercentFNR))!
    accuracy = Interval(results.map(\.accuracy))!
  }

  private enum CodingKeys: String, CodingKey {
    case labels, auc, fnrAt1PercentFPR = "fnr_at_1pct_fpr", fprAt1PercentFNR = "fpr_at_1pct_fnr", accuracy
  }
}

/// Cohen's kappa between two labelings of the same items: (p_o − p_e) / (1 − p_e), with p_e from each
/// labeling's own class frequencies. 1 when they agree and chance agreement is also total (one class only).
public func cohensKappa(_ a: [Int], _ b: [Int]) -> Double {
  precondition(a.count == b.count, "Cohen's kappa needs two labelings of the same items")
  guard !a.isEmpty else { return 1 }
  let n = Double(a.count)
  var agree = 0.0
  var countsA = [Int: Double](), countsB = [Int: Double]()
  for (x, y) in zip(a, b) {
    if x == y { agree += 1 }
    countsA[x, default: 0] += 1
    countsB[y, default: 0] += 1
  }
  let observed = agree / n
  let expected = countsA.reduce(0.0) { $0 + $1.value * (countsB[$1.key] ?? 0) } / (n * n)
  return expected >= 1 ? (observed >= 1 ? 1 : 0) : (observed - expected) / (1 - expected)
}

/// When an active-learning loop should stop asking for labels.
public protocol StoppingCriterion {
  /// Records the round just finished; true when the loop should stop after it.
  mutating func update(_ round: RoundSummary) -> Bool
  /// Why it stopped (or what it is waiting for), in words.
  var reason: String { get }
}

/// What a stopping criterion sees after each round.
public struct RoundSummary: Sendable {
  /// Labels spent so far.
  public var labels: Int
  /// The predicted classes of the new model on a fixed, unlabelled stopping set.
  public var stoppingSetPredictions: [Int]
  /// The metric the loop tracks (validation AUC, say), larger is better.
  public var metric: Double?

  public init(labels: Int, stoppingSetPredictions: [Int] = [], metric: Double? = nil) {
    self.labels = labels
    self.stoppingSetPredictions = stoppingSetPredictions
    self.metric = metric
  }
}

/// Stops once `budget` labels are spent.
public struct LabelBudget: StoppingCriterion {
  public let budget: Int
  private var spent = 0

  public init(_ budget: Int) { self.budget = budget }

  public mutating func update(_ round: RoundSummary) -> Bool {
    spent = round.labels
    return spent >= budget
  }

  public var reason: String { "\(spent) of \(budget) labels spent" }
}

/// Stabilising predictions (Bloodgood and Vijay-Shanker 2009): stops when Cohen's kappa between successive
/// models' predictions on the stopping set has averaged at least `threshold` over the last `window` pairs.
public struct KappaStabilization: StoppingCriterion {
  public let threshold: Double, window: Int
  private var previous: [Int]?
  public private(set) var kappas = [Double]()

  public init(threshold: Double = 0.99, window: Int = 3) {
    self.threshold = threshold
    self.window = max(1, window)
  }

  public mutating func update(_ round: RoundSummary) -> Bool {
    if let previous, previous.count == round.stoppingSetPredictions.count {
      kappas.append(cohensKappa(previous, round.stoppingSetPredictions))
    }
    previous = round.stoppingSetPredictions
    return kappas.count >= window && kappas.suffix(window).reduce(0, +) / Double(window) >= threshold
  }

  public var reason: String {
    let recent = kappas.suffix(window)
    let mean = recent.isEmpty ? 0 : recent.reduce(0, +) / Double(recent.count)
    return "mean kappa \(mean) over the last \(recent.count) of \(window) model pairs (threshold \(threshold))"
  }
}

/// Stops when the metric has not improved by more than `minimumGain` for `patience` rounds.
public struct MetricPlateau: StoppingCriterion {
  public let patience: Int, minimumGain: Double
  private var best = -Double.infinity
  private var stale = 0

  public init(patience: Int = 3, minimumGain: Double = 0.001) {
    self.patience = max(1, patience)
    self.minimumGain = minimumGain
  }

  public mutating func update(_ round: RoundSummary) -> Bool {
    guard let metric = round.metric else { return false }
    if metric > best + minimumGain {
      best = metric
      stale = 0
    } else {
      stale += 1
    }
    return stale >= patience
  }

  public var reason: String { "best \(best), \(stale) of \(patience) rounds without a gain above \(minimumGain)" }
}

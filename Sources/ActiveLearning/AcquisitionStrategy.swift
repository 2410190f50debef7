/// How the next samples to label are chosen from the unlabelled pool.
public enum AcquisitionStrategy: Sendable, Equatable, CustomStringConvertible {
  /// Uniformly at random: the baseline every other strategy is measured against.
  case random
  /// The most uncertain samples by `measure` (for a binary model all three measures pick the same samples).
  case uncertainty(UncertaintyMeasure)
  /// The largest mutual information over `passes` Monte-Carlo dropout passes (BALD, Houlsby et al. 2011;
  /// Gal et al. 2017).
  case bald(passes: Int)
  /// The largest disagreement (mutual information) between the models of an ensemble (Beluch et al. 2018).
  case ensemble
  /// Stochastic (power) sampling (Kirsch et al. 2023): samples drawn without replacement with probability
  /// ∝ score^beta, which spreads a batch over near-equal scores instead of taking near-duplicates. The score is
  /// BALD's when `passes` > 0, else the uncertainty `measure`.
  case power(UncertaintyMeasure, passes: Int, beta: Double)
  /// Core-set by k-center greedy on penultimate-layer embeddings (Sener and Savarese 2018): each pick is the
  /// sample farthest from the labelled set and the picks so far.
  case coreSet
  /// BADGE (Ash et al. 2020): k-means++ seeding on gradient embeddings (the last layer's loss gradient under
  /// the predicted label), which mixes uncertainty (the gradient's size) and diversity (its direction).
  case badge
  /// Cluster-margin (Citovsky et al. 2021): the `candidatesPerPick`·k smallest-margin samples, clustered by
  /// average-linkage on embeddings into k clusters; the smallest clusters first, round-robin, each cluster's
  /// smallest margin.
  case clusterMargin(candidatesPerPick: Int)
  /// Uncertainty with redundant picks avoided (diverse mini-batch, Zhdanov 2019): the `candidatesPerPick`·k
  /// most uncertain samples, k-means into k clusters on embeddings, the most uncertain of each cluster.
  case diverse(UncertaintyMeasure, candidatesPerPick: Int)
  /// The most uncertain samples of each predicted class in turn, so the labelled set moves toward balance.
  case classBalanced(UncertaintyMeasure)
  /// Cold start (TypiClust, Hacohen et al. 2022): k-means on embeddings into labelled + k clusters; from the
  /// largest clusters without a labelled sample, the most typical sample (densest neighbourhood). Needs no
  /// trained model, only an embedding.
  case typical

  /// The name `init(parsing:)` reads and reports print.
  public var description: String {
    switch self {
    case .random: return "random"
    case .uncertainty(let m): return m == .entropy ? "uncertainty" : m.rawValue
    case .bald: return "bald"
    case .ensemble: return "ensemble"
    case .power(let m, let passes, _): return passes > 0 ? "power-bald" : "power-\(m.rawValue)"
    case .coreSet: return "coreset"
    case .badge: return "badge"
    case .clusterMargin: return "cluster-margin"
    case .diverse: return "diverse"
    case .classBalanced: return "balanced"
    case .typical: return "typical"
    }
  }

  /// Every name `init(parsing:)` accepts.
  public static let names = [
    "random", "uncertainty", "least-confidence", "margin", "entropy", "bald", "ensemble", "power-bald", "power-entropy",
    "coreset", "badge", "cluster-margin", "diverse", "balanced", "typical",
  ]

  /// A strategy by name, with `passes` Monte-Carlo passes for the BALD family and `beta` for power sampling.
  /// `uncertainty` is entropy (for a binary model the same picks as least confidence and margin).
  public init?(parsing name: String, passes: Int = 20, beta: Double = 1) {
    switch name {
    case "random": self = .random
    case "uncertainty", "entropy": self = .uncertainty(.entropy)
    case "least-confidence": self = .uncertainty(.leastConfidence)
    case "margin": self = .uncertainty(.margin)
    case "bald": self = .bald(passes: passes)
    case "ensemble": self = .ensemble
    case "power-bald": self = .power(.entropy, passes: passes, beta: beta)
    case "power-entropy": self = .power(.entropy, passes: 0, beta: beta)
    case "coreset": self = .coreSet
    case "badge": self = .badge
    case "cluster-margin": self = .clusterMargin(candidatesPerPick: 10)
    case "diverse": self = .diverse(.entropy, candidatesPerPick: 10)
    case "balanced": self = .classBalanced(.entropy)
    case "typical": self = .typical
    default: return nil
    }
  }

  /// Monte-Carlo passes the strategy scores with (0 for a deterministic prediction).
  var monteCarloPasses: Int {
    switch self {
    case .bald(let passes): return passes
    case .power(_, let passes, _): return passes
    default: return 0
    }
  }

  /// Whether the strategy reads penultimate-layer embeddings.
  var needsEmbeddings: Bool {
    switch self {
    case .coreSet, .badge, .clusterMargin, .diverse, .typical: return true
    default: return false
    }
  }

  /// Whether the strategy reads the model at all.
  var needsModel: Bool { self != .random }
}

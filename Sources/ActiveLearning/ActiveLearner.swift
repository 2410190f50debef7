import AstroKernels
import AstroNN
import AstroTensor
import Dispatch
import Foundation

/// The samples a strategy picked, with what it measured.
public struct Selection: Sendable {
  /// Pool positions to label next, in pick order.
  public let indices: [Int]
  /// The value each pick was chosen by (uncertainty, mutual information, distance to the labelled set, gradient
  /// norm, typicality); nil for random picks.
  public let scores: [Float]?
  /// Seconds spent running the model(s) over the pool, and choosing among the scores.
  public let scoringSeconds: Double, selectionSeconds: Double
}

/// Picks the next samples to label with one acquisition strategy, for any model of the framework (one output
/// of class probabilities: a sigmoid unit or a softmax).
public struct ActiveLearner {
  public var strategy: AcquisitionStrategy
  /// Samples run through the model at once (memory stays bounded by it, whatever the pool's size).
  public var chunkSize: Int
  /// The embedding strategies (core-set, BADGE, cluster-margin, diverse, typical) compare samples pairwise;
  /// beyond this many unlabelled samples they work on a uniform random subset of this size, as small-text's
  /// subsampling does. nil: the whole pool.
  public var candidateLimit: Int?

  public init(strategy: AcquisitionStrategy, chunkSize: Int = 512, candidateLimit: Int? = 50_000) {
    self.strategy = strategy
    self.chunkSize = chunkSize
    self.candidateLimit = candidateLimit
  }

  /// Picks `count` of the `unlabeled` pool positions. `models` is the current model (several for `.ensemble`);
  /// `labeled` are the positions already labelled (core-set and typical keep away from them). Deterministic
  /// for a given `seed`.
  public func select(_ count: Int, models: [Model], pool: PoolData, unlabeled: [Int], labeled: [Int] = [], seed: UInt64) throws
    -> Selection
  {
    guard count >= 0 else { throw ActiveLearningError.strategy("cannot pick \(count) samples") }
    let wanted = min(count, unlabeled.count)
    if let bad = (unlabeled + labeled).first(where: { $0 < 0 || $0 >= pool.count }) {
      throw ActiveLearningError.pool("position \(bad) outside 0..<\(pool.count)")
    }
    guard Set(unlabeled).count == unlabeled.count, Set(unlabeled).isDisjoint(with: labeled) else {
      throw ActiveLearningError.pool("the unlabelled positions repeat or overlap the labelled ones")
    }
    var generator = SeededGenerator(seed: seed)
    if case .random = strategy {
      var shuffled = unlabeled
      shuffled.shuffle(using: &generator)
      return Selection(indices: Array(shuffled.prefix(wanted)), scores: nil, scoringSeconds: 0, selectionSeconds: 0)
    }
    if case .ensemble = strategy, models.count < 2 {
      throw ActiveLearningError.strategy("ensemble disagreement needs at least two models, got \(models.count)")
    }
    switch strategy {
    case .bald(let passes) where passes < 2, .power(_, let passes, _) where passes == 1:
      throw ActiveLearningError.strategy("\(strategy) needs at least 2 Monte-Carlo passes to measure disagreement, got \(passes)")
    default: break
    }
    var candidates = unlabeled
    if strategy.needsEmbeddings, let limit = candidateLimit, candidates.count > limit {
      candidates.shuffle(using: &generator)
      candidates = Array(candidates.prefix(limit)).sorted()
    }
    let scorer = try PoolScorer(
      models: strategy == .ensemble ? models : Array(models.prefix(1)), chunkSize: chunkSize,
      monteCarloPasses: strategy.monteCarloPasses, keepEmbeddings: strategy.needsEmbeddings, seed: SplitMix64.mix(seed))
    let scores = try scorer.score(pool, indices: candidates)
    let start = DispatchTime.now().uptimeNanoseconds
    let (picks, values) = try choose(wanted, scores: scores, scorer: scorer, pool: pool, labeled: labeled, generator: &generator)
    return Selection(indices: picks, scores: values, scoringSeconds: scores.seconds,
                     selectionSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }

  private func choose(_ k: Int, scores: PoolScores, scorer: PoolScorer, pool: PoolData, labeled: [Int],
                      generator: inout SeededGenerator) throws -> ([Int], [Float]) {
    let positions = scores.indices
    func pick(_ rows: [Int], _ values: [Float]) -> ([Int], [Float]) { (rows.map { positions[$0] }, rows.map { values[$0] }) }
    switch strategy {
    case .random:
      preconditionFailure("random picks are made before scoring")
    case .uncertainty(let measure):
      let u = measure.scores(scores.probabilities, classes: scores.classes)
      return pick(Self.largest(k, of: u), u)
    case .bald, .ensemble:
      let u = try disagreement(scores)
      return pick(Self.largest(k, of: u), u)
    case .power(let measure, let passes, let beta):
      let u = passes > 0 ? try disagreement(scores) : measure.scores(scores.probabilities, classes: scores.classes)
      return pick(Self.powerSample(k, of: u, beta: beta, generator: &generator), u)
    case .classBalanced(let measure):
      let u = measure.scores(scores.probabilities, classes: scores.classes)
      return pick(Self.classBalanced(k, uncertainty: u, classes: scores.predictedClasses, classCount: scores.classes), u)
    case .coreSet:
      let points = PointSet(values: scores.embeddings!, dimension: scores.embeddingSize)
      var centers = [Int]()
      var all = points
      if !labeled.isEmpty {
        let labeledScores = try scorer.score(pool, indices: labeled)
        all = PointSet(values: points.values + labeledScores.embeddings!, dimension: scores.embeddingSize)
        centers = Array(points.count..<(points.count + labeled.count))
      }
      // Each pick's score: its distance to the nearest labelled sample or earlier pick, as it was when picked.
      let (rows, distances) = all.kCenterGreedy(candidates: Array(0..<points.count), centers: centers, k: k)
      return (rows.map { positions[$0] }, distances)
    case .badge:
      let gradients = Self.gradientEmbeddings(scores)
      let seeds = gradients.kMeansPlusPlusSeeds(k, generator: &generator, firstByNorm: true)
      let norms = seeds.map { gradients.row($0).reduce(0) { $0 + $1 * $1 }.squareRoot() }
      return (seeds.map { positions[$0] }, norms)
    case .clusterMargin(let perPick):
      let margins = UncertaintyMeasure.margin.scores(scores.probabilities, classes: scores.classes)
      // Hierarchical clustering is O(n²) in memory: at most 4,000 candidates.
      let shortlist = Self.largest(min(max(k, perPick * k), 4_000), of: margins)
      let points = PointSet(values: scores.embeddings!, dimension: scores.embeddingSize).subset(shortlist)
      let clusters = points.averageLinkage(clusters: k)
      return pick(Self.roundRobin(k, shortlist: shortlist, clusters: clusters, values: margins, smallestFirst: true), margins)
    case .diverse(let measure, let perPick):
      let u = measure.scores(scores.probabilities, classes: scores.classes)
      let shortlist = Self.largest(min(max(k, perPick * k), scores.indices.count), of: u)
      let points = PointSet(values: scores.embeddings!, dimension: scores.embeddingSize).subset(shortlist)
      let clusters = points.kMeans(k, generator: &generator).assignment
      return pick(Self.roundRobin(k, shortlist: shortlist, clusters: clusters, values: u, smallestFirst: false), u)
    case .typical:
      let (rows, typicality) = try typical(k, scores: scores, scorer: scorer, pool: pool, labeled: labeled, generator: &generator)
      return (rows.map { positions[$0] }, typicality)
    }
  }

  private func disagreement(_ scores: PoolScores) throws -> [Float] {
    guard let values = scores.disagreement else { throw ActiveLearningError.strategy("\(strategy) was scored with a single member") }
    return values
  }

  /// Rows of the `k` largest values, largest first (ties: lower row first).
  static func largest(_ k: Int, of values: [Float]) -> [Int] {
    Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(k))
  }

  /// `k` rows drawn without replacement with probability ∝ value^beta: the Gumbel-top-k trick on
  /// beta·log(value) (values ≤ 0 are drawn last).
  static func powerSample(_ k: Int, of values: [Float], beta: Double, generator: inout SeededGenerator) -> [Int] {
    let keys = values.map { v -> Double in
      let u = max(Double(generator.nextUnitFloat()), 1e-12)
      let gumbel = -Foundation.log(-Foundation.log(u))
      return v > 0 ? beta * Foundation.log(Double(v)) + gumbel : -.infinity
    }
    return Array(keys.indices.sorted { keys[$0] != keys[$1] ? keys[$0] > keys[$1] : $0 < $1 }.prefix(k))
  }

  /// The most uncertain row of each predicted class in turn (classes that run out are skipped).
  static func classBalanced(_ k: Int, uncertainty: [Float], classes: [Int], classCount: Int) -> [Int] {
    let ranked = largest(uncertainty.count, of: uncertainty)
    var queues = (0..<classCount).map { c in ranked.filter { classes[$0] == c } }
    var picks = [Int]()
    var c = 0
    while picks.count < k, queues.contains(where: { !$0.isEmpty }) {
      if !queues[c].isEmpty { picks.append(queues[c].removeFirst()) }
      c = (c + 1) % classCount
    }
    return picks
  }

  /// Round-robin over clusters (the smallest first, or the largest), taking each cluster's best row by `values`.
  static func roundRobin(_ k: Int, shortlist: [Int], clusters: [Int], values: [Float], smallestFirst: Bool) -> [Int] {
    var members = [Int: [Int]]()
    for (i, c) in clusters.enumerated() { members[c, default: []].append(shortlist[i]) }
    var order = members.keys.sorted {
      let (a, b) = (members[$0]!.count, members[$1]!.count)
      return a != b ? (smallestFirst ? a < b : a > b) : $0 < $1
    }
    for c in order { members[c]!.sort { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 } }
    var picks = [Int]()
    while picks.count < k, !order.isEmpty {
      order = order.filter { !members[$0]!.isEmpty }
      for c in order where picks.count < k { picks.append(members[c]!.removeFirst()) }
    }
    return picks
  }

  /// BADGE's gradient embedding of each row: the cross-entropy gradient of the last layer's weights under the
  /// predicted label, (p − onehot(ŷ)) ⊗ h; for one sigmoid unit, (p − ŷ)·h.
  static func gradientEmbeddings(_ scores: PoolScores) -> PointSet {
    let d = scores.embeddingSize, c = scores.classes, n = scores.indices.count
    let h = scores.embeddings!
    let predicted = scores.predictedClasses
    let sigmoid = c == 2  // PoolScorer reads one unit as two classes; the last layer then has one unit
    let width = sigmoid ? d : c * d
    var g = [Float](repeating: 0, count: n * width)
    for i in 0..<n {
      for cls in 0..<(sigmoid ? 1 : c) {
        let p = scores.probabilities[i * c + (sigmoid ? 1 : cls)]
        let target: Float = sigmoid ? (predicted[i] == 1 ? 1 : 0) : (predicted[i] == cls ? 1 : 0)
        for j in 0..<d { g[i * width + cls * d + j] = (p - target) * h[i * d + j] }
      }
    }
    return PointSet(values: g, dimension: width)
  }

  /// TypiClust: k-means of candidates and labelled samples into labelled + k clusters; from the largest clusters
  /// holding no labelled sample, the candidate with the highest typicality (the inverse mean distance to its 20
  /// nearest neighbours in the cluster, among at most 500 of its members).
  private func typical(_ k: Int, scores: PoolScores, scorer: PoolScorer, pool: PoolData, labeled: [Int],
                       generator: inout SeededGenerator) throws -> ([Int], [Float]) {
    var values = scores.embeddings!
    if !labeled.isEmpty { values += try scorer.score(pool, indices: labeled).embeddings! }
    let points = PointSet(values: values, dimension: scores.embeddingSize)
    let candidates = scores.indices.count
    let assignment = points.kMeans(labeled.count + k, generator: &generator).assignment
    var members = [Int: [Int]]()
    var covered = Set<Int>()
    for (i, c) in assignment.enumerated() {
      if i < candidates { members[c, default: []].append(i) } else { covered.insert(c) }
    }
    let order = members.keys.filter { !covered.contains($0) }.sorted {
      members[$0]!.count != members[$1]!.count ? members[$0]!.count > members[$1]!.count : $0 < $1
    }
    var picks = [Int](), typicality = [Float]()
    for c in order.prefix(k) {
      // Typicality within at most 500 random members of the cluster (O(m²) distances).
      var rows = members[c]!
      if rows.count > 500 {
        rows.shuffle(using: &generator)
        rows = Array(rows.prefix(500))
      }
      var best = rows[0], bestValue: Float = -1
      for r in rows {
        let near = rows.filter { $0 != r }.map { points.squaredDistance(r, $0).squareRoot() }.sorted().prefix(20)
        let value = near.isEmpty ? 0 : 1 / max(near.reduce(0, +) / Float(near.count), 1e-12)
        if value > bestValue { (best, bestValue) = (r, value) }
      }
      picks.append(best)
      typicality.append(bestValue)
    }
    // Fewer uncovered clusters than k (tiny pools): fill with the remaining candidates in order.
    for r in 0..<candidates where picks.count < k && !picks.contains(r) {
      picks.append(r)
      typicality.append(0)
    }
    return (picks, typicality)
  }
}

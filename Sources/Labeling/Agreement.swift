import ActiveLearning
import Foundation

/// Agreement statistics and consensus over categorical ratings: `ratings[item][rater] = category`.
public enum Agreement {
  /// Fleiss' kappa over the items with at least two ratings (items may have different numbers of raters:
  /// per-item agreement P_i = Σ_j n_ij(n_ij − 1) / (n_i(n_i − 1)), category shares over all their ratings;
  /// with a constant number of raters this is Fleiss' 1971 statistic). nil when no item has two ratings or
  /// every rating is the same category.
  public static func fleissKappa<Category: Hashable>(_ ratings: [[Category]]) -> Double? {
    let rated = ratings.filter { $0.count >= 2 }
    guard !rated.isEmpty else { return nil }
    var totals = [Category: Double]()
    var agreement = 0.0, ratingCount = 0.0
    for item in rated {
      var counts = [Category: Double]()
      for category in item { counts[category, default: 0] += 1 }
      let n = Double(item.count)
      agreement += counts.values.reduce(0) { $0 + $1 * ($1 - 1) } / (n * (n - 1))
      for (category, c) in counts { totals[category, default: 0] += c }
      ratingCount += n
    }
    let observed = agreement / Double(rated.count)
    let expected = totals.values.reduce(0) { $0 + ($1 / ratingCount) * ($1 / ratingCount) }
    guard expected < 1 else { return nil }
    return (observed - expected) / (1 - expected)
  }

  /// Cohen's kappa of two raters over the items both rated; nil when they share none.
  public static func cohensKappa<Rater: Hashable, Category: Hashable>(_ ratings: [[Rater: Category]], _ a: Rater, _ b: Rater)
    -> (kappa: Double, n: Int)?
  {
    let shared = ratings.compactMap { item -> (Category, Category)? in
      guard let x = item[a], let y = item[b] else { return nil }
      return (x, y)
    }
    guard !shared.isEmpty else { return nil }
    var codes = [Category: Int]()
    func code(_ c: Category) -> Int {
      if let known = codes[c] { return known }
      codes[c] = codes.count
      return codes[c]!
    }
    return (ActiveLearning.cohensKappa(shared.map { code($0.0) }, shared.map { code($0.1) }), shared.count)
  }

  /// The most frequent category per item; nil on a tie.
  public static func majority<Category: Hashable>(_ item: [Category]) -> Category? {
    var counts = [Category: Int]()
    for c in item { counts[c, default: 0] += 1 }
    guard let best = counts.values.max(), counts.values.filter({ $0 == best }).count == 1 else { return nil }
    return counts.first { $0.value == best }!.key
  }

  /// Dawid and Skene (1979): each rater's confusion matrix and the class priors by expectation-maximisation,
  /// started from the vote shares; returns each item's posterior over `categories` (rows sum to 1). Confusion
  /// counts are smoothed by 0.01 so a rater seen on few items cannot veto a class.
  public static func dawidSkene<Rater: Hashable, Category: Hashable>(_ ratings: [[Rater: Category]], categories: [Category],
                                                                      iterations: Int = 100) -> [[Double]] {
    let k = categories.count
    let index = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
    // Raters in order of first appearance, so that runs are repeatable (a Set's order is not).
    var raters = [Rater]()
    var seen = Set<Rater>()
    for item in ratings { for rater in item.keys.sorted(by: { "\($0)" < "\($1)" }) where seen.insert(rater).inserted { raters.append(rater) } }
    let raterIndex = Dictionary(uniqueKeysWithValues: raters.enumerated().map { ($1, $0) })
    let coded = ratings.map { item in item.compactMap { r, c in index[c].map { (raterIndex[r]!, $0) } } }
    var posterior = coded.map { votes -> [Double] in
      var row = [Double](repeating: 0, count: k)
      for (_, c) in votes { row[c] += 1 }
      let total = row.reduce(0, +)
      return total > 0 ? row.map { $0 / total } : [Double](repeating: 1 / Double(k), count: k)
    }
    for _ in 0..<iterations {
      // M step: priors and confusion matrices from the current posteriors.
      var prior = [Double](repeating: 0, count: k)
      var confusion = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0.01, count: k), count: k), count: raters.count)
      for (i, votes) in coded.enumerated() {
        for t in 0..<k { prior[t] += posterior[i][t] }
        for (r, c) in votes { for t in 0..<k { confusion[r][t][c] += posterior[i][t] } }
      }
      let total = prior.reduce(0, +)
      prior = prior.map { max($0 / max(total, 1e-12), 1e-6) }
      for r in 0..<raters.count { for t in 0..<k {
        let rowSum = confusion[r][t].reduce(0, +)
        confusion[r][t] = confusion[r][t].map { $0 / rowSum }
      } }
      // E step.
      var change = 0.0
      for (i, votes) in coded.enumerated() {
        var logs = prior.map { Foundation.log($0) }
        for (r, c) in votes { for t in 0..<k { logs[t] += Foundation.log(confusion[r][t][c]) } }
        let top = logs.max()!
        let weights = logs.map { Foundation.exp($0 - top) }
        let sum = weights.reduce(0, +)
        let row = weights.map { $0 / sum }
        change = max(change, zip(row, posterior[i]).map { abs($0 - $1) }.max() ?? 0)
        posterior[i] = row
      }
      if change < 1e-9 { break }
    }
    return posterior
  }
}

import Foundation

/// Agreement between labellers in a project: what the admin view shows.
public struct AgreementReport: Codable, Sendable {
  public struct Pair: Codable, Equatable, Sendable {
    public let a: String, b: String
    public let cohenKappa: Double
    public let n: Int
    private enum CodingKeys: String, CodingKey { case a, b, cohenKappa = "cohen_kappa", n }
  }
  public struct LabellerSummary: Codable, Equatable, Sendable {
    public let name: String
    public let labels: Int, skips: Int, unsure: Int
    public let medianSeconds: Double?
    /// Gold items answered, and answered with exactly the known labels.
    public let goldAnswered: Int, goldCorrect: Int
    private enum CodingKeys: String, CodingKey {
      case name, labels, skips, unsure, medianSeconds = "median_seconds", goldAnswered = "gold_answered", goldCorrect = "gold_correct"
    }
  }
  /// An item whose labellers disagree, with each one's answer.
  public struct Conflict: Codable, Equatable, Sendable {
    public let itemID: Int64
    public let externalID: String
    public let answers: [String: [String]]
    private enum CodingKeys: String, CodingKey { case itemID = "id", externalID = "external_id", answers }
  }

  /// Fleiss' kappa over items with two or more answers (nil when none).
  public let fleissKappa: Double?
  public let pairs: [Pair]
  public let labellers: [LabellerSummary]
  public let conflicts: [Conflict]

  private enum CodingKeys: String, CodingKey { case fleissKappa = "fleiss_kappa", pairs, labellers, conflicts }
}

/// How answers become one label set per item.
public enum ConsensusMethod: String, Codable, Sendable, CaseIterable {
  /// The most frequent answer (no consensus on a tie).
  case majority
  /// Dawid–Skene: answers weighed by each labeller's estimated confusion matrix.
  case dawidSkene = "dawid-skene"
}

/// An item's agreed labels.
public struct ConsensusLabel: Codable, Equatable, Sendable {
  public let itemID: Int64
  public let dataset: String
  public let externalID: String
  public let candid: Int64?
  public let labels: [String]
  /// The share of votes (majority) or the posterior probability (Dawid–Skene) of the agreed answer.
  public let confidence: Double
  /// Answers the consensus rests on.
  public let votes: Int
  /// The share of votes for each class (an item's answers may hold several classes).
  public let classShares: [String: Double]
}

extension LabelStore {
  /// An answer as one category: the sorted label set (so multi-label answers agree only when identical).
  static func category(_ labels: [String]) -> String {
    String(decoding: (try? JSONEncoder().encode(labels.sorted())) ?? Data(), as: UTF8.self)
  }

  static func labels(ofCategory category: String) -> [String] {
    (try? JSONDecoder().decode([String].self, from: Data(category.utf8))) ?? []
  }

  /// Kappas, per-labeller counts, gold accuracy and conflicts for a project.
  public func agreement(projectID: Int64) throws -> AgreementReport {
    let items = try items(projectID: projectID)
    let standing = try standingAnswers(projectID: projectID)
    let current = Self.currentLabels(standing)
    let names = Dictionary(uniqueKeysWithValues: try labellers().map { ($0.id, $0.name) })
    let ratings = items.map { item in (current[item.id] ?? [:]).mapValues { Self.category($0.labels) } }
    let raters = Set(ratings.flatMap(\.keys)).sorted()
    var pairs = [AgreementReport.Pair]()
    for (i, a) in raters.enumerated() {
      for b in raters[(i + 1)...] {
        if let (kappa, n) = Agreement.cohensKappa(ratings, a, b) {
          pairs.append(AgreementReport.Pair(a: names[a] ?? "\(a)", b: names[b] ?? "\(b)", cohenKappa: kappa, n: n))
        }
      }
    }
    let gold = Dictionary(uniqueKeysWithValues: items.compactMap { item in item.gold.map { (item.id, Self.category($0)) } })
    let summaries = names.keys.sorted().compactMap { id -> AgreementReport.LabellerSummary? in
      let mine = standing.filter { $0.labellerID == id }
      guard !mine.isEmpty else { return nil }
      let seconds = mine.compactMap(\.seconds).sorted()
      let labelled = current.compactMap { item, byLabeller in byLabeller[id].map { (item, Self.category($0.labels)) } }
      let goldAnswers = labelled.filter { gold[$0.0] != nil }
      return AgreementReport.LabellerSummary(
        name: names[id]!, labels: mine.filter { $0.kind == .label }.count, skips: mine.filter { $0.kind == .skip }.count,
        unsure: mine.filter { $0.kind == .label && $0.unsure }.count,
        medianSeconds: seconds.isEmpty ? nil : seconds[seconds.count / 2], goldAnswered: goldAnswers.count,
        goldCorrect: goldAnswers.filter { gold[$0.0] == $0.1 }.count)
    }
    let conflicts = items.compactMap { item -> AgreementReport.Conflict? in
      guard let answers = current[item.id], Set(answers.values.map { Self.category($0.labels) }).count > 1 else { return nil }
      return AgreementReport.Conflict(itemID: item.id, externalID: item.externalID,
                                      answers: Dictionary(uniqueKeysWithValues: answers.map { (names[$0.key] ?? "\($0.key)", $0.value.labels.sorted()) }))
    }
    return AgreementReport(fleissKappa: Agreement.fleissKappa(ratings.map { Array($0.values) }), pairs: pairs, labellers: summaries,
                           conflicts: conflicts)
  }

  /// One agreed label set per item with at least one answer (majority ties are left out).
  public func consensus(projectID: Int64, method: ConsensusMethod = .majority) throws -> [ConsensusLabel] {
    let items = try items(projectID: projectID).filter { $0.gold == nil }
    let current = try currentLabels(projectID: projectID)
    let answered = items.filter { !(current[$0.id] ?? [:]).isEmpty }
    let ratings = answered.map { item in current[item.id]!.mapValues { Self.category($0.labels) } }
    func shares(_ item: LabelItem) -> [String: Double] {
      let answers = current[item.id]!.values
      var shares = [String: Double]()
      for answer in answers { for label in answer.labels { shares[label, default: 0] += 1 / Double(answers.count) } }
      return shares
    }
    switch method {
    case .majority:
      return zip(answered, ratings).compactMap { item, rating in
        guard let winner = Agreement.majority(Array(rating.values)) else { return nil }
        let share = Double(rating.values.filter { $0 == winner }.count) / Double(rating.count)
        return ConsensusLabel(itemID: item.id, dataset: item.dataset, externalID: item.externalID, candid: item.candid,
                              labels: Self.labels(ofCategory: winner), confidence: share, votes: rating.count, classShares: shares(item))
      }
    case .dawidSkene:
      let categories = Array(Set(ratings.flatMap(\.values))).sorted()
      let posterior = Agreement.dawidSkene(ratings, categories: categories)
      return answered.enumerated().map { i, item in
        let best = posterior[i].indices.max { posterior[i][$0] < posterior[i][$1] }!
        return ConsensusLabel(itemID: item.id, dataset: item.dataset, externalID: item.externalID, candid: item.candid,
                              labels: Self.labels(ofCategory: categories[best]), confidence: posterior[i][best],
                              votes: ratings[i].count, classShares: shares(item))
      }
    }
  }
}

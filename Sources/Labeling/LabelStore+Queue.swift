import AstroTensor
import Foundation
import GRDB

/// One item a labeller should label next.
public struct QueueEntry: Codable, Equatable, Sendable {
  public let id: Int64
  public let externalID: String
  public let candid: Int64?
  /// The current model's score; nil in blind mode or before any model scored the project.
  public let score: Double?
}

/// How the queue is ordered.
public enum QueueOrder: String, Codable, Sendable, CaseIterable {
  /// By the acquisition value the current model version stored (largest first): the active-learning order.
  case acquisition
  /// By the current model's score nearest 0.5 (for a binary score, what every uncertainty measure gives).
  case uncertainty
  /// Shuffled (seeded by the labeller and how much they have labelled: stable between requests).
  case random
  /// In import order.
  case sequential
}

extension LabelStore {
  /// The next `count` items for `labeller`: items they have not answered, not retired (answered by
  /// `labelsPerItem` distinct labellers), ordered by `order`. Gold items (known answers) are mixed in, never
  /// marked: the first item, then one in every ten answers.
  public func queue(projectID: Int64, labeller: Labeller, count: Int, order: QueueOrder = .acquisition) throws
    -> (modelVersion: String?, entries: [QueueEntry])
  {
    guard (1...1000).contains(count) else { throw LabelStoreError.invalid("queue size must be 1 to 1000, got \(count)") }
    let project = try project(id: projectID)
    let items = try items(projectID: projectID)
    let standing = try standingAnswers(projectID: projectID)
    let current = Self.currentLabels(standing)
    let answeredByMe = Set(standing.filter { $0.labellerID == labeller.id }.map(\.itemID))
    let model = try currentModel(projectID: projectID)
    var scores = [Int64: (score: Double, acquisition: Double)]()
    if let model {
      try read { db in
        for row in try Row.fetchAll(db, sql: """
          SELECT s.item_id, s.score, s.acquisition FROM model_scores s JOIN items i ON i.id = s.item_id
          JOIN datasets d ON d.id = i.dataset_id WHERE d.project_id = ? AND s.model_version = ?
          """, arguments: [projectID, model.version]) {
          scores[try row.decode(forColumn: "item_id")] = (try row.decode(forColumn: "score"), try row.decode(forColumn: "acquisition"))
        }
      }
    }
    // Gold items are never retired: every labeller meets them.
    let open = items.filter { !answeredByMe.contains($0.id) && ($0.gold != nil || (current[$0.id]?.count ?? 0) < project.labelsPerItem) }
    var regular = open.filter { $0.gold == nil }
    let gold = open.filter { $0.gold != nil }
    switch order {
    case .sequential:
      break
    case .acquisition:
      regular.sort { a, b in
        switch (scores[a.id]?.acquisition, scores[b.id]?.acquisition) {
        case let (x?, y?): return x != y ? x > y : a.id < b.id
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a.id < b.id
        }
      }
    case .uncertainty:
      regular.sort { a, b in
        let x = scores[a.id].map { abs($0.score - 0.5) } ?? .infinity, y = scores[b.id].map { abs($0.score - 0.5) } ?? .infinity
        return x != y ? x < y : a.id < b.id
      }
    case .random:
      var generator = SeededGenerator(seed: UInt64(bitPattern: labeller.id) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(answeredByMe.count))
      regular.shuffle(using: &generator)
    }
    let answeredGold = items.filter { $0.gold != nil && answeredByMe.contains($0.id) }.count
    var chosen = Array(regular.prefix(count))
    if let next = gold.first, answeredGold < answeredByMe.count / 10 + 1 {
      chosen.insert(next, at: 0)
      chosen = Array(chosen.prefix(count))
    }
    return (model?.version, chosen.map { item in
      QueueEntry(id: item.id, externalID: item.externalID, candid: item.candid, score: project.blind ? nil : scores[item.id]?.score)
    })
  }
}

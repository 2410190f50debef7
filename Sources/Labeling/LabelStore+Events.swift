import Foundation
import GRDB

/// One entry of the append-only log.
public struct LabelEvent: Codable, Equatable, Sendable {
  public enum Kind: String, Codable, Sendable { case label, skip, retract }
  public let id: Int64
  public let itemID: Int64
  public let labellerID: Int64
  public let labellerName: String
  public let kind: Kind
  public let labels: [String]
  public let unsure: Bool
  /// Seconds the labeller spent on the item, as the page measured it.
  public let seconds: Double?
  /// The model version and score the page showed (score nil in blind mode or before any model).
  public let modelVersion: String?
  public let shownScore: Double?
  /// For a retraction (undo): the event it withdraws.
  public let retracts: Int64?
  /// Seconds since 1970 (UTC).
  public let createdAt: Double
}

extension LabelStore {
  /// Records `labeller`'s labels (or a skip) for an item, with what the page showed; validates the labels against
  /// the project's classes. A labeller who labels an item again supersedes their own earlier label (both stay in
  /// the log).
  @discardableResult
  public func record(itemID: Int64, labeller: Labeller, labels: [String], unsure: Bool = false, seconds: Double? = nil,
                     skip: Bool = false) throws -> LabelEvent {
    if let seconds, !(seconds.isFinite && seconds >= 0 && seconds <= 86_400) {
      throw LabelStoreError.invalid("seconds must be between 0 and 86400, got \(seconds)")
    }
    let id = try write { db -> Int64 in
      guard let item = try Self.items(db, where: "items.id = ?", [itemID]).first else { throw LabelStoreError.notFound("no item \(itemID)") }
      let project = try Self.project(db, id: item.projectID)
      if skip {
        guard labels.isEmpty else { throw LabelStoreError.invalid("a skip carries no labels") }
      } else {
        try Self.validate(labels, in: project, item: item.externalID)
      }
      let (version, score) = try Self.shown(db, project: project, itemID: itemID)
      let json = String(decoding: try JSONEncoder().encode(labels), as: UTF8.self)
      try db.execute(sql: """
        INSERT INTO label_events (item_id, labeller_id, kind, labels, unsure, seconds, model_version, shown_score, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """, arguments: [itemID, labeller.id, skip ? "skip" : "label", json, unsure, seconds, version, score, Self.now])
      return db.lastInsertedRowID
    }
    return try event(id: id)
  }

  /// Undo: withdraws `labeller`'s latest label or skip in the project that is not yet withdrawn, by appending a
  /// retraction; nil when there is nothing to undo.
  @discardableResult
  public func undo(projectID: Int64, labeller: Labeller) throws -> LabelEvent? {
    let id = try write { db -> Int64? in
      _ = try Self.project(db, id: projectID)
      guard let target = try Row.fetchOne(db, sql: """
        SELECT e.id, e.item_id FROM label_events e JOIN items i ON i.id = e.item_id JOIN datasets d ON d.id = i.dataset_id
        WHERE d.project_id = ? AND e.labeller_id = ? AND e.kind IN ('label', 'skip')
          AND NOT EXISTS (SELECT 1 FROM label_events r WHERE r.retracts = e.id)
        ORDER BY e.id DESC LIMIT 1
        """, arguments: [projectID, labeller.id]) else { return nil }
      let targetID: Int64 = try target.decode(forColumn: "id")
      let itemID: Int64 = try target.decode(forColumn: "item_id")
      try db.execute(sql: """
        INSERT INTO label_events (item_id, labeller_id, kind, labels, retracts, created_at) VALUES (?, ?, 'retract', '[]', ?, ?)
        """, arguments: [itemID, labeller.id, targetID, Self.now])
      return db.lastInsertedRowID
    }
    return try id.map { try event(id: $0) }
  }

  /// The event with `id`.
  public func event(id: Int64) throws -> LabelEvent {
    try read { db in
      guard let event = try Self.events(db, where: "e.id = ?", [id]).first else { throw LabelStoreError.notFound("no label event \(id)") }
      return event
    }
  }

  /// The whole log of a project, oldest first.
  public func events(projectID: Int64) throws -> [LabelEvent] {
    try read { db in
      _ = try Self.project(db, id: projectID)
      return try Self.events(db, where: "d.project_id = ?", [projectID])
    }
  }

  static func events(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [LabelEvent] {
    try Row.fetchAll(db, sql: """
      SELECT e.*, l.name AS labeller_name FROM label_events e JOIN labellers l ON l.id = e.labeller_id
      JOIN items i ON i.id = e.item_id JOIN datasets d ON d.id = i.dataset_id WHERE \(condition) ORDER BY e.id
      """, arguments: arguments).map { row in
      let kindText: String = try row.decode(forColumn: "kind")
      let labelsText: String = try row.decode(forColumn: "labels")
      guard let kind = LabelEvent.Kind(rawValue: kindText), let labels = try? JSONDecoder().decode([String].self, from: Data(labelsText.utf8)) else {
        throw LabelStoreError.store("label event: kind '\(kindText)' or labels '\(labelsText.prefix(40))' unreadable")
      }
      return LabelEvent(id: try row.decode(forColumn: "id"), itemID: try row.decode(forColumn: "item_id"),
                        labellerID: try row.decode(forColumn: "labeller_id"), labellerName: try row.decode(forColumn: "labeller_name"),
                        kind: kind, labels: labels, unsure: try row.decode(forColumn: "unsure"), seconds: try row.decode(forColumn: "seconds"),
                        modelVersion: try row.decode(forColumn: "model_version"), shownScore: try row.decode(forColumn: "shown_score"),
                        retracts: try row.decode(forColumn: "retracts"), createdAt: try row.decode(forColumn: "created_at"))
    }
  }

  /// Each labeller's standing answer per item: their latest label or skip that is not withdrawn (earlier answers
  /// they replaced are left out), in log order.
  public func standingAnswers(projectID: Int64) throws -> [LabelEvent] {
    let events = try events(projectID: projectID)
    let retracted = Set(events.compactMap(\.retracts))
    var latest = [Int64: [Int64: LabelEvent]]()
    for event in events where event.kind != .retract && !retracted.contains(event.id) {
      latest[event.itemID, default: [:]][event.labellerID] = event
    }
    return latest.values.flatMap(\.values).sorted { $0.id < $1.id }
  }

  /// Each labeller's standing label per item (skips left out): `[item: [labeller: labels]]`, with `unsure` answers
  /// marked.
  public func currentLabels(projectID: Int64) throws -> [Int64: [Int64: (labels: [String], unsure: Bool)]] {
    Self.currentLabels(try standingAnswers(projectID: projectID))
  }

  /// `currentLabels` from standing answers already read (one read of the log serves both).
  static func currentLabels(_ standing: [LabelEvent]) -> [Int64: [Int64: (labels: [String], unsure: Bool)]] {
    var result = [Int64: [Int64: (labels: [String], unsure: Bool)]]()
    for event in standing where event.kind == .label {
      result[event.itemID, default: [:]][event.labellerID] = (event.labels, event.unsure)
    }
    return result
  }

  // MARK: - Model scores and the queue

  /// Stores a model's score and acquisition value per item and makes it the project's current model version
  /// (the queue is ordered by it from now on).
  public func setScores(projectID: Int64, modelVersion: String, strategy: String, scores: [Int64: (score: Double, acquisition: Double)]) throws {
    guard !modelVersion.isEmpty, modelVersion.count <= 200 else { throw LabelStoreError.invalid("model version must be 1 to 200 characters") }
    try write { db in
      _ = try Self.project(db, id: projectID)
      for (item, value) in scores {
        guard value.score.isFinite, value.acquisition.isFinite else { throw LabelStoreError.invalid("item \(item): score or acquisition not finite") }
        try db.execute(sql: """
          INSERT INTO model_scores (item_id, model_version, score, acquisition, created_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (item_id, model_version) DO UPDATE SET score = excluded.score, acquisition = excluded.acquisition
          """, arguments: [item, modelVersion, value.score, value.acquisition, Self.now])
      }
      try db.execute(sql: "INSERT INTO project_models (project_id, model_version, strategy, created_at) VALUES (?, ?, ?, ?)",
                     arguments: [projectID, modelVersion, strategy, Self.now])
    }
  }

  /// The project's current model version and its strategy, if any model has scored it.
  public func currentModel(projectID: Int64) throws -> (version: String, strategy: String)? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT model_version, strategy FROM project_models WHERE project_id = ? ORDER BY id DESC LIMIT 1",
                       arguments: [projectID]).map { (try $0.decode(forColumn: "model_version"), try $0.decode(forColumn: "strategy")) }
    }
  }

  /// The current model's version and its score of `itemID` as the page shows it (no score in blind mode).
  static func shown(_ db: Database, project: LabelProject, itemID: Int64) throws -> (String?, Double?) {
    guard let version = try String.fetchOne(db, sql: "SELECT model_version FROM project_models WHERE project_id = ? ORDER BY id DESC LIMIT 1",
                                            arguments: [project.id]) else { return (nil, nil) }
    if project.blind { return (version, nil) }
    let score = try Double.fetchOne(db, sql: "SELECT score FROM model_scores WHERE item_id = ? AND model_version = ?", arguments: [itemID, version])
    return (version, score)
  }
}

import Foundation
import GRDB

/// An item to import: its stable id, optional alert ids, its triplet (float32 HWC: science, reference,
/// difference) and, for a gold item, its known labels.
public struct NewLabelItem: Sendable {
  public var externalID: String
  public var candid: Int64?
  public var objectID: String?
  public var height: Int, width: Int, channels: Int
  public var triplet: [Float]
  public var gold: [String]?

  public init(externalID: String, candid: Int64? = nil, objectID: String? = nil, height: Int, width: Int, channels: Int,
              triplet: [Float], gold: [String]? = nil) {
    self.externalID = externalID
    self.candid = candid
    self.objectID = objectID
    self.height = height
    self.width = width
    self.channels = channels
    self.triplet = triplet
    self.gold = gold
  }
}

/// A stored item, without its pixels.
public struct LabelItem: Codable, Equatable, Sendable {
  public let id: Int64
  public let projectID: Int64
  public let dataset: String
  public let externalID: String
  public let candid: Int64?
  public let objectID: String?
  public let height: Int, width: Int, channels: Int
  public let gold: [String]?
}

extension LabelStore {
  /// Imports items into dataset `dataset` of the project (created if new), in one transaction; an item whose
  /// external id is already in the dataset is refused, naming it. Returns how many were added.
  @discardableResult
  public func importItems(projectID: Int64, dataset: String, items: [NewLabelItem]) throws -> Int {
    let dataset = dataset.trimmingCharacters(in: .whitespaces)
    guard !dataset.isEmpty, dataset.count <= 200 else { throw LabelStoreError.invalid("dataset name must be 1 to 200 characters") }
    return try write { db in
      let project = try Self.project(db, id: projectID)
      var datasetID = try Int64.fetchOne(db, sql: "SELECT id FROM datasets WHERE project_id = ? AND name = ?", arguments: [projectID, dataset])
      if datasetID == nil {
        try db.execute(sql: "INSERT INTO datasets (project_id, name, created_at) VALUES (?, ?, ?)", arguments: [projectID, dataset, Self.now])
        datasetID = db.lastInsertedRowID
      }
      for item in items {
        guard !item.externalID.isEmpty, item.externalID.count <= 200 else {
          throw LabelStoreError.invalid("item id '\(item.externalID.prefix(40))' must be 1 to 200 characters")
        }
        guard item.height > 0, item.width > 0, item.channels > 0, item.height * item.width * item.channels == item.triplet.count else {
          throw LabelStoreError.invalid("item '\(item.externalID)': \(item.triplet.count) values for \(item.height)x\(item.width)x\(item.channels)")
        }
        if let gold = item.gold { try Self.validate(gold, in: project, item: item.externalID) }
        if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE dataset_id = ? AND external_id = ?",
                            arguments: [datasetID, item.externalID]) ?? 0 > 0 {
          throw LabelStoreError.conflict("item '\(item.externalID)' is already in dataset '\(dataset)'")
        }
        let blob = item.triplet.withUnsafeBytes { Data($0) }
        let gold = try item.gold.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try db.execute(sql: """
          INSERT INTO items (dataset_id, external_id, candid, object_id, height, width, channels, triplet, gold)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          """, arguments: [datasetID, item.externalID, item.candid, item.objectID, item.height, item.width, item.channels, blob, gold])
      }
      return items.count
    }
  }

  /// Checks `labels` are classes of the project, and one class for a single-label project.
  static func validate(_ labels: [String], in project: LabelProject, item: String) throws {
    if let bad = labels.first(where: { !project.classes.contains($0) }) {
      throw LabelStoreError.invalid("item '\(item)': '\(bad)' is not a class of project '\(project.name)' (\(project.classes.joined(separator: ", ")))")
    }
    guard Set(labels).count == labels.count else { throw LabelStoreError.invalid("item '\(item)': a class is repeated") }
    if !project.multiLabel, labels.count != 1 {
      throw LabelStoreError.invalid("item '\(item)': project '\(project.name)' takes exactly one class, got \(labels.count)")
    }
  }

  /// The item with `id`.
  public func item(id: Int64) throws -> LabelItem {
    try read { db in
      guard let item = try Self.items(db, where: "items.id = ?", [id]).first else { throw LabelStoreError.notFound("no item \(id)") }
      return item
    }
  }

  /// Every item of a project, by id.
  public func items(projectID: Int64) throws -> [LabelItem] {
    try read { db in
      _ = try Self.project(db, id: projectID)
      return try Self.items(db, where: "datasets.project_id = ?", [projectID])
    }
  }

  static func items(_ db: Database, where condition: String, _ arguments: StatementArguments) throws -> [LabelItem] {
    try Row.fetchAll(db, sql: """
      SELECT items.id, datasets.project_id, datasets.name AS dataset, external_id, candid, object_id, height, width, channels, gold
      FROM items JOIN datasets ON datasets.id = items.dataset_id WHERE \(condition) ORDER BY items.id
      """, arguments: arguments).map { row in
      let goldText: String? = try row.decode(forColumn: "gold")
      let gold = try goldText.map { text -> [String] in
        guard let labels = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
          throw LabelStoreError.store("item gold labels are not a JSON array")
        }
        return labels
      }
      return LabelItem(id: try row.decode(forColumn: "id"), projectID: try row.decode(forColumn: "project_id"),
                       dataset: try row.decode(forColumn: "dataset"), externalID: try row.decode(forColumn: "external_id"),
                       candid: try row.decode(forColumn: "candid"), objectID: try row.decode(forColumn: "object_id"),
                       height: try row.decode(forColumn: "height"), width: try row.decode(forColumn: "width"),
                       channels: try row.decode(forColumn: "channels"), gold: gold)
    }
  }

  /// An item's triplet values (float32 HWC).
  public func triplet(itemID: Int64) throws -> (item: LabelItem, values: [Float]) {
    let item = try item(id: itemID)
    let blob = try read { db in try Data.fetchOne(db, sql: "SELECT triplet FROM items WHERE id = ?", arguments: [itemID]) } ?? Data()
    guard blob.count == item.height * item.width * item.channels * 4 else {
      throw LabelStoreError.store("item \(itemID): triplet holds \(blob.count) bytes for \(item.height)x\(item.width)x\(item.channels) float32")
    }
    let values = [Float](unsafeUninitializedCapacity: blob.count / 4) { buffer, initialized in
      initialized = blob.copyBytes(to: buffer) / 4
    }
    return (item, values)
  }
}

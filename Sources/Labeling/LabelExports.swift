import AstroIO
import GRDB
import Foundation

/// The formats a project exports to.
public enum ExportFormat: String, Sendable, CaseIterable {
  /// Zwickyverse's classifications: `{dataset: {file: [labels]}}` (the consensus, majority vote).
  case zwickyverse
  /// Label Studio tasks: every answer an annotation (`completed_by`, `lead_time`, `was_cancelled`), the current
  /// model's score a prediction (`model_version`, `score`).
  case labelstudio
  /// Kowalski's classifications body: `{candid: {human_labels: {class: share}, ml_scores: {model_version: score}}}`.
  case kowalski
}

extension LabelStore {
  /// The project in `format`, as JSON.
  public func export(projectID: Int64, format: ExportFormat, consensus method: ConsensusMethod = .majority) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    switch format {
    case .zwickyverse:
      var datasets = [String: [String: [String]]]()
      for label in try consensus(projectID: projectID, method: method) { datasets[label.dataset, default: [:]][label.externalID] = label.labels }
      return try encoder.encode(datasets)
    case .kowalski:
      let model = try currentModel(projectID: projectID)
      let scores = try model.map { try self.scores(projectID: projectID, modelVersion: $0.version) } ?? [:]
      var body = [String: KowalskiClassification]()
      for label in try consensus(projectID: projectID, method: method) {
        guard let candid = label.candid else { continue }
        body[String(candid)] = KowalskiClassification(
          humanLabels: label.classShares, mlScores: model.flatMap { m in scores[label.itemID].map { [m.version: $0] } })
      }
      return try encoder.encode(body)
    case .labelstudio:
      return try encoder.encode(try labelStudioTasks(projectID: projectID))
    }
  }

  /// The current scores of a model version per item.
  func scores(projectID: Int64, modelVersion: String) throws -> [Int64: Double] {
    try read { db in
      var scores = [Int64: Double]()
      for row in try Row.fetchAll(db, sql: """
        SELECT s.item_id, s.score FROM model_scores s JOIN items i ON i.id = s.item_id JOIN datasets d ON d.id = i.dataset_id
        WHERE d.project_id = ? AND s.model_version = ?
        """, arguments: [projectID, modelVersion]) {
        scores[try row.decode(forColumn: "item_id")] = try row.decode(forColumn: "score")
      }
      return scores
    }
  }

  func labelStudioTasks(projectID: Int64) throws -> [LabelStudioTask] {
    let items = try items(projectID: projectID)
    let events = try events(projectID: projectID)
    let retracted = Set(events.compactMap(\.retracts))
    let model = try currentModel(projectID: projectID)
    let scores = try model.map { try self.scores(projectID: projectID, modelVersion: $0.version) } ?? [:]
    let byItem = Dictionary(grouping: events.filter { $0.kind != .retract && !retracted.contains($0.id) }, by: \.itemID)
    func iso(_ seconds: Double) -> String {
      let formatter = ISO8601DateFormatter()
      formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
      return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
    return items.map { item in
      let annotations = (byItem[item.id] ?? []).map { event in
        LabelStudioTask.Annotation(
          id: event.id, result: event.kind == .label ? [.choices(event.labels)] : [], wasCancelled: event.kind == .skip,
          groundTruth: false, createdAt: iso(event.createdAt), updatedAt: iso(event.createdAt), leadTime: event.seconds,
          completedBy: event.labellerName, unsure: event.unsure, modelVersion: event.modelVersion, shownScore: event.shownScore)
      }
      let predictions = model.flatMap { m in scores[item.id].map { [LabelStudioTask.Prediction(modelVersion: m.version, score: $0, result: [])] } } ?? []
      return LabelStudioTask(
        id: item.id, data: ["external_id": item.externalID, "dataset": item.dataset, "candid": item.candid.map(String.init) ?? "",
                            "image": "/api/items/\(item.id)/triplet.png"],
        annotations: annotations + (item.gold.map { [LabelStudioTask.Annotation.gold(item.id, $0)] } ?? []), predictions: predictions)
    }
  }

  /// braai's training files from the consensus of a two-class project: `triplets.<stamp>.npy` (float32 N×H×W×C),
  /// `labels.<stamp>.npy` (float32, 1 where the consensus holds `positiveClass`) and `candids.<stamp>.npy` (int64,
  /// 0 where an item has none), each written atomically. Returns the paths.
  @discardableResult
  public func exportTrainingArrays(projectID: Int64, positiveClass: String, folder: String, stamp: String,
                                   consensus method: ConsensusMethod = .majority) throws -> [String] {
    let project = try project(id: projectID)
    guard project.classes.contains(positiveClass) else {
      throw LabelStoreError.invalid("'\(positiveClass)' is not a class of project '\(project.name)'")
    }
    let labels = try consensus(projectID: projectID, method: method)
    guard let first = labels.first else { throw LabelStoreError.invalid("project '\(project.name)' has no consensus labels to export") }
    let shape = try triplet(itemID: first.itemID).item
    var values = [Float]()
    for label in labels {
      let (item, triplet) = try triplet(itemID: label.itemID)
      guard (item.height, item.width, item.channels) == (shape.height, shape.width, shape.channels) else {
        throw LabelStoreError.invalid("item '\(item.externalID)' is \(item.height)x\(item.width)x\(item.channels), others \(shape.height)x\(shape.width)x\(shape.channels)")
      }
      values += triplet
    }
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    func path(_ name: String) -> String { URL(fileURLWithPath: folder).appendingPathComponent("\(name).\(stamp).npy").path }
    try NpyArray(shape: [labels.count, shape.height, shape.width, shape.channels], floats: values).write(to: path("triplets"))
    try NpyArray(shape: [labels.count], floats: labels.map { $0.labels.contains(positiveClass) ? 1 : 0 }).write(to: path("labels"))
    try NpyArray(shape: [labels.count], int64s: labels.map { $0.candid ?? 0 }).write(to: path("candids"))
    return [path("triplets"), path("labels"), path("candids")]
  }
}

/// Kowalski's per-candid classification document.
struct KowalskiClassification: Codable {
  let humanLabels: [String: Double]
  let mlScores: [String: Double]?
  private enum CodingKeys: String, CodingKey { case humanLabels = "human_labels", mlScores = "ml_scores" }
}

/// A Label Studio task (labelstud.io/guide/task_format).
struct LabelStudioTask: Codable {
  struct Result: Codable {
    let fromName: String, toName: String, type: String
    let value: [String: [String]]
    static func choices(_ labels: [String]) -> Result { Result(fromName: "label", toName: "image", type: "choices", value: ["choices": labels]) }
    private enum CodingKeys: String, CodingKey { case fromName = "from_name", toName = "to_name", type, value }
  }
  struct Annotation: Codable {
    let id: Int64
    let result: [Result]
    let wasCancelled: Bool
    let groundTruth: Bool
    let createdAt: String, updatedAt: String
    let leadTime: Double?
    let completedBy: String
    let unsure: Bool
    let modelVersion: String?
    let shownScore: Double?
    /// A gold item's known answer, as Label Studio's ground-truth annotation.
    static func gold(_ item: Int64, _ labels: [String]) -> Annotation {
      Annotation(id: -item, result: [.choices(labels)], wasCancelled: false, groundTruth: true, createdAt: "", updatedAt: "",
                 leadTime: nil, completedBy: "gold", unsure: false, modelVersion: nil, shownScore: nil)
    }
    private enum CodingKeys: String, CodingKey {
      case id, result, wasCancelled = "was_cancelled", groundTruth = "ground_truth", createdAt = "created_at", updatedAt = "updated_at"
      case leadTime = "lead_time", completedBy = "completed_by", unsure, modelVersion = "model_version", shownScore = "shown_score"
    }
  }
  struct Prediction: Codable {
    let modelVersion: String
    let score: Double
    let result: [Result]
    private enum CodingKeys: String, CodingKey { case modelVersion = "model_version", score, result }
  }
  let id: Int64
  let data: [String: String]
  let annotations: [Annotation]
  let predictions: [Prediction]
}

import Foundation

/// The JSON bodies the labelling server accepts, and what each does to the store. The server and the fuzz target
/// both go through these, so what is fuzzed is what is served.
public enum LabelRequests {
  /// `POST /api/projects` (admins): `{"name", "classes", "multi_label"?, "labels_per_item"?, "blind"?}`.
  public struct NewProject: Decodable, Sendable {
    public let name: String
    public let classes: [String]
    public let multiLabel: Bool?
    public let labelsPerItem: Int?
    public let blind: Bool?
    private enum CodingKeys: String, CodingKey {
      case name, classes, multiLabel = "multi_label", labelsPerItem = "labels_per_item", blind
    }

    /// Creates the project (the store validates names, classes and counts).
    public func apply(to store: LabelStore) throws -> LabelProject {
      try store.createProject(
        name: name, classes: classes, multiLabel: multiLabel ?? false, labelsPerItem: labelsPerItem ?? 1, blind: blind ?? false)
    }
  }

  /// `POST /api/items/:item/labels`: `{"labels"?, "seconds"?, "unsure"?, "skip"?}`. Labels are recorded for the
  /// caller's own token; a name in the body is never read.
  public struct NewLabel: Decodable, Sendable {
    public let labels: [String]?
    public let seconds: Double?
    public let unsure: Bool?
    public let skip: Bool?

    /// Records the event for `labeller` on `itemID` (the store validates classes, seconds and the item).
    public func apply(to store: LabelStore, itemID: Int64, labeller: Labeller) throws -> LabelEvent {
      try store.record(
        itemID: itemID, labeller: labeller, labels: labels ?? [], unsure: unsure ?? false, seconds: seconds, skip: skip ?? false)
    }
  }
}

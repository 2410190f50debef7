import Foundation

/// An error opening, migrating, writing or querying an alert store, or a record the store refuses.
///
/// The description names the store file (or the packet/record label) and what was wrong, e.g.
/// `alerts.sqlite: written by a newer AlertStore (schema version 7; this build knows up to 2)`.
public struct AlertStoreError: Error, CustomStringConvertible, LocalizedError, Sendable {
  /// The store path, packet file or record label the error is about.
  public let source: String
  /// What went wrong.
  public let reason: String

  public init(source: String, reason: String) {
    self.source = source
    self.reason = reason
  }

  /// `<source>: <reason>`.
  public var description: String { "\(source): \(reason)" }

  public var errorDescription: String? { description }
}

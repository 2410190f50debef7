import Foundation

/// A fresh folder under the temporary directory, removed when the object goes away (keep it in a test's
/// property, set in `setUp`).
public final class TemporaryFolder {
  public let url: URL

  public init(_ prefix: String) throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: url) }

  public var path: String { url.path }

  /// The path of `name` inside the folder.
  public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

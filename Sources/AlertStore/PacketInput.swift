import Foundation

/// One alert packet to ingest (an Avro container, usually holding one alert), loaded when its batch is decoded:
/// a file on disk, or bytes already in memory (e.g. a message taken from a Kafka topic).
public struct PacketInput: Sendable {
  /// The file path or label, used in progress and error messages.
  public let label: String
  private let loader: @Sendable () throws -> Data

  public init(label: String, load: @escaping @Sendable () throws -> Data) {
    self.label = label
    self.loader = load
  }

  /// The packet's bytes.
  public func load() throws -> Data { try loader() }

  /// A packet file.
  public static func file(_ path: String) -> PacketInput {
    PacketInput(label: path) {
      do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
      } catch {
        throw AlertStoreError(source: path, reason: "cannot read file: \(error.localizedDescription)")
      }
    }
  }

  /// Packet bytes already in memory.
  public static func bytes(_ data: Data, label: String) -> PacketInput {
    PacketInput(label: label) { data }
  }

  /// The packet files named by `paths`: files as given, folders searched recursively for `.avro` files (sorted
  /// by path, so batches and progress are reproducible). Throws `AlertStoreError` for a path that does not exist.
  public static func files(in paths: [String]) throws -> [PacketInput] {
    var files: [String] = []
    let fm = FileManager.default
    for path in paths {
      var isFolder: ObjCBool = false
      guard fm.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw AlertStoreError(source: path, reason: "no such file or folder")
      }
      guard isFolder.boolValue else {
        files.append(path)
        continue
      }
      guard let walker = fm.enumerator(atPath: path) else {
        throw AlertStoreError(source: path, reason: "cannot list the folder")
      }
      var found: [String] = []
      while let relative = walker.nextObject() as? String {
        if relative.hasSuffix(".avro") { found.append((path as NSString).appendingPathComponent(relative)) }
      }
      files += found.sorted()
    }
    return files.map(PacketInput.file)
  }
}

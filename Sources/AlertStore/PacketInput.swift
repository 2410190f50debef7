import Foundation
import ZTFAlerts

/// One alert packet to ingest (an Avro container, usually holding one alert), loaded when its batch is decoded:
/// a file on disk, or bytes already in memory (e.g. a message taken from a Kafka topic).
public struct PacketInput: Sendable {
  /// The file path or label, used in progress and error messages.
  public let label: String
  private let loader: @Sendable () throws -> Data
  /// The schema of packets framed as one Avro datum (LSST's Confluent wire format) and the schema id they must
  /// carry (nil: any); nil for Avro container files only.
  public let framedSchema: FramedSchema?

  public init(label: String, framedSchema: FramedSchema? = nil, load: @escaping @Sendable () throws -> Data) {
    self.label = label
    self.framedSchema = framedSchema
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

  /// Packet bytes already in memory: an Avro container file, or with `framedSchema` also a framed datum.
  public static func bytes(_ data: Data, label: String, framedSchema: FramedSchema? = nil) -> PacketInput {
    PacketInput(label: label, framedSchema: framedSchema) { data }
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

/// The writer schema of alerts sent as single framed Avro datums (magic byte 0, 4-byte schema id, datum), with the
/// schema id they must carry (nil: any id).
public struct FramedSchema: Sendable {
  public let id: Int32?
  public let schema: AvroSchema

  public init(id: Int32?, schema: AvroSchema) {
    self.id = id
    self.schema = schema
  }

  /// Reads an Avro schema (`.avsc` JSON) file. Throws `AlertStoreError` naming the file when it cannot be read or
  /// is not a schema.
  public init(file: String, id: Int32?) throws {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
      throw AlertStoreError(source: file, reason: "cannot read the schema: \(error.localizedDescription)")
    }
    do { schema = try AvroSchema(jsonData: data, source: file) } catch let e as AlertError {
      throw AlertStoreError(source: file, reason: e.reason)
    }
    self.id = id
  }
}

import Foundation

/// An Avro Object Container File: header (magic `Obj\x01`, metadata map, 16-byte sync marker), then blocks of
/// (object count, byte size, data, sync marker). Codecs `null` and `deflate` are supported.
public struct AvroContainer: Sendable {
  /// Inflated blocks may not exceed this size (a deflate bomb is refused rather than exhausting memory).
  public static let maximumInflatedBlockSize = 256 << 20

  /// The path or label the container was read from (used in errors).
  public let source: String
  /// Header metadata (`avro.schema`, `avro.codec`, and anything else the writer put there).
  public let metadata: [String: Data]
  /// `null` or `deflate`.
  public let codec: String
  /// The writer schema.
  public let schema: AvroSchema
  /// The 16-byte sync marker.
  public let syncMarker: Data
  /// Every object of every block, in file order.
  public let records: [AvroValue]

  /// Decodes a whole container. Throws `AlertError` naming `source`, the block and byte offset of any problem.
  public init(data: Data, source: String) throws {
    self.source = source
    do {
      (metadata, codec, schema, syncMarker, records) = try data.withUnsafeBytes { try Self.decode($0) }
    } catch let f as AvroFailure {
      throw AlertError(source: source, reason: f.message)
    }
  }

  private static let magic: [UInt8] = [0x4f, 0x62, 0x6a, 0x01]  // "Obj\x01"

  private static func decode(
    _ bytes: UnsafeRawBufferPointer
  ) throws -> ([String: Data], String, AvroSchema, Data, [AvroValue]) {
    var cursor = ByteCursor(bytes)
    guard bytes.count >= 4 else { throw AvroFailure("not an Avro container file: only \(bytes.count) bytes") }
    guard Array(bytes[0..<4]) == magic else {
      let shown = bytes[0..<4].map { String(format: "%02x", $0) }.joined(separator: " ")
      throw AvroFailure("not an Avro container file: starts with \(shown), expected 4f 62 6a 01 (\"Obj\\x01\")")
    }
    _ = try cursor.readBytes(4, "magic")

    // Header metadata: an Avro map of bytes.
    var header = AvroDecoder(cursor)
    let metadataValue: AvroValue
    do {
      metadataValue = try header.decode(.map(.bytes))
    } catch let f as AvroFailure {
      throw AvroFailure("header metadata: " + f.message)
    }
    cursor = header.cursor
    var metadata: [String: Data] = [:]
    for (key, value) in metadataValue.mapValue ?? [:] { metadata[key] = value.dataValue }
    let syncStart = cursor.position
    guard cursor.remaining >= 16 else {
      throw cursor.failure("header: truncated sync marker (\(cursor.remaining) of 16 bytes)", at: syncStart)
    }
    let sync = try cursor.readBytes(16, "sync marker")

    let codec = metadata["avro.codec"].map { String(decoding: $0, as: UTF8.self) } ?? "null"
    guard codec == "null" || codec == "deflate" else {
      throw AvroFailure("unsupported codec '\(codec)' (only null and deflate are supported)")
    }
    guard let schemaJSON = metadata["avro.schema"] else { throw AvroFailure("header has no avro.schema") }
    let schema = try SchemaCache.shared.schema(for: schemaJSON)

    var records: [AvroValue] = []
    var inflated: [UInt8] = []
    var block = 0
    while !cursor.isAtEnd {
      do {
        let countStart = cursor.position
        let count = try cursor.readLong("object count")
        guard count >= 0 else { throw cursor.failure("negative object count \(count)", at: countStart) }
        let sizeStart = cursor.position
        let size = try cursor.readLong("block size")
        guard size >= 0 else { throw cursor.failure("negative block size \(size)", at: sizeStart) }
        guard size <= Int64(cursor.remaining) else {
          throw cursor.failure("block data truncated: block size is \(size) but \(cursor.remaining) bytes remain", at: sizeStart)
        }
        let dataStart = cursor.position
        let data = try cursor.readBytes(Int(size), "block data")
        let markerStart = cursor.position
        guard cursor.remaining >= 16 else {
          throw cursor.failure("truncated sync marker after the block (\(cursor.remaining) of 16 bytes)", at: markerStart)
        }
        guard try cursor.readBytes(16, "sync marker").elementsEqual(sync) else {
          throw cursor.failure("sync marker after the block does not match the header's", at: markerStart)
        }

        if codec == "deflate" {
          do {
            try Zlib.inflate(data, format: .raw, limit: maximumInflatedBlockSize, sizeHint: data.count * 4, into: &inflated)
          } catch let z as ZlibFailure {
            throw AvroFailure("deflate: \(z.reason)")
          }
          try inflated.withUnsafeBytes { buffer in
            var decoder = AvroDecoder(ByteCursor(buffer, inflated: true))
            try decodeObjects(count: count, schema: schema, decoder: &decoder, into: &records)
          }
        } else {
          var decoder = AvroDecoder(ByteCursor(data, origin: dataStart))
          try decodeObjects(count: count, schema: schema, decoder: &decoder, into: &records)
        }
      } catch var f as AvroFailure {
        f.reason = "block \(block): " + (f.path.isEmpty ? f.reason : f.message)
        f.path = []
        throw f
      }
      block += 1
    }
    return (metadata, codec, schema, Data(sync), records)
  }

  private static func decodeObjects(
    count: Int64, schema: AvroSchema, decoder: inout AvroDecoder, into records: inout [AvroValue]
  ) throws {
    // Objects of a schema that takes no bytes (a bare null) could repeat forever; anything else runs into the
    // end of the block (a clear truncation error naming the field) long before a large count matters.
    if schema.minimumSize == 0 && count > Int64(AvroDecoder.maximumZeroSizeItems) {
      throw AvroFailure("object count \(count) is implausible")
    }
    for i in 0..<Int(count) {
      do {
        records.append(try decoder.decode(schema))
      } catch let f as AvroFailure {
        throw AvroFailure("record \(i): " + f.message)
      }
    }
    guard decoder.cursor.isAtEnd else {
      throw decoder.cursor.failure("\(decoder.cursor.remaining) bytes left over after \(count) objects", at: decoder.cursor.position)
    }
  }
}

/// Parsed writer schemas by their JSON bytes. Every ZTF packet carries the same ~40 kB schema; parsing it once
/// instead of once per packet is most of the difference between hundreds and thousands of packets per second.
/// Unchecked Sendable: `entries` is only touched with `lock` held; parsed schemas are immutable.
final class SchemaCache: @unchecked Sendable {
  static let shared = SchemaCache()
  private static let capacity = 32
  private let lock = NSLock()
  private var entries: [Data: AvroSchema] = [:]

  func schema(for json: Data) throws -> AvroSchema {
    lock.lock()
    let cached = entries[json]
    lock.unlock()
    if let cached { return cached }
    let schema: AvroSchema
    do {
      schema = try AvroSchemaParser.parse(json)
    } catch var f as AvroFailure {
      f.reason = "writer schema: " + (f.path.isEmpty ? f.reason : f.message)
      f.path = []
      throw f
    }
    lock.lock()
    if entries.count >= Self.capacity { entries.removeAll() }
    entries[json] = schema
    lock.unlock()
    return schema
  }
}

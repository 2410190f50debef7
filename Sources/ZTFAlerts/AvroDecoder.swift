import Foundation

/// Schema-driven decoding of Avro binary data into `AvroValue`s.
///
/// Why our own decoder rather than the Avro C library: a schema-driven decoder in Swift is about as small as the
/// C glue (schema handles, value interfaces, reference counting) would be, and every read goes through
/// `ByteCursor`'s bounds checks, so a truncated or corrupt packet throws an error naming the field and offset
/// instead of aborting the process or reading out of bounds.
struct AvroDecoder {
  /// Nesting limit: corrupt data for a recursive schema could otherwise recurse until the stack overflows.
  static let maximumDepth = 128
  /// An array or map block whose items take no bytes (null items, empty records) may still not claim more than this.
  static let maximumZeroSizeItems = 1 << 20

  var cursor: ByteCursor

  init(_ cursor: ByteCursor) { self.cursor = cursor }

  mutating func decode(_ schema: AvroSchema, depth: Int = 0) throws -> AvroValue {
    switch schema {
    case .null:
      return .null
    case .boolean:
      let start = cursor.position
      let b = try cursor.readByte("boolean")
      guard b <= 1 else { throw cursor.failure("boolean byte \(b) is neither 0 nor 1", at: start) }
      return .bool(b == 1)
    case .int:
      return .int(try cursor.readInt())
    case .long:
      return .long(try cursor.readLong())
    case .float:
      return .float(Float(bitPattern: try cursor.readUInt32LE("float")))
    case .double:
      return .double(Double(bitPattern: try cursor.readUInt64LE("double")))
    case .bytes:
      let n = try cursor.readLength("bytes length")
      let raw = try cursor.readBytes(n, "bytes")
      return .bytes(Data(raw))
    case .string:
      return .string(try readString())
    case .record(let layout):
      return .record(try decodeRecord(layout, depth: depth))
    case .enumeration(_, let symbols):
      let start = cursor.position
      let i = try cursor.readInt()
      guard i >= 0, Int(i) < symbols.count else {
        throw cursor.failure("enum index \(i) out of range 0..<\(symbols.count)", at: start)
      }
      return .enumSymbol(symbols[Int(i)])
    case .array(let items):
      guard depth < Self.maximumDepth else { throw cursor.failure("nesting deeper than \(Self.maximumDepth)", at: cursor.position) }
      var result: [AvroValue] = []
      try readBlocks(itemSize: items.minimumSize, isMap: false) { decoder, index in
        do {
          result.append(try decoder.decode(items, depth: depth + 1))
        } catch var failure as AvroFailure {
          failure.path.append("[\(index)]")
          throw failure
        }
      }
      return .array(result)
    case .map(let values):
      guard depth < Self.maximumDepth else { throw cursor.failure("nesting deeper than \(Self.maximumDepth)", at: cursor.position) }
      var result: [String: AvroValue] = [:]
      try readBlocks(itemSize: 1 + values.minimumSize, isMap: true) { decoder, index in
        var key = "entry \(index)"
        do {
          key = try decoder.readString()
          result[key] = try decoder.decode(values, depth: depth + 1)
        } catch var failure as AvroFailure {
          failure.path.append("[\"\(key)\"]")
          throw failure
        }
      }
      return .map(result)
    case .union(let branches):
      let start = cursor.position
      let i = try cursor.readLong("union index")
      guard i >= 0, i < Int64(branches.count) else {
        throw cursor.failure("union index \(i) out of range 0..<\(branches.count)", at: start)
      }
      return try decode(branches[Int(i)], depth: depth + 1)
    case .fixed(_, let size):
      return .fixed(Data(try cursor.readBytes(size, "fixed")))
    }
  }

  mutating func decodeRecord(_ layout: AvroRecordLayout, depth: Int) throws -> AvroRecord {
    guard depth < Self.maximumDepth else { throw cursor.failure("nesting deeper than \(Self.maximumDepth)", at: cursor.position) }
    let schemas = layout.fieldSchemas
    var values: [AvroValue] = []
    values.reserveCapacity(schemas.count)
    for i in 0..<schemas.count {
      do {
        values.append(try decode(schemas[i], depth: depth + 1))
      } catch var failure as AvroFailure {
        failure.path.append(layout.fieldNames[i])
        throw failure
      }
    }
    return AvroRecord(layout: layout, values: values)
  }

  mutating func readString() throws -> String {
    let start = cursor.position
    let n = try cursor.readLength("string length")
    let raw = try cursor.readBytes(n, "string")
    guard let s = String(validating: raw, as: UTF8.self) else { throw cursor.failure("string is not valid UTF-8", at: start) }
    return s
  }

  /// Avro's blocked encoding of arrays and maps: blocks of (count, items) until a zero count; a negative count
  /// is followed by the block's byte size. Counts are checked against the bytes left (using the item schema's
  /// minimum size) before any item is decoded, so an absurd count is refused at once.
  private mutating func readBlocks(itemSize: Int, isMap: Bool, _ item: (inout AvroDecoder, Int) throws -> Void) throws {
    let what = isMap ? "map" : "array"
    var index = 0
    while true {
      let start = cursor.position
      var count = try cursor.readLong(isMap ? "map block count" : "array block count")
      if count == 0 { return }
      if count < 0 {
        guard count != Int64.min else { throw cursor.failure("invalid \(what) block count", at: start) }
        count = -count
        _ = try cursor.readLength(isMap ? "map block size" : "array block size")
      }
      let limit = itemSize > 0 ? cursor.remaining / itemSize : Self.maximumZeroSizeItems - index
      guard count <= Int64(limit) else {
        throw cursor.failure(
          "truncated or corrupt \(what): block count \(count) cannot fit in the \(cursor.remaining) bytes left", at: start)
      }
      for _ in 0..<Int(count) {
        try item(&self, index)
        index += 1
      }
    }
  }
}

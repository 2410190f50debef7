import Foundation
import ZTFAlerts

/// Avro binary encoding of decoded values, and object container files: the inverse of ZTFAlerts' decoder, so
/// generated alerts travel through the same decoding path as real ones (benchmarks, crash tests).
enum AvroEncoder {
  /// Encodes `value` as `schema` (unions pick the first branch the value fits). Throws `AlertStoreError`
  /// naming the field path when the value does not match the schema.
  static func encode(_ value: AvroValue, as schema: AvroSchema, into out: inout [UInt8], path: String = "") throws {
    func mismatch() -> AlertStoreError {
      AlertStoreError(source: "Avro encoder", reason: "\(path.isEmpty ? "value" : path): \(value) does not fit the schema")
    }
    switch (schema, value) {
    case (.null, .null): break
    case (.boolean, .bool(let b)): out.append(b ? 1 : 0)
    case (.int, .int(let v)): writeLong(Int64(v), into: &out)
    case (.long, .long(let v)): writeLong(v, into: &out)
    case (.long, .int(let v)): writeLong(Int64(v), into: &out)
    case (.float, .float(let v)): withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 }
    case (.double, .double(let v)): withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 }
    case (.bytes, .bytes(let d)):
      writeLong(Int64(d.count), into: &out)
      out += d
    case (.string, .string(let s)):
      let utf8 = Array(s.utf8)
      writeLong(Int64(utf8.count), into: &out)
      out += utf8
    case (.fixed(_, let size), .fixed(let d)):
      guard d.count == size else { throw mismatch() }
      out += d
    case (.enumeration(_, let symbols), .enumSymbol(let s)):
      guard let i = symbols.firstIndex(of: s) else { throw mismatch() }
      writeLong(Int64(i), into: &out)
    case (.array(let items), .array(let values)):
      if !values.isEmpty {
        writeLong(Int64(values.count), into: &out)
        for (i, v) in values.enumerated() { try encode(v, as: items, into: &out, path: "\(path)[\(i)]") }
      }
      out.append(0)
    case (.map(let itemSchema), .map(let entries)):
      if !entries.isEmpty {
        writeLong(Int64(entries.count), into: &out)
        for (key, v) in entries.sorted(by: { $0.key < $1.key }) {
          try encode(.string(key), as: .string, into: &out)
          try encode(v, as: itemSchema, into: &out, path: "\(path)[\"\(key)\"]")
        }
      }
      out.append(0)
    case (.record(let layout), .record(let record)):
      guard record.layout.fieldNames == layout.fieldNames else { throw mismatch() }
      for (i, fieldSchema) in layout.fieldSchemas.enumerated() {
        let name = layout.fieldNames[i]
        try encode(record.values[i], as: fieldSchema, into: &out, path: path.isEmpty ? name : "\(path).\(name)")
      }
    case (.union(let branches), _):
      guard let i = branches.firstIndex(where: { fits(value, $0) }) else { throw mismatch() }
      writeLong(Int64(i), into: &out)
      try encode(value, as: branches[i], into: &out, path: path)
    default:
      throw mismatch()
    }
  }

  /// Whether `value` has the kind `schema` encodes (records by type name), to choose a union branch.
  private static func fits(_ value: AvroValue, _ schema: AvroSchema) -> Bool {
    switch (schema, value) {
    case (.null, .null), (.boolean, .bool), (.int, .int), (.long, .long), (.float, .float), (.double, .double),
      (.bytes, .bytes), (.string, .string), (.fixed, .fixed), (.enumeration, .enumSymbol), (.array, .array),
      (.map, .map):
      return true
    case (.record(let layout), .record(let record)): return layout.name == record.layout.name
    default: return false
    }
  }

  /// Zig-zag variable-length encoding of Avro int and long.
  static func writeLong(_ v: Int64, into out: inout [UInt8]) {
    var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
    while z >= 0x80 {
      out.append(UInt8(z & 0x7f) | 0x80)
      z >>= 7
    }
    out.append(UInt8(z))
  }

  /// An object container file (codec null) holding `records` in one block, with the writer schema's JSON text.
  static func container(records: [AvroValue], schema: AvroSchema, schemaJSON: Data, sync: [UInt8]) throws -> Data {
    precondition(sync.count == 16, "Avro sync marker must be 16 bytes")
    var out: [UInt8] = Array("Obj".utf8) + [1]
    try encode(
      .map(["avro.schema": .bytes(schemaJSON), "avro.codec": .bytes(Data("null".utf8))]), as: .map(.bytes), into: &out)
    out += sync
    var block: [UInt8] = []
    for (i, r) in records.enumerated() { try encode(r, as: schema, into: &block, path: "record \(i)") }
    writeLong(Int64(records.count), into: &out)
    writeLong(Int64(block.count), into: &out)
    out += block
    out += sync
    return Data(out)
  }
}

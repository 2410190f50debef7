import Foundation
import ZTFAlerts

/// A JSON value whose objects keep their key order, rendered to compact text.
///
/// Why not JSONSerialization: it loses key order (alerts read best with `candid` and `objectId` first and the
/// candidate's fields in schema order), and it would widen float32 packet values into long doubles
/// (0.9442857 becomes 0.9442856907844543). `raw` embeds JSON text that is already rendered, such as the
/// candidate records stored as JSON, without parsing it again.
public indirect enum JSONText: Sendable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  /// A float32 value, written with the fewest digits that read back as the same float32.
  case float(Float)
  case string(String)
  case array([JSONText])
  case object([(String, JSONText)])
  /// Already-rendered JSON, written as is.
  case raw(String)

  /// Compact JSON text.
  public var rendered: String {
    var out = ""
    write(to: &out)
    return out
  }

  /// Appends the compact JSON text to `out`.
  public func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let v): out += String(v)
    // JSON has no NaN or infinity: such a value is unknown, written as null.
    case .double(let v): out += v.isFinite ? String(v) : "null"
    case .float(let v): out += v.isFinite ? String(v) : "null"
    case .string(let s): Self.writeString(s, to: &out)
    case .raw(let text): out += text
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (i, (key, value)) in members.enumerated() {
        if i > 0 { out += "," }
        Self.writeString(key, to: &out)
        out += ":"
        value.write(to: &out)
      }
      out += "}"
    }
  }

  /// A JSON string literal with the escapes RFC 8259 requires.
  static func writeString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
          + String(scalar.value, radix: 16)
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }

  /// `.double`, or `.null` for nil.
  public static func number(_ v: Double?) -> JSONText { v.map { .double($0) } ?? .null }
  /// `.int`, or `.null` for nil.
  public static func integer<I: BinaryInteger>(_ v: I?) -> JSONText { v.map { .int(Int64($0)) } ?? .null }
  /// `.string`, or `.null` for nil.
  public static func text(_ v: String?) -> JSONText { v.map { .string($0) } ?? .null }
}

extension JSONText {
  /// An Avro value as JSON: records become objects in schema order, maps objects with sorted keys, bytes and
  /// fixed base64 strings, enum symbols strings, and unions the value of the branch written.
  public init(avro value: AvroValue) {
    switch value {
    case .null: self = .null
    case .bool(let b): self = .bool(b)
    case .int(let v): self = .int(Int64(v))
    case .long(let v): self = .int(v)
    case .float(let v): self = .float(v)
    case .double(let v): self = .double(v)
    case .bytes(let d), .fixed(let d): self = .string(d.base64EncodedString())
    case .string(let s), .enumSymbol(let s): self = .string(s)
    case .array(let items): self = .array(items.map(JSONText.init(avro:)))
    case .map(let m): self = .object(m.sorted { $0.key < $1.key }.map { ($0.key, JSONText(avro: $0.value)) })
    case .record(let r): self = JSONText(avro: r)
    }
  }

  /// An Avro record as a JSON object, fields in schema order.
  public init(avro record: AvroRecord) {
    self = .object(zip(record.layout.fieldNames, record.values).map { ($0, JSONText(avro: $1)) })
  }
}

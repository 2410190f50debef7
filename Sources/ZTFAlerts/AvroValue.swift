import Foundation

/// One decoded Avro datum. Unions decode to the value of the branch that was written (a null branch is `.null`).
public enum AvroValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int32)
  case long(Int64)
  case float(Float)
  case double(Double)
  case bytes(Data)
  case string(String)
  case array([AvroValue])
  case map([String: AvroValue])
  case record(AvroRecord)
  case enumSymbol(String)
  case fixed(Data)

  public var isNull: Bool { if case .null = self { return true } else { return false } }

  /// `.int` or `.long` as Int64.
  public var int64Value: Int64? {
    switch self {
    case .int(let v): return Int64(v)
    case .long(let v): return v
    default: return nil
    }
  }

  /// `.int` or `.long` as Int.
  public var intValue: Int? { int64Value.map { Int($0) } }

  /// `.float` or `.double` as Double.
  public var doubleValue: Double? {
    switch self {
    case .float(let v): return Double(v)
    case .double(let v): return v
    default: return nil
    }
  }

  /// `.float` or `.double` as Float (a double is rounded).
  public var floatValue: Float? {
    switch self {
    case .float(let v): return v
    case .double(let v): return Float(v)
    default: return nil
    }
  }

  public var boolValue: Bool? { if case .bool(let v) = self { return v } else { return nil } }

  /// `.string` or `.enumSymbol`.
  public var stringValue: String? {
    switch self {
    case .string(let s), .enumSymbol(let s): return s
    default: return nil
    }
  }

  /// `.bytes` or `.fixed`.
  public var dataValue: Data? {
    switch self {
    case .bytes(let d), .fixed(let d): return d
    default: return nil
    }
  }

  public var arrayValue: [AvroValue]? { if case .array(let a) = self { return a } else { return nil } }
  public var mapValue: [String: AvroValue]? { if case .map(let m) = self { return m } else { return nil } }
  public var recordValue: AvroRecord? { if case .record(let r) = self { return r } else { return nil } }
}

/// A decoded record: values in schema order plus the shared layout that names them.
public struct AvroRecord: Sendable, Equatable {
  /// The record type (name and field names), shared by all records of the type.
  public let layout: AvroRecordLayout
  /// Field values, in the layout's field order.
  public let values: [AvroValue]

  public init(layout: AvroRecordLayout, values: [AvroValue]) {
    precondition(values.count == layout.fieldNames.count, "AvroRecord: \(values.count) values for \(layout.fieldNames.count) fields")
    self.layout = layout
    self.values = values
  }

  /// The value of field `name`, or nil when the record's schema has no such field (a null value is `.null`).
  @inlinable
  public subscript(name: String) -> AvroValue? {
    guard let i = layout.index[name] else { return nil }
    return values[i]
  }

  /// Fields in schema order.
  public var fields: [(name: String, value: AvroValue)] {
    Array(zip(layout.fieldNames, values)).map { (name: $0.0, value: $0.1) }
  }

  /// Fields as a dictionary (order lost).
  public var dictionary: [String: AvroValue] {
    Dictionary(zip(layout.fieldNames, values), uniquingKeysWith: { a, _ in a })
  }

  public static func == (a: AvroRecord, b: AvroRecord) -> Bool {
    (a.layout === b.layout || a.layout.fieldNames == b.layout.fieldNames) && a.values == b.values
  }
}

extension AvroValue: CustomStringConvertible {
  /// A compact JSON-like rendering (bytes shown by length), for debugging and error messages.
  public var description: String {
    switch self {
    case .null: return "null"
    case .bool(let v): return String(v)
    case .int(let v): return String(v)
    case .long(let v): return String(v)
    case .float(let v): return String(v)
    case .double(let v): return String(v)
    case .bytes(let d): return "<\(d.count) bytes>"
    case .fixed(let d): return "<fixed \(d.count) bytes>"
    case .string(let s), .enumSymbol(let s): return "\"\(s)\""
    case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
    case .map(let m): return "{" + m.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
    case .record(let r): return "{" + r.fields.map { "\"\($0.name)\": \($0.value)" }.joined(separator: ", ") + "}"
    }
  }
}

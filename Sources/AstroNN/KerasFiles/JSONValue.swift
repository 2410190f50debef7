import Foundation

/// A JSON document as a value: what Keras model configs are made of. Numbers, booleans and nulls stay
/// apart (a `1` is never `true`), which `JSONSerialization`'s `Any` does not guarantee.
public enum JSONValue: Sendable, Equatable, Codable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// Decodes any JSON value, trying null, boolean, number, string, array, then object.
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let b = try? container.decode(Bool.self) {
      self = .bool(b)
    } else if let n = try? container.decode(Double.self) {
      self = .number(n)
    } else if let s = try? container.decode(String.self) {
      self = .string(s)
    } else if let a = try? container.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Encodes the value; whole numbers are written as integers (`3`, not `3.0`).
  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let b): try container.encode(b)
    case .number(let n):
      if let i = Int(exactly: n) { try container.encode(i) } else { try container.encode(n) }
    case .string(let s): try container.encode(s)
    case .array(let a): try container.encode(a)
    case .object(let o): try container.encode(o)
    }
  }

  /// Parses JSON text.
  public static func parse(_ text: String) throws -> JSONValue {
    try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
  }

  /// Compact JSON text with sorted keys (the same value always gives the same text).
  public var text: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
  }

  /// The member `key` of an object; nil when absent or when this is not an object.
  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }

  /// The string, when this is a string.
  public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
  /// The elements, when this is an array.
  public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
  /// The members, when this is an object.
  public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
  /// The boolean, when this is a boolean (never a number).
  public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
  /// The number, when this is a number.
  public var doubleValue: Double? { if case .number(let n) = self { return n } else { return nil } }
  /// The number when it is a whole number.
  public var intValue: Int? { doubleValue.flatMap { Int(exactly: $0) } }
  /// Whether this is `null`.
  public var isNull: Bool { self == .null }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  /// A JSON string.
  public init(stringLiteral value: String) { self = .string(value) }
  /// A JSON number.
  public init(integerLiteral value: Int) { self = .number(Double(value)) }
  /// A JSON number.
  public init(floatLiteral value: Double) { self = .number(value) }
  /// A JSON boolean.
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  /// A JSON array.
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  /// A JSON object; of repeated keys the last wins.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }

  /// A list of integers (shapes, kernel sizes); nil entries (a batch dimension) as null.
  public static func ints(_ values: [Int?]) -> JSONValue { .array(values.map { $0.map { .number(Double($0)) } ?? .null }) }
  /// A float32 written with its shortest decimal (0.99, not 0.9900000095367432).
  public static func float(_ value: Float) -> JSONValue { .number(Double("\(value)") ?? Double(value)) }
}

extension JSONValue: CustomStringConvertible {
  /// Compact JSON, except that a top-level string prints bare (for messages: `channels_first`, not `"channels_first"`).
  public var description: String { stringValue ?? text }
}

import Foundation

/// An Avro schema, as parsed from the JSON a container file carries in its `avro.schema` metadata.
///
/// Named types (record, enum, fixed) may be referenced by name after their definition, with Avro's namespace
/// rules; logical types (`timestamp-millis`, `decimal`, ...) are ignored and decode as their underlying type.
/// Records are shared `AvroRecordLayout` objects, so every decoded record of one type points at the same field list.
public indirect enum AvroSchema: Sendable {
  case null, boolean, int, long, float, double, bytes, string
  case record(AvroRecordLayout)
  case enumeration(name: String, symbols: [String])
  case array(AvroSchema)
  case map(AvroSchema)
  case union([AvroSchema])
  case fixed(name: String, size: Int)

  /// Parses a schema from its JSON text. Throws `AlertError` (source "schema") when the JSON or the schema is invalid.
  public init(json: String, source: String = "schema") throws {
    try self.init(jsonData: Data(json.utf8), source: source)
  }

  /// Parses a schema from JSON bytes.
  public init(jsonData: Data, source: String = "schema") throws {
    do {
      self = try AvroSchemaParser.parse(jsonData)
    } catch let f as AvroFailure {
      throw AlertError(source: source, reason: "schema: " + f.message)
    }
  }

  /// The fewest bytes one value of this schema can occupy. Decoders use it to refuse an array or map block whose
  /// count could not possibly fit in the bytes left, before allocating anything.
  var minimumSize: Int {
    switch self {
    case .null: return 0
    case .boolean, .int, .long, .bytes, .string, .enumeration, .array, .map: return 1
    case .float: return 4
    case .double: return 8
    case .record(let layout): return layout.minimumSize
    case .union(let branches): return 1 + (branches.map(\.minimumSize).min() ?? 0)
    case .fixed(_, let size): return size
    }
  }
}

/// The fields of one named record type. Shared by every value of that type (and by recursive references to it).
public final class AvroRecordLayout: @unchecked Sendable {
  /// The full name, e.g. `ztf.alert.candidate`.
  public let name: String
  /// Field names in schema order.
  public private(set) var fieldNames: [String] = []
  /// Field schemas in schema order.
  public private(set) var fieldSchemas: [AvroSchema] = []
  /// Field name -> position.
  public private(set) var index: [String: Int] = [:]
  /// Lower bound on the encoded size of one record (see `AvroSchema.minimumSize`).
  var minimumSize = 0

  // Mutated only while the schema is parsed (fields are set after the record's name is registered, so fields may
  // refer back to it); immutable afterwards, which is what makes the unchecked Sendable conformance hold.
  // A recursive record refers to itself through its field schemas, a reference cycle: such layouts are never
  // freed (ZTF schemas are not recursive, and parsed schemas are cached, so this does not grow per packet).
  init(name: String) { self.name = name }

  func setFields(names: [String], schemas: [AvroSchema]) {
    fieldNames = names
    fieldSchemas = schemas
    index = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
  }
}

/// JSON -> `AvroSchema`, following the Avro 1.11 specification's rules for names and namespaces.
struct AvroSchemaParser {
  private static let maximumDepth = 64
  private var named: [String: AvroSchema] = [:]
  private var layouts: [AvroRecordLayout] = []

  static func parse(_ data: Data) throws -> AvroSchema {
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
      throw AvroFailure("invalid JSON (\(error.localizedDescription))")
    }
    var parser = AvroSchemaParser()
    let schema = try parser.parse(json, namespace: nil, depth: 0)
    parser.computeMinimumSizes()
    return schema
  }

  private static let primitives: [String: AvroSchema] = [
    "null": .null, "boolean": .boolean, "int": .int, "long": .long,
    "float": .float, "double": .double, "bytes": .bytes, "string": .string,
  ]

  /// (full name, namespace for names nested inside it).
  private static func qualify(_ name: String, namespace: String?) -> (String, String?) {
    if let dot = name.lastIndex(of: ".") { return (name, String(name[..<dot])) }
    if let ns = namespace, !ns.isEmpty { return (ns + "." + name, ns) }
    return (name, nil)
  }

  private mutating func parse(_ json: Any, namespace: String?, depth: Int) throws -> AvroSchema {
    guard depth < Self.maximumDepth else { throw AvroFailure("nested deeper than \(Self.maximumDepth) levels") }
    if let name = json as? String { return try reference(name, namespace: namespace) }
    if let branches = json as? [Any] {
      return .union(try branches.map { try parse($0, namespace: namespace, depth: depth + 1) })
    }
    guard let object = json as? [String: Any] else { throw AvroFailure("a type must be a string, array or object") }
    guard let type = object["type"] else { throw AvroFailure("object without \"type\"") }
    guard let typeName = type as? String else { return try parse(type, namespace: namespace, depth: depth + 1) }
    switch typeName {
    case "record", "error":
      return try record(object, namespace: namespace, depth: depth)
    case "enum":
      let (full, _) = try definedName(object, namespace: namespace)
      guard let symbols = object["symbols"] as? [String] else { throw AvroFailure("enum \(full) without symbols") }
      return try define(full, .enumeration(name: full, symbols: symbols))
    case "fixed":
      let (full, _) = try definedName(object, namespace: namespace)
      guard let size = object["size"] as? Int, (0...(1 << 30)).contains(size) else {
        throw AvroFailure("fixed \(full) without a valid size")
      }
      return try define(full, .fixed(name: full, size: size))
    case "array":
      guard let items = object["items"] else { throw AvroFailure("array without \"items\"") }
      return .array(try parse(items, namespace: namespace, depth: depth + 1))
    case "map":
      guard let values = object["values"] else { throw AvroFailure("map without \"values\"") }
      return .map(try parse(values, namespace: namespace, depth: depth + 1))
    default:
      // A primitive, possibly annotated with a logicalType (ignored), or a named reference.
      return try reference(typeName, namespace: namespace)
    }
  }

  private func reference(_ name: String, namespace: String?) throws -> AvroSchema {
    if let p = Self.primitives[name] { return p }
    let (full, _) = Self.qualify(name, namespace: namespace)
    if let s = named[full] ?? named[name] { return s }
    throw AvroFailure("unknown type '\(name)'")
  }

  private func definedName(_ object: [String: Any], namespace: String?) throws -> (String, String?) {
    guard let name = object["name"] as? String, !name.isEmpty else { throw AvroFailure("named type without a name") }
    let ns = (object["namespace"] as? String) ?? namespace
    return Self.qualify(name, namespace: ns)
  }

  private mutating func define(_ full: String, _ schema: AvroSchema) throws -> AvroSchema {
    guard named[full] == nil else { throw AvroFailure("type '\(full)' defined twice") }
    named[full] = schema
    return schema
  }

  private mutating func record(_ object: [String: Any], namespace: String?, depth: Int) throws -> AvroSchema {
    let (full, innerNamespace) = try definedName(object, namespace: namespace)
    guard let fields = object["fields"] as? [Any] else { throw AvroFailure("record \(full) without fields") }
    let layout = AvroRecordLayout(name: full)
    let schema = try define(full, .record(layout))  // registered first: fields may refer to the record itself
    layouts.append(layout)
    var names: [String] = []
    var schemas: [AvroSchema] = []
    var seen = Set<String>()
    for field in fields {
      guard let f = field as? [String: Any], let name = f["name"] as? String else {
        throw AvroFailure("record \(full): a field without a name")
      }
      guard seen.insert(name).inserted else { throw AvroFailure("record \(full): field '\(name)' appears twice") }
      guard let type = f["type"] else { throw AvroFailure("record \(full): field '\(name)' without a type") }
      do {
        schemas.append(try parse(type, namespace: innerNamespace, depth: depth + 1))
      } catch var failure as AvroFailure {
        failure.path.append(name)
        throw failure
      }
      names.append(name)
    }
    layout.setFields(names: names, schemas: schemas)
    return schema
  }

  /// Least fixed point of the records' minimum sizes (recursive records start at 0 and only grow, so every
  /// iterate is a valid lower bound; a few rounds settle any real schema).
  private func computeMinimumSizes() {
    for _ in 0..<(layouts.count + 1) {
      var changed = false
      for layout in layouts {
        let size = layout.fieldSchemas.reduce(0) { min($0 + $1.minimumSize, 1 << 30) }
        if size != layout.minimumSize {
          layout.minimumSize = size
          changed = true
        }
      }
      if !changed { break }
    }
  }
}

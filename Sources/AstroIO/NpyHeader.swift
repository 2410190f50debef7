import Foundation

/// An error reading or writing a NumPy `.npy` file; the description names the file and the field
/// at fault, e.g. `logit.npy: descr: big-endian '>f4' is not supported`.
public struct NpyError: Error, CustomStringConvertible, Sendable {
  /// The file path (or a caller-chosen label for in-memory data).
  public let source: String
  /// The header field or file part at fault: "magic", "version", "header", "descr",
  /// "fortran_order", "shape", "data" or "file".
  public let field: String
  public let reason: String

  public init(source: String, field: String, reason: String) {
    self.source = source
    self.field = field
    self.reason = reason
  }

  public var description: String {
    "\((source as NSString).lastPathComponent): \(field): \(reason)"
  }
}

/// The `.npy` header. We read and write the format ourselves: it is small and documented
/// (numpy.lib.format / NEP 1): magic `\x93NUMPY`, major and minor version bytes, a little-endian
/// header length (u16 in 1.0, u32 in 2.0 and 3.0), then a Python dict literal with 'descr',
/// 'fortran_order' and 'shape', padded with spaces and '\n' so the data start 64-byte aligned.
enum NpyHeader {
  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

  /// A parsed header: the raw descr string, the shape, and where the data section starts
  /// (counted from the first byte of the file).
  struct Parsed {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    var dataOffset: Int
  }

  // MARK: Parsing

  static func parse(_ bytes: Data, source: String) throws -> Parsed {
    func fail(_ field: String, _ reason: String) -> NpyError {
      NpyError(source: source, field: field, reason: reason)
    }
    // Offsets below are relative to the start of `bytes`, which may be a slice.
    func byte(_ offset: Int) -> Int { Int(bytes[bytes.startIndex + offset]) }
    guard bytes.count >= 10, bytes.prefix(6).elementsEqual(magic) else {
      throw fail("magic", "not a .npy file (missing \\x93NUMPY signature)")
    }
    let major = byte(6), minor = byte(7)
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = byte(8) | byte(9) << 8
      headerStart = 10
    case 2, 3:
      guard bytes.count >= 12 else { throw fail("header", "file ends inside the header length") }
      headerLength = (0..<4).reduce(0) { $0 | byte(8 + $1) << (8 * $1) }
      headerStart = 12
    default:
      throw fail("version", "unsupported format version \(major).\(minor)")
    }
    guard headerLength <= bytes.count - headerStart else {
      throw fail("header", "header of \(headerLength) bytes runs past the end of the file")
    }
    let headerBytes = bytes[(bytes.startIndex + headerStart)..<(bytes.startIndex + headerStart + headerLength)]
    // Version 3.0 allows UTF-8 in the header (structured field names); 1.0 and 2.0 are latin-1.
    let text = major == 3 ? String(decoding: headerBytes, as: UTF8.self)
               : String(headerBytes.map { Character(Unicode.Scalar($0)) })

    var parser = DictParser(text: text)
    let dict: [String: DictParser.Value]
    do { dict = try parser.parseDict() } catch let message as DictParser.Failure {
      throw fail("header", "cannot parse header dict: \(message.text)")
    }
    for key in dict.keys where !["descr", "fortran_order", "shape"].contains(key) {
      throw fail("header", "unexpected key '\(key)'")
    }

    guard let descrValue = dict["descr"] else { throw fail("descr", "missing") }
    guard case .string(let descr) = descrValue else {
      throw fail("descr", "structured dtypes are not supported")
    }
    guard let fortranValue = dict["fortran_order"] else { throw fail("fortran_order", "missing") }
    guard case .bool(let fortranOrder) = fortranValue else { throw fail("fortran_order", "not True or False") }
    guard let shapeValue = dict["shape"] else { throw fail("shape", "missing") }
    guard case .tuple(let items) = shapeValue else { throw fail("shape", "not a tuple") }
    var shape: [Int] = []
    for item in items {
      guard case .int(let extent) = item, extent >= 0 else { throw fail("shape", "extents must be integers >= 0") }
      shape.append(extent)
    }
    return Parsed(descr: descr, fortranOrder: fortranOrder, shape: shape, dataOffset: headerStart + headerLength)
  }

  // MARK: Formatting

  /// The header exactly as `numpy.save` writes it (NumPy 1.23+): sorted keys, Python reprs, spare
  /// spaces so the first axis can grow in place, padding to a multiple of 64 bytes, then '\n'.
  /// Version 1.0 unless the header needs more than 65535 bytes, then 2.0 (as NumPy does).
  static func format(descr: String, shape: [Int]) -> Data {
    let shapeText: String
    switch shape.count {
    case 0: shapeText = "()"
    case 1: shapeText = "(\(shape[0]),)"
    default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
    var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    // NumPy's GROWTH_AXIS_MAX_DIGITS = 21 spare room for the growth axis (axis 0 in C order).
    if let first = shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
    let body = Array(dict.utf8)

    for (major, lengthSize) in [(UInt8(1), 2), (UInt8(2), 4)] {
      let unpadded = magic.count + 2 + lengthSize + body.count + 1
      let padding = 64 - unpadded % 64 // NumPy pads 1...64 spaces, never 0
      let headerLength = body.count + padding + 1
      if lengthSize == 2 && headerLength > 0xFFFF { continue }
      var out = magic + [major, 0]
      out += (0..<lengthSize).map { UInt8(truncatingIfNeeded: headerLength >> (8 * $0)) }
      out += body + [UInt8](repeating: 0x20, count: padding) + [0x0A]
      return Data(out)
    }
    preconditionFailure("unreachable: a version 2.0 header always fits")
  }
}

/// A parser for the Python literal subset NumPy headers use: a dict of string keys to strings,
/// booleans, integers (optionally with the Python 2 'L' suffix), tuples and lists.
struct DictParser {
  indirect enum Value { case string(String), bool(Bool), int(Int), tuple([Value]), list([Value]) }
  struct Failure: Error { let text: String }

  private let chars: [Character]
  private var index = 0

  init(text: String) { chars = Array(text) }

  mutating func parseDict() throws -> [String: Value] {
    skipSpace()
    try expect("{")
    var dict: [String: Value] = [:]
    while true {
      skipSpace()
      if peek() == "}" { index += 1; break }
      guard case .string(let key) = try parseValue() else { throw Failure(text: "dict keys must be strings") }
      skipSpace()
      try expect(":")
      dict[key] = try parseValue()
      skipSpace()
      if peek() == "," { index += 1; continue }
      try expect("}")
      break
    }
    return dict
  }

  private mutating func parseValue() throws -> Value {
    skipSpace()
    guard let c = peek() else { throw Failure(text: "unexpected end of header") }
    switch c {
    case "'", "\"":
      index += 1
      var text = ""
      while let d = peek(), d != c { text.append(d); index += 1 }
      try expect(c)
      return .string(text)
    case "(", "[":
      index += 1
      let close: Character = c == "(" ? ")" : "]"
      var items: [Value] = []
      while true {
        skipSpace()
        if peek() == close { index += 1; break }
        items.append(try parseValue())
        skipSpace()
        if peek() == "," { index += 1; continue }
        try expect(close)
        break
      }
      return c == "(" ? .tuple(items) : .list(items)
    default:
      var word = ""
      while let d = peek(), d.isLetter || d.isNumber || d == "-" || d == "_" { word.append(d); index += 1 }
      if word == "True" { return .bool(true) }
      if word == "False" { return .bool(false) }
      if word.hasSuffix("L") { word.removeLast() }
      guard let value = Int(word) else { throw Failure(text: "unexpected token '\(word.isEmpty ? String(c) : word)'") }
      return .int(value)
    }
  }

  private func peek() -> Character? { index < chars.count ? chars[index] : nil }

  private mutating func skipSpace() {
    while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
  }

  private mutating func expect(_ c: Character) throws {
    guard peek() == c else { throw Failure(text: "expected '\(c)' at offset \(index)") }
    index += 1
  }
}

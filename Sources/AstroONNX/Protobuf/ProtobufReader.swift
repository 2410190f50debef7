/// A bounds-checked protobuf wire-format decoder over a byte array: every read checks what is left, every length
/// is compared with the bytes that remain before anything is allocated, and unknown fields are skipped by wire
/// type. Errors carry the message path being read (`ModelProto.graph.node[3]`), for `ONNXError.malformed`.
struct ProtobufReader {
  private let bytes: [UInt8]
  private var position: Int
  private let end: Int
  /// The message being read, for error messages.
  let path: String

  struct Failure: Error {
    let path: String
    let message: String
  }

  init(_ bytes: [UInt8], path: String) {
    self.init(bytes, range: 0..<bytes.count, path: path)
  }

  private init(_ bytes: [UInt8], range: Range<Int>, path: String) {
    self.bytes = bytes
    self.position = range.lowerBound
    self.end = range.upperBound
    self.path = path
  }

  func failure(_ message: String) -> Failure { Failure(path: path, message: message) }

  /// The next field's number and wire type, or nil at the end of the message.
  mutating func nextField() throws -> (number: Int, wire: UInt8)? {
    guard position < end else { return nil }
    let key = try varint()
    let number = key >> 3, wire = UInt8(key & 7)
    guard number > 0, number < 1 << 29 else { throw failure("field number \(number) out of range") }
    return (Int(number), wire)
  }

  mutating func varint() throws -> UInt64 {
    var value: UInt64 = 0
    for shift in stride(from: 0, to: 64, by: 7) {
      guard position < end else { throw failure("truncated varint") }
      let byte = bytes[position]
      position += 1
      value |= UInt64(byte & 0x7f) << UInt64(shift)
      if byte < 0x80 { return value }
    }
    throw failure("varint longer than ten bytes")
  }

  /// A varint field as a signed 64-bit integer, after checking the wire type.
  mutating func int(_ wire: UInt8, field: String) throws -> Int64 {
    try expect(wire, 0, field)
    return Int64(bitPattern: try varint())
  }

  mutating func fixed32() throws -> UInt32 {
    guard end - position >= 4 else { throw failure("truncated fixed32") }
    var v: UInt32 = 0
    for k in 0..<4 { v |= UInt32(bytes[position + k]) << (8 * UInt32(k)) }
    position += 4
    return v
  }

  mutating func float(_ wire: UInt8, field: String) throws -> Float {
    try expect(wire, 5, field)
    return Float(bitPattern: try fixed32())
  }

  /// The range of a length-delimited field's bytes (checked against what remains).
  mutating func lengthDelimited(_ wire: UInt8, field: String) throws -> Range<Int> {
    try expect(wire, 2, field)
    let length = try varint()
    guard length <= UInt64(end - position) else {
      throw failure("field '\(field)' declares \(length) bytes, \(end - position) remain")
    }
    let range = position..<(position + Int(length))
    position = range.upperBound
    return range
  }

  mutating func bytes(_ wire: UInt8, field: String) throws -> [UInt8] {
    Array(bytes[try lengthDelimited(wire, field: field)])
  }

  mutating func string(_ wire: UInt8, field: String) throws -> String {
    let range = try lengthDelimited(wire, field: field)
    guard let text = String(validating: bytes[range], as: UTF8.self) else { throw failure("field '\(field)' is not UTF-8") }
    return text
  }

  /// A nested message's reader (sharing the bytes), named `path.field` in errors.
  mutating func message(_ wire: UInt8, field: String) throws -> ProtobufReader {
    ProtobufReader(bytes, range: try lengthDelimited(wire, field: field), path: path + "." + field)
  }

  /// One element, or a packed run, of a repeated varint field.
  mutating func repeatedInts(_ wire: UInt8, field: String, into values: inout [Int64]) throws {
    if wire == 0 { return values.append(Int64(bitPattern: try varint())) }
    var packed = try message(wire, field: field)
    while packed.position < packed.end { values.append(Int64(bitPattern: try packed.varint())) }
  }

  /// One element, or a packed run, of a repeated float field.
  mutating func repeatedFloats(_ wire: UInt8, field: String, into values: inout [Float]) throws {
    if wire == 5 { return values.append(Float(bitPattern: try fixed32())) }
    let range = try lengthDelimited(wire, field: field)
    guard range.count % 4 == 0 else { throw failure("packed floats '\(field)' of \(range.count) bytes") }
    values.reserveCapacity(values.count + range.count / 4)
    var reader = ProtobufReader(bytes, range: range, path: path)
    while reader.position < reader.end { values.append(Float(bitPattern: try reader.fixed32())) }
  }

  /// One element, or a packed run, of a repeated double field.
  mutating func repeatedDoubles(_ wire: UInt8, field: String, into values: inout [Double]) throws {
    func fixed64(_ r: inout ProtobufReader) throws -> Double {
      guard r.end - r.position >= 8 else { throw r.failure("truncated fixed64") }
      var v: UInt64 = 0
      for k in 0..<8 { v |= UInt64(r.bytes[r.position + k]) << (8 * UInt64(k)) }
      r.position += 8
      return Double(bitPattern: v)
    }
    if wire == 1 { return values.append(try fixed64(&self)) }
    let range = try lengthDelimited(wire, field: field)
    guard range.count % 8 == 0 else { throw failure("packed doubles '\(field)' of \(range.count) bytes") }
    var reader = ProtobufReader(bytes, range: range, path: path)
    while reader.position < reader.end { values.append(try fixed64(&reader)) }
  }

  /// Skips a field this reader does not use.
  mutating func skip(_ wire: UInt8) throws {
    switch wire {
    case 0: _ = try varint()
    case 1:
      guard end - position >= 8 else { throw failure("truncated fixed64") }
      position += 8
    case 2: _ = try lengthDelimited(wire, field: "unknown")
    case 5: _ = try fixed32()
    default: throw failure("wire type \(wire) (groups are not used by ONNX)")
    }
  }

  private func expect(_ wire: UInt8, _ expected: UInt8, _ field: String) throws {
    guard wire == expected else { throw failure("field '\(field)' has wire type \(wire), expected \(expected)") }
  }
}

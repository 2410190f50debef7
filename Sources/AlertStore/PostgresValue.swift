import Foundation
import _CLibPQ

/// A statement parameter or COPY field in PostgreSQL's binary format: scalars, and one-dimensional arrays, which
/// carry a whole batch into one `INSERT ... SELECT FROM unnest($1, $2, ...)`.
enum PostgresValue {
  case int64(Int64?)
  case int32(Int32?)
  case double(Double?)
  case text(String?)
  case bytes(Data?)
  /// JSON text sent as jsonb (its binary format: a version byte, then the text).
  case jsonb(String?)
  case int64Array([Int64?])
  case int32Array([Int32?])
  case doubleArray([Double?])
  case textArray([String?])

  // Type OIDs from PostgreSQL's pg_type.dat (stable across versions).
  static let int8OID: Oid = 20, int4OID: Oid = 23, textOID: Oid = 25, byteaOID: Oid = 17, float8OID: Oid = 701
  static let jsonbOID: Oid = 3802
  static let int8ArrayOID: Oid = 1016, int4ArrayOID: Oid = 1007, textArrayOID: Oid = 1009
  static let float8ArrayOID: Oid = 1022

  /// The type OID and bytes (nil for SQL NULL) libpq sends.
  var encoded: (type: Oid, bytes: Data?) {
    switch self {
    case .int64(let v): return (Self.int8OID, v.map { Self.bigEndian($0) })
    case .int32(let v): return (Self.int4OID, v.map { Self.bigEndian($0) })
    case .jsonb(let v): return (Self.jsonbOID, v.map { Data([1]) + Data($0.utf8) })
    case .double(let v): return (Self.float8OID, v.map { Self.bigEndian($0.bitPattern) })
    case .text(let v): return (Self.textOID, v.map { Data($0.utf8) })
    case .bytes(let v): return (Self.byteaOID, v)
    case .int64Array(let v): return (Self.int8ArrayOID, Self.array(v, element: Self.int8OID) { Self.bigEndian($0) })
    case .int32Array(let v): return (Self.int4ArrayOID, Self.array(v, element: Self.int4OID) { Self.bigEndian($0) })
    case .doubleArray(let v):
      return (Self.float8ArrayOID, Self.array(v, element: Self.float8OID) { Self.bigEndian($0.bitPattern) })
    case .textArray(let v): return (Self.textArrayOID, Self.array(v, element: Self.textOID) { Data($0.utf8) })
    }
  }

  static func bigEndian<I: FixedWidthInteger>(_ value: I) -> Data {
    withUnsafeBytes(of: value.bigEndian) { Data($0) }
  }

  /// The binary array format (array_recv): dimensions, a has-nulls flag, the element type, then each element as a
  /// length (-1 for NULL) and its bytes.
  static func array<T>(_ values: [T?], element: Oid, _ encode: (T) -> Data) -> Data {
    var out = Data()
    out.append(bigEndian(Int32(values.isEmpty ? 0 : 1)))
    out.append(bigEndian(Int32(values.contains { $0 == nil } ? 1 : 0)))
    out.append(bigEndian(element))
    guard !values.isEmpty else { return out }
    out.append(bigEndian(Int32(values.count)))
    out.append(bigEndian(Int32(1)))  // lower bound
    for value in values {
      if let value {
        let bytes = encode(value)
        out.append(bigEndian(Int32(bytes.count)))
        out.append(bytes)
      } else {
        out.append(bigEndian(Int32(-1)))
      }
    }
    return out
  }
}

/// The rows of one result, in binary format. Accessors check the column's type and throw, naming the column and
/// row, when it is not what the store wrote (a foreign table in the store's schema): never a trap.
final class PostgresRows {
  private let result: OpaquePointer

  init(_ result: OpaquePointer) { self.result = result }
  deinit { PQclear(result) }

  var count: Int { Int(PQntuples(result)) }

  func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) != 0 }

  private func bytes(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(
      start: PQgetvalue(result, Int32(row), Int32(column)), count: Int(PQgetlength(result, Int32(row), Int32(column))))
  }

  private func mismatch(_ row: Int, _ column: Int, _ wanted: String) -> AlertStoreError {
    let name = PQfname(result, Int32(column)).map { String(cString: $0) } ?? "column \(column)"
    return AlertStoreError(
      source: "PostgreSQL result", reason: "column \(name) of row \(row) is not \(wanted) (type oid \(PQftype(result, Int32(column))))")
  }

  private func integer<I: FixedWidthInteger>(_ b: UnsafeRawBufferPointer, _: I.Type) -> I {
    var v = I.zero
    withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: b) }
    return I(bigEndian: v)
  }

  func int64(_ row: Int, _ column: Int) throws -> Int64? {
    if isNull(row, column) { return nil }
    let b = bytes(row, column)
    switch (PQftype(result, Int32(column)), b.count) {
    case (PostgresValue.int8OID, 8): return integer(b, Int64.self)
    case (PostgresValue.int4OID, 4): return Int64(integer(b, Int32.self))
    case (21, 2): return Int64(integer(b, Int16.self))  // int2
    default: throw mismatch(row, column, "an integer")
    }
  }

  func double(_ row: Int, _ column: Int) throws -> Double? {
    if isNull(row, column) { return nil }
    let b = bytes(row, column)
    switch (PQftype(result, Int32(column)), b.count) {
    case (PostgresValue.float8OID, 8): return Double(bitPattern: integer(b, UInt64.self))
    case (700, 4): return Double(Float(bitPattern: integer(b, UInt32.self)))  // float4
    default: throw mismatch(row, column, "a double")
    }
  }

  func string(_ row: Int, _ column: Int) throws -> String? {
    if isNull(row, column) { return nil }
    let b = bytes(row, column)
    switch PQftype(result, Int32(column)) {
    case PostgresValue.textOID, 1043, 19, 1042, 114: return String(decoding: b, as: UTF8.self)  // text, varchar, name, bpchar, json
    case 3802 where b.first == 1: return String(decoding: b.dropFirst(), as: UTF8.self)  // jsonb: version byte 1, then text
    default: throw mismatch(row, column, "text")
    }
  }

  func bool(_ row: Int, _ column: Int) throws -> Bool? {
    if isNull(row, column) { return nil }
    let b = bytes(row, column)
    guard PQftype(result, Int32(column)) == 16, b.count == 1 else { throw mismatch(row, column, "a boolean") }
    return b[0] != 0
  }

  func data(_ row: Int, _ column: Int) throws -> Data? {
    if isNull(row, column) { return nil }
    guard PQftype(result, Int32(column)) == PostgresValue.byteaOID else { throw mismatch(row, column, "bytea") }
    return Data(bytes(row, column))
  }

  /// A column that may not be NULL.
  func required<T>(_ value: T?, _ row: Int, _ column: Int) throws -> T {
    guard let value else { throw mismatch(row, column, "set (it is NULL)") }
    return value
  }
}

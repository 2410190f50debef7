/// Bounds-checked reading of a FlatBuffers binary (the container format of `.tflite` files).
///
/// Written here because no FlatBuffers runtime for Swift is among the packages this project may use; reading
/// needs only tables, vtables, vectors and strings. Every offset is checked against the file, so a truncated or
/// hostile file gives an error naming the field, never a crash.
struct FlatBufferReader {
  let bytes: [UInt8]
  let source: String

  init(_ bytes: [UInt8], source: String) {
    self.bytes = bytes
    self.source = source
  }

  func fail(_ message: String) -> TFLiteError { .malformed(file: source, message) }

  func check(_ position: Int, _ size: Int, _ what: String) throws {
    guard position >= 0, size >= 0, position <= bytes.count, size <= bytes.count - position else {
      throw fail("\(what) at byte \(position) (\(size) bytes) lies outside the \(bytes.count)-byte file")
    }
  }

  func u8(_ position: Int, _ what: String) throws -> UInt8 {
    try check(position, 1, what)
    return bytes[position]
  }

  func u16(_ position: Int, _ what: String) throws -> UInt16 {
    try check(position, 2, what)
    return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
  }

  func u32(_ position: Int, _ what: String) throws -> UInt32 {
    try check(position, 4, what)
    var value: UInt32 = 0
    for k in 0..<4 { value |= UInt32(bytes[position + k]) << (8 * k) }
    return value
  }

  func u64(_ position: Int, _ what: String) throws -> UInt64 {
    try check(position, 8, what)
    var value: UInt64 = 0
    for k in 0..<8 { value |= UInt64(bytes[position + k]) << (8 * k) }
    return value
  }

  func i32(_ position: Int, _ what: String) throws -> Int32 { Int32(bitPattern: try u32(position, what)) }

  /// The target of the uoffset stored at `position` (forward and inside the file).
  func follow(_ position: Int, _ what: String) throws -> Int {
    let offset = Int(try u32(position, what))
    guard offset > 0 else { throw fail("\(what): offset 0 at byte \(position)") }
    let target = position + offset
    try check(target, 0, what)
    return target
  }

  /// The table whose start is `position`.
  func table(at position: Int, _ what: String) throws -> Table {
    let vtableOffset = Int(try i32(position, what))
    let vtable = position - vtableOffset
    let vtableSize = Int(try u16(vtable, "\(what) vtable"))
    let tableSize = Int(try u16(vtable + 2, "\(what) vtable"))
    guard vtableSize >= 4, vtableSize % 2 == 0 else { throw fail("\(what): vtable of \(vtableSize) bytes") }
    try check(vtable, vtableSize, "\(what) vtable")
    try check(position, tableSize, what)
    return Table(reader: self, position: position, vtable: vtable, fieldCount: (vtableSize - 4) / 2, size: tableSize, what: what)
  }

  /// The root table (the uoffset in the first four bytes).
  func root(_ what: String) throws -> Table {
    try table(at: try follow(0, "root offset"), what)
  }

  struct Table {
    let reader: FlatBufferReader
    let position: Int, vtable: Int, fieldCount: Int, size: Int
    let what: String

    /// The absolute position of field `id`, or nil when it is absent (its default applies).
    func field(_ id: Int, _ name: String, size fieldSize: Int) throws -> Int? {
      guard id < fieldCount else { return nil }
      let offset = Int(try reader.u16(vtable + 4 + 2 * id, "\(what).\(name)"))
      guard offset != 0 else { return nil }
      guard offset + fieldSize <= size else { throw reader.fail("\(what).\(name) lies outside its table") }
      return position + offset
    }

    func u8(_ id: Int, _ name: String, default value: UInt8 = 0) throws -> UInt8 {
      guard let p = try field(id, name, size: 1) else { return value }
      return try reader.u8(p, "\(what).\(name)")
    }

    func bool(_ id: Int, _ name: String, default value: Bool = false) throws -> Bool {
      try u8(id, name, default: value ? 1 : 0) != 0
    }

    func i32(_ id: Int, _ name: String, default value: Int32 = 0) throws -> Int32 {
      guard let p = try field(id, name, size: 4) else { return value }
      return try reader.i32(p, "\(what).\(name)")
    }

    func u32(_ id: Int, _ name: String, default value: UInt32 = 0) throws -> UInt32 {
      guard let p = try field(id, name, size: 4) else { return value }
      return try reader.u32(p, "\(what).\(name)")
    }

    func u64(_ id: Int, _ name: String, default value: UInt64 = 0) throws -> UInt64 {
      guard let p = try field(id, name, size: 8) else { return value }
      return try reader.u64(p, "\(what).\(name)")
    }

    func f32(_ id: Int, _ name: String, default value: Float = 0) throws -> Float {
      guard let p = try field(id, name, size: 4) else { return value }
      return Float(bitPattern: try reader.u32(p, "\(what).\(name)"))
    }

    func table(_ id: Int, _ name: String) throws -> Table? {
      guard let p = try field(id, name, size: 4) else { return nil }
      return try reader.table(at: try reader.follow(p, "\(what).\(name)"), "\(what).\(name)")
    }

    /// A vector's first element position and count, with `count · elementSize` checked against the file.
    func vector(_ id: Int, _ name: String, elementSize: Int) throws -> (start: Int, count: Int)? {
      guard let p = try field(id, name, size: 4) else { return nil }
      let label = "\(what).\(name)"
      let start = try reader.follow(p, label)
      let count = Int(try reader.u32(start, label))
      let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
      guard !overflow else { throw reader.fail("\(label): \(count) elements overflow") }
      try reader.check(start + 4, bytes, label)
      return (start + 4, count)
    }

    func bytes(_ id: Int, _ name: String) throws -> [UInt8]? {
      guard let (start, count) = try vector(id, name, elementSize: 1) else { return nil }
      return Array(reader.bytes[start..<(start + count)])
    }

    func string(_ id: Int, _ name: String) throws -> String? {
      guard let bytes = try bytes(id, name) else { return nil }
      return String(decoding: bytes, as: UTF8.self)
    }

    func int32s(_ id: Int, _ name: String) throws -> [Int32]? {
      guard let (start, count) = try vector(id, name, elementSize: 4) else { return nil }
      return try (0..<count).map { try reader.i32(start + 4 * $0, "\(what).\(name)") }
    }

    func int64s(_ id: Int, _ name: String) throws -> [Int64]? {
      guard let (start, count) = try vector(id, name, elementSize: 8) else { return nil }
      return try (0..<count).map { Int64(bitPattern: try reader.u64(start + 8 * $0, "\(what).\(name)")) }
    }

    func floats(_ id: Int, _ name: String) throws -> [Float]? {
      guard let (start, count) = try vector(id, name, elementSize: 4) else { return nil }
      return try (0..<count).map { Float(bitPattern: try reader.u32(start + 4 * $0, "\(what).\(name)")) }
    }

    /// A vector of tables.
    func tables(_ id: Int, _ name: String) throws -> [Table] {
      guard let (start, count) = try vector(id, name, elementSize: 4) else { return [] }
      return try (0..<count).map { k in
        let label = "\(what).\(name)[\(k)]"
        return try reader.table(at: try reader.follow(start + 4 * k, label), label)
      }
    }
  }
}

/// A bounds-checked reader over raw bytes. Every read checks the remaining length first and throws an
/// `AvroFailure` naming the offset, so truncated or corrupt input never reads past the buffer.
struct ByteCursor {
  let bytes: UnsafeRawBufferPointer
  private(set) var position: Int
  /// Offset of `bytes[0]` in the file, for messages (0 for inflated blocks, whose offsets are block-relative).
  let origin: Int
  /// Whether `bytes` is an inflated (deflate codec) block: messages then say so, since offsets are not file offsets.
  let inflated: Bool

  init(_ bytes: UnsafeRawBufferPointer, origin: Int = 0, inflated: Bool = false) {
    self.bytes = bytes
    self.position = 0
    self.origin = origin
    self.inflated = inflated
  }

  var remaining: Int { bytes.count - position }
  var isAtEnd: Bool { position >= bytes.count }

  /// "at byte 4123" (file offset) or "at byte 812 of the inflated block".
  func location(_ p: Int) -> String {
    inflated ? "at byte \(p) of the inflated block" : "at byte \(origin + p)"
  }

  func failure(_ what: String, at p: Int) -> AvroFailure {
    AvroFailure("\(what) \(location(p))")
  }

  /// An unsigned LEB128 varint of at most 10 bytes whose value fits in 64 bits.
  @inline(__always)
  mutating func readVarint(_ what: StaticString) throws -> UInt64 {
    let start = position
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < bytes.count else { throw failure("truncated \(what)", at: start) }
      let byte = bytes[position]
      position += 1
      if shift == 63 && byte > 1 { throw failure("\(what) overflows 64 bits", at: start) }
      result |= UInt64(byte & 0x7f) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
    }
  }

  /// A zig-zag encoded Avro long.
  @inline(__always)
  mutating func readLong(_ what: StaticString = "long") throws -> Int64 {
    let u = try readVarint(what)
    return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
  }

  /// A zig-zag encoded Avro int (a long that must fit in 32 bits).
  @inline(__always)
  mutating func readInt() throws -> Int32 {
    let start = position
    let v = try readLong("int")
    guard let i = Int32(exactly: v) else { throw failure("int value \(v) out of 32-bit range", at: start) }
    return i
  }

  /// A non-negative length or count that fits in the remaining bytes (when `fitsRemaining`).
  @inline(__always)
  mutating func readLength(_ what: StaticString) throws -> Int {
    let start = position
    let v = try readLong(what)
    guard v >= 0 else { throw failure("negative \(what) \(v)", at: start) }
    guard v <= Int64(remaining) else {
      throw failure("truncated or corrupt: \(what) \(v) exceeds the \(remaining) bytes left", at: start)
    }
    return Int(v)
  }

  /// `count` raw bytes, as a pointer range into `bytes` (valid as long as `bytes` is).
  @inline(__always)
  mutating func readBytes(_ count: Int, _ what: StaticString) throws -> UnsafeRawBufferPointer {
    guard count >= 0, count <= remaining else {
      throw failure("truncated \(what): need \(count) bytes, \(remaining) left", at: position)
    }
    let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    position += count
    return slice
  }

  @inline(__always)
  mutating func readUInt32LE(_ what: StaticString) throws -> UInt32 {
    guard remaining >= 4 else { throw failure("truncated \(what): need 4 bytes, \(remaining) left", at: position) }
    let v = bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)
    position += 4
    return UInt32(littleEndian: v)
  }

  @inline(__always)
  mutating func readUInt64LE(_ what: StaticString) throws -> UInt64 {
    guard remaining >= 8 else { throw failure("truncated \(what): need 8 bytes, \(remaining) left", at: position) }
    let v = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
    position += 8
    return UInt64(littleEndian: v)
  }

  @inline(__always)
  mutating func readByte(_ what: StaticString) throws -> UInt8 {
    guard position < bytes.count else { throw failure("truncated \(what)", at: position) }
    let b = bytes[position]
    position += 1
    return b
  }
}
